use crate::util::{Scratch, root, s, sample};

fn metrics(run: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap()
}

fn lift(m: &serde_json::Value) -> f64 {
    m["model"]["precision"].as_f64().unwrap() / m["baseline"]["precision"].as_f64().unwrap() - 1.0
}

/// Trains on the demo workspace (the whole Online Retail log) with the last 30 days held
/// out, new purchases only, and returns the run's metrics and `run.toml`.
fn train_on_online_retail(scratch: &Scratch, model: &str) -> (serde_json::Value, String) {
    let run = scratch.path(model);
    let ws = root().join("workspaces/demo/workspace.toml");
    scratch
        .run([
            "train",
            "--config",
            s(&ws),
            "--model",
            model,
            "--test-last-days",
            "30",
            "--new-items-only",
            "--out",
            s(&run),
        ])
        .ok();
    let toml = std::fs::read_to_string(run.join("run.toml")).unwrap();
    (metrics(&run), toml)
}

/// ALS with no settings at all: the defaults for purchase logs (64 factors, reg_param
/// 0.01, 15 sweeps) reach 0.076, where Spark's generic ones reached 0.058.
#[test]
fn als_beats_popularity_on_online_retail_new_purchases() {
    let (m, toml) = train_on_online_retail(&Scratch::new(), "als");
    let p = m["model"]["precision"].as_f64().unwrap();
    assert!(m["users"].as_u64().unwrap() > 1000, "{m}");
    assert!(p >= 0.072, "precision@10 {p:.4} with the defaults: {m}");
    assert!(lift(&m) >= 1.20, "precision@10 lift {:.3}: {m}", lift(&m));
    assert!(toml.contains("als_rank = \"64\""), "{toml}");
}

/// EASE with no settings, on the same split: one closed-form solve, above ALS's
/// defaults and above the best of a 16-config grid of the Python library `implicit`
/// (0.0754, `scripts/peer_implicit.py`).
#[test]
fn ease_defaults_beat_the_implicit_peer_on_online_retail_new_purchases() {
    let (m, toml) = train_on_online_retail(&Scratch::new(), "ease");
    let p = m["model"]["precision"].as_f64().unwrap();
    assert!(m["users"].as_u64().unwrap() > 1000, "{m}");
    assert!(p >= 0.0754, "precision@10 {p:.4}: {m}");
    assert!(toml.contains("lambda = \"500\""), "{toml}");
}

/// RP3beta with no settings, on the same split as ALS above: its defaults were chosen for
/// purchase logs like this one, and it must stay well clear of popularity (0.031) and of
/// the collapse that a too-strong popularity penalty causes (0.02).
#[test]
fn rp3beta_defaults_beat_popularity_on_online_retail_new_purchases() {
    let (m, toml) = train_on_online_retail(&Scratch::new(), "rp3beta");
    let p = m["model"]["precision"].as_f64().unwrap();
    assert!(m["users"].as_u64().unwrap() > 1000, "{m}");
    assert!(p >= 0.055, "precision@10 {p:.4}: {m}");
    assert!(lift(&m) >= 0.60, "precision@10 lift {:.3}: {m}", lift(&m));
    assert!(
        toml.contains("rp3beta") && toml.contains("beta"),
        "the run keeps its model and settings: {toml}"
    );
}

/// A model worse than popularity is flagged, never shown as if it were fine: RP3beta with
/// a popularity penalty far past its useful range recommends products almost nobody buys.
#[test]
fn a_model_below_popularity_is_flagged_in_the_summary() {
    let scratch = Scratch::new();
    let run = scratch.path("bad");
    let ws = root().join("workspaces/demo/workspace.toml");
    let out = scratch
        .run([
            "train",
            "--config",
            s(&ws),
            "--model",
            "rp3beta",
            "--set",
            "beta=2",
            "--test-last-days",
            "30",
            "--new-items-only",
            "--out",
            s(&run),
        ])
        .ok()
        .to_owned();
    let m = metrics(&run);
    assert!(lift(&m) < 0.0, "the setting is meant to be bad: {m}");
    assert!(
        out.contains("WARNING: rp3beta ranks below the popularity baseline"),
        "{out}"
    );
}

