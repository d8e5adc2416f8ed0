//! The workspace's `[fm]` table: `latent train --workspace DIR --model fm` trains with it,
//! `--set` overrides it, the run keeps the resolved values, and bad keys or values are
//! refused before any training.

use std::path::{Path, PathBuf};

use crate::util::{Scratch, root, s};

/// A workspace on the shipped Online Retail sample with `fm_table` appended.
fn workspace(scratch: &Scratch, name: &str, fm_table: &str) -> PathBuf {
    let dir = scratch.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    let data = root().join("sample-data/online_retail_sample.csv");
    std::fs::write(
        dir.join("workspace.toml"),
        format!(
            "[data]\npath = {:?}\nuser_features = [\"Country\"]\n{fm_table}",
            data.display().to_string()
        ),
    )
    .unwrap();
    dir
}

/// The only run of a workspace.
fn only_run(ws: &Path) -> PathBuf {
    let runs: Vec<PathBuf> = std::fs::read_dir(ws.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

#[test]
fn fm_table_trains_the_run_and_set_overrides_it() {
    let scratch = Scratch::new();
    let ws = workspace(
        &scratch,
        "ws",
        "[fm]\nnum_factors = 6\nepochs = \"3\"\nmini_batch_size = 256\nfactors_lr = 0.02\n\
         bias_wd = 0.5\nfactors_init_method = \"uniform\"\nfactors_init_scale = 0.05\n\
         clip_gradient = 4.0\nrfm_bands = 3\n",
    );
    scratch
        .run([
            "train",
            "--workspace",
            s(&ws),
            "--model",
            "fm",
            "--set",
            "epochs=2",
        ])
        .ok();
    let run = only_run(&ws);
    let config: toml::Table = std::fs::read_to_string(run.join("config.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let fm = config["fm"].as_table().unwrap();
    let value = |k: &str| fm[k].as_str().unwrap().to_owned();
    assert_eq!(value("num_factors"), "6");
    assert_eq!(value("mini_batch_size"), "256");
    assert_eq!(value("factors_lr"), "0.02");
    assert_eq!(value("bias_wd"), "0.5");
    assert_eq!(value("factors_init_method"), "uniform");
    assert_eq!(value("factors_init_scale"), "0.05");
    assert_eq!(value("clip_gradient"), "4");
    assert_eq!(value("rfm_bands"), "3");
    assert_eq!(value("epochs"), "2", "--set beats the table");
    // Unset keys are resolved to their defaults, so the run says what it trained with.
    assert_eq!(value("linear_lr"), "0.001");
    assert_eq!(value("predictor_type"), "ranking");
    let meta = std::fs::read_to_string(run.join("run.toml")).unwrap();
    assert!(meta.contains("num_factors = \"6\""), "{meta}");
    // The model was built with them: 6 factors, and the derived bands as features.
    let features: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("fm_features.json")).unwrap())
            .unwrap();
    assert_eq!(features["num_factors"], 6);
    let names = features["names"].as_array().unwrap();
    assert!(
        names
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("recency_days="))
    );
    assert!(
        names
            .iter()
            .any(|n| n.as_str().unwrap().starts_with("Country="))
    );
}

#[test]
fn fm_table_mistakes_are_named_before_training() {
    let scratch = Scratch::new();
    for (name, table, expected) in [
        (
            "typo",
            "[fm]\nepochs = 2\nnum_factor = 8\n",
            "unknown hyperparameter 'num_factor' for fm: did you mean 'num_factors'?",
        ),
        (
            "zero",
            "[fm]\nnum_factors = 0\n",
            "invalid num_factors '0': must be in 1..=256",
        ),
        (
            "choice",
            "[fm]\npredictor_type = \"clustering\"\n",
            "invalid predictor_type 'clustering'",
        ),
    ] {
        let ws = workspace(&scratch, name, table);
        let err = scratch
            .run(["train", "--workspace", s(&ws), "--model", "fm"])
            .input_error()
            .to_owned();
        assert!(
            err.contains(expected) && err.contains("[fm]"),
            "{name}: {err}"
        );
        assert!(err.contains("line"), "{name}: {err}");
        assert!(
            !ws.join("runs").exists() || std::fs::read_dir(ws.join("runs")).unwrap().count() == 0
        );
    }
}
