//! `latent train`: fit a model headlessly and write a run directory.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use anyhow::Context;

use super::LoadArgs;
use super::report::write_eval;
use crate::config::WorkspaceConfig;
use crate::experiment::{Holdout, RunError, Source, Stage, TrainSpec, log_line, train_into};
use crate::models::ModelKind;
use crate::models::hyper::{ParamsError, parse_assignment};
use crate::workspace::Workspace;

/// Arguments of `latent train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The transactions (default: [data] path of --config).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// als, als-explicit, fm, rp3beta, popularity or item-knn.
    #[arg(long, default_value = "als", value_parser = parse_model)]
    pub model: ModelKind,
    /// A hyperparameter, e.g. --set als_rank=32 (repeatable; overrides the workspace's [als],
    /// or its [fm] with --model fm).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub holdout: HoldoutArgs,
    #[command(flatten)]
    pub seen: SeenArgs,
    /// List length for the evaluation.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// The run directory to write (must not exist, or be empty).
    #[arg(long, value_name = "RUN_DIR", required_unless_present = "workspace")]
    pub out: Option<PathBuf>,
    /// Train with this workspace's configuration and save the run in its `runs/` (under
    /// its lock); `--config` and `--out` are then not needed.
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub workspace: Option<PathBuf>,
    /// Refit this evaluated run for production: its model, settings, cleaning and window
    /// on all the data, nothing held out (`--data` points at newer data). The run is
    /// kept as the new run's parent.
    #[arg(
        long,
        value_name = "RUN_DIR",
        conflicts_with_all = ["model", "set", "test", "test_last_days", "new_items_only"]
    )]
    pub refit_from: Option<PathBuf>,
}

/// Where the test data comes from, as `train` and `tune` take it.
#[derive(Debug, clap::Args)]
pub struct HoldoutArgs {
    /// Evaluate on this test file (same mapping and cleaning).
    #[arg(long, value_name = "FILE", group = "holdout")]
    pub test: Option<PathBuf>,
    /// Hold out the last N days of the data and evaluate on them.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), group = "holdout")]
    pub test_last_days: Option<u32>,
    /// With --test-last-days: only pairs the customer had not bought before count.
    #[arg(long)]
    pub new_items_only: bool,
}

impl HoldoutArgs {
    pub fn holdout(&self) -> Holdout {
        match (&self.test, self.test_last_days) {
            (Some(path), _) => Holdout::File(path.clone()),
            (None, Some(days)) => Holdout::LastDays {
                days,
                new_items_only: self.new_items_only,
            },
            (None, None) => Holdout::None,
        }
    }
}

/// How the evaluated lists treat products the customer already bought, as `train` and
/// `tune` take it (the workspace's `[overrides]` otherwise).
#[derive(Debug, clap::Args)]
pub struct SeenArgs {
    /// Leave out products the customer already bought; `false` lets re-buys count, and
    /// the evaluation then reports repeat and explore hits apart.
    #[arg(long, action = clap::ArgAction::Set, value_name = "true|false")]
    pub exclude_seen: Option<bool>,
    /// With --exclude-seen false: blend the customer's own products into the lists, from
    /// 0 (the model alone) to 1 (own products first); default 0.8, and `tune` searches
    /// it when not given.
    #[arg(long, value_name = "0..1")]
    pub rebuy: Option<f32>,
}

impl SeenArgs {
    /// Writes the flags into `config`'s rules.
    pub fn apply(&self, config: &mut WorkspaceConfig) -> Result<(), ParamsError> {
        if let Some(v) = self.exclude_seen {
            config.overrides.exclude_seen = v;
        }
        if let Some(w) = self.rebuy {
            crate::models::hyper::check_range("--rebuy", f64::from(w), 0.0, 1.0)?;
            config.overrides.rebuy = Some(w);
        }
        Ok(())
    }
}

/// The workspace `--workspace` names (opened) and the configuration to train with: its
/// `workspace.toml`, or `--config`'s.
pub fn workspace_config(
    workspace: Option<&std::path::Path>,
    load: &LoadArgs,
) -> anyhow::Result<(Option<Workspace>, WorkspaceConfig)> {
    let workspace = workspace.map(Workspace::open).transpose()?;
    let config = match &workspace {
        Some(ws) => {
            let mut load = load.clone();
            load.config = Some(ws.config_path.clone());
            load.workspace()?
        }
        None => load.workspace()?,
    };
    Ok((workspace, config))
}

