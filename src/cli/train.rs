//! `latent train`: fit a model headlessly and write a run directory.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use anyhow::Context;

use super::LoadArgs;
use super::report::write_eval;
use crate::experiment::{Holdout, RunError, Source, Stage, TrainSpec, log_line, train_into};
use crate::models::ModelKind;
use crate::models::hyper::parse_assignment;

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
    /// Evaluate on this test file (same mapping and cleaning).
    #[arg(long, value_name = "FILE", group = "holdout")]
    pub test: Option<PathBuf>,
    /// Hold out the last N days of the data and evaluate on them.
    #[arg(long, value_name = "N", group = "holdout")]
    pub test_last_days: Option<u32>,
    /// With --test-last-days: only pairs the customer had not bought before count.
    #[arg(long)]
    pub new_items_only: bool,
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
}

/// Parses a model name for clap.
pub fn parse_model(text: &str) -> Result<ModelKind, String> {
    ModelKind::parse(text).ok_or_else(|| {
        format!(
            "unknown model '{text}': choose one of {}",
            ModelKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Runs `latent train`.
pub fn run(args: &TrainArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let workspace = args
        .workspace
        .as_deref()
        .map(crate::workspace::Workspace::open)
        .transpose()?;
    let config = match &workspace {
        Some(ws) => {
            let mut load = args.load.clone();
            load.config = Some(ws.config_path.clone());
            load.workspace()?
        }
        None => args.load.workspace()?,
    };
    let data = config.data_path(args.data.as_deref())?;
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
    let holdout = match (&args.test, args.test_last_days) {
        (Some(path), _) => Holdout::File(path.clone()),
        (None, Some(days)) => Holdout::LastDays {
            days,
            new_items_only: args.new_items_only,
        },
        (None, None) => Holdout::None,
    };
    // Bad hyperparameters or a missing file are refused before a run folder exists.
    let spec = TrainSpec::new(config, data, args.model, &overrides, holdout, args.k)?;
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
    writeln!(out, "run written to {}", dir.display())?;
    Ok(())
}
