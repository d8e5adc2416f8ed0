//! `latent tune`: search models and settings within a time budget, write the best as a
//! run, tested once.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use signal_hook::consts::SIGINT;

use super::LoadArgs;
use super::report::write_eval;
use crate::data::RankingType;
use crate::experiment::TrainSpec;
use crate::models::ModelKind;
use crate::models::hyper::{ParamsError, RawValue, parse_assignment};
use crate::models::tuning::REBUY;
use crate::store::TrialRecord;
use crate::sweep::Metric;
use crate::tune::{TuneEvent, TuneSpec, ValidationSplit, auto_candidates, run_tune};

/// Arguments of `latent tune`.
#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// The transactions (default: [data] path of --config).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// auto (the best of ease, als, rp3beta and item-knn; als-explicit and fm for
    /// ratings), or one model (default: the workspace's `[tune] model`, auto).
    #[arg(long, value_parser = parse_tune_model)]
    pub model: Option<TuneModel>,
    /// Time for the search, e.g. 60s, 5m, 1h (the chosen model's retraining comes after;
    /// default: `[tune] budget`, 60s).
    #[arg(long, value_parser = parse_budget)]
    pub budget: Option<Duration>,
    /// Stop after this many trials even if time is left: the same seed and trials give
    /// the same search.
    #[arg(long, value_name = "N")]
    pub trials: Option<usize>,
    /// The metric trials are compared on: precision, recall, map, ndcg, hit_rate or rmse,
    /// optionally @k (default `[tune] metric`, else precision@k; rmse for ratings).
    #[arg(long)]
    pub metric: Option<String>,
    /// Seed of the search (default `[tune] seed`, 42).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Days before the test period that score the trials (default: the test period's
    /// length; with --test FILE each customer's last 20 % of training lines; else 30).
    #[arg(long, value_name = "N")]
    pub validation_days: Option<u32>,
    /// A fixed setting, kept out of the search (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The test period the chosen model is scored on, once (with --new-items-only, the
    /// validation window counts new pairs only too).
    #[command(flatten)]
    pub holdout: super::train::HoldoutArgs,
    #[command(flatten)]
    pub seen: super::train::SeenArgs,
    /// List length of the evaluation.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// The run directory to write (must not exist, or be empty).
    #[arg(long, value_name = "RUN_DIR", required_unless_present = "workspace")]
    pub out: Option<PathBuf>,
    /// Tune with this workspace's configuration and save the run in its `runs/`.
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub workspace: Option<PathBuf>,
}

/// One model, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TuneModel {
    Auto,
    One(ModelKind),
}

fn parse_tune_model(text: &str) -> Result<TuneModel, String> {
    Ok(crate::config::parse_model(text)?.map_or(TuneModel::Auto, TuneModel::One))
}

/// `60s`, `5m`, `1h` or a number of seconds; 0 is refused.
pub fn parse_budget(text: &str) -> Result<Duration, String> {
    crate::config::parse_budget(text, "--budget")
}

