//! One run folder's life, the same wherever training starts: the CLI, the workbench's
//! jobs and sweeps adapt only what a stage means to them.
//!
//! The folder exists, marked running, before the data is read; every stage becomes a line
//! of its `train.log`; it ends finished (the run saved, `run.toml` last), failed (with the
//! error) or cancelled. So a crash, a failure or a cancel is visible in the run list
//! afterwards, whoever trained.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::{Stage, TrainSpec, train, train_on};
use crate::data::Transactions;
use crate::data::fingerprint::DataFingerprint;
use crate::error::Error;
use crate::models::FitError;
use crate::store::{Run, RunWriter, StoreError};

/// Where a run's data come from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// Read and clean `spec.data` with the spec's configuration.
    File,
    /// Lines already read and cleaned with the spec's configuration (a sweep reads once
    /// and trains many times).
    Loaded {
        transactions: &'a Transactions,
        fingerprint: Option<&'a DataFingerprint>,
    },
}

/// Why a run folder holds no finished run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The folder could not be started: it exists and holds files, or cannot be written.
    #[error("starting run '{}'", dir.display())]
    Start {
        dir: PathBuf,
        #[source]
        source: StoreError,
    },
    /// Training failed; the folder is marked failed with this error.
    #[error(transparent)]
    Train(Error),
    /// A stage asked to stop; the folder is marked cancelled.
    #[error("training cancelled")]
    Cancelled,
    /// The trained run could not be written; the folder is marked failed.
    #[error("saving run to '{}'", dir.display())]
    Save {
        dir: PathBuf,
        #[source]
        source: StoreError,
    },
}

/// A stage as a line of `train.log`.
pub fn log_line(stage: &Stage) -> String {
    match stage {
        Stage::Loaded {
            rows_read,
            rows_kept,
        } => format!("loaded {rows_read} lines, kept {rows_kept}"),
        Stage::Matrix { users, items, nnz } => {
            format!("matrix {users} customers x {items} products, {nnz} pairs")
        }
        Stage::Epoch(r) => format!(
            "iteration {}/{} loss {:.6}{} elapsed {:.2}s",
            r.iteration,
            r.of,
            r.loss,
            r.validation
                .map(|(m, v)| format!(" validation {m} {v:.4}"))
                .unwrap_or_default(),
            r.elapsed.as_secs_f64()
        ),
        Stage::Evaluated(r) => format!(
            "evaluated {} customers: precision@{} {:.4} (popularity {:.4})",
            r.users, r.k, r.model.precision, r.baseline.precision
        ),
    }
}

/// Trains `spec` on `source` into the run folder `dir` (which must not hold files).
/// `on_stage` sees every stage after it is logged; its `Break` cancels. `before_save` may
/// tag the run (a sweep's trial) before it is written.
pub fn train_into(
    spec: &TrainSpec,
    source: Source<'_>,
    dir: &Path,
    on_stage: &mut dyn FnMut(&Stage) -> ControlFlow<()>,
    before_save: &mut dyn FnMut(&mut Run),
) -> Result<Run, RunError> {
    let mut writer =
        RunWriter::start(dir, spec.model, &spec.config).map_err(|source| RunError::Start {
            dir: dir.to_owned(),
            source,
        })?;
    let mut stopped = false;
    let result = {
        let mut stage = |stage: Stage| {
            writer.log(&log_line(&stage));
            let flow = on_stage(&stage);
            stopped |= flow.is_break();
            flow
        };
        match source {
            Source::File => train(spec, &mut stage),
            Source::Loaded {
                transactions,
                fingerprint,
            } => train_on(spec, transactions, fingerprint.cloned(), &mut stage),
        }
    };
    match result {
        // A stop asked for after the last pass (while evaluating) still stops.
        Err(Error::Fit(FitError::Cancelled { .. })) => {
            writer.cancel();
            Err(RunError::Cancelled)
        }
        Ok(_) if stopped => {
            writer.cancel();
            Err(RunError::Cancelled)
        }
        Ok(mut run) => {
            before_save(&mut run);
            match writer.finish(&run) {
                Ok(()) => Ok(run),
                Err(source) => Err(RunError::Save {
                    dir: dir.to_owned(),
                    source,
                }),
            }
        }
        Err(e) => {
            writer.fail(&chain_text(&e));
            Err(RunError::Train(e))
        }
    }
}

/// An error and its causes on one line, `outer: cause: root`, as `{:#}` prints them.
pub fn chain_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
