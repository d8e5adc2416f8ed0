//! `latent monitor`: drift since a run was trained, on a synthetic log with a planted
//! popularity flip (and its unchanged twin), and on Online Retail's autumn.

use std::fmt::Write as _;

use crate::util::{Scratch, s, sample};

/// An Online-Retail-shaped log: January to March, then April. 400 customers in three
/// countries buy 100 products with Zipf popularity; with `flip`, April's popularity is
/// reversed (the best sellers become the tail).
fn synthetic_log(flip: bool) -> String {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let weights = |reversed: bool| -> Vec<f64> {
        let w: Vec<f64> = (0..100)
            .map(|i: i32| 1.0 / f64::from(if reversed { 100 - i } else { i + 1 }))
            .collect();
        let total: f64 = w.iter().sum();
        let mut cum = 0.0;
        w.iter()
            .map(|x| {
                cum += x / total;
                cum
            })
            .collect()
    };
    let (before, after) = (weights(false), weights(flip));
    let mut csv = String::from(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n",
    );
    let countries = ["United Kingdom", "France", "Germany"];
    for line in 0..26_000u64 {
        let april = line >= 20_000;
        let (month, day) = if april {
            (4, 1 + next() % 30)
        } else {
            (1 + next() % 3, 1 + next() % 28)
        };
        let cumulative = if april { &after } else { &before };
        let u = (next() % 1_000_000) as f64 / 1_000_000.0;
        let product = cumulative.iter().position(|&c| u < c).unwrap_or(99);
        let customer = 12_000 + next() % 400;
        let _ = writeln!(
            csv,
            "{},P{product:03},PRODUCT {product},{},{month}/{day}/2011 10:00,1.5,{customer}.0,{}",
            500_000 + line / 3,
            1 + next() % 5,
            countries[(customer % 3) as usize]
        );
    }
    csv
}

fn monitor_json(scratch: &Scratch, name: &str, flip: bool) -> serde_json::Value {
    let data = scratch.write(&format!("{name}.csv"), synthetic_log(flip));
    let run = scratch.path(name);
    scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--retention-date",
            "20110331",
            "--out",
            s(&run),
        ])
        .ok();
    let out = scratch
        .run(["monitor", "--run", s(&run), "--data", s(&data), "--json"])
        .ok()
        .to_owned();
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_planted_popularity_flip_says_retrain_and_an_unchanged_month_stays_stable() {
    let scratch = Scratch::new();
    let flipped = monitor_json(&scratch, "flipped", true);
    let psi = flipped["popularity"]["psi"].as_f64().unwrap();
    assert!(psi > 0.25, "flipped PSI {psi}");
    assert_eq!(flipped["popularity"]["band"], "significant");
    assert_eq!(flipped["verdict"]["action"], "retrain", "{flipped:#}");
    let sentence = flipped["verdict"]["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("retrain recommended: popularity PSI"),
        "{sentence}"
    );
    // The tail products rose: the rising list is the old tail.
    let rising = flipped["rising"][0]["item_id"].as_str().unwrap();
    assert!(rising >= "P050", "{rising}");

    let same = monitor_json(&scratch, "same", false);
    let psi = same["popularity"]["psi"].as_f64().unwrap();
    assert!(psi < 0.1, "unchanged PSI {psi}");
    assert_eq!(same["popularity"]["band"], "stable");
    assert!(same["country"]["psi"].as_f64().unwrap() < 0.1, "{same:#}");
    assert_eq!(same["verdict"]["action"], "stable", "{same:#}");

    // Every figure the report promises is there.
    for key in [
        "new_customer_line_share",
        "new_buyer_share",
        "new_product_line_share",
    ] {
        assert!(same[key].is_f64(), "{key}: {same:#}");
    }
    for key in ["psi", "js", "band", "reference", "newer"] {
        assert!(!same["popularity"][key].is_null(), "{key}");
        assert!(!same["country"][key].is_null(), "{key}");
    }
    assert!(same["basket"]["reference_mean"].as_f64().unwrap() > 1.0);
    assert!(same["basket"]["sizes"]["psi"].is_f64());
    for key in [
        "catalogue_coverage",
        "avg_recommended_popularity",
        "not_sold_share",
        "customers_unknown_share",
    ] {
        assert!(same["recommendations"][key].is_f64(), "{key}");
    }
    assert_eq!(same["newer"]["first"], "2011-04-01");
    assert_eq!(same["reference"]["last"], "2011-03-28");
}

/// Trained up to September, October's rise is Christmas: the report names it.
#[test]
fn online_retail_october_rises_with_christmas_products() {
    let scratch = Scratch::new();
    let run = crate::update::train_to(&scratch, "sep", "20110930", "304");
    let data = sample("online_retail_full.parquet");
    let text = scratch
        .run([
            "monitor",
            "--run",
            s(&run),
            "--data",
            s(&data),
            "--days",
            "31",
        ])
        .ok()
        .to_owned();
    assert!(text.contains("rising products"), "{text}");
    let rising: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("rising products"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rising.len(), 10, "{text}");
    assert!(
        rising.iter().filter(|l| l.contains("CHRISTMAS")).count() >= 2,
        "{rising:#?}"
    );
    let json = scratch
        .run([
            "monitor",
            "--run",
            s(&run),
            "--data",
            s(&data),
            "--days",
            "31",
            "--json",
        ])
        .ok()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["newer"]["last"], "2011-10-31");

    // A file with nothing after the run's window is refused with both ranges.
    let err = scratch
        .run([
            "monitor",
            "--run",
            s(&run),
            "--data",
            s(&sample("online_retail_sample.csv")),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("ends 2011-09-30") && err.contains("2010-12-01"),
        "{err}"
    );
    // No day compares nothing: the flag is named, not the file blamed.
    let err = scratch
        .run([
            "monitor",
            "--run",
            s(&run),
            "--data",
            s(&data),
            "--days",
            "0",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("--days") && err.contains("'0'"), "{err}");
    assert!(!err.contains("no lines after"), "{err}");
}
