use std::path::{Path, PathBuf};

use crate::util::{Scratch, root, s};

/// A copy of the demo workspace in a scratch folder (data path made absolute), so tests
/// can write runs into it.
pub(crate) fn workspace(scratch: &Scratch, name: &str) -> PathBuf {
    let dir = scratch.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("workspaces/demo/workspace.toml")).unwrap();
    let data = root().join("sample-data/online_retail_full.parquet");
    let text = text.replace(
        "\"../../sample-data/online_retail_full.parquet\"",
        &format!("{:?}", data.display().to_string()),
    );
    std::fs::write(dir.join("workspace.toml"), text).unwrap();
    dir
}

pub(crate) fn runs(ws: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(ws.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

pub(crate) fn list(scratch: &Scratch, ws: &Path) -> Vec<serde_json::Value> {
    let out = scratch
        .run(["runs", "list", "--workspace", s(ws), "--json"])
        .ok()
        .to_owned();
    serde_json::from_str(&out).unwrap()
}

#[test]
fn runs_are_listed_compared_and_replayed() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    for rank in ["8", "16"] {
        scratch
            .run([
                "train",
                "--workspace",
                s(&ws),
                "--test-last-days",
                "30",
                "--set",
                &format!("als_rank={rank}"),
            ])
            .ok();
        // Run ids carry the second they started; keep them apart.
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let ids = runs(&ws);
    assert_eq!(ids.len(), 2, "{ids:?}");
    let listed = list(&scratch, &ws);
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|r| r["state"] == "finished"));
    assert_eq!(listed[0]["params"]["als_rank"], "16", "newest first");
    let table = scratch
        .run(["runs", "list", "--workspace", s(&ws), "--sort", "precision"])
        .ok()
        .to_owned();
    assert!(
        table.contains("P@k") && table.contains("finished"),
        "{table}"
    );

    let diff = scratch
        .run(["runs", "diff", &ids[0], &ids[1], "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(
        diff.contains("params.als_rank") && diff.contains("8 → 16"),
        "{diff}"
    );
    assert!(
        diff.contains("precision") && diff.contains("overlap@10"),
        "{diff}"
    );
    let d: serde_json::Value = serde_json::from_str(
        scratch
            .run([
                "runs",
                "diff",
                &ids[0],
                &ids[0],
                "--workspace",
                s(&ws),
                "--json",
            ])
            .ok(),
    )
    .unwrap();
    assert_eq!(d["identical"], 1.0, "a run compared with itself: {d}");
    assert!(d["settings"].as_array().unwrap().is_empty());

    let replay = scratch
        .run(["runs", "replay", &ids[0], "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(replay.contains("replay matches"), "{replay}");

    let err = scratch
        .run([
            "runs",
            "diff",
            &ids[0],
            "no-such-run",
            "--workspace",
            s(&ws),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("no-such-run"), "{err}");
}

/// The metric rows of `runs diff --json`, by metric name.
fn diff_rows(scratch: &Scratch, ws: &Path, a: &str, b: &str) -> serde_json::Value {
    let out = scratch
        .run(["runs", "diff", a, b, "--workspace", s(ws), "--json"])
        .ok()
        .to_owned();
    serde_json::from_str(&out).unwrap()
}

#[test]
fn diff_gives_paired_intervals_and_verdicts_and_refuses_what_does_not_compare() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    for (model, days) in [("popularity", "30"), ("als", "30"), ("als", "20")] {
        scratch
            .run([
                "train",
                "--workspace",
                s(&ws),
                "--model",
                model,
                "--test-last-days",
                days,
            ])
            .ok();
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    let ids = runs(&ws);
    let (popularity, als, als_20) = (&ids[0], &ids[1], &ids[2]);
    // A run against itself: every delta 0 and no detectable difference.
    let same = diff_rows(&scratch, &ws, als, als);
    let metrics = same["metrics"].as_array().unwrap();
    assert!(metrics.len() >= 11, "{same}");
    for m in metrics.iter().filter(|m| m["verdict"].is_string()) {
        assert_eq!(m["verdict"], "no detectable difference", "{m}");
        assert_eq!(
            (m["delta"].as_f64(), m["ci_low"].as_f64()),
            (Some(0.0), Some(0.0)),
            "{m}"
        );
    }
    // ALS against popularity on the same hold-out: better, and the interval says so.
    let d = diff_rows(&scratch, &ws, popularity, als);
    let row = |name: &str| {
        d["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap_or_else(|| panic!("{name} in {d}"))
            .clone()
    };
    let p = row("precision@10");
    assert_eq!(p["verdict"], "B better", "{p}");
    let (low, delta, high) = (
        p["ci_low"].as_f64().unwrap(),
        p["delta"].as_f64().unwrap(),
        p["ci_high"].as_f64().unwrap(),
    );
    assert!(0.0 < low && low < delta && delta < high, "{p}");
    assert_eq!(d["scored"]["shared"], d["scored"]["a"], "{d}");
    let text = scratch
        .run(["runs", "diff", popularity, als, "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(
        text.contains("B better") && text.contains("paired bootstrap"),
        "{text}"
    );
    // A different hold-out is different data; k of 0 or beyond the kept lists is refused.
    let err = scratch
        .run(["runs", "diff", als, als_20, "--workspace", s(&ws)])
        .input_error()
        .to_owned();
    assert!(
        err.contains("different data") && err.contains("last-days:20"),
        "{err}"
    );
    for k in ["0", "51"] {
        let err = scratch
            .run(["runs", "diff", als, als, "--workspace", s(&ws), "--k", k])
            .input_error()
            .to_owned();
        assert!(
            err.contains(&format!("k = {k}")) && err.contains("1 to 50"),
            "{err}"
        );
    }
}

#[test]
fn replay_names_a_changed_data_file() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    let data = scratch.path("retail.csv");
    std::fs::copy(root().join("sample-data/online_retail_sample.csv"), &data).unwrap();
    let run = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--set",
            "max_iter=3",
            "--out",
            s(&run),
        ])
        .ok();
    let ok = scratch
        .run(["runs", "replay", s(&run), "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(ok.contains("replay matches"), "{ok}");
    let mut text = std::fs::read_to_string(&data).unwrap();
    text.push_str("536999,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n");
    std::fs::write(&data, text).unwrap();
    let r = scratch.run(["runs", "replay", s(&run), "--workspace", s(&ws)]);
    let err = r.input_error().to_owned();
    assert!(
        r.stdout.contains("retail.csv") && r.stdout.contains("changed size"),
        "{}",
        r.stdout
    );
    assert!(err.contains("changed"), "{err}");
}

#[test]
fn a_sweep_keeps_every_trial_and_tests_only_the_best() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    let out = scratch
        .run([
            "sweep",
            "--workspace",
            s(&ws),
            "--grid",
            "als_rank=4,16",
            "--set",
            "max_iter=5",
            "--metric",
            "precision",
            "--parallel",
            "2",
        ])
        .ok()
        .to_owned();
    assert!(out.contains("★"), "{out}");
    let names = runs(&ws);
    assert_eq!(
        names.len(),
        3,
        "two trials and the retrained best: {names:?}"
    );
    let best = names.iter().find(|n| n.ends_with("-best")).unwrap();
    let meta: toml::Table = toml::from_str(
        &std::fs::read_to_string(ws.join("runs").join(best).join("run.toml")).unwrap(),
    )
    .unwrap();
    assert_eq!(meta["holdout"].as_str(), Some("last-days:30"));
    assert_eq!(meta["sweep"]["best"].as_bool(), Some(true));
    let trial = names.iter().find(|n| n.ends_with("-t01")).unwrap();
    let trial_meta: toml::Table = toml::from_str(
        &std::fs::read_to_string(ws.join("runs").join(trial).join("run.toml")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        trial_meta["holdout"].as_str(),
        Some("validation:30:before-test:30"),
        "trials never see the test period"
    );
    let replay = scratch
        .run(["runs", "replay", trial, "--workspace", s(&ws)])
        .ok()
        .to_owned();
    assert!(replay.contains("replay matches"), "{replay}");
    let listed = list(&scratch, &ws);
    assert_eq!(listed.len(), 3);

    let err = scratch
        .run([
            "sweep",
            "--workspace",
            s(&ws),
            "--range",
            "reg_param=0.01..1:log",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("--random"), "{err}");
    let err = scratch
        .run(["sweep", "--workspace", s(&ws), "--grid", "als_rnak=4,8"])
        .input_error()
        .to_owned();
    assert!(err.contains("did you mean 'als_rank'"), "{err}");
}

/// Starts a long `latent train` on `ws` and waits until it holds the workspace lock.
fn long_training(scratch: &Scratch, ws: &Path) -> std::process::Child {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_latent"))
        .args(["train", "--workspace", s(ws), "--set", "max_iter=1000"])
        .args(["--set", "als_rank=64"])
        .env("LATENT_HOME", scratch.path("home"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    // Its own pid: a stale lock file left in place must not pass for the holder's.
    let holder = format!("\"pid\":{}", child.id());
    while !std::fs::read_to_string(ws.join(".latent.lock")).is_ok_and(|t| t.contains(&holder)) {
        assert!(started.elapsed().as_secs() < 60, "the lock was never taken");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child
}

#[test]
fn a_second_writer_is_told_who_holds_the_workspace() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    // A lock file left by a process that has ended (or an older latent) holds nothing.
    std::fs::write(
        ws.join(".latent.lock"),
        r#"{"pid":1,"purpose":"latent sweep","since_unix":1700000000}"#,
    )
    .unwrap();
    let mut holder = long_training(&scratch, &ws);
    let err = scratch
        .run(["train", "--workspace", s(&ws)])
        .input_error()
        .to_owned();
    assert!(
        err.contains(&format!("process {}", holder.id())) && err.contains("latent train"),
        "{err}"
    );
    // The workbench's delete waits its turn too, and says who holds the workspace.
    let running = runs(&ws).pop().expect("the holder's run folder");
    let workspace = latent::workspace::Workspace::open(&ws).unwrap();
    let (mut app, _) = latent::tui::app::AppState::new(workspace.clone());
    app.runs.set(workspace.list_runs());
    let enter = ratatui::crossterm::event::KeyCode::Enter;
    crate::tui_screens::key(&mut app, ratatui::crossterm::event::KeyCode::Char(':'));
    crate::tui_screens::typed(&mut app, &format!("delete {running}"));
    crate::tui_screens::key(&mut app, enter);
    let delete = crate::tui_screens::key(&mut app, enter);
    assert!(!delete.is_empty(), "{}", app.status.text);
    crate::tui_screens::run_jobs(&mut app, delete);
    assert!(
        app.status
            .text
            .contains(&format!("process {}", holder.id())),
        "{}",
        app.status.text
    );
    assert!(runs(&ws).contains(&running), "nothing was removed");
    // kill -9: the operating system ends the lock with its process.
    holder.kill().unwrap();
    holder.wait().unwrap();
    scratch
        .run(["train", "--workspace", s(&ws), "--set", "max_iter=2"])
        .ok();
    let left = std::fs::read_to_string(ws.join(".latent.lock")).unwrap_or_default();
    assert!(
        left.is_empty(),
        "released after the run, holder cleared: {left}"
    );
}

#[test]
fn simultaneous_writers_get_one_holder_and_distinct_run_folders() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    for round in 0..2 {
        let before = if ws.join("runs").exists() {
            runs(&ws).len()
        } else {
            0
        };
        // 25 starts at once, twice: 50 in all.
        let children: Vec<_> = (0..25)
            .map(|_| {
                std::process::Command::new(env!("CARGO_BIN_EXE_latent"))
                    .args(["train", "--workspace", s(&ws), "--set", "max_iter=3"])
                    .env("LATENT_HOME", scratch.path("home"))
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let mut won = 0;
        for o in &outputs {
            let stderr = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => won += 1,
                Some(2) => assert!(stderr.contains("is in use by"), "{stderr}"),
                other => panic!("round {round}: exit {other:?}: {stderr}"),
            }
        }
        assert!(won >= 1, "round {round}: nobody got the lock");
        // Every winner wrote a run of its own, whole and finished.
        let names = runs(&ws);
        assert_eq!(names.len() - before, won, "round {round}: {names:?}");
        for name in &names {
            let status =
                std::fs::read_to_string(ws.join("runs").join(name).join("status.json")).unwrap();
            assert!(status.contains("finished"), "{name}: {status}");
            let log =
                std::fs::read_to_string(ws.join("runs").join(name).join("train.log")).unwrap();
            let firsts = log.lines().filter(|l| l.contains("loaded")).count();
            assert!(firsts <= 1, "{name}: two writers in one log:\n{log}");
        }
    }
}

#[test]
fn failures_and_kills_never_harm_earlier_runs() {
    let scratch = Scratch::new();
    let ws = workspace(&scratch, "ws");
    scratch
        .run(["train", "--workspace", s(&ws), "--set", "max_iter=2"])
        .ok();
    let first = runs(&ws).remove(0);
    std::thread::sleep(std::time::Duration::from_millis(1100));

    // A full disk while the model is written (simulated): the run is marked failed.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_latent"))
        .args(["train", "--workspace", s(&ws), "--set", "max_iter=2"])
        .env("LATENT_HOME", scratch.path("home"))
        .env("LATENT_SIMULATE_FULL_DISK_AFTER", "3")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("No space left"), "{stderr}");
    std::thread::sleep(std::time::Duration::from_millis(1100));

    // kill -9 in the middle of training: the run stays "running" and reads as interrupted.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_latent"))
        .args([
            "train",
            "--workspace",
            s(&ws),
            "--set",
            "max_iter=1000",
            "--set",
            "als_rank=64",
        ])
        .env("LATENT_HOME", scratch.path("home"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while runs(&ws).len() < 3
        || !std::fs::read_to_string(ws.join("runs").join(runs(&ws)[2].clone()).join("train.log"))
            .is_ok_and(|l| l.contains("iteration"))
    {
        assert!(started.elapsed().as_secs() < 60, "training never started");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let listed = list(&scratch, &ws);
    let states: Vec<&str> = listed
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["interrupted", "failed", "finished"], "{listed:?}");
    let names = runs(&ws);
    let err = scratch
        .run([
            "recommend",
            "--run",
            s(&ws.join("runs").join(&names[2])),
            "--user",
            "17850",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("interrupted"), "{err}");
    let err = scratch
        .run([
            "recommend",
            "--run",
            s(&ws.join("runs").join(&names[1])),
            "--user",
            "17850",
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("failed") && err.contains("No space left"),
        "{err}"
    );
    scratch
        .run([
            "recommend",
            "--run",
            s(&ws.join("runs").join(&first)),
            "--user",
            "17850",
        ])
        .ok();
    // The lock of the killed process does not block the next writer.
    scratch
        .run(["train", "--workspace", s(&ws), "--set", "max_iter=2"])
        .ok();
}
