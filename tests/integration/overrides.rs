use std::collections::BTreeSet;
use std::sync::OnceLock;

use crate::util::{Scratch, s};

/// One ALS run on the full Online Retail data with the last 30 days held out, shared by
/// the tests of this file (training takes about a second).
fn shared() -> &'static (Scratch, std::path::PathBuf, std::path::PathBuf) {
    static RUN: OnceLock<(Scratch, std::path::PathBuf, std::path::PathBuf)> = OnceLock::new();
    RUN.get_or_init(|| {
        let scratch = Scratch::new();
        let run = scratch.path("run");
        let (train, test) = (scratch.path("train.parquet"), scratch.path("test.parquet"));
        scratch
            .run([
                "data",
                "split",
                "--config",
                "workspaces/demo/workspace.toml",
                "--test-last-days",
                "30",
                "--train-out",
                s(&train),
                "--test-out",
                s(&test),
            ])
            .ok();
        scratch
            .run([
                "train",
                "--config",
                "workspaces/demo/workspace.toml",
                "--test-last-days",
                "30",
                "--out",
                s(&run),
            ])
            .ok();
        (scratch, run, test)
    })
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn items(list: &serde_json::Value) -> Vec<(String, String)> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["item_id"].as_str().unwrap().to_owned(),
                i["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_issue_example_prints_a_readable_table_with_explanations() {
    let (scratch, run, _) = shared();
    let out = scratch
        .run([
            "recommend",
            "--run",
            s(run),
            "--user",
            "17850",
            "--top",
            "10",
            "--exclude-popular",
            "5%",
            "--include",
            "85123A,22423",
            "--explain",
        ])
        .ok()
        .to_owned();
    assert!(out.starts_with("customer 17850 (United Kingdom)"), "{out}");
    assert!(
        out.contains("description") && out.contains("reason"),
        "{out}"
    );
    // 17850 bought 85123A already (exclude-seen beats include); 22423 is forced in last.
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(rows.len(), 10, "{out}");
    assert!(
        rows[9].contains("22423") && rows[9].ends_with("forced"),
        "{out}"
    );
    assert!(!out.contains("85123A  WHITE"), "{out}");
    assert!(out.contains("because of"), "explanations: {out}");
}

#[test]
fn exclusions_hold_for_every_customer_in_batch_output() {
    let (scratch, run, _) = shared();
    let recs = scratch.path("recs.csv");
    scratch
        .run([
            "recommend",
            "--run",
            s(run),
            "--users",
            "all",
            "--exclude-popular",
            "20",
            "--exclude",
            "POST,M",
            "--out",
            s(&recs),
        ])
        .ok();
    let plain = scratch
        .run(["recommend", "--run", s(run), "--users", "all", "--top", "3"])
        .ok()
        .to_owned();
    // The 20 most popular products, from the popularity fallback of an unknown customer.
    let popular = json(
        scratch
            .run([
                "recommend",
                "--run",
                s(run),
                "--user",
                "NOBODY",
                "--top",
                "20",
                "--json",
            ])
            .ok(),
    );
    let top20: BTreeSet<String> = items(&popular[0]).into_iter().map(|(i, _)| i).collect();
    assert_eq!(top20.len(), 20);
    let text = std::fs::read_to_string(&recs).unwrap();
    let shown: BTreeSet<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert!(shown.len() > 100, "{}", shown.len());
    for i in &top20 {
        assert!(!shown.contains(i.as_str()), "{i} is popular yet shown");
    }
    assert!(!shown.contains("POST"));
    let plain_items: BTreeSet<&str> = plain
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert!(
        plain_items.iter().any(|i| top20.contains(*i)),
        "without rules popular products do appear"
    );
}

#[test]
fn rules_from_a_file_segment_includes_and_boosts() {
    let (scratch, run, _) = shared();
    let rules = scratch.write(
        "rules.toml",
        r#"
        [overrides]
        exclude_matching = ["postage"]
        [[overrides.include]]
        items = ["23166"]
        slot = 1
        segment = "France"
        [[overrides.boost]]
        matching = "christmas"
        multiply = 100
        "#,
    );
    // 12681 is a French customer, 17850 British.
    let out = json(
        scratch
            .run([
                "recommend",
                "--run",
                s(run),
                "--rules",
                s(&rules),
                "--user",
                "12681",
                "--user",
                "17850",
                "--top",
                "5",
                "--json",
            ])
            .ok(),
    );
    let french = items(&out[0]);
    assert_eq!(out[0]["segment"], "France");
    assert_eq!(
        french[0],
        ("23166".to_owned(), "forced".to_owned()),
        "{french:?}"
    );
    let british = items(&out[1]);
    assert!(british.iter().all(|(i, _)| i != "23166"), "{british:?}");
    assert!(
        british.iter().any(|(_, r)| r == "boosted"),
        "christmas products boosted: {british:?}"
    );
}

