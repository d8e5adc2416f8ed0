use crate::util::{Scratch, s, sample};

#[test]
fn full_online_retail_parquet_profile_matches_the_known_figures() {
    let scratch = Scratch::new();
    let run = scratch.run(["data", "profile", s(&sample("online_retail_full.parquet"))]);
    let out = run.ok();
    assert!(out.contains("rows read                   541,909"), "{out}");
    assert!(out.contains("customers read                4,372"), "{out}");
    assert!(out.contains("products read                 4,070"), "{out}");
    assert!(
        out.contains("no customer                  135,080"),
        "{out}"
    );
    assert!(out.contains("missing descriptions          1,454"), "{out}");
    for reason in [
        "cancellation / return",
        "non-product code",
        "zero or negative price",
        "exact duplicate",
    ] {
        assert!(out.contains(reason), "missing reason {reason}: {out}");
    }
    assert!(
        out.contains("2010-12-01 08:26:00 .. 2011-12-09 12:50:00"),
        "{out}"
    );
    assert!(out.contains("United Kingdom"), "{out}");
}

#[test]
fn json_profile_counts_add_up() {
    let scratch = Scratch::new();
    let run = scratch.run([
        "data",
        "profile",
        "--json",
        s(&sample("online_retail_full.parquet")),
    ]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).expect("valid JSON");
    let c = &v["cleaning"];
    let read = c["rows_read"].as_u64().unwrap();
    let kept = c["rows_kept"].as_u64().unwrap();
    let dropped: u64 = c["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_u64().unwrap())
        .sum();
    assert_eq!(read, 541_909);
    assert_eq!(
        read,
        kept + dropped,
        "every line is kept or dropped for one reason"
    );
    assert_eq!(c["customers_read"], 4372);
    // Drops the shared README documents for the raw file: 135,080 rows without a customer;
    // every cancellation with a customer is counted as one.
    assert_eq!(c["dropped"][0][0], "missing_customer");
    assert_eq!(c["dropped"][0][1], 135_080);
    let users = v["users"].as_u64().unwrap();
    assert!((4_000..4_372).contains(&users), "{users}");
    assert!(v["nnz"].as_u64().unwrap() > 200_000);
    let share1 = v["top_1pct_item_share"].as_f64().unwrap();
    let share10 = v["top_10pct_item_share"].as_f64().unwrap();
    assert!(0.0 < share1 && share1 < share10 && share10 < 1.0);
}

#[test]
fn semicolon_csv_sample_with_mixed_dates_loads_without_a_mapping() {
    let scratch = Scratch::new();
    let run = scratch.run([
        "data",
        "profile",
        "--json",
        s(&sample("online_retail_sample.csv")),
    ]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    let c = &v["cleaning"];
    assert_eq!(c["rows_read"], 5000);
    assert_eq!(c["customers_read"], 1039);
    assert_eq!(c["items_read"], 1682);
    assert_eq!(c["dropped"][0][1], 1792, "NA customers");
    assert_eq!(c["dropped"][2][0], "unparseable_date");
    assert_eq!(c["dropped"][2][1], 0, "both date formats parse");
    assert_eq!(v["date_range"][0], "2010-12-01 08:45:00");
    assert_eq!(v["date_range"][1], "2011-02-23 13:21:00");
}

#[test]
fn demo_workspace_applies_its_retention_window_and_ranking() {
    let scratch = Scratch::new();
    let ws = crate::util::root().join("workspaces/demo/workspace.toml");
    let run = scratch.run(["data", "profile", "--json", "--config", s(&ws)]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(v["ranking_type"], "count");
    assert!(v["cleaning"]["window"].is_array(), "{v}");
    assert_eq!(
        v["date_range"][0], "2010-12-01 08:26:00",
        "374 days ending 2011-12-09 keep the whole log"
    );
    let run = scratch.run([
        "data",
        "profile",
        "--json",
        "--config",
        s(&ws),
        "--retention-days",
        "365",
    ]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    let outside = v["cleaning"]["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "outside_window")
        .unwrap()[1]
        .as_u64()
        .unwrap();
    assert!(
        outside > 0,
        "365 days ending 2011-12-09 cut the first days of December 2010"
    );
    assert!(v["date_range"][0].as_str().unwrap() >= "2010-12-10");

    // Overrides on the command line win over the workspace.
    let run = scratch.run([
        "data",
        "profile",
        "--json",
        "--config",
        s(&ws),
        "--retention-days",
        "30",
        "--ranking-type",
        "revenue",
    ]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(v["ranking_type"], "revenue");
    assert!(v["date_range"][0].as_str().unwrap() >= "2011-11-10");
}

#[test]
fn json_stays_json_with_an_empty_matrix_when_every_line_is_dropped() {
    let scratch = Scratch::new();
    let p = scratch.write(
        "guests.csv",
        "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,1,12/1/2010 8:26,1.0,\n",
    );
    let run = scratch.run(["data", "profile", "--json", s(&p)]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).expect("JSON");
    assert_eq!(v["cleaning"]["rows_read"], 1);
    assert_eq!(v["cleaning"]["rows_kept"], 0);
    assert_eq!(crate::util::dropped(&v, "missing_customer"), 1);
    assert_eq!((v["users"].as_u64(), v["nnz"].as_u64()), (Some(0), Some(0)));
    assert!(v["date_range"].is_null(), "{v}");
}
