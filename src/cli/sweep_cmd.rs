//! `latent sweep`: try many hyperparameter configurations, keep every run, test the best.

use std::io::Write;
use std::path::PathBuf;

use super::report::write_eval;
use crate::experiment::{Holdout, TrainSpec};
use crate::models::ModelKind;
use crate::models::hyper::parse_assignment;
use crate::sweep::space::{Axis, configurations};
use crate::sweep::{Metric, SweepEvent, SweepSpec, describe, run_sweep};
use crate::workspace::Workspace;

/// Arguments of `latent sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// The workspace (default: the one of the current folder, else workspaces/demo); runs
    /// are saved in its `runs/`, under its lock.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Any model: als, als-explicit, fm, rp3beta, popularity or item-knn.
    #[arg(long, default_value = "als", value_parser = super::train::parse_model)]
    pub model: ModelKind,
    /// Values to try: `als_rank=16,32,64` (repeatable; the grid is their product).
    #[arg(long, value_name = "KEY=V1,V2")]
    pub grid: Vec<String>,
    /// A range for random search: `reg_param=0.001..1:log`, `als_rank=8..64:int`.
    #[arg(long, value_name = "KEY=LO..HI")]
    pub range: Vec<String>,
    /// Draw this many random configurations instead of the full grid.
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// A fixed hyperparameter for every trial (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The metric that picks the best: precision, recall, map, ndcg, hit_rate, rmse.
    #[arg(long, default_value = "ndcg")]
    pub metric: String,
    /// Days at the end of the data kept for the final test (0: no test).
    #[arg(long, default_value_t = 30)]
    pub test_last_days: u32,
    /// Days before the test period that score the trials.
    #[arg(long, default_value_t = 30)]
    pub validation_days: u32,
    /// Trials trained at once.
    #[arg(long, default_value_t = 1)]
    pub parallel: usize,
    /// List length of the evaluation.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
}

/// Runs `latent sweep`.
pub fn run(args: &SweepArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let ws = match &args.workspace {
        Some(d) => Workspace::open(d)?,
        None => Workspace::discover(&std::env::current_dir()?)?,
    };
    let metric = Metric::parse(&args.metric)?;
    let mut axes = Vec::new();
    for g in &args.grid {
        axes.push(Axis::parse_values(g)?);
    }
    for r in &args.range {
        axes.push(Axis::parse_range(r)?);
    }
    if axes.is_empty() {
        anyhow::bail!(crate::models::hyper::ParamsError::Invalid(
            "nothing to sweep: give --grid KEY=V1,V2 or --range KEY=LO..HI with --random N".into()
        ));
    }
    let configs = configurations(&axes, args.random, args.seed)?;
    let overrides = args
        .set
        .iter()
        .map(|s| parse_assignment(s))
        .collect::<Result<Vec<_>, _>>()?;
    let holdout = if args.test_last_days == 0 {
        Holdout::None
    } else {
        Holdout::LastDays {
            days: args.test_last_days,
            new_items_only: false,
        }
    };
    let data = ws.config.data_path(None)?;
    let base = TrainSpec::new(
        ws.config.clone(),
        data,
        args.model,
        &overrides,
        holdout,
        args.k.max(1),
    )?;
    let spec = SweepSpec {
        base,
        configurations: configs,
        metric,
        validation_days: args.validation_days.max(1),
        parallel: args.parallel,
    };
    let _lock = ws.lock("latent sweep")?;
    writeln!(
        out,
        "sweep of {} {} configurations in {}, chosen by validation {} (last {} days before the test)",
        spec.configurations.len(),
        args.model.name(),
        ws.root.display(),
        metric.name(),
        spec.validation_days
    )?;
    let report = run_sweep(
        &ws,
        &spec,
        &|event| {
            let line = match event {
                SweepEvent::Loaded { lines } => {
                    format!("loaded {lines} lines once for every trial")
                }
                SweepEvent::TrialFinished(t) => match (&t.validation, &t.error) {
                    (Some(v), _) => format!(
                        "trial {:>3}  {:<40} {} {v:.4}",
                        t.trial,
                        describe(&t.params),
                        metric.name()
                    ),
                    (None, Some(e)) => format!(
                        "trial {:>3}  {:<40} failed: {e}",
                        t.trial,
                        describe(&t.params)
                    ),
                    (None, None) => format!(
                        "trial {:>3}  {:<40} no metrics",
                        t.trial,
                        describe(&t.params)
                    ),
                },
                SweepEvent::FinalStarted { trial } => {
                    format!("retraining trial {trial} with the test period held out")
                }
            };
            let mut err = std::io::stderr();
            let _ = writeln!(err, "{line}");
        },
        &|| false,
    )?;
    writeln!(
        out,
        "{:<6} {:<40} {:>10}  run",
        "trial",
        "configuration",
        metric.name()
    )?;
    for (i, t) in report.trials.iter().enumerate() {
        let mark = if report.best == Some(i) { " ★" } else { "" };
        let value = t
            .validation
            .map_or_else(|| "failed".to_owned(), |v| format!("{v:.4}"));
        writeln!(
            out,
            "{:<6} {:<40} {value:>10}  {}{mark}",
            t.trial,
            describe(&t.params),
            t.dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        )?;
    }
    match (&report.final_dir, &report.test, &report.final_error) {
        (Some(dir), Some(test), _) => {
            writeln!(out, "best configuration retrained: {}", dir.display())?;
            write_eval(test, out)?;
        }
        (Some(dir), None, _) => writeln!(
            out,
            "best configuration retrained on all data: {}",
            dir.display()
        )?,
        (None, _, Some(e)) => writeln!(out, "retraining the best configuration failed: {e}")?,
        (None, _, None) => writeln!(out, "no trial produced a {} value", metric.name())?,
    }
    Ok(())
}
