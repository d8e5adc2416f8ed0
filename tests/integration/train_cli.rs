use std::collections::{BTreeMap, BTreeSet};

use crate::util::{Scratch, s, sample};

/// Splits the real CSV sample by last invoice and returns (train, test) paths.
fn sample_split(scratch: &Scratch) -> (std::path::PathBuf, std::path::PathBuf) {
    let (train, test) = (scratch.path("train.csv"), scratch.path("test.csv"));
    scratch
        .run([
            "data",
            "split",
            s(&sample("online_retail_sample.csv")),
            "--per-user-last-invoice",
            "--train-out",
            s(&train),
            "--test-out",
            s(&test),
        ])
        .ok();
    (train, test)
}

fn read_recs(path: &std::path::Path) -> Vec<(String, String, usize, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("user_id,item_id,rank,score,reason"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].to_owned(),
                f[1].to_owned(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_model_trains_recommends_and_evaluates() {
    let scratch = Scratch::new();
    let (train, test) = sample_split(&scratch);
    for model in ["als", "popularity", "item-knn", "rp3beta"] {
        let run = scratch.path(&format!("run-{model}"));
        let out = scratch
            .run([
                "train",
                "--data",
                s(&train),
                "--model",
                model,
                "--test",
                s(&test),
                "--out",
                s(&run),
            ])
            .ok()
            .to_owned();
        assert!(
            out.contains("precision") && out.contains("popularity"),
            "{model}: {out}"
        );
        for file in [
            "run.toml",
            "config.toml",
            "ids.json",
            "train_indptr.npy",
            "popularity.npy",
            "metrics.json",
            "train.log",
        ] {
            assert!(run.join(file).exists(), "{model}: {file}");
        }
        let recs = scratch.path(&format!("recs-{model}.csv"));
        scratch
            .run([
                "recommend",
                "--run",
                s(&run),
                "--users",
                "all",
                "--top",
                "5",
                "--out",
                s(&recs),
            ])
            .ok();
        let rows = read_recs(&recs);
        let mut per_user: BTreeMap<&str, Vec<(usize, f64, &str)>> = BTreeMap::new();
        for (u, i, rank, score) in &rows {
            per_user.entry(u).or_default().push((*rank, *score, i));
        }
        assert!(
            per_user.len() > 500,
            "{model}: {} customers",
            per_user.len()
        );
        for (u, list) in &per_user {
            assert!(list.len() <= 5);
            assert_eq!(
                list.iter().map(|l| l.0).collect::<Vec<_>>(),
                (1..=list.len()).collect::<Vec<_>>(),
                "{u}: ranks start at 1"
            );
            assert!(
                list.windows(2).all(|w| w[0].1 >= w[1].1),
                "{u}: sorted by score"
            );
            let items: BTreeSet<&str> = list.iter().map(|l| l.2).collect();
            assert_eq!(items.len(), list.len(), "{u}: no repeats");
        }

        // `eval` on the same test file reproduces the metrics stored at training time.
        let json = scratch
            .run([
                "eval",
                "--run",
                s(&run),
                "--test",
                s(&test),
                "--k",
                "10",
                "--json",
            ])
            .ok()
            .to_owned();
        let mut evaluated: serde_json::Value = serde_json::from_str(&json).unwrap();
        // Every per-customer metric carries its 95 % interval and the baseline's value.
        let rows = evaluated
            .as_object_mut()
            .unwrap()
            .remove("metrics")
            .unwrap();
        let precision = &rows[0];
        assert_eq!(precision["metric"], "precision@10", "{rows}");
        let (low, value, high) = (
            precision["ci_low"].as_f64().unwrap(),
            precision["value"].as_f64().unwrap(),
            precision["ci_high"].as_f64().unwrap(),
        );
        assert!(low < value && value < high && high - low < 0.1, "{rows}");
        assert!(
            precision["baseline"].as_f64().is_some()
                && precision["baseline_ci_low"].as_f64().is_some()
        );
        // Every metric, beyond accuracy too, has an interval around its value.
        let rows = rows.as_array().unwrap();
        for metric in ["coverage", "novelty", "gini", "personalisation", "mrr"] {
            let row = rows.iter().find(|r| r["metric"] == metric).unwrap();
            let (low, value, high) = (
                row["ci_low"].as_f64().unwrap(),
                row["value"].as_f64().unwrap(),
                row["ci_high"].as_f64().unwrap(),
            );
            assert!(low <= value && value <= high, "{row}");
        }
        // Segments are listed with their customer counts, returning customers being all.
        let segments = evaluated["segments"].as_array().unwrap();
        let returning = segments
            .iter()
            .find(|s| s["kind"] == "customers" && s["name"] == "returning")
            .unwrap();
        assert_eq!(returning["customers"], evaluated["users"], "{returning}");
        let bands: u64 = segments
            .iter()
            .filter(|s| s["kind"] == "activity")
            .map(|s| s["customers"].as_u64().unwrap())
            .sum();
        assert_eq!(
            Some(bands),
            evaluated["users"].as_u64(),
            "activity bands cover everyone"
        );
        assert!(
            segments.iter().any(|s| s["kind"] == "country"),
            "{segments:?}"
        );
        let stored: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap())
                .unwrap();
        assert_eq!(evaluated, stored, "{model}");

        // --segment keeps the segments asked for; one the evaluation lacks is refused.
        let eval = |segments: &[&str]| {
            let mut args = vec!["eval", "--run", s(&run), "--test", s(&test), "--json"];
            for seg in segments {
                args.extend(["--segment", seg]);
            }
            scratch.run(args)
        };
        let only: serde_json::Value =
            serde_json::from_str(eval(&["activity", "customers:returning"]).ok()).unwrap();
        let kinds: Vec<(&str, &str)> = only["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["kind"].as_str().unwrap(), s["name"].as_str().unwrap()))
            .collect();
        assert!(
            kinds
                .iter()
                .all(|(k, n)| *k == "activity" || *n == "returning")
                && kinds.len() == 5,
            "{kinds:?}"
        );
        let err = eval(&["martians"]).input_error().to_owned();
        assert!(
            err.contains("no segment 'martians'") && err.contains("activity:2-5"),
            "{err}"
        );
    }
}

#[test]
fn recommendations_leave_out_what_was_bought_unless_asked() {
    let scratch = Scratch::new();
    let (train, _) = sample_split(&scratch);
    let run = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            s(&train),
            "--model",
            "popularity",
            "--out",
            s(&run),
        ])
        .ok();
    // The customer who bought the most distinct products in the training file.
    let text = std::fs::read_to_string(&train).unwrap();
    let mut bought: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        bought
            .entry(f[0].to_owned())
            .or_default()
            .insert(f[1].to_owned());
    }
    let (user, items) = bought.iter().max_by_key(|(_, v)| v.len()).unwrap();
    // A list longer than the catalogue shows exactly what is excluded.
    let excl = scratch
        .run([
            "recommend",
            "--run",
            s(&run),
            "--user",
            user,
            "--csv",
            "--top",
            "100000",
        ])
        .ok()
        .to_owned();
    let incl = scratch
        .run([
            "recommend",
            "--run",
            s(&run),
            "--user",
            user,
            "--csv",
            "--top",
            "100000",
            "--exclude-seen",
            "false",
        ])
        .ok()
        .to_owned();
    let listed = |text: &str| {
        text.lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_owned())
            .collect::<BTreeSet<String>>()
    };
    let (excl, incl) = (listed(&excl), listed(&incl));
    assert!(
        excl.iter().all(|i| !items.contains(i)),
        "nothing {user} bought is recommended"
    );
    assert_eq!(
        incl.difference(&excl).cloned().collect::<BTreeSet<_>>(),
        *items,
        "--exclude-seen false brings exactly the bought items back"
    );
}

