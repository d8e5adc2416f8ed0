//! Issue #14's findings outside the loader, the exports and the server: settings that
//! name one value twice or beyond its type, runs holding NaN, files in another encoding,
//! and the log's permissions. Each was a silent wrong answer or a crash before.

use crate::util::{Scratch, s, sample};

#[test]
fn a_run_with_non_finite_factors_is_refused_by_name() {
    let scratch = Scratch::new();
    let run = crate::export::train_sample(&scratch, "run", "als");
    // Damage one factor the way a diverged solver would: NaN in the data part of the .npy.
    let path = run.join("item_factors.npy");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 4;
    bytes[at..].copy_from_slice(&f32::NAN.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let err = scratch
        .run(["recommend", "--run", s(&run), "--user", "17850"])
        .input_error()
        .to_owned();
    assert!(
        err.contains("item_factors.npy") && err.contains("not a finite number"),
        "{err}"
    );
    let err = scratch
        .run(["export", "--run", s(&run), "--to", s(&scratch.path("out"))])
        .input_error()
        .to_owned();
    assert!(err.contains("not a finite number"), "{err}");
    assert!(!scratch.path("out").exists(), "nothing exported");
}

#[test]
fn an_alias_beside_its_key_and_a_value_beyond_f32_are_refused() {
    let scratch = Scratch::new();
    let ws = scratch.path("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(
        ws.join("workspace.toml"),
        format!(
            "[data]\npath = {:?}\n[als]\nals_rank = 10\nrank = 20\n",
            s(&sample("online_retail_sample.csv"))
        ),
    )
    .unwrap();
    let err = scratch
        .run(["train", "--workspace", s(&ws)])
        .input_error()
        .to_owned();
    assert!(err.contains("'als_rank' and as 'rank'"), "{err}");
    let err = scratch
        .run([
            "train",
            "--data",
            s(&sample("online_retail_sample.csv")),
            "--set",
            "reg_param=1e308",
            "--out",
            s(&scratch.path("run")),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("'1e308'") && !err.contains("inf"), "{err}");
}

#[test]
fn predict_names_the_line_of_a_file_that_is_not_utf8() {
    let scratch = Scratch::new();
    let run = crate::export::train_sample(&scratch, "run", "als");
    let pairs = scratch.write(
        "pairs.csv",
        b"user_id,item_id\n17850,85123A\n17850,\xff\xfe\n",
    );
    let err = scratch
        .run([
            "predict",
            "--run",
            s(&run),
            "--pairs",
            s(&pairs),
            "--out",
            s(&scratch.path("scores.csv")),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("pairs.csv") && err.contains("line 3") && err.contains("0xff"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn the_log_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new();
    scratch.run(["data", "profile", s(&sample("online_retail_sample.csv"))]);
    let logs = scratch.dir.path().join("home");
    let log = walk(&logs)
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == "latent.log"))
        .unwrap_or_else(|| panic!("no latent.log under {}", logs.display()));
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", log.display());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}
