//! `latent export --to s3://` and `latent serve --model s3://` against a real S3 server:
//! moto's server mode from the venv, on 127.0.0.1, with credentials checked (an IAM user
//! made by `scripts/check_s3.py setup`).

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::export::{python, run_script, train_sample};
use crate::serve::{invoke, start};
use crate::util::{Scratch, s};

/// moto's S3 server, killed (by its own handle) when dropped.
pub struct Moto {
    pub child: Child,
    pub endpoint: String,
    pub key: String,
    pub secret: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        // A test may have paused it: resume first so the kill is delivered at once.
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = python().with_file_name("moto_server");
        assert!(
            server.exists(),
            "no moto_server beside the venv's python: run scripts/test"
        );
        let child = Command::new(server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            // Credentials are checked after the 3 requests that create the IAM user.
            .env("INITIAL_NO_AUTH_ACTION_COUNT", "3")
            // Small multipart parts, so the tests' files go up in several.
            .env("S3_UPLOAD_PART_MIN_SIZE", "65536")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not listen"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let endpoint = format!("http://127.0.0.1:{port}");
        let mut moto = Self {
            child,
            endpoint,
            key: String::new(),
            secret: String::new(),
        };
        // `moto` exists first so a failing setup still stops the server.
        let keys: serde_json::Value = serde_json::from_str(
            run_script("check_s3.py", &["setup", &moto.endpoint, "exports"]).trim(),
        )
        .unwrap();
        keys["key"].as_str().unwrap().clone_into(&mut moto.key);
        keys["secret"]
            .as_str()
            .unwrap()
            .clone_into(&mut moto.secret);
        moto
    }

    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", self.key.as_str()),
            ("AWS_SECRET_ACCESS_KEY", self.secret.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("LATENT_S3_PART_SIZE", "131072"),
        ]
    }

    /// `check_s3.py ARGS` with this server's keys.
    pub fn script(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new(python())
            .arg(crate::util::root().join("scripts/check_s3.py"))
            .args(args)
            .env("AWS_ACCESS_KEY_ID", &self.key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .output()
            .unwrap();
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

/// `latent ARGS` with `env` (and a private LATENT_HOME), no AWS variables inherited.
pub fn latent(scratch: &Scratch, args: &[&str], env: &[(&str, &str)]) -> crate::util::Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latent"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("LATENT_S3") {
            cmd.env_remove(k);
        }
    }
    let output = cmd
        .args(args)
        .env("LATENT_HOME", scratch.path("home"))
        .env("HOME", scratch.path("home"))
        .envs(env.iter().copied())
        .output()
        .unwrap();
    crate::util::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn export_to_s3_verifies_each_file_and_serve_loads_from_s3() {
    let scratch = Scratch::new();
    let moto = Moto::start();
    let run = train_sample(&scratch, "run", "als");
    let env = moto.env();
    let r = latent(
        &scratch,
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/runs/a",
            "--format",
            "all",
        ],
        &env,
    );
    r.ok();
    let uploads: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("uploaded "))
        .collect();
    assert!(uploads.len() > 30, "{}", r.stderr);
    assert_eq!(
        uploads.last(),
        Some(&"uploaded manifest.json"),
        "manifest last"
    );

    // Every object matches the manifest; recs are the bytes a local export writes.
    let local = scratch.path("local");
    scratch
        .run([
            "export",
            "--run",
            s(&run),
            "--to",
            s(&local),
            "--format",
            "recs",
        ])
        .ok();
    let recs = format!("recs/recs.csv={}", s(&local.join("recs/recs.csv")));
    let summary = moto
        .script(&["compare", &moto.endpoint, "exports", "runs/a", &recs])
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(summary.trim()).unwrap();
    // 35 objects of the file formats, and recs-partitioned's 27 country partitions with
    // its _common_metadata.
    assert_eq!(v["objects"], 63, "{summary}");
    assert!(
        v["multipart"].as_u64().unwrap() >= 1,
        "large files go multipart: {summary}"
    );

    // The server loads the bundle from S3 (manifest, then checked files).
    let server = start(
        &scratch,
        &["serve", "--model", "s3://exports/runs/a", "--port", "0"],
        &env,
    );
    let (status, a) = invoke(server.addr, r#"{"user_id": "17850", "top_k": 4}"#);
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["recommendations"].as_array().unwrap().len(), 4);
    drop(server);

    // An existing export is refused; --overwrite replaces it and removes what it no
    // longer holds.
    let err = latent(
        &scratch,
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/runs/a",
            "--format",
            "recs",
        ],
        &env,
    );
    assert!(err.input_error().contains("--overwrite"), "{}", err.stderr);
    latent(
        &scratch,
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/runs/a",
            "--format",
            "recs",
            "--overwrite",
        ],
        &env,
    )
    .ok();
    let summary = moto
        .script(&["compare", &moto.endpoint, "exports", "runs/a", &recs])
        .unwrap();
    assert!(summary.contains("\"objects\": 3"), "{summary}");

    // A prefix without an export is no model.
    let r = latent(
        &scratch,
        &["serve", "--model", "s3://exports/nothing", "--port", "0"],
        &env,
    );
    assert!(
        r.input_error().contains("has no manifest.json"),
        "{}",
        r.stderr
    );
}

