//! `latent serve` following its model: bundles swapped under load through `POST /reload`,
//! SIGHUP and `--watch` with no failed call, a corrupt bundle refused while the old one
//! keeps serving, and `/metrics` read by Prometheus' own parser.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::export::{python, train_sample};
use crate::export_s3::{Moto, latent};
use crate::serve::{Server, export_to, http, invoke, start};
use crate::util::{Scratch, s};

/// A bundle of a fresh run of `model`, exported to `scratch/name`; returns the bundle
/// folder (its manifest names the run `name`).
fn bundle(scratch: &Scratch, name: &str, model: &str) -> PathBuf {
    let run = train_sample(scratch, name, model);
    export_to(scratch, &run, &format!("{name}-export"), "bundle").join("bundle")
}

/// Points the symlink `live` at `target` in one rename, as a deployment would.
fn point(live: &Path, target: &Path) {
    let tmp = live.with_extension("next");
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).unwrap();
    std::fs::rename(&tmp, live).unwrap();
}

fn served_run(server: &Server) -> String {
    let (status, _, body) = http(server.addr, "GET", "/ping", "text/plain", "");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["run_id"].as_str().unwrap().to_owned()
}

fn reload(server: &Server) -> (u16, serde_json::Value) {
    let (status, _, body) = http(server.addr, "POST", "/reload", "text/plain", "");
    (status, serde_json::from_str(&body).unwrap())
}

