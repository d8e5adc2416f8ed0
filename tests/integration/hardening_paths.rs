//! Paths, exports and destinations under attack or misuse: manifests and archives that
//! name files outside the model folder, leftovers of killed exports, URLs latent does
//! not speak, and passwords in endpoint URLs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::export::{python, train_sample};
use crate::export_s3::Moto;
use crate::util::{Run, Scratch, s};

/// `latent ARGS` in `cwd` with a private LATENT_HOME and TMPDIR (`scratch/tmp`, so what
/// latent writes beside its temporary folders can be seen), no AWS variables inherited.
fn latent_in(scratch: &Scratch, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let tmp = scratch.path("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latent"));
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") || k.starts_with("LATENT_S3") || k == "LATENT_LOG" {
            cmd.env_remove(k);
        }
    }
    let output = cmd
        .args(args)
        .current_dir(cwd)
        .env("LATENT_HOME", scratch.path("home"))
        .env("HOME", scratch.path("home"))
        .env("TMPDIR", &tmp)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A manifest of `content` listing `files` (path, bytes).
fn manifest(content: &str, formats: &[&str], files: &[(&str, &[u8])]) -> Vec<u8> {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|(p, b)| serde_json::json!({"path": p, "size": b.len(), "sha256": latent::export::manifest::sha256_bytes(b)}))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "format_version": 1, "content": content, "latent_version": "0.0.0", "run_id": "evil",
        "created": "2024-01-01T00:00:00Z", "model_kind": "als", "formats": formats,
        "files": files,
    }))
    .unwrap()
}