#[test]
fn wrong_credentials_name_their_source_and_never_print_the_secret() {
    let scratch = Scratch::new();
    let moto = Moto::start();
    let run = train_sample(&scratch, "run", "als");
    let secret = "wJalrXUtnFEMI-not-the-real-secret";
    let endpoint = moto.endpoint.as_str();
    let r = latent(
        &scratch,
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/x",
            "--format",
            "bundle",
        ],
        &[
            ("AWS_ENDPOINT_URL", endpoint),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEWRONGKEY1"),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ],
    );
    let err = r.input_error();
    assert!(
        err.contains("refused the credentials from the environment (AWS_ACCESS_KEY_ID=AKIA…KEY1"),
        "{err}"
    );
    assert!(!err.contains(secret) && !r.stdout.contains(secret), "{err}");

    // A profile file: the message names the profile and the file.
    let creds = scratch.write(
        "credentials",
        format!("[default]\naws_access_key_id = x\naws_secret_access_key = y\n\n[ci]\naws_access_key_id = AKIAPROFILEWRONG0002\naws_secret_access_key = {secret}\n"),
    );
    let r = latent(
        &scratch,
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/x",
            "--format",
            "bundle",
            "--endpoint-url",
            endpoint,
        ],
        &[
            ("AWS_SHARED_CREDENTIALS_FILE", s(&creds)),
            ("AWS_PROFILE", "ci"),
        ],
    );
    let err = r.input_error();
    assert!(
        err.contains(&format!("profile 'ci' in '{}'", creds.display())),
        "{err}"
    );
    assert!(!err.contains(secret), "{err}");

    // No credentials anywhere: say where they are looked for.
    let r = latent(
        &scratch,
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/x",
            "--endpoint-url",
            endpoint,
        ],
        &[],
    );
    assert!(
        r.input_error().contains("no AWS credentials found"),
        "{}",
        r.stderr
    );
    // Nothing was written by any of them.
    let keys = moto
        .script(&["keys", &moto.endpoint, "exports", "x/"])
        .unwrap();
    assert_eq!(keys.trim(), "[]");
}

#[test]
fn a_server_stopped_mid_upload_leaves_no_manifest_and_a_rerun_completes() {
    let scratch = Scratch::new();
    let moto = Moto::start();
    let run = train_sample(&scratch, "run", "als");
    let mut env = moto.env();
    env.push(("LATENT_S3_TIMEOUT_SECS", "2"));
    env.push(("LATENT_S3_RETRIES", "1"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latent"));
    let mut child = cmd
        .args([
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/runs/b",
            "--format",
            "all",
        ])
        .env("LATENT_HOME", scratch.path("home"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let first = line.starts_with("uploaded 1/");
        seen.push(line);
        if first {
            // The server stops answering (SIGSTOP): requests time out.
            let paused = Command::new("kill")
                .args(["-STOP", &moto.child.id().to_string()])
                .status()
                .unwrap();
            assert!(paused.success());
            break;
        }
    }
    seen.extend(lines.map(Result::unwrap));
    let status = child.wait().unwrap();
    Command::new("kill")
        .args(["-CONT", &moto.child.id().to_string()])
        .status()
        .unwrap();
    let stderr = seen.join("\n");
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("uploading the export to s3://exports/runs/b")
            && stderr.contains("S3 request for 's3://exports/runs/b/")
            && stderr.contains(&moto.endpoint),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("uploaded manifest.json"), "{stderr}");
    let keys = moto
        .script(&["keys", &moto.endpoint, "exports", "runs/b/"])
        .unwrap();
    assert!(!keys.contains("manifest.json"), "no manifest: {keys}");

    // Running it again completes, and only the new export's objects remain.
    latent(
        &scratch,
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://exports/runs/b",
            "--format",
            "all",
        ],
        &moto.env(),
    )
    .ok();
    let summary = moto
        .script(&["compare", &moto.endpoint, "exports", "runs/b"])
        .unwrap();
    assert!(summary.contains("\"objects\": 63"), "{summary}");
}