#[test]
fn unknown_customers_get_the_popularity_fallback() {
    let scratch = Scratch::new();
    let (train, _) = sample_split(&scratch);
    let run = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            s(&train),
            "--set",
            "als_rank=8",
            "--set",
            "max_iter=3",
            "--out",
            s(&run),
        ])
        .ok();
    let r = scratch.run([
        "recommend",
        "--run",
        s(&run),
        "--user",
        "NOBODY",
        "--user",
        "17850.0",
        "--csv",
        "--top",
        "3",
    ]);
    let out = r.ok();
    let nobody: Vec<&str> = out.lines().filter(|l| l.starts_with("NOBODY,")).collect();
    assert_eq!(nobody.len(), 3);
    assert!(
        r.stderr.contains("popularity_fallback") && r.stderr.contains("NOBODY"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_hyperparameters_and_runs() {
    let scratch = Scratch::new();
    let data = sample("online_retail_sample.csv");
    let out = scratch.path("r");
    let err = scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--set",
            "als_rnak=10",
            "--out",
            s(&out),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("unknown hyperparameter 'als_rnak'")
            && err.contains("did you mean 'als_rank'"),
        "{err}"
    );
    let err = scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--set",
            "reg_param=-1",
            "--out",
            s(&out),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("reg_param '-1'"), "{err}");
    let err = scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--set",
            "als_rank=1000",
            "--out",
            s(&out),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("invalid als_rank '1000': must be in 1..=512"),
        "{err}"
    );
    let err = scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--set",
            "max_iter=lots",
            "--out",
            s(&out),
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("max_iter 'lots'"), "{err}");
    let err = scratch.run([
        "train",
        "--data",
        s(&data),
        "--model",
        "svd",
        "--out",
        s(&out),
    ]);
    assert_eq!(err.code, 2, "{}", err.stderr);
    assert!(err.stderr.contains("unknown model 'svd'"), "{}", err.stderr);
    assert!(!out.exists(), "nothing written for refused parameters");

    let missing = scratch.path("no-such-run");
    let err = scratch
        .run(["recommend", "--run", s(&missing), "--users", "all"])
        .input_error()
        .to_owned();
    assert!(err.contains("does not exist"), "{err}");
    let not_a_run = scratch.path("empty-dir");
    std::fs::create_dir(&not_a_run).unwrap();
    let err = scratch
        .run(["eval", "--run", s(&not_a_run), "--test", s(&data)])
        .input_error()
        .to_owned();
    assert!(err.contains("not a latent run"), "{err}");

    let run = scratch.path("run");
    scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--model",
            "popularity",
            "--out",
            s(&run),
        ])
        .ok();
    let err = scratch
        .run([
            "recommend",
            "--run",
            s(&run),
            "--users",
            "all",
            "--top",
            "0",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("--top '0'"), "{err}");
    let err = scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--model",
            "popularity",
            "--out",
            s(&run),
        ])
        .input_error()
        .to_owned();
    assert!(
        err.contains("exists and is not empty"),
        "an earlier run is never overwritten: {err}"
    );
    let meta = run.join("run.toml");
    let text = std::fs::read_to_string(&meta)
        .unwrap()
        .replace("format_version = 1", "format_version = 99");
    std::fs::write(&meta, text).unwrap();
    let err = scratch
        .run(["recommend", "--run", s(&run), "--users", "all"])
        .input_error()
        .to_owned();
    assert!(
        err.contains("format 99") && err.contains("retrain"),
        "{err}"
    );
}

