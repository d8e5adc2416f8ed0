//! One state, in a real terminal: the window set on Data trains the next run, a job
//! finishing in the background leaves the open run alone, an export of a hold-out run
//! warns and its refit runs on all the data, and a run is deleted only once confirmed.

use std::path::{Path, PathBuf};

use crate::tmux::{Tmux, demo_copy};
use crate::util::{Scratch, s};

/// The workbench on a copy of the demo workspace, its data loaded.
fn workbench(scratch: &Scratch) -> (Tmux, PathBuf) {
    let ws = demo_copy(scratch, "online_retail_full.parquet");
    let tui = Tmux::start(scratch, &format!("tui --workspace '{}'", s(&ws)));
    tui.wait_for(&["1 Data", "rows read", "541,909"]);
    (tui, ws)
}

/// The runs saved in the workspace, oldest first.
fn runs(ws: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(ws.join("runs"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    runs.retain(|r| r.join("run.toml").exists());
    runs.sort();
    runs
}

fn name(run: &Path) -> String {
    run.file_name().unwrap().to_string_lossy().into_owned()
}

fn meta(run: &Path) -> toml::Table {
    std::fs::read_to_string(run.join("run.toml"))
        .unwrap()
        .parse()
        .unwrap()
}

/// Trains Tune's form as it stands (`t`) and waits for the job to finish.
fn train(tui: &Tmux) {
    tui.keys(&["2"]);
    tui.wait_for(&["Hyperparameters"]);
    tui.keys(&["t"]);
    tui.wait_for(&["done: P@k"]);
}

#[test]
fn the_window_set_on_data_trains_the_next_run() {
    let scratch = Scratch::new();
    let (tui, ws) = workbench(&scratch);
    // w offers the window as the palette line; the days are retyped.
    tui.keys(&["w"]);
    tui.wait_for(&["retention 20111209 374"]);
    tui.keys(&["BSpace", "BSpace", "BSpace", "9", "0", "Enter"]);
    tui.wait_for(&["rows read", "retention: 90 days up to 20111209"]);
    tui.keys(&["2"]);
    let tune = tui.wait_for(&["Hyperparameters", "retention days"]);
    let line = tune.lines().find(|l| l.contains("retention days")).unwrap();
    assert!(line.contains("90") && !line.contains("374"), "{tune}");
    tui.keys(&["t"]);
    tui.wait_for(&["done: P@k"]);
    let [run] = runs(&ws).try_into().unwrap();
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(config.contains("retention_days = 90"), "{config}");
}

#[test]
fn a_job_finishing_in_the_background_leaves_the_open_run() {
    let scratch = Scratch::new();
    let (tui, ws) = workbench(&scratch);
    train(&tui);
    let [als] = runs(&ws).try_into().unwrap();
    let als = name(&als);
    tui.keys(&["5"]);
    tui.wait_for(&[&format!("run {als}")]);
    // An FM trains while the analyst goes back to Inspect.
    tui.keys(&["2", "l", "l"]);
    tui.wait_for(&["fm", "Hyperparameters"]);
    tui.keys(&["t", "5"]);
    let inspect = tui.wait_for(&["Inspect keeps run"]);
    assert!(
        inspect.contains(&format!("Inspect keeps run {als}")),
        "{inspect}"
    );
    assert_eq!(runs(&ws).len(), 2, "the FM was saved");
    tui.keys(&["6"]);
    tui.wait_for(&[&format!("Export · run {als} · als")]);
}

#[test]
fn exporting_a_hold_out_run_warns_and_the_refit_uses_all_data() {
    let scratch = Scratch::new();
    let (tui, ws) = workbench(&scratch);
    train(&tui);
    let [evaluated] = runs(&ws).try_into().unwrap();
    tui.keys(&["6"]);
    tui.wait_for(&["hold-out last-days:30", "refits it on all the data"]);
    tui.keys(&["R"]);
    tui.wait_for(&["refitting run"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while runs(&ws).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "{}", tui.screen());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let refit = runs(&ws).into_iter().find(|r| *r != evaluated).unwrap();
    let m = meta(&refit);
    assert_eq!(m["parent"].as_str(), Some(name(&evaluated).as_str()), "{m}");
    assert_eq!(m["holdout"].as_str(), Some("none"), "{m}");
    // The refit opens in Export without the warning.
    tui.keys(&["6"]);
    let export = tui.wait_for(&[&format!("Export · run {}", name(&refit))]);
    assert!(!export.contains("refits it on all the data"), "{export}");
}

#[test]
fn a_run_is_deleted_only_once_confirmed() {
    let scratch = Scratch::new();
    let (tui, ws) = workbench(&scratch);
    train(&tui);
    let [run] = runs(&ws).try_into().unwrap();
    tui.keys(&["4"]);
    tui.wait_for(&["Runs · 1 of 1"]);
    tui.keys(&["D"]);
    tui.wait_for(&[&format!("delete {}", name(&run)), "for good"]);
    tui.keys(&["Escape"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(run.is_dir(), "Esc keeps the run");
    tui.keys(&["D", "Enter"]);
    tui.wait_for(&[&format!("deleted run {}", name(&run))]);
    assert!(!run.exists());
    assert!(runs(&ws).is_empty());
}
