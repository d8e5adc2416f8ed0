//! The seed system's own SageMaker job, unmodified: its `als_spec.json`, byte for byte,
//! against the real Online Retail CSV in the UCI layout, under a temporary `/opt/ml` root.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::util::{Scratch, s, sample};

/// The file the seed job shipped, byte for byte (tabs, leading commas, numbers).
const SEED_SPEC: &str = "{\n\t\"ranking_type\":\"count\"\n\t,\"max_itter\": 5\n\t,\"retention_date\":\"20180205\"\n\t,\"retention_days\": 10\n\t,\"reg_param\" : 0.01\n\t,\"als_rank\" : 10\n\t,\"reco_item\" : 3\n\t,\"group_size\":4099\n}\n";

/// Writes the full Online Retail log as the UCI CSV: comma-separated, `M/D/YYYY H:MM`
/// dates, `CustomerID` as `17850.0` (empty when missing), quoted descriptions.
fn write_uci_csv(path: &Path) {
    let file = std::fs::File::open(sample("online_retail_full.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    let text = |name: &str| -> Vec<Option<String>> {
        let c = df.column(name).unwrap().as_materialized_series();
        c.str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect()
    };
    let invoice = text("InvoiceNo");
    let stock = text("StockCode");
    let description = text("Description");
    let country = text("Country");
    let quantity: Vec<Option<i64>> = df
        .column("Quantity")
        .unwrap()
        .as_materialized_series()
        .i64()
        .unwrap()
        .iter()
        .collect();
    let floats = |name: &str| -> Vec<Option<f64>> {
        let c = df.column(name).unwrap().as_materialized_series();
        c.f64().unwrap().iter().collect()
    };
    let price = floats("UnitPrice");
    let customer = floats("CustomerID");
    let nanos = df
        .column("InvoiceDate")
        .unwrap()
        .as_materialized_series()
        .cast(&DataType::Int64)
        .unwrap();
    let nanos: Vec<Option<i64>> = nanos.i64().unwrap().iter().collect();
    let quote = |t: &str| {
        if t.contains([',', '"']) {
            format!("\"{}\"", t.replace('"', "\"\""))
        } else {
            t.to_owned()
        }
    };
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        w,
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    )
    .unwrap();
    for row in 0..df.height() {
        let date = chrono::DateTime::from_timestamp_nanos(nanos[row].unwrap()).naive_utc();
        let described = description[row].as_deref().filter(|d| *d != "nan");
        let who = customer[row]
            .filter(|c| !c.is_nan())
            .map_or_else(String::new, |c| format!("{c:.1}"));
        writeln!(
            w,
            "{},{},{},{},{},{},{},{}",
            invoice[row].as_deref().unwrap_or_default(),
            quote(stock[row].as_deref().unwrap_or_default()),
            quote(described.unwrap_or_default()),
            quantity[row].unwrap(),
            date.format("%-m/%-d/%Y %-H:%M"),
            price[row].unwrap(),
            who,
            quote(country[row].as_deref().unwrap_or_default()),
        )
        .unwrap();
    }
    w.flush().unwrap();
}

/// A `/opt/ml` root with the seed's spec and the UCI CSV under a name with a space.
fn ml_root(scratch: &Scratch, name: &str, spec: &str, csv: &Path) -> std::path::PathBuf {
    let root = scratch.path(name);
    std::fs::create_dir_all(root.join("input/config")).unwrap();
    std::fs::create_dir_all(root.join("input/data/train")).unwrap();
    std::fs::write(root.join("input/config/als_spec.json"), spec).unwrap();
    std::fs::hard_link(csv, root.join("input/data/train/Online Retail.csv"))
        .or_else(|_| std::fs::copy(csv, root.join("input/data/train/Online Retail.csv")).map(drop))
        .unwrap();
    root
}

#[test]
fn the_seed_job_runs_unmodified() {
    let scratch = Scratch::new();
    let csv = scratch.path("uci.csv");
    write_uci_csv(&csv);

    // As written: the window lies outside the data, and the failure names both ranges.
    let root = ml_root(&scratch, "as-written", SEED_SPEC, &csv);
    let r = scratch.run(["sagemaker", "train", "--ml-root", s(&root)]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let failure = std::fs::read_to_string(root.join("output/failure")).unwrap();
    for expected in ["2018-01-27", "2018-02-05", "2010-12-01", "2011-12-09"] {
        assert!(failure.contains(expected), "{expected} missing: {failure}");
    }
    assert!(!root.join("model/manifest.json").exists());
    assert!(!root.join("output/data/recommendations.csv").exists());

    // The same file with the window moved onto the data: it trains and writes 3 products
    // for each customer of the window.
    let moved = SEED_SPEC
        .replace("\"20180205\"", "\"20111209\"")
        .replace("\"retention_days\": 10", "\"retention_days\": 90");
    assert_ne!(moved, SEED_SPEC);
    let root = ml_root(&scratch, "moved", &moved, &csv);
    let out = scratch
        .run(["sagemaker", "train", "--ml-root", s(&root)])
        .ok()
        .to_owned();
    assert!(out.contains("group_size = 4099"), "{out}");
    assert!(!root.join("output/failure").exists());
    let run_toml = std::fs::read_to_string(root.join("model/run.toml")).unwrap();
    assert!(run_toml.contains("group_size"), "{run_toml}");
    assert!(run_toml.contains("max_iter = \"5\""), "{run_toml}");

    let recs = std::fs::read_to_string(root.join("output/data/recommendations.csv")).unwrap();
    let mut lines = recs.lines();
    assert_eq!(lines.next(), Some("user_id,item_id,rank,score,reason"));
    let mut per_customer: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        let mut fields = line.split(',');
        let user = fields.next().unwrap().to_owned();
        let item = fields.next().unwrap().to_owned();
        per_customer.entry(user).or_default().push(item);
    }
    let meta: toml::Table = run_toml.parse().unwrap();
    let users = meta["users"].as_integer().unwrap() as usize;
    assert!(users > 2_000, "the 90-day window holds {users} customers");
    assert_eq!(per_customer.len(), users);
    for (user, items) in &per_customer {
        assert_eq!(items.len(), 3, "customer {user}: {items:?}");
        assert!(!user.ends_with(".0"), "ids are read as 17850, not {user}");
    }
    assert_eq!(
        std::fs::read_to_string(root.join("output/output.csv")).unwrap(),
        recs
    );
}
