use crate::util::{Scratch, dropped, s, sample};

fn profile_json(scratch: &Scratch, path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(scratch.run(["data", "profile", "--json", s(path)]).ok()).unwrap()
}

#[test]
fn last_days_split_round_trips_through_csv_and_parquet() {
    let scratch = Scratch::new();
    let (train, test) = (scratch.path("train.parquet"), scratch.path("test.csv"));
    let out = scratch
        .run([
            "data",
            "split",
            s(&sample("online_retail_full.parquet")),
            "--test-last-days",
            "30",
            "--train-out",
            s(&train),
            "--test-out",
            s(&test),
        ])
        .ok()
        .to_owned();
    assert!(out.contains("train:") && out.contains("test:"), "{out}");
    let train_p = profile_json(&scratch, &train);
    let test_p = profile_json(&scratch, &test);
    assert!(
        train_p["date_range"][1].as_str().unwrap() < "2011-11-10",
        "{}",
        train_p["date_range"]
    );
    assert!(
        test_p["date_range"][0].as_str().unwrap() >= "2011-11-10",
        "{}",
        test_p["date_range"]
    );
    // Cleaned lines pass cleaning again unchanged.
    let kept = |p: &serde_json::Value| p["cleaning"]["rows_kept"].as_u64().unwrap();
    let read = |p: &serde_json::Value| p["cleaning"]["rows_read"].as_u64().unwrap();
    assert_eq!(kept(&train_p), read(&train_p));
    assert_eq!(kept(&test_p), read(&test_p));
    let full = profile_json(&scratch, &sample("online_retail_full.parquet"));
    assert_eq!(read(&train_p) + read(&test_p), kept(&full));
}

#[test]
fn new_items_only_shrinks_the_test_set() {
    let scratch = Scratch::new();
    let run = |extra: &[&str], test: &std::path::Path| {
        let train = scratch.path("tr.csv");
        let data = sample("online_retail_sample.csv");
        let mut args = vec![
            "data",
            "split",
            s(&data),
            "--per-user-last-invoice",
            "--train-out",
            s(&train),
            "--test-out",
            s(test),
        ];
        args.extend_from_slice(extra);
        scratch.run(args).ok().to_owned()
    };
    let all = scratch.path("all.csv");
    let new = scratch.path("new.csv");
    run(&[], &all);
    let out = run(&["--new-items-only"], &new);
    assert!(out.contains("repeat purchases"), "{out}");
    let n = |p| {
        profile_json(&scratch, p)["cleaning"]["rows_read"]
            .as_u64()
            .unwrap()
    };
    assert!(n(&new) < n(&all));
}

#[test]
fn split_needs_a_strategy_and_sane_values() {
    let scratch = Scratch::new();
    let (a, b) = (scratch.path("a.csv"), scratch.path("b.csv"));
    let err = scratch
        .run([
            "data",
            "split",
            s(&sample("online_retail_sample.csv")),
            "--train-out",
            s(&a),
            "--test-out",
            s(&b),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("choose one of"), "{err}");
    let err = scratch
        .run([
            "data",
            "split",
            s(&sample("online_retail_sample.csv")),
            "--per-user-fraction",
            "1.5",
            "--train-out",
            s(&a),
            "--test-out",
            s(&b),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("'1.5' must be in (0, 1)"), "{err}");
    let err = scratch
        .run([
            "data",
            "split",
            s(&sample("online_retail_sample.csv")),
            "--test-from",
            "20300101",
            "--train-out",
            s(&a),
            "--test-out",
            s(&b),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("test part is empty"), "{err}");
    assert!(!a.exists() && !b.exists(), "nothing written on error");
}

#[test]
fn synthetic_data_is_deterministic_and_loads_with_every_fault_counted() {
    let scratch = Scratch::new();
    let (a, b, pq) = (
        scratch.path("a.csv"),
        scratch.path("b.csv"),
        scratch.path("c.parquet"),
    );
    scratch
        .run([
            "data",
            "synth",
            "--rows",
            "20000",
            "--seed",
            "7",
            "--out",
            s(&a),
        ])
        .ok();
    scratch
        .run([
            "data",
            "synth",
            "--rows",
            "20000",
            "--seed",
            "7",
            "--out",
            s(&b),
        ])
        .ok();
    scratch
        .run([
            "data",
            "synth",
            "--rows",
            "20000",
            "--seed",
            "7",
            "--out",
            s(&pq),
        ])
        .ok();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let csv = profile_json(&scratch, &a);
    let parquet = profile_json(&scratch, &pq);
    assert_eq!(csv["cleaning"]["rows_read"], 20000);
    assert_eq!(
        csv["cleaning"]["rows_kept"],
        parquet["cleaning"]["rows_kept"]
    );
    assert_eq!(csv["nnz"], parquet["nnz"]);
    assert!(
        dropped(&csv, "missing_customer") > 2000,
        "about 20 % guests"
    );
    assert!(dropped(&csv, "cancellation") > 50);
    assert!(dropped(&csv, "non_product_code") > 50);
    assert!(csv["users"].as_u64().unwrap() > 100);
}

#[test]
fn split_never_overwrites_its_input_or_writes_both_parts_to_one_file() {
    let scratch = Scratch::new();
    let data = scratch.write(
        "data.csv",
        std::fs::read(sample("online_retail_sample.csv")).unwrap(),
    );
    let before = std::fs::read(&data).unwrap();
    let other = scratch.path("test.csv");
    // The input by another spelling still is the input.
    let sneaky = scratch.path(".").join("data.csv");
    let err = scratch
        .run([
            "data",
            "split",
            s(&data),
            "--per-user-last-invoice",
            "--train-out",
            s(&sneaky),
            "--test-out",
            s(&other),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("--train-out") && err.contains("data file being read"),
        "{err}"
    );
    assert_eq!(std::fs::read(&data).unwrap(), before, "the input is intact");

    let err = scratch
        .run([
            "data",
            "split",
            s(&data),
            "--per-user-last-invoice",
            "--train-out",
            s(&other),
            "--test-out",
            s(&other),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("--train-out and --test-out are the same file") && err.contains("test.csv"),
        "{err}"
    );
    assert!(!other.exists());
}
