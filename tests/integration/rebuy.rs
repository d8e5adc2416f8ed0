//! Re-buys shown (`--exclude-seen false`) on Online Retail, last 30 days held out: the
//! evaluation reports repeat and explore hits apart with the customers' own products as
//! a bar, the default re-buy blend clears that bar where the model alone does not, tune
//! chooses the blend, and the lists say which products are re-buys.

use crate::util::{Scratch, demo_config as demo, s};

fn metrics(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}

fn train(scratch: &Scratch, out: &str, extra: &[&str]) -> (serde_json::Value, String) {
    let dir = scratch.path(out);
    let demo = demo();
    let mut args = vec![
        "train",
        "--config",
        &demo,
        "--model",
        "als",
        "--test-last-days",
        "30",
        "--exclude-seen",
        "false",
        "--out",
        s(&dir),
    ];
    args.extend_from_slice(extra);
    let stdout = scratch.run(args).ok().to_owned();
    (metrics(&dir), stdout)
}

fn precision(m: &serde_json::Value) -> f64 {
    m["model"]["precision"].as_f64().unwrap()
}

/// The default blend (0.8) against the model alone: the model alone lists staples but
/// ranks below own products and is flagged; the blend clears them (0.285 against 0.283,
/// the model alone 0.22).
#[test]
fn repeat_and_explore_are_reported_apart_and_the_default_blend_clears_own_products() {
    let scratch = Scratch::new();
    let (m, out) = train(&scratch, "blend", &[]);
    let rep = &m["repeat"];
    let share = rep["truth_repeat_share"].as_f64().unwrap();
    assert!(
        (0.3..0.6).contains(&share),
        "re-buy share of the test {share}: {m}"
    );
    let own = rep["rebuy_only_precision"].as_f64().unwrap();
    assert!(own > 0.25, "own products alone {own}: {m}");
    let p = precision(&m);
    assert!(
        p >= own,
        "the default blend {p:.4} against own products {own:.4}: {m}"
    );
    assert!(
        p >= 3.0 * m["baseline"]["precision"].as_f64().unwrap(),
        "{m}"
    );
    let (rp, ep) = (
        rep["model"]["repeat"]["precision"].as_f64().unwrap(),
        rep["model"]["explore"]["precision"].as_f64().unwrap(),
    );
    assert!(
        (rp + ep - p).abs() < 1e-9,
        "repeat {rp} + explore {ep} = precision {p}"
    );
    for row in [
        "repeat precision",
        "explore precision",
        "bought in list",
        "own products",
    ] {
        assert!(out.contains(row), "{row} missing:\n{out}");
    }
    assert!(!out.contains("WARNING"), "{out}");

    let (alone, out) = train(&scratch, "alone", &["--rebuy", "0"]);
    assert!(precision(&alone) < own, "{alone}");
    assert!(
        out.contains("WARNING: als ranks below the customers' own products alone"),
        "{out}"
    );
    // The CLI names its flag; the workbench, shown the same run, names its keys.
    assert!(
        out.contains("blend re-buys in, or let a search choose the blend (--rebuy W from 0 to 1, or `latent tune` to choose W; [overrides] rebuy in workspace.toml)"),
        "{out}"
    );
    let (mut app, _) = latent::tui::app::AppState::new(crate::tui_screens::workspace());
    crate::tui_screens::open_run_in_inspect(&mut app, &scratch.path("alone"));
    crate::tui_screens::key(&mut app, ratatui::crossterm::event::KeyCode::Char('7'));
    let screen = crate::tui_screens::draw(&app, 120, 40);
    assert!(
        screen.contains("(r on Inspect blends them in; a on Tune")
            && screen.contains("searches the blend)")
            && !screen.contains("--rebuy"),
        "{screen}"
    );

    // The lists name re-buys as such.
    let listed = scratch
        .run([
            "recommend",
            "--run",
            s(&scratch.path("blend")),
            "--users",
            "all",
            "--csv",
            "--top",
            "5",
        ])
        .ok()
        .to_owned();
    let reasons: Vec<&str> = listed
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap())
        .collect();
    let rebuys = reasons.iter().filter(|r| **r == "rebuy").count();
    assert!(
        rebuys * 2 > reasons.len(),
        "{rebuys} of {} listed are re-buys",
        reasons.len()
    );
    assert!(reasons.contains(&"model"), "new products still appear");
}

/// Tune moves the blend and the half-life with the model's settings, records them in
/// every trial, and the chosen run keeps its blend.
#[test]
fn tune_chooses_the_blend_and_the_run_keeps_it() {
    let scratch = Scratch::new();
    let dir = scratch.path("tuned");
    let demo = demo();
    let out = scratch
        .run([
            "tune",
            "--config",
            &demo,
            "--model",
            "ease",
            "--trials",
            "8",
            "--budget",
            "30m",
            "--seed",
            "3",
            "--test-last-days",
            "30",
            "--exclude-seen",
            "false",
            "--out",
            s(&dir),
        ])
        .ok()
        .to_owned();
    let toml: toml::Table = std::fs::read_to_string(dir.join("run.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let trials = toml["tune"]["trials"].as_array().unwrap();
    let blends: Vec<f64> = trials
        .iter()
        .map(|t| t["settings"]["rebuy"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        blends.iter().any(|&w| (w - 0.8).abs() > 1e-6),
        "the search moves the blend: {blends:?}"
    );
    // After the defaults (no weighting), the half-life that weighs the channel moves too.
    assert!(
        trials[1..]
            .iter()
            .all(|t| t["settings"].get("recency_half_life_days").is_some()),
        "{trials:?}"
    );
    let best = toml["tune"]["best_trial"].as_integer().unwrap() as usize;
    let chosen: f64 = blends[best - 1];
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let kept: toml::Table = config.parse().unwrap();
    let rebuy = kept["overrides"]["rebuy"].as_float().unwrap();
    assert!(
        (rebuy - chosen).abs() < 1e-4,
        "{rebuy} against {chosen}:\n{config}"
    );
    let m = metrics(&dir);
    let own = m["repeat"]["rebuy_only_precision"].as_f64().unwrap();
    assert!(precision(&m) >= own, "{m}\n{out}");
}