/// Puts `bytes` at `bucket/key` on moto, with boto3.
fn put(moto: &Moto, scratch: &Scratch, key: &str, bytes: &[u8]) {
    let local = scratch.write("upload.bin", bytes);
    let script = "import boto3, sys\n\
        c = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')\n\
        c.upload_file(sys.argv[4], sys.argv[2], sys.argv[3])\n";
    let out = Command::new(python())
        .args(["-c", script, &moto.endpoint, "exports", key, s(&local)])
        .env("AWS_ACCESS_KEY_ID", &moto.key)
        .env("AWS_SECRET_ACCESS_KEY", &moto.secret)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One tar header for `name` (written raw, so the tar crate's own checks do not stop a
/// hostile name from being made).
fn header(name: &str, kind: tar::EntryType, size: u64, link: Option<&str>) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    let field = &mut h.as_gnu_mut().unwrap().name;
    field[..name.len()].copy_from_slice(name.as_bytes());
    if let Some(link) = link {
        let field = &mut h.as_gnu_mut().unwrap().linkname;
        field[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h
}

/// A `model.tar.gz` of `members`: (name, file bytes) or (name, link target).
fn archive(members: &[(&str, Result<&[u8], &str>)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (name, member) in members {
        match member {
            Ok(bytes) => {
                let h = header(name, tar::EntryType::Regular, bytes.len() as u64, None);
                b.append(&h, *bytes).unwrap();
            }
            Err(target) => {
                let h = header(name, tar::EntryType::Symlink, 0, Some(target));
                b.append(&h, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[test]
fn serve_from_s3_refuses_manifest_paths_outside_the_model_folder() {
    let scratch = Scratch::new();
    let moto = Moto::start();
    let env = moto.env();
    let tmp = scratch.path("tmp");
    let cases: [(&str, &str); 3] = [("abs", "/abs/x"), ("up", "../x"), ("deep", "a/../../x")];
    for (prefix, path) in cases {
        put(
            &moto,
            &scratch,
            &format!("evil/{prefix}/manifest.json"),
            &manifest("bundle", &[], &[(path, b"pwned")]),
        );
        let model = format!("s3://exports/evil/{prefix}");
        let r = latent_in(
            &scratch,
            scratch.dir.path(),
            &["serve", "--model", &model, "--port", "0"],
            &env,
        );
        let err = r.input_error();
        assert!(
            err.contains(&format!("entry '{path}'")) && err.contains(&model),
            "{err}"
        );
        assert!(!r.stdout.contains("listening"), "{}", r.stdout);
        // Nothing beside the (removed) download folder, nothing at the absolute path.
        assert_eq!(names(&tmp), Vec::<String>::new(), "{path}");
        assert!(!Path::new("/abs/x").exists());
    }

    // An export whose SageMaker archive holds a link to a folder outside, then a file
    // written through it.
    let outside = scratch.path("outside");
    std::fs::create_dir(&outside).unwrap();
    let tar = archive(&[("link", Err(s(&outside))), ("link/x", Ok(b"pwned"))]);
    put(&moto, &scratch, "evil/link/sagemaker/model.tar.gz", &tar);
    put(
        &moto,
        &scratch,
        "evil/link/manifest.json",
        &manifest(
            "export",
            &["sagemaker"],
            &[("sagemaker/model.tar.gz", &tar)],
        ),
    );
    let r = latent_in(
        &scratch,
        scratch.dir.path(),
        &["serve", "--model", "s3://exports/evil/link", "--port", "0"],
        &env,
    );
    let err = r.input_error();
    assert!(
        err.contains("entry 'link'") && err.contains("link to"),
        "{err}"
    );
    assert_eq!(names(&outside), Vec::<String>::new());
    assert_eq!(names(&tmp), Vec::<String>::new());
}

#[test]
fn a_model_archive_with_members_outside_its_folder_is_refused() {
    let scratch = Scratch::new();
    let tmp = scratch.path("tmp");
    let outside = scratch.path("outside");
    std::fs::create_dir(&outside).unwrap();
    let abs = outside.join("abs-evil");
    let cases: Vec<(Vec<u8>, String)> = vec![
        (archive(&[("../evil", Ok(b"x"))]), "../evil".into()),
        (archive(&[(s(&abs), Ok(b"x"))]), s(&abs).to_owned()),
        (
            archive(&[("ok.txt", Ok(b"x")), ("sub/../../evil", Ok(b"x"))]),
            "sub/../../evil".into(),
        ),
        (
            archive(&[("link", Err("..")), ("link/evil", Ok(b"x"))]),
            "link".into(),
        ),
        (
            archive(&[("run.toml", Err("/etc/passwd"))]),
            "run.toml".into(),
        ),
    ];
    for (n, (bytes, entry)) in cases.into_iter().enumerate() {
        let model = scratch.write(&format!("model{n}.tar.gz"), bytes);
        let r = latent_in(
            &scratch,
            scratch.dir.path(),
            &["serve", "--model", s(&model), "--port", "0"],
            &[],
        );
        let err = r.input_error();
        assert!(
            err.contains(&format!("entry '{entry}'")) && err.contains(s(&model)),
            "{err}"
        );
        assert_eq!(names(&tmp), Vec::<String>::new(), "{entry}");
        assert_eq!(names(&outside), Vec::<String>::new(), "{entry}");
        assert!(!scratch.path("evil").exists());
    }
}

#[test]
fn leftovers_of_killed_exports_are_cleaned_by_the_next_export() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "popularity");
    let exports = scratch.path("exports");
    let target = exports.join("out");
    let export = |extra: &[&str]| {
        let mut args = vec!["export", "--run", s(&run), "--to", s(&target)];
        args.extend_from_slice(extra);
        latent_in(&scratch, scratch.dir.path(), &args, &[])
    };
    export(&[]).ok();
    // What kill -9 leaves: a staging folder with its (unlocked) lock file, and the old
    // export moved aside by another; and a staging folder of a latent that took no lock.
    let dead = exports.join(".out.latent-export-Dead01");
    std::fs::create_dir_all(dead.join("bundle")).unwrap();
    std::fs::write(dead.join("bundle/run.toml"), b"partial").unwrap();
    std::fs::write(exports.join(".out.latent-export-Dead01.lock"), b"").unwrap();
    let aside = exports.join(".out.latent-export-Dead02.old");
    std::fs::create_dir_all(aside.join("bundle")).unwrap();
    std::fs::write(exports.join(".out.latent-export-Dead02.lock"), b"").unwrap();
    std::fs::create_dir(exports.join(".out.latent-export-a1B2c3")).unwrap();
    // The fixed aside name of earlier versions no longer blocks --overwrite.
    std::fs::create_dir_all(exports.join(".out.old/bundle")).unwrap();

    export(&["--overwrite"]).ok();
    assert_eq!(names(&exports), [".out.old", "out"]);
    assert!(target.join("manifest.json").exists());

    // Killed between its two renames: the target is gone and the old export aside.
    let stem = exports.join(".out.latent-export-Kill03");
    std::fs::create_dir(&stem).unwrap();
    std::fs::rename(&target, exports.join(".out.latent-export-Kill03.old")).unwrap();
    let before = std::fs::read(
        exports
            .join(".out.latent-export-Kill03.old")
            .join("manifest.json"),
    )
    .unwrap();
    // Without --overwrite the old export is put back, then protected as any target.
    let err = export(&[]);
    assert!(
        err.input_error().contains("(--overwrite, or another --to)"),
        "{}",
        err.stderr
    );
    assert_eq!(std::fs::read(target.join("manifest.json")).unwrap(), before);
    assert_eq!(names(&exports), [".out.old", "out"]);
}

#[test]
fn unsupported_destinations_are_refused_and_nothing_is_written() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "popularity");
    let cwd = scratch.path("cwd");
    std::fs::create_dir(&cwd).unwrap();
    for to in [
        "gs://b/x",
        "https://example.com/x",
        "mysql://u@localhost/db",
        "file:///tmp/x",
    ] {
        let r = latent_in(
            &scratch,
            &cwd,
            &["export", "--run", s(&run), "--to", to],
            &[],
        );
        let err = r.input_error();
        assert!(
            err.contains(to) && err.contains("s3://BUCKET/PREFIX"),
            "{err}"
        );
        assert_eq!(names(&cwd), Vec::<String>::new(), "{to}");
    }
    let r = latent_in(
        &scratch,
        &cwd,
        &["export", "--run", s(&run), "--to", "s3:/b/x"],
        &[],
    );
    assert!(r.input_error().contains("write s3://b/x"), "{}", r.stderr);
    // serve's --model takes the same specs.
    let r = latent_in(&scratch, &cwd, &["serve", "--model", "gs://b/x"], &[]);
    assert!(r.input_error().contains("'gs://'"), "{}", r.stderr);
    assert_eq!(names(&cwd), Vec::<String>::new());
    assert_eq!(names(&scratch.path("tmp")), Vec::<String>::new());
}

#[test]
fn spark_names_for_s3_are_s3() {
    let scratch = Scratch::new();
    let moto = Moto::start();
    let run = train_sample(&scratch, "run", "popularity");
    let cwd = scratch.path("cwd");
    std::fs::create_dir(&cwd).unwrap();
    for (to, prefix) in [("s3a://exports/sa", "sa/"), ("S3N://exports/sn/", "sn/")] {
        latent_in(
            &scratch,
            &cwd,
            &["export", "--run", s(&run), "--to", to],
            &moto.env(),
        )
        .ok();
        let keys = moto
            .script(&["keys", &moto.endpoint, "exports", prefix])
            .unwrap();
        assert!(
            keys.contains(&format!("{prefix}manifest.json")),
            "{to}: {keys}"
        );
    }
    assert_eq!(names(&cwd), Vec::<String>::new());
}

#[test]
fn a_password_in_the_endpoint_url_is_never_printed_or_logged() {
    let scratch = Scratch::new();
    let run = train_sample(&scratch, "run", "popularity");
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://user:pa55-Secret-w0rd@127.0.0.1:{port}");
    let r = latent_in(
        &scratch,
        scratch.dir.path(),
        &[
            "export",
            "--run",
            s(&run),
            "--to",
            "s3://b/x",
            "--endpoint-url",
            &endpoint,
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEKEY000001"),
            ("AWS_SECRET_ACCESS_KEY", "not-the-password"),
            ("LATENT_S3_TIMEOUT_SECS", "1"),
            ("LATENT_S3_RETRIES", "1"),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("user:***@127.0.0.1:{port}")),
        "{}",
        r.stderr
    );
    let mut seen: Vec<PathBuf> = Vec::new();
    let mut stack = vec![scratch.path("home")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                assert!(!text.contains("pa55-Secret-w0rd"), "{}", p.display());
                seen.push(p);
            }
        }
    }
    assert!(
        seen.iter().any(|p| p.ends_with("latent.log")),
        "the log was written: {seen:?}"
    );
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains("pa55-Secret-w0rd"), "{out}");
    }
}