/// Waits (up to a minute) until the server serves `run`.
fn wait_for(server: &Server, run: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while served_run(server) != run {
        assert!(Instant::now() < deadline, "the server never served {run}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Clients calling /invocations until stopped; returns (answered 200, failed).
fn load(
    server: &Server,
    clients: usize,
) -> (Arc<AtomicBool>, Vec<std::thread::JoinHandle<(u64, u64)>>) {
    let stop = Arc::new(AtomicBool::new(false));
    let handles = (0..clients)
        .map(|c| {
            let stop = Arc::clone(&stop);
            let addr = server.addr;
            std::thread::spawn(move || {
                let (mut ok, mut failed) = (0, 0);
                let users = ["17850", "99999999"];
                while !stop.load(Ordering::Relaxed) {
                    let body = format!(
                        r#"{{"user_id": "{}", "top_k": 5}}"#,
                        users[(ok as usize + c) % users.len()]
                    );
                    let (status, _) = invoke(addr, &body);
                    if status == 200 { ok += 1 } else { failed += 1 }
                }
                (ok, failed)
            })
        })
        .collect();
    (stop, handles)
}

#[test]
fn bundles_swap_under_load_and_a_corrupt_one_is_refused() {
    let scratch = Scratch::new();
    let a = bundle(&scratch, "run-a", "als");
    let b = bundle(&scratch, "run-b", "popularity");
    let live = scratch.path("live");
    point(&live, &a);
    let server = start(
        &scratch,
        &["serve", "--model", s(&live), "--port", "0"],
        &[],
    );
    assert_eq!(served_run(&server), "run-a");

    let (stop, clients) = load(&server, 3);
    let swaps = AtomicU64::new(0);
    for i in 0..10 {
        let (target, name) = if i % 2 == 0 {
            (&b, "run-b")
        } else {
            (&a, "run-a")
        };
        point(&live, target);
        let (status, v) = reload(&server);
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["run_id"], name, "{v}");
        assert_eq!(served_run(&server), name);
        swaps.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(100));
    }

    // A corrupt copy of run-b (one factor file changed): refused, run-a keeps serving.
    let corrupt = scratch.path("corrupt");
    copy_dir(&b, &corrupt);
    let victim = corrupt.join("popularity.parquet");
    let mut bytes = std::fs::read(&victim).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&victim, bytes).unwrap();
    point(&live, &corrupt);
    let (status, v) = reload(&server);
    assert_eq!(status, 422, "{v}");
    let message = v["error"].as_str().unwrap();
    assert!(message.contains("run-a keeps serving"), "{message}");
    assert!(message.contains("popularity.parquet"), "{message}");
    assert_eq!(served_run(&server), "run-a");
    std::thread::sleep(Duration::from_millis(200));

    stop.store(true, Ordering::Relaxed);
    let (mut ok, mut failed) = (0, 0);
    for c in clients {
        let (o, f) = c.join().unwrap();
        ok += o;
        failed += f;
    }
    assert_eq!(
        failed,
        0,
        "{failed} calls failed during {} swaps",
        swaps.load(Ordering::Relaxed)
    );
    assert!(ok > 30, "only {ok} calls answered");

    // /metrics, read by Prometheus' parser.
    let (status, content_type, text) = http(server.addr, "GET", "/metrics", "text/plain", "");
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let file = scratch.write("metrics.txt", &text);
    let out = std::process::Command::new(python())
        .arg(crate::util::root().join("scripts/check_metrics.py"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sample = |key: &str| -> f64 {
        v["samples"][key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing: {text}"))
    };
    assert_eq!(
        v["families"]["latent_request_duration_seconds"],
        "histogram"
    );
    assert_eq!(sample("latent_model_reloads_total{result=ok}"), 10.0);
    assert_eq!(sample("latent_model_reloads_total{result=refused}"), 1.0);
    assert!(sample("latent_requests_total{route=invocations}") >= ok as f64);
    assert_eq!(
        sample("latent_request_errors_total{route=invocations}"),
        0.0
    );
    assert!(sample("latent_request_duration_seconds_count{}") >= ok as f64);
    let cold = sample("latent_cold_start_share{}");
    assert!(
        cold > 0.3 && cold < 0.7,
        "every other customer is new: {cold}"
    );
    let info = v["samples"]
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("latent_model_info{"))
        .unwrap()
        .clone();
    assert!(info.contains("run_id=run-a"), "{info}");
    assert!(sample("latent_model_age_seconds{}") >= 0.0);

    // SIGHUP reads the source again.
    point(&live, &b);
    let pid = server.pid().to_string();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(hup.success());
    wait_for(&server, "run-b");
}

/// `--watch` serves a new bundle once its manifest changes, and ignores a corrupt one.
#[test]
fn a_watched_folder_is_followed() {
    let scratch = Scratch::new();
    let a = bundle(&scratch, "run-a", "popularity");
    let b = bundle(&scratch, "run-b", "popularity");
    let live = scratch.path("live");
    point(&live, &a);
    let server = start(
        &scratch,
        &[
            "serve",
            "--model",
            s(&live),
            "--port",
            "0",
            "--watch",
            "0.2",
        ],
        &[],
    );
    assert_eq!(served_run(&server), "run-a");
    point(&live, &b);
    wait_for(&server, "run-b");
    let (status, a) = invoke(server.addr, r#"{"user_id": "17850", "top_k": 3}"#);
    assert_eq!(status, 200, "{a}");
}

/// `--watch` follows an S3 prefix: a re-export over it (manifest last) is served, with
/// no call failing while the objects change under it.
#[test]
fn a_watched_s3_prefix_is_followed() {
    let scratch = Scratch::new();
    let moto = Moto::start();
    let env = moto.env();
    let a = train_sample(&scratch, "run-a", "popularity");
    let b = train_sample(&scratch, "run-b", "popularity");
    let to_s3 = |run: &Path, extra: &[&str]| {
        let mut args = vec!["export", "--run", s(run), "--to", "s3://exports/live"];
        args.extend(["--format", "bundle"]);
        args.extend(extra);
        latent(&scratch, &args, &env).ok();
    };
    to_s3(&a, &[]);
    let server = start(
        &scratch,
        &[
            "serve",
            "--model",
            "s3://exports/live",
            "--port",
            "0",
            "--watch",
            "0.2",
        ],
        &env,
    );
    assert_eq!(served_run(&server), "run-a");
    let (stop, clients) = load(&server, 2);
    to_s3(&b, &["--overwrite"]);
    wait_for(&server, "run-b");
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let (answered, failed) = c.join().unwrap();
        assert!(answered > 0);
        assert_eq!(failed, 0, "calls failed while the prefix was rewritten");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