#[test]
fn new_customers_fold_in_their_purchases() {
    let (scratch, run, _) = shared();
    let out = json(
        scratch
            .run([
                "recommend",
                "--run",
                s(run),
                "--user",
                "NEW-1",
                "--history",
                "22423,22697,22699",
                "--top",
                "5",
                "--json",
            ])
            .ok(),
    );
    let list = items(&out[0]);
    assert_eq!(out[0]["known"], false);
    assert!(list.iter().all(|(_, r)| r == "fold_in"), "{list:?}");
    assert!(
        list.iter()
            .all(|(i, _)| !["22423", "22697", "22699"].contains(&i.as_str()))
    );
    let popular = scratch
        .run([
            "recommend",
            "--run",
            s(run),
            "--user",
            "NEW-1",
            "--top",
            "5",
            "--json",
            "--cold-start",
            "popularity",
        ])
        .ok()
        .to_owned();
    assert!(popular.contains("popularity_fallback"), "{popular}");
    assert_ne!(items(&json(&popular)[0]), list, "fold-in personalises");
}

#[test]
fn bad_rules_get_clear_messages_and_exit_2() {
    let (scratch, run, _) = shared();
    for (flag, value, expect) in [
        ("--exclude-popular", "5x", "'5x'"),
        ("--exclude-popular", "150%", "'150%'"),
        ("--boost", "christmas", "WORDS*FACTOR"),
        ("--include-slot", "0", "--include-slot"),
    ] {
        let mut args = vec!["recommend", "--run", s(run), "--user", "17850", flag, value];
        if flag == "--include-slot" {
            args.extend(["--include", "22423"]);
        }
        let err = scratch.run(args).input_error().to_owned();
        assert!(err.contains(expect), "{flag} {value}: {err}");
    }
    let broken = scratch.write("broken.toml", "[overrides\nexclude_popular = 5");
    let err = scratch
        .run([
            "recommend",
            "--run",
            s(run),
            "--user",
            "17850",
            "--rules",
            s(&broken),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("broken.toml") && err.contains("line 1"),
        "{err}"
    );
}

#[test]
fn unknown_includes_warn_and_excluding_everything_is_an_empty_list() {
    let (scratch, run, _) = shared();
    let r = scratch.run([
        "recommend",
        "--run",
        s(run),
        "--user",
        "17850",
        "--include",
        "NOT-A-PRODUCT,22423",
        "--exclude",
        "22423",
        "--top",
        "3",
        "--csv",
    ]);
    let out = r.ok().to_owned();
    assert!(r.stderr.contains("NOT-A-PRODUCT"), "{}", r.stderr);
    assert!(r.stderr.contains("exclude wins"), "{}", r.stderr);
    assert_eq!(out.lines().count(), 4, "the rest applies: {out}");
    assert!(!out.contains("22423"));
    let r = scratch.run([
        "recommend",
        "--run",
        s(run),
        "--user",
        "17850",
        "--exclude-popular",
        "100%",
    ]);
    assert!(
        r.ok().contains("no products left after the rules"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("exclude every product"), "{}", r.stderr);
}

#[test]
fn eval_reports_cold_customers_and_the_cost_of_rules() {
    let (scratch, run, test) = shared();
    let out = scratch
        .run([
            "eval",
            "--run",
            s(run),
            "--test",
            s(test),
            "--exclude-popular",
            "5%",
            "--json",
        ])
        .ok()
        .to_owned();
    let v = json(&out);
    let cold = &v["cold"];
    assert!(cold["users"].as_u64().unwrap() > 10, "{cold}");
    assert_eq!(cold["policy"], "fold-in");
    let impact = &v["rules_impact"];
    let (without, with) = (&impact["without"], &impact["with"]);
    assert!(
        with["popularity_bias"].as_f64() < without["popularity_bias"].as_f64(),
        "{impact}"
    );
    assert!(
        with["novelty"].as_f64() > without["novelty"].as_f64(),
        "{impact}"
    );
    // Hiding the best sellers is a measured fact: each change has a paired interval, and
    // the popularity of what is shown drops beyond doubt.
    let change = |name: &str| {
        impact["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["metric"] == name)
            .unwrap_or_else(|| panic!("{name}: {impact}"))
            .clone()
    };
    let bias = change("popularity_bias");
    assert!(bias["ci_high"].as_f64().unwrap() < 0.0, "{bias}");
    assert_eq!(bias["verdict"], "B better", "less popularity bias: {bias}");
    let ndcg = change("ndcg@10");
    assert!(
        ndcg["ci_low"].as_f64().unwrap() <= ndcg["delta"].as_f64().unwrap()
            && ndcg["delta"].as_f64().unwrap() <= ndcg["ci_high"].as_f64().unwrap(),
        "{ndcg}"
    );
    let table = scratch
        .run([
            "eval",
            "--run",
            s(run),
            "--test",
            s(test),
            "--exclude-popular",
            "5%",
        ])
        .ok()
        .to_owned();
    assert!(
        table.contains("rules impact") && table.contains("95 % interval"),
        "{table}"
    );
    assert!(
        table.contains("segments") && table.contains("activity"),
        "{table}"
    );
    // A list of no products, or longer than the catalogue, is refused with the reason.
    for (k, why) in [("0", "at least 1"), ("999999", "at most the run's")] {
        let err = scratch
            .run(["eval", "--run", s(run), "--test", s(test), "--k", k])
            .input_error()
            .to_owned();
        assert!(err.contains("--k") && err.contains(why), "{err}");
    }
    let text = scratch
        .run([
            "eval",
            "--run",
            s(run),
            "--test",
            s(test),
            "--overrides",
            "/no/such/rules.toml",
        ])
        .input_error()
        .to_owned();
    assert!(text.contains("/no/such/rules.toml"), "{text}");
}
