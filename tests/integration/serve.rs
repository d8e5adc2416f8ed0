//! `latent serve` and `latent sagemaker train|serve`: the real server on 127.0.0.1 (a
//! free port picked by the OS), driven over plain HTTP/1.1, then stopped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::export::train_sample;
use crate::util::{Scratch, s};

/// A running server, killed (by its own process handle) when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// The server's process id, to read its memory from /proc.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `latent ARGS` (a serve command with `--port 0`) and waits for its address.
pub fn start(scratch: &Scratch, args: &[&str], envs: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_latent"))
        .args(args)
        .env("LATENT_HOME", scratch.path("home"))
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start latent serve");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    let addr = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(a) = line.strip_prefix("listening on http://") {
                    break a.parse().unwrap();
                }
                seen.push(line);
            }
            _ => {
                let mut err = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("server did not start: {seen:?}\n{err}");
            }
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr }
}

/// One HTTP/1.1 request; returns (status, content type, body).
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let content_type = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, content_type, body.to_owned())
}

/// POSTs JSON to /invocations; returns (status, parsed body).
pub fn invoke(addr: SocketAddr, body: &str) -> (u16, serde_json::Value) {
    let (status, _, text) = http(addr, "POST", "/invocations", "application/json", body);
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

fn items(answer: &serde_json::Value) -> Vec<String> {
    answer["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Trains ALS on the sample and exports its bundle; returns (run, export folder).
pub fn exported(scratch: &Scratch) -> (std::path::PathBuf, std::path::PathBuf) {
    let run = train_sample(scratch, "run", "als");
    let out = export_to(scratch, &run, "export", "bundle,sagemaker");
    (run, out)
}

/// Exports `run` in `formats` to `scratch/name`; returns the export folder.
pub fn export_to(scratch: &Scratch, run: &Path, name: &str, formats: &str) -> std::path::PathBuf {
    let out = scratch.path(name);
    let mut args = vec!["export", "--run", s(run), "--to", s(&out)];
    args.extend(["--format", formats]);
    scratch.run(args).ok();
    out
}

#[test]
fn serve_answers_single_batch_and_json_lines_through_the_rules() {
    let scratch = Scratch::new();
    let (run, out) = exported(&scratch);
    let server = start(&scratch, &["serve", "--model", s(&out), "--port", "0"], &[]);
    let (status, _, body) = http(server.addr, "GET", "/ping", "text/plain", "");
    assert_eq!(status, 200, "{body}");

    // A known customer gets exactly `latent recommend`'s list.
    let cli = scratch
        .run([
            "recommend",
            "--run",
            s(&run),
            "--user",
            "17850",
            "--top",
            "5",
            "--csv",
        ])
        .ok()
        .to_owned();
    let expected: Vec<(String, f64)> = cli
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].to_owned(), f[3].parse().unwrap())
        })
        .collect();
    let (status, a) = invoke(server.addr, r#"{"user_id": "17850", "top_k": 5}"#);
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["known"], true);
    let got: Vec<(String, f64)> = a["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["item_id"].as_str().unwrap().to_owned(),
                r["score"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got.len(), 5);
    for ((gi, gs), (ei, es)) in got.iter().zip(&expected) {
        assert_eq!(gi, ei);
        assert!((gs - es).abs() < 1e-5, "{gs} vs {es}");
    }
    // Numeric ids work too.
    let (_, numeric) = invoke(server.addr, r#"{"user_id": 17850, "top_k": 5}"#);
    assert_eq!(items(&numeric), items(&a));

    // Per-request rules on top of the bundle's: exclude the first, force one in.
    let first = &got[0].0;
    let body = format!(
        r#"{{"user_id": "17850", "top_k": 5, "exclude": ["{first}"], "include": ["22423"]}}"#
    );
    let (status, ruled) = invoke(server.addr, &body);
    assert_eq!(status, 200, "{ruled}");
    let ruled_items = items(&ruled);
    assert!(!ruled_items.contains(first), "{ruled}");
    let forced = ruled["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["item_id"] == "22423")
        .unwrap_or_else(|| panic!("22423 forced in: {ruled}"));
    assert_eq!(forced["reason"], "forced");

    // Unknown customers get the cold-start policy: fold-in from history, else popularity.
    let (_, cold) = invoke(
        server.addr,
        r#"{"user_id": "NEW-1", "top_k": 3, "history": ["22423", "22697"]}"#,
    );
    assert_eq!(cold["known"], false);
    assert_eq!(cold["recommendations"][0]["reason"], "fold_in", "{cold}");
    let (_, cold) = invoke(server.addr, r#"{"user_id": "NEW-2", "top_k": 3}"#);
    assert_eq!(
        cold["recommendations"][0]["reason"], "popularity_fallback",
        "{cold}"
    );

    // 10,000 products asked: capped at 1,000, and the answer says so.
    let (status, big) = invoke(server.addr, r#"{"user_id": "17850", "top_k": 10000}"#);
    assert_eq!(status, 200);
    assert_eq!(big["top_k"], 1000);
    assert_eq!(big["recommendations"].as_array().unwrap().len(), 1000);
    assert!(
        big["warnings"][0].as_str().unwrap().contains("capped"),
        "{}",
        big["warnings"]
    );

    // Batch: {"instances": [...]} → {"predictions": [...]} in order.
    let (status, batch) = invoke(
        server.addr,
        r#"{"instances": [{"user_id": "17850", "top_k": 5}, {"user_id": "NEW-2", "top_k": 2}]}"#,
    );
    assert_eq!(status, 200, "{batch}");
    let predictions = batch["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 2);
    assert_eq!(items(&predictions[0]), items(&a));
    assert_eq!(predictions[1]["known"], false);

    // JSON lines in, JSON lines out.
    let (status, kind, body) = http(
        server.addr,
        "POST",
        "/invocations",
        "application/jsonlines",
        "{\"user_id\": \"17850\", \"top_k\": 5}\n\n{\"user_id\": \"NEW-2\", \"top_k\": 2}\n",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind, "application/jsonlines");
    let lines: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(items(&lines[0]), items(&a));

    // Bad input: 400 with a message that says what is wrong.
    for (body, needle) in [
        (r#"{"user_id": "#, "not valid JSON"),
        (r#"{"usr_id": "17850"}"#, "unknown field `usr_id`"),
        (
            r#"{"user_id": "17850", "top_k": -1}"#,
            "top_k must be a whole number",
        ),
        (
            r#"{"user_id": "17850", "top_k": 0}"#,
            "of at least 1, not 0",
        ),
        ("[1, 2]", "must be a JSON object"),
        (r#"{"instances": {"user_id": "1"}}"#, "must be an array"),
        (
            r#"{"instances": [{"user_id": "1"}, {"user_id": null}]}"#,
            "instances[1]",
        ),
    ] {
        let (status, answer) = invoke(server.addr, body);
        assert_eq!(status, 400, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
    }
    let (status, _, body) = http(
        server.addr,
        "POST",
        "/invocations",
        "application/jsonlines",
        "{\"user_id\": \"1\"}\nnot json\n",
    );
    assert_eq!(status, 400);
    assert!(body.contains("line 2"), "{body}");
}

#[test]
fn concurrent_requests_all_get_their_own_answer() {
    let scratch = Scratch::new();
    let (run, out) = exported(&scratch);
    let model = out.join("sagemaker").join("model.tar.gz");
    // Served straight from SageMaker's archive.
    let server = start(
        &scratch,
        &["serve", "--model", s(&model), "--port", "0"],
        &[],
    );
    let ids: Vec<String> =
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(run.join("ids.json")).unwrap())
            .unwrap()["users"]
            .as_array()
            .unwrap()
            .iter()
            .take(40)
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
    let addr = server.addr;
    let reference: Vec<Vec<String>> = ids
        .iter()
        .map(|u| items(&invoke(addr, &format!(r#"{{"user_id": "{u}", "top_k": 10}}"#)).1))
        .collect();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let ids = ids.clone();
            let reference = reference.clone();
            std::thread::spawn(move || {
                for round in 0..25 {
                    let n = (t * 7 + round * 3) % ids.len();
                    let (status, a) = invoke(
                        addr,
                        &format!(r#"{{"user_id": "{}", "top_k": 10}}"#, ids[n]),
                    );
                    assert_eq!(status, 200);
                    assert_eq!(a["user_id"], ids[n].as_str());
                    assert_eq!(items(&a), reference[n]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn serve_refuses_damaged_or_unknown_bundles() {
    let scratch = Scratch::new();
    let (run, out) = exported(&scratch);
    let bundle = out.join("bundle");

    let damaged = scratch.path("damaged");
    copy_dir(&bundle, &damaged);
    let mut bytes = std::fs::read(damaged.join("item_factors.npy")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(damaged.join("item_factors.npy"), bytes).unwrap();
    let err = scratch
        .run(["serve", "--model", s(&damaged), "--port", "0"])
        .input_error()
        .to_owned();
    assert!(
        err.contains("is damaged: item_factors.npy: sha256"),
        "{err}"
    );

    let future = scratch.path("future");
    copy_dir(&bundle, &future);
    let manifest = std::fs::read_to_string(future.join("manifest.json")).unwrap();
    std::fs::write(
        future.join("manifest.json"),
        manifest.replace("\"format_version\": 1", "\"format_version\": 99"),
    )
    .unwrap();
    let err = scratch
        .run(["serve", "--model", s(&future), "--port", "0"])
        .input_error()
        .to_owned();
    assert!(
        err.contains("format version 99") && err.contains("reads version 1"),
        "{err}"
    );

    let err = scratch
        .run(["serve", "--model", s(&run), "--port", "0"])
        .input_error()
        .to_owned();
    assert!(
        err.contains("is not a latent bundle") && err.contains("manifest.json"),
        "{err}"
    );
    let err = scratch
        .run(["serve", "--model", s(&out), "--host", "localhost:1"])
        .input_error()
        .to_owned();
    assert!(err.contains("--host"), "{err}");
}

#[test]
fn sagemaker_train_writes_the_bundle_and_serve_answers() {
    let scratch = Scratch::new();
    let root = scratch.path("ml");
    std::fs::create_dir_all(root.join("input/config")).unwrap();
    std::fs::create_dir_all(root.join("input/data/train")).unwrap();
    std::fs::copy(
        crate::util::sample("online_retail_sample.csv"),
        root.join("input/data/train/transactions.csv"),
    )
    .unwrap();
    std::fs::write(
        root.join("input/config/hyperparameters.json"),
        r#"{"als_rank": "8", "max_iter": "5", "reg_param": "0.1"}"#,
    )
    .unwrap();
    let out = scratch
        .run(["sagemaker", "train", "--ml-root", s(&root)])
        .ok()
        .to_owned();
    assert!(out.contains("bundle written"), "{out}");
    assert!(root.join("model/manifest.json").exists());
    assert!(!root.join("output/failure").exists());
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("model/als_spec.json")).unwrap()).unwrap();
    assert_eq!(spec["als_rank"], "8");

    let server = start(
        &scratch,
        &["sagemaker", "serve", "--port", "0", "--host", "127.0.0.1"],
        &[("LATENT_ML_ROOT", s(&root))],
    );
    let (status, _, _) = http(server.addr, "GET", "/ping", "text/plain", "");
    assert_eq!(status, 200);
    let (status, a) = invoke(server.addr, r#"{"user_id": "17850", "top_k": 3}"#);
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["recommendations"].as_array().unwrap().len(), 3);
    drop(server);

    // A bad hyperparameter: non-zero exit and the reason in output/failure.
    let failing = scratch.path("ml-bad");
    std::fs::create_dir_all(failing.join("input/config")).unwrap();
    std::fs::create_dir_all(failing.join("input/data/train")).unwrap();
    std::fs::write(
        failing.join("input/config/hyperparameters.json"),
        r#"{"als_rnk": "8"}"#,
    )
    .unwrap();
    std::fs::copy(
        crate::util::sample("online_retail_sample.csv"),
        failing.join("input/data/train/t.csv"),
    )
    .unwrap();
    let r = scratch.run(["sagemaker", "train", "--ml-root", s(&failing)]);
    assert_ne!(r.code, 0);
    let failure = std::fs::read_to_string(failing.join("output/failure")).unwrap();
    assert!(failure.contains("did you mean 'als_rank'"), "{failure}");
    assert!(!failing.join("model/manifest.json").exists());

    // An empty channel says what to put there.
    std::fs::remove_file(failing.join("input/data/train/t.csv")).unwrap();
    std::fs::write(failing.join("input/config/hyperparameters.json"), "{}").unwrap();
    let r = scratch.run(["sagemaker", "train", "--ml-root", s(&failing)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let failure = std::fs::read_to_string(failing.join("output/failure")).unwrap();
    assert!(failure.contains("holds no data file"), "{failure}");
}

/// `GET /report` carries the served run's evaluation (every metric with its interval
/// beside popularity's, and the segments); a run trained without a hold-out answers 404
/// with what to do.
#[test]
fn report_carries_the_evaluation_or_says_how_to_get_one() {
    let scratch = Scratch::new();
    let (_, plain) = exported(&scratch);
    let server = start(
        &scratch,
        &["serve", "--model", s(&plain), "--port", "0"],
        &[],
    );
    let (status, _, body) = http(server.addr, "GET", "/report", "text/plain", "");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("--test-last-days"), "{body}");
    drop(server);

    let run = scratch.path("evaluated");
    let data = crate::util::sample("online_retail_sample.csv");
    let mut args = vec!["train", "--data", s(&data), "--out", s(&run)];
    args.extend(["--set", "als_rank=8", "--test-last-days", "30"]);
    scratch.run(args).ok();
    let out = export_to(&scratch, &run, "evaluated-export", "bundle");
    let server = start(&scratch, &["serve", "--model", s(&out), "--port", "0"], &[]);
    let (status, _, body) = http(server.addr, "GET", "/report", "text/plain", "");
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["holdout"], "last-days:30");
    assert_eq!(report["k"], 10);
    let metrics = report["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 11, "{report}");
    for m in metrics {
        for field in ["value", "ci_low", "ci_high", "baseline"] {
            assert!(m[field].is_number(), "{field}: {m}");
        }
    }
    assert!(report["segments"].as_array().is_some_and(|s| !s.is_empty()));
}

/// A known customer can pass purchases made since the model was trained: the list
/// reflects them (folded in with their training products) and leaves them out as bought,
/// and the answer still says the customer is known.
#[test]
fn a_known_customer_with_recent_purchases_gets_a_list_that_reflects_them() {
    let scratch = Scratch::new();
    let (run_dir, out) = exported(&scratch);
    let run = latent::store::Run::load(&run_dir).unwrap();
    let server = start(&scratch, &["serve", "--model", s(&out), "--port", "0"], &[]);
    let plain = r#"{"user_id": "17850", "top_k": 10}"#;
    let (status, before) = invoke(server.addr, plain);
    assert_eq!(status, 200, "{before}");
    // Three products 17850 never bought in the training data: the top of their list.
    let u = run.users.get("17850").unwrap();
    let (bought, _) = run.train.row(u as usize);
    let recent: Vec<String> = items(&before)
        .into_iter()
        .filter(|id| !bought.contains(&run.items.get(id).unwrap()))
        .take(3)
        .collect();
    assert_eq!(recent.len(), 3);
    let body = format!(
        r#"{{"user_id": "17850", "top_k": 10, "history": {}}}"#,
        serde_json::to_string(&recent).unwrap()
    );
    let (status, after) = invoke(server.addr, &body);
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["known"], true, "{after}");
    let listed = items(&after);
    assert_eq!(listed.len(), 10);
    for r in &recent {
        assert!(!listed.contains(r), "{r} was just bought: {listed:?}");
    }
    assert_ne!(listed, items(&before));
    // History the model already holds for them changes nothing.
    let already = run.items.name(bought[0]).to_owned();
    let body = format!(r#"{{"user_id": "17850", "top_k": 10, "history": ["{already}"]}}"#);
    let (_, same) = invoke(server.addr, &body);
    assert_eq!(items(&same), items(&before));
}