/// Runs `latent tune`.
pub fn run(args: &TuneArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (workspace, mut config) =
        super::train::workspace_config(args.workspace.as_deref(), &args.load)?;
    args.seen.apply(&mut config)?;
    let data = config.data_path(args.data.as_deref())?;
    let mut fixed = args
        .set
        .iter()
        .map(|s| parse_assignment(s))
        .collect::<Result<Vec<_>, _>>()?;
    // A re-buy weight on the command line is fixed, not searched.
    if let Some(w) = args.seen.rebuy {
        fixed.push((REBUY.key.to_owned(), RawValue::Text(w.to_string())));
    }
    let ratings = config.interactions.ranking_type == RankingType::Rating;
    // The command line wins over the workspace's `[tune]` table, checked when it was read.
    let table = &config.tune;
    let model = match args.model {
        Some(m) => m,
        None => parse_tune_model(&table.model).map_err(|e| anyhow::anyhow!("[tune] {e}"))?,
    };
    let models = match model {
        TuneModel::Auto => auto_candidates(ratings),
        TuneModel::One(kind) => vec![kind],
    };
    let budget = match args.budget {
        Some(b) => b,
        None => table.budget().map_err(|e| anyhow::anyhow!("[tune] {e}"))?,
    };
    let seed = args.seed.unwrap_or(table.seed);
    let metric_text = args.metric.clone().or_else(|| table.metric.clone());
    let (metric, k) = match &metric_text {
        Some(text) => {
            let (metric, k) = Metric::parse_at(text)?;
            (metric, k.unwrap_or(args.k))
        }
        None if ratings => (Metric::Rmse, args.k),
        None => (Metric::Precision, args.k),
    };
    if k == 0 {
        anyhow::bail!(ParamsError::OutOfRange {
            key: "k".into(),
            value: "0".into(),
            range: "at least 1".into()
        });
    }
    let holdout = args.holdout.holdout();
    if args.validation_days == Some(0) {
        anyhow::bail!(ParamsError::OutOfRange {
            key: "--validation-days".into(),
            value: "0".into(),
            range: "at least 1".into()
        });
    }
    // The recency half-life is the data's setting and the re-buy weight the lists'.
    let model_fixed: Vec<_> = (fixed.iter())
        .filter(|(key, _)| !crate::models::tuning::is_outside_model(key))
        .cloned()
        .collect();
    let base = TrainSpec::new(config, data, models[0], &model_fixed, holdout.clone(), k)?;
    // A rating predictor on a file whose aggregation nobody chose learns from ratings:
    // it is chosen on them too.
    let metric = if metric_text.is_none() && base.rating_implied {
        Metric::Rmse
    } else {
        metric
    };
    let spec = TuneSpec {
        base,
        models,
        fixed,
        metric,
        budget,
        max_trials: args.trials,
        seed,
        validation: ValidationSplit::mirroring(&holdout, args.validation_days),
    };
    crate::tune::check(&spec)?;
    if !spec.base.data.exists() {
        return Err(crate::data::LoadError::NotFound {
            path: spec.base.data.clone(),
        }
        .into());
    }
    let _lock = workspace
        .as_ref()
        .map(|ws| ws.lock("latent tune"))
        .transpose()?;
    if args.out.is_none() && workspace.is_none() {
        anyhow::bail!("choose --out RUN_DIR or --workspace DIR");
    }
    // The folder is made only once there is a run to write, named after its model.
    let mut dir_for = |model: ModelKind| match (&args.out, &workspace) {
        (Some(dir), _) => Ok(dir.clone()),
        (None, Some(ws)) => ws.claim_run_dir(&format!("{}-tuned", model.name())),
        (None, None) => Err(std::io::Error::other("no run folder given")),
    };
    let metric_name = format!("{}@{k}", metric.name());
    let mut failed: Option<std::io::Error> = None;
    let mut on_event = |event: TuneEvent| {
        let written = match &event {
            TuneEvent::Loaded { lines } => writeln!(out, "loaded {lines} lines"),
            TuneEvent::Validation { label, customers } => writeln!(
                out,
                "trials are scored on {label} ({customers} customers); the test period stays unseen\n{:>5}  {:<12} {:>12} {:>8}  settings",
                "trial", "model", metric_name, "seconds"
            ),
            TuneEvent::LeftOut { model, why } => {
                let m = model.name();
                writeln!(out, "{m} left out: {why} (or --model {m})")
            }
            TuneEvent::Trial(t) => writeln!(out, "{}", trial_line(t)),
            TuneEvent::Retraining { trial } => writeln!(
                out,
                "retraining trial {trial} on the whole training window for the test period"
            ),
        };
        if let Err(e) = written {
            failed.get_or_insert(e);
        }
    };
    // The first Ctrl-C ends the search and keeps the best so far; a second one ends the
    // process at once (exit 130), as a shell user expects of a stuck command.
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(&stop))?;
    signal_hook::flag::register(SIGINT, Arc::clone(&stop))?;
    let should_stop = || stop.load(Ordering::SeqCst);
    let report = run_tune(&spec, &mut dir_for, &mut on_event, &should_stop)?;
    if report.tag.cancelled {
        writeln!(
            out,
            "search stopped by Ctrl-C after {} trials; the best so far was kept",
            report.tag.trials.len()
        )?;
    }
    if let Some(e) = failed {
        return Err(e.into());
    }
    let Some(best) = report.best() else {
        anyhow::bail!(
            "no trial finished within the budget: every one failed or was stopped (see the lines above); no run was written"
        );
    };
    writeln!(
        out,
        "best: trial {} ({} {}) with validation {metric_name} {:.4}",
        best.trial,
        best.model.name(),
        crate::sweep::describe(
            &best
                .settings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        ),
        best.validation.unwrap_or(f64::NAN)
    )?;
    if let Some((dir, run)) = &report.run {
        if let Some(metrics) = &run.metrics {
            writeln!(out, "{}", crate::tune::SELECTION)?;
            write_eval(metrics, out)?;
        }
        writeln!(out, "run written to {}", dir.display())?;
    }
    Ok(())
}

/// A trial as a row of the CLI's table.
fn trial_line(t: &TrialRecord) -> String {
    let settings: Vec<String> = t.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let value = match (t.validation, &t.error) {
        (Some(v), _) => format!("{v:.4}"),
        (None, _) => "-".to_owned(),
    };
    let mut line = format!(
        "{:>5}  {:<12} {:>12} {:>8.2}  {}",
        t.trial,
        t.model.name(),
        value,
        t.seconds,
        settings.join(" ")
    );
    if let Some(e) = &t.error {
        line = format!("{line}  ({e})");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_read_with_units_and_zero_is_refused() {
        assert_eq!(parse_budget("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_budget("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_budget("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_budget("0.5h"), Ok(Duration::from_secs(1800)));
        let zero = parse_budget("0s").unwrap_err();
        assert!(
            zero.contains("'0s'") && zero.contains("more than 0"),
            "{zero}"
        );
        assert!(parse_budget("soon").unwrap_err().contains("'soon'"));
        assert!(parse_budget("5d").is_err());
    }

    #[test]
    fn model_names_and_typos() {
        assert_eq!(parse_tune_model("auto"), Ok(TuneModel::Auto));
        assert_eq!(
            parse_tune_model("ease"),
            Ok(TuneModel::One(ModelKind::Ease))
        );
        let typo = parse_tune_model("rp3bta").unwrap_err();
        assert!(typo.contains("did you mean 'rp3beta'"), "{typo}");
        assert!(parse_tune_model("popularity").is_err());
    }
}
