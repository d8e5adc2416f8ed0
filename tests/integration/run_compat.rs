//! Runs written by an earlier latent (run format 1) load and answer exactly as they did.
//!
//! `tests/fixtures/runs-v1/` holds one run of each model kind, trained on
//! `sample-data/online_retail_sample.csv` by the binary before the model redesign, and
//! what that binary printed for them (`expected/<kind>/`). A change to how models are saved,
//! loaded or scored that alters a single list, explanation or score fails here.

use crate::util::{Scratch, root, s};

const KINDS: [&str; 5] = ["als", "als-explicit", "item-knn", "popularity", "fm"];

fn fixture(path: &str) -> std::path::PathBuf {
    root().join("tests/fixtures/runs-v1").join(path)
}

fn expected(kind: &str, file: &str) -> String {
    std::fs::read_to_string(fixture(&format!("expected/{kind}/{file}"))).unwrap()
}

#[test]
fn old_runs_recommend_and_explain_exactly_as_before() {
    let scratch = Scratch::new();
    for kind in KINDS {
        let run = fixture(kind);
        let out = scratch.run([
            "recommend",
            "--run",
            s(&run),
            "--users",
            "all",
            "--top",
            "5",
        ]);
        assert_eq!(
            out.ok(),
            expected(kind, "recommend.csv"),
            "{kind}: recommend"
        );
        let out = scratch.run([
            "recommend",
            "--run",
            s(&run),
            "--user",
            "13178",
            "--user",
            "NEWX",
            "--history",
            "84347,22229",
            "--segment",
            "France",
            "--explain",
            "--top",
            "3",
        ]);
        assert_eq!(
            format!("{}{}", out.ok(), out.stderr),
            expected(kind, "explain.txt"),
            "{kind}: explain"
        );
    }
}

#[test]
fn old_runs_find_similar_products_and_predict_exactly_as_before() {
    let scratch = Scratch::new();
    for kind in KINDS {
        let run = fixture(kind);
        let out = scratch.run(["similar", "--run", s(&run), "--item", "22229", "--top", "5"]);
        assert_eq!(
            format!("{}{}rc={}\n", out.stdout, out.stderr, out.code),
            expected(kind, "similar.txt"),
            "{kind}: similar"
        );
        let scores = scratch.path(&format!("{kind}-predict.csv"));
        scratch
            .run([
                "predict",
                "--run",
                s(&run),
                "--pairs",
                s(&fixture("pairs.csv")),
                "--out",
                s(&scores),
            ])
            .ok();
        assert_eq!(
            std::fs::read_to_string(&scores).unwrap(),
            expected(kind, "predict.csv"),
            "{kind}: predict"
        );
    }
}
