//! `latent audience`: the customers most likely to buy a product, rules applied, checked
//! against who bought it after the cut-off.

use crate::util::{Scratch, root, s};

fn trained(scratch: &Scratch) -> std::path::PathBuf {
    let run = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            s(&root().join("sample-data/online_retail_full.parquet")),
            "--test-last-days",
            "30",
            "--out",
            s(&run),
        ])
        .ok();
    run
}

#[test]
fn an_audience_names_new_buyers_ranked_and_beats_the_most_active_customers() {
    let scratch = Scratch::new();
    let run_dir = trained(&scratch);
    let run = latent::store::Run::load(&run_dir).unwrap();
    let out = scratch
        .run([
            "audience",
            "--run",
            s(&run_dir),
            "--item",
            "23084",
            "--top",
            "100",
            "--json",
        ])
        .ok()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let customers = v["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 100, "{v}");
    let item = run.items.get("23084").unwrap();
    let mut last = f64::INFINITY;
    for c in customers {
        let u = run.users.get(c["customer"].as_str().unwrap()).unwrap();
        assert!(
            run.train.row(u as usize).0.binary_search(&item).is_err(),
            "{c} bought it in training"
        );
        let score = c["score"].as_f64().unwrap();
        assert!(score <= last, "highest score first: {c}");
        assert!(c["product_rank"].as_u64().unwrap() >= 1, "{c}");
        last = score;
    }
    // Checked against the hold-out, beside the most active customers.
    let h = &v["holdout"];
    let (precision, baseline) = (
        h["precision"].as_f64().unwrap(),
        h["baseline_precision"].as_f64().unwrap(),
    );
    assert!(h["buyers"].as_u64().unwrap() > 20, "{h}");
    assert!(precision > baseline, "{h}");
    assert_eq!(v["below_baseline"], false, "{v}");

    // A search names the products; the CSV is written whole; rules apply.
    let csv = scratch.path("audience.csv");
    let text = scratch
        .run([
            "audience",
            "--run",
            s(&run_dir),
            "--query",
            "rabbit night light",
            "--top",
            "20",
            "--out",
            s(&csv),
        ])
        .ok()
        .to_owned();
    assert!(
        text.contains("hold-out (last-days:30)") && text.contains("most active"),
        "{text}"
    );
    let written = std::fs::read_to_string(&csv).unwrap();
    assert!(written.starts_with("customer,rank,product,description,product_rank,score\n"));
    assert_eq!(written.lines().count(), 21, "{written}");
    let hidden = scratch
        .run([
            "audience",
            "--run",
            s(&run_dir),
            "--item",
            "23084",
            "--exclude",
            "23084",
        ])
        .input_error()
        .to_owned();
    assert!(
        hidden.contains("rules hide every product") && hidden.contains("23084"),
        "{hidden}"
    );
    let unknown = scratch
        .run(["audience", "--run", s(&run_dir), "--item", "NOPE1"])
        .input_error()
        .to_owned();
    assert!(
        unknown.contains("'NOPE1'") && unknown.contains("latent search products"),
        "{unknown}"
    );
}