fn movielens() -> std::path::PathBuf {
    let data_dir = sample("ml-100k");
    if !data_dir.join("ml-100k.inter").exists() {
        let status = std::process::Command::new("bash")
            .arg(root().join("scripts/fetch-ml100k.sh"))
            .status()
            .expect("run fetch script");
        assert!(
            status.success(),
            "scripts/fetch-ml100k.sh failed: MovieLens-100k comes from the PyPI wheel recbole==1.2.1"
        );
    }
    data_dir
}

#[test]
fn explicit_als_predicts_movielens_ratings() {
    let inter = movielens().join("ml-100k.inter");
    let scratch = Scratch::new();
    let (train, test, run) = (
        scratch.path("train.csv"),
        scratch.path("test.csv"),
        scratch.path("run"),
    );
    scratch
        .run([
            "data",
            "split",
            s(&inter),
            "--per-user-fraction",
            "0.2",
            "--train-out",
            s(&train),
            "--test-out",
            s(&test),
        ])
        .ok();
    let args = [
        "train",
        "--data",
        s(&train),
        "--test",
        s(&test),
        "--model",
        "als-explicit",
        "--ranking-type",
        "rating",
    ];
    scratch
        .run(args.into_iter().chain([
            "--set",
            "als_rank=10",
            "--set",
            "max_iter=15",
            "--out",
            s(&run),
        ]))
        .ok();
    let m = metrics(&run);
    let rmse = m["model"]["rmse"].as_f64().unwrap();
    let mae = m["model"]["mae"].as_f64().unwrap();
    assert!(rmse < 1.0, "RMSE {rmse}");
    assert!(mae < rmse, "MAE {mae} RMSE {rmse}");
}

#[test]
fn als_beats_popularity_on_movielens_100k() {
    let data_dir = movielens();
    let scratch = Scratch::new();
    // Ratings of 4 and 5 are the positives; each user's last 20 % of them, by time, is the test.
    let ws = scratch.write(
        "ml.toml",
        "[interactions]\nmin_rating = 4\nranking_type = \"binary\"\n",
    );
    let (train, test, run) = (
        scratch.path("train.csv"),
        scratch.path("test.csv"),
        scratch.path("run"),
    );
    let inter = data_dir.join("ml-100k.inter");
    scratch
        .run([
            "data",
            "split",
            s(&inter),
            "--config",
            s(&ws),
            "--per-user-fraction",
            "0.2",
            "--train-out",
            s(&train),
            "--test-out",
            s(&test),
        ])
        .ok();
    scratch
        .run([
            "train",
            "--data",
            s(&train),
            "--config",
            s(&ws),
            "--test",
            s(&test),
            "--set",
            "als_rank=64",
            "--set",
            "max_iter=15",
            "--out",
            s(&run),
        ])
        .ok();
    let m = metrics(&run);
    assert!(m["users"].as_u64().unwrap() > 900, "{m}");
    assert!(lift(&m) >= 0.30, "precision@10 lift {:.3}: {m}", lift(&m));
}

/// The default cold-start policy is the one that wins on real data: on the last 90 days
/// of Online Retail (about 260 new customers who came back after their first day),
/// fold-in must beat both popularity policies on precision and NDCG.
#[test]
fn default_cold_start_policy_wins_on_online_retail() {
    let scratch = Scratch::new();
    let run = scratch.path("run");
    scratch
        .run([
            "train",
            "--config",
            "workspaces/demo/workspace.toml",
            "--test-last-days",
            "90",
            "--out",
            s(&run),
        ])
        .ok();
    let m = metrics(&run);
    let cold = &m["cold"];
    assert!(cold["users"].as_u64().unwrap() >= 200, "{cold}");
    let default = latent::recommend::ColdStartPolicy::default().name();
    assert_eq!(cold["policy"], default);
    let by: Vec<(String, f64, f64)> = cold["by_policy"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1]["precision"].as_f64().unwrap(),
                p[1]["ndcg"].as_f64().unwrap(),
            )
        })
        .collect();
    let best_precision = by.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let best_ndcg = by.iter().max_by(|a, b| a.2.total_cmp(&b.2)).unwrap();
    assert_eq!(best_precision.0, default, "{by:?}");
    assert_eq!(best_ndcg.0, default, "{by:?}");
}