#[test]
fn tiny_and_foreign_data() {
    let scratch = Scratch::new();
    let one_user = scratch.write("one-user.csv", "user_id,item_id\nu1,a\nu1,b\nu1,c\n");
    let one_item = scratch.write("one-item.csv", "user_id,item_id\nu1,a\nu2,a\nu3,a\n");
    for (name, data) in [("u", &one_user), ("i", &one_item)] {
        let run = scratch.path(&format!("run-{name}"));
        scratch
            .run([
                "train",
                "--data",
                s(data),
                "--set",
                "als_rank=4",
                "--set",
                "max_iter=2",
                "--out",
                s(&run),
            ])
            .ok();
        scratch
            .run([
                "recommend",
                "--run",
                s(&run),
                "--users",
                "all",
                "--top",
                "2",
            ])
            .ok();
    }
    // A test file whose customers and products the model has never seen is reported, not fatal.
    let run = scratch.path("run-u");
    let strangers = scratch.write("strangers.csv", "user_id,item_id\nu9,z\nu1,zz\nu1,a\n");
    let out = scratch
        .run(["eval", "--run", s(&run), "--test", s(&strangers)])
        .ok()
        .to_owned();
    assert!(
        out.contains("1 cold customers apart") && out.contains("1 pairs with unknown products"),
        "{out}"
    );
}

#[test]
fn similar_products_from_als_and_knn() {
    let scratch = Scratch::new();
    let data = sample("online_retail_sample.csv");
    for model in ["als", "item-knn", "rp3beta"] {
        let run = scratch.path(&format!("run-{model}"));
        scratch
            .run([
                "train",
                "--data",
                s(&data),
                "--model",
                model,
                "--out",
                s(&run),
            ])
            .ok();
        let out = scratch
            .run([
                "similar",
                "--run",
                s(&run),
                "--item",
                "85123A",
                "--top",
                "5",
            ])
            .ok()
            .to_owned();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "item_id,similar_item_id,rank,score,description");
        assert_eq!(lines.len(), 6, "{out}");
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with("85123A,") && !l.starts_with("85123A,85123A,")),
            "{out}"
        );
    }
    let pop = scratch.path("run-pop");
    scratch
        .run([
            "train",
            "--data",
            s(&data),
            "--model",
            "popularity",
            "--out",
            s(&pop),
        ])
        .ok();
    let err = scratch
        .run(["similar", "--run", s(&pop), "--item", "85123A"])
        .input_error()
        .to_owned();
    assert!(err.contains("no product similarity"), "{err}");
    let err = scratch
        .run([
            "similar",
            "--run",
            s(&scratch.path("run-als")),
            "--item",
            "NOPE",
        ])
        .input_error()
        .to_owned();
    assert!(err.contains("'NOPE' is not in the run"), "{err}");
}
