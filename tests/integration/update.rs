//! `latent update`: newer purchases folded into a run without a full retrain, measured
//! against the retrain on the month after, with lineage, and refused when the new file
//! has another layout or older dates; the parent is never touched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::{Scratch, demo_config, s};

/// Every file of a run folder with its bytes, to prove it unchanged.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

/// One month of the demo data (the lines from `from` to `last`, a day of the month
/// before kept out), as a Parquet file of latent's canonical columns.
fn month(scratch: &Scratch, name: &str, from: &str, last: &str, days: &str) -> PathBuf {
    let out = scratch.path(name);
    scratch
        .run([
            "data",
            "split",
            "--config",
            &demo_config(),
            "--retention-date",
            last,
            "--retention-days",
            days,
            "--test-from",
            from,
            "--train-out",
            s(&scratch.path(&format!("{name}.before.parquet"))),
            "--test-out",
            s(&out),
        ])
        .ok();
    out
}

pub fn train_to(scratch: &Scratch, name: &str, last: &str, days: &str) -> PathBuf {
    let run = scratch.path(name);
    scratch
        .run([
            "train",
            "--config",
            &demo_config(),
            "--retention-date",
            last,
            "--retention-days",
            days,
            "--out",
            s(&run),
        ])
        .ok();
    run
}

fn precision_on(scratch: &Scratch, run: &Path, test: &Path) -> f64 {
    let out = scratch
        .run(["eval", "--run", s(run), "--test", s(test), "--json"])
        .ok()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["model"]["precision"].as_f64().unwrap()
}

#[test]
fn an_october_update_scores_november_like_a_full_retrain() {
    let scratch = Scratch::new();
    let sep = train_to(&scratch, "sep", "20110930", "304");
    let before = snapshot(&sep);
    let october = month(&scratch, "oct.parquet", "20111001", "20111031", "61");
    let november = month(&scratch, "nov.parquet", "20111101", "20111130", "60");

    let updated = scratch.path("updated");
    let out = scratch
        .run([
            "update",
            "--run",
            s(&sep),
            "--data",
            s(&october),
            "--out",
            s(&updated),
        ])
        .ok()
        .to_owned();
    assert!(out.contains("re-solved incrementally"), "{out}");
    assert!(out.contains("(357 new)"), "{out}");
    let full = train_to(&scratch, "full", "20111031", "335");

    let (p_update, p_full) = (
        precision_on(&scratch, &updated, &november),
        precision_on(&scratch, &full, &november),
    );
    let p_parent = precision_on(&scratch, &sep, &november);
    assert!(
        p_update >= 0.95 * p_full,
        "update {p_update:.4} against retrain {p_full:.4}"
    );
    assert!(
        p_update > p_parent,
        "update {p_update:.4}, parent {p_parent:.4}"
    );

    // Lineage: the parent, the data added, how, and the same matrix as the retrain.
    let meta: toml::Table = std::fs::read_to_string(updated.join("run.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(meta["parent"].as_str(), Some("sep"));
    let update = &meta["update"];
    assert_eq!(update["lines"].as_integer(), Some(48_611));
    assert_eq!(update["first"].as_str(), Some("2011-10-02"));
    assert_eq!(update["method"].as_str(), Some("incremental"));
    assert!(update["data"].as_str().unwrap().ends_with("oct.parquet"));
    let full_meta: toml::Table = std::fs::read_to_string(full.join("run.toml"))
        .unwrap()
        .parse()
        .unwrap();
    for key in ["users", "items", "nnz"] {
        assert_eq!(meta[key], full_meta[key], "{key}");
    }
    assert_eq!(snapshot(&sep), before, "the parent run is never modified");

    // Refused: older lines, and another layout; the parent still untouched.
    let old = scratch.run([
        "update",
        "--run",
        s(&sep),
        "--data",
        s(&crate::util::sample("online_retail_sample.csv")),
        "--out",
        s(&scratch.path("refused-1")),
    ]);
    let err = old.input_error();
    assert!(
        err.contains("on or before the end of run 'sep' (2011-09-30)") && err.contains("2010-12"),
        "{err}"
    );
    // --newer-only takes a grown log as it is: only its lines after the window count.
    let newer_only = |data: &Path, out: &str| {
        scratch.run([
            "update",
            "--run",
            s(&sep),
            "--data",
            s(data),
            "--newer-only",
            "--out",
            s(&scratch.path(out)),
        ])
    };
    let full = crate::util::sample("online_retail_full.parquet");
    let grown = newer_only(&full, "grown").ok().to_owned();
    assert!(
        grown.contains("lines (2011-10-02 .. 2011-12-09)")
            && grown.contains("re-solved incrementally"),
        "{grown}"
    );
    let r = newer_only(&crate::util::sample("online_retail_sample.csv"), "none");
    assert!(
        r.input_error()
            .contains("has no lines after 2011-09-30, the end of run 'sep'"),
        "{}",
        r.stderr
    );
    let other = scratch.write("other.csv", "movie,viewer,stars\n1,2,5\n3,4,1\n");
    let r = scratch.run([
        "update",
        "--run",
        s(&sep),
        "--data",
        s(&other),
        "--out",
        s(&scratch.path("refused-2")),
    ]);
    let err = r.input_error();
    assert!(
        err.contains("does not have the run's columns") && err.contains("movie"),
        "{err}"
    );
    assert!(!scratch.path("refused-1").exists() && !scratch.path("refused-2").exists());
    assert_eq!(snapshot(&sep), before, "the parent run is never modified");
}