/// Parses a model name for clap; a typo is answered with the nearest name.
pub fn parse_model(text: &str) -> Result<ModelKind, String> {
    ModelKind::parse(text).ok_or_else(|| unknown_model(text, &[]))
}

/// Why `text` names no model: the nearest of the model names and `extra` ones, or all.
pub fn unknown_model(text: &str, extra: &[&'static str]) -> String {
    let names: Vec<&str> = ModelKind::ALL
        .iter()
        .map(|k| k.name())
        .chain(extra.iter().copied())
        .collect();
    match crate::models::hyper::nearest(text, &names) {
        Some(near) => format!("unknown model '{text}': did you mean '{near}'?"),
        None => format!("unknown model '{text}': choose one of {}", names.join(", ")),
    }
}

/// Runs `latent train`.
pub fn run(args: &TrainArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (workspace, mut config) = workspace_config(args.workspace.as_deref(), &args.load)?;
    args.seen.apply(&mut config)?;
    let overrides = args
        .set
        .iter()
        .map(|s| parse_assignment(s))
        .collect::<Result<Vec<_>, _>>()?;
    if args.k == 0 {
        anyhow::bail!(crate::models::hyper::ParamsError::OutOfRange {
            key: "k".into(),
            value: "0".into(),
            range: "at least 1".into()
        });
    }
    let holdout = args.holdout.holdout();
    // Bad hyperparameters or a missing file are refused before a run folder exists.
    let spec = match &args.refit_from {
        Some(parent) => refit_spec(parent, args.data.clone())?,
        None => {
            let data = config.data_path(args.data.as_deref())?;
            TrainSpec::new(config, data, args.model, &overrides, holdout, args.k)?
        }
    };
    if !spec.data.exists() {
        return Err(crate::data::LoadError::NotFound {
            path: spec.data.clone(),
        }
        .into());
    }
    let _lock = workspace
        .as_ref()
        .map(|ws| ws.lock("latent train"))
        .transpose()?;
    let dir = match (&args.out, &workspace) {
        (Some(dir), _) => dir.clone(),
        (None, Some(ws)) => ws
            .claim_run_dir(spec.model.name())
            .with_context(|| format!("creating a run folder in '{}'", ws.runs_dir().display()))?,
        (None, None) => anyhow::bail!("choose --out RUN_DIR or --workspace DIR"),
    };
    let interactive = std::io::stderr().is_terminal();
    let mut on_stage = |stage: &Stage| {
        let line = log_line(stage);
        tracing::info!("{line}");
        if interactive {
            let mut err = std::io::stderr();
            let _ = write!(err, "\r\x1b[2K{line}");
            if !matches!(stage, Stage::Epoch(_)) {
                let _ = writeln!(err);
            }
        }
        ControlFlow::Continue(())
    };
    let result = train_into(&spec, Source::File, &dir, &mut on_stage, &mut |_| {});
    if interactive {
        let _ = writeln!(std::io::stderr());
    }
    let run = match result {
        Ok(run) => run,
        // The library's error itself, so the exit code and message are the training's.
        Err(RunError::Train(e)) => return Err(e.into()),
        Err(e) => return Err(e.into()),
    };
    if spec.rating_implied && run.meta.ranking_type == "rating" {
        writeln!(
            out,
            "ranking_type = rating: {} predicts ratings, so it learned from the file's rating column (set ranking_type, or --ranking-type, to aggregate otherwise)",
            spec.model.name()
        )?;
    }
    writeln!(
        out,
        "trained {} on {} customers x {} products ({} pairs) in {:.2}s",
        spec.model.name(),
        run.meta.users,
        run.meta.items,
        run.meta.nnz,
        run.meta.train_seconds
    )?;
    if let Some(last) = run.meta.history.last() {
        writeln!(
            out,
            "final loss {:.6} after {} iterations",
            last.loss, last.iteration
        )?;
    }
    if let Some(report) = &run.metrics {
        write_eval(report, out)?;
    }
    if let Some(parent) = &spec.parent {
        writeln!(
            out,
            "refit of run {parent} on all the data: its evaluation stays with {parent}"
        )?;
    }
    writeln!(out, "run written to {}", dir.display())?;
    Ok(())
}

/// The request refitting the run in `parent` on all of `data` (its own file by default).
fn refit_spec(parent: &std::path::Path, data: Option<PathBuf>) -> anyhow::Result<TrainSpec> {
    let run = crate::store::Run::load(parent)
        .with_context(|| format!("--refit-from '{}'", parent.display()))?;
    let label = parent.file_name().map_or_else(
        || parent.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(TrainSpec::refit(&run, data, &label)?)
}
