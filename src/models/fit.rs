//! What every model's fit shares: the progress it reports and the ways it can fail.
//!
//! The TUI's live chart, the CLI's progress bar and a sweep's cancel button read these
//! types whatever the model, so a new model reports and is cancelled like the others.

use std::time::Duration;

use crate::models::fm::FmFitError;

/// What one training pass (an ALS sweep, an FM epoch) reports to the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochReport {
    /// 1-based pass number.
    pub iteration: usize,
    /// Total passes planned.
    pub of: usize,
    /// Training loss after this pass, in the model's own normalised units.
    pub loss: f64,
    /// Time since fitting started.
    pub elapsed: Duration,
    /// A validation metric and its name, for models that hold out a validation split
    /// while fitting; `None` for models evaluated once at the end.
    pub validation: Option<(&'static str, f64)>,
}

/// Why fitting stopped without a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// The progress callback asked to stop; any model.
    #[error("training cancelled after {completed} of {planned} iterations")]
    Cancelled { completed: usize, planned: usize },
    /// ALS's loss stopped being a number.
    #[error(
        "training diverged at iteration {iteration}: the loss became {loss}; lower alpha or raise reg_param"
    )]
    Diverged { iteration: usize, loss: f64 },
    /// The thread pool for the fit could not start; any model.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    /// A factorization machine's own failure: divergence (with its learning rates) or
    /// training data it cannot use.
    #[error(transparent)]
    Fm(FmFitError),
}

impl FitError {
    /// True when the input (data, hyperparameters) is at fault rather than the user's
    /// cancel or the machine.
    pub fn is_input_error(&self) -> bool {
        match self {
            FitError::Diverged { .. } => true,
            FitError::Fm(e) => e.is_input_error(),
            FitError::Cancelled { .. } | FitError::Threads(_) => false,
        }
    }
}

impl From<FmFitError> for FitError {
    /// Cancellation and thread failures read as every model's; the rest stay FM's.
    fn from(e: FmFitError) -> Self {
        match e {
            FmFitError::Cancelled { completed, planned } => {
                FitError::Cancelled { completed, planned }
            }
            FmFitError::Threads(m) => FitError::Threads(m),
            other => FitError::Fm(other),
        }
    }
}
