//! `latent backtest`: 2011 in 30-day steps on Online Retail, three policies scored on
//! every buyer of the next 30 days; and the refusals.

use crate::util::{Scratch, demo_config};

#[test]
fn retraining_beats_an_ageing_model_and_updates_stay_close() {
    let scratch = Scratch::new();
    let config = demo_config();
    let out = scratch
        .run([
            "backtest",
            "--config",
            &config,
            "--every",
            "30d",
            "--horizon",
            "30d",
            "--from",
            "20110101",
            "--json",
        ])
        .ok()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 11, "{out}");
    assert_eq!(steps[0]["date"], "2011-01-01");
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["model_age_days"].as_i64(), Some(30 * i as i64));
        for key in [
            "never",
            "update",
            "retrain",
            "popularity",
            "psi_since_first",
        ] {
            assert!(s[key].as_f64().unwrap().is_finite(), "{key}: {s}");
        }
        assert!(s["customers"].as_u64().unwrap() > 300, "{s}");
    }
    // The first step's three models are one model.
    assert_eq!(steps[0]["never"], steps[0]["retrain"]);
    let mean = |name: &str| {
        v["mean"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m[0] == name)
            .unwrap()[1]
            .as_f64()
            .unwrap()
    };
    let (never, update, retrain, popularity) = (
        mean("never"),
        mean("update"),
        mean("retrain"),
        mean("popularity"),
    );
    assert!(
        retrain > never * 1.1,
        "retrain {retrain:.4}, never {never:.4}"
    );
    assert!(
        update > 0.95 * retrain,
        "update {update:.4}, retrain {retrain:.4}"
    );
    assert!(
        retrain > popularity,
        "retrain {retrain:.4}, popularity {popularity:.4}"
    );

    // The text form ends with the answer.
    let text = scratch
        .run([
            "backtest",
            "--config",
            &config,
            "--every",
            "8w",
            "--horizon",
            "30d",
            "--from",
            "20110601",
        ])
        .ok()
        .to_owned();
    assert!(text.contains("never retraining loses"), "{text}");
    assert!(text.contains("every 56 days"), "{text}");

    let err = scratch
        .run(["backtest", "--config", &config, "--every", "0d"])
        .input_error()
        .to_owned();
    assert!(err.contains("'0d' is not a number of days"), "{err}");
    let err = scratch
        .run(["backtest", "--config", &config, "--from", "20111201"])
        .input_error()
        .to_owned();
    assert!(
        err.contains("too short") && err.contains("2011-12-09"),
        "{err}"
    );
}
