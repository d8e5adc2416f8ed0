//! What every model's fit shares: the progress it reports and the ways it can fail.
//!
//! The TUI's live chart, the CLI's progress bar and a sweep's cancel button read these
//! types whatever the model, so a new model reports and is cancelled like the others. A
//! model's own failures that need their own words (an FM's divergence names its learning
//! rates) are kept here too, so this file depends on no model.

use std::time::Duration;

use crate::data::{CsrMatrix, IdMap, LoadError};

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

/// Side-feature blocks `(customers, products)` of the training data: given whether the
/// workspace's side columns are wanted and how many recency / frequency / monetary bands.
pub type SideFeatures<'a> = dyn Fn(
        bool,
        usize,
    ) -> Result<
        (
            Vec<crate::data::features::FeatureBlock>,
            Vec<crate::data::features::FeatureBlock>,
        ),
        LoadError,
    > + 'a;

/// What a fit reads: the training matrix both ways, its ids, and side features on demand.
pub struct FitInput<'a> {
    /// Customers × products.
    pub user_items: &'a CsrMatrix,
    /// Products × customers (the transpose).
    pub item_users: &'a CsrMatrix,
    pub users: &'a IdMap,
    pub items: &'a IdMap,
    /// Called only by models that use side features (FM).
    pub side_features: &'a SideFeatures<'a>,
}

/// What an incremental update reads: the combined training matrix both ways, where each
/// of its customers and products was in the fitted model (`None` for a newcomer), and
/// which rows the new purchases touched.
pub struct UpdateInput<'a> {
    pub user_items: &'a CsrMatrix,
    pub item_users: &'a CsrMatrix,
    /// Per combined customer: their index in the fitted model.
    pub user_from: &'a [Option<u32>],
    /// Per combined product: its index in the fitted model.
    pub item_from: &'a [Option<u32>],
    /// Combined customers and products with new purchases, ascending.
    pub touched_users: &'a [u32],
    pub touched_items: &'a [u32],
    /// Alternating passes over the touched rows after the first solve.
    pub passes: usize,
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
    /// A model with dense per-product matrices asked to fit a catalogue that would not fit
    /// in memory.
    #[error(
        "{model} cannot fit {items} products: its dense matrices would take {needed:.1} GB, and it refuses above {limit} products; {advice}"
    )]
    TooLarge {
        model: &'static str,
        items: usize,
        limit: usize,
        needed: f64,
        advice: &'static str,
    },
}

impl FitError {
    /// True when the input (data, hyperparameters) is at fault rather than the user's
    /// cancel or the machine.
    pub fn is_input_error(&self) -> bool {
        match self {
            FitError::Diverged { .. } | FitError::TooLarge { .. } => true,
            FitError::Fm(e) => e.is_input_error(),
            FitError::Cancelled { .. } | FitError::Threads(_) => false,
        }
    }
}

/// Why a factorization machine's fit stopped without a model (see [`crate::models::fm`]);
/// kept beside [`FitError`], which carries it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FmFitError {
    #[error("training cancelled after {completed} of {planned} epochs")]
    Cancelled { completed: usize, planned: usize },
    #[error(
        "training diverged at epoch {epoch}: the loss became {loss}; lower the learning rates (bias_lr {bias_lr}, linear_lr {linear_lr}, factors_lr {factors_lr}) or set clip_gradient"
    )]
    Diverged {
        epoch: usize,
        loss: f64,
        bias_lr: f32,
        linear_lr: f32,
        factors_lr: f32,
    },
    #[error("invalid training data: {0}")]
    BadData(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

impl FmFitError {
    /// A diverging FM or data it cannot use is the input's fault.
    pub fn is_input_error(&self) -> bool {
        matches!(self, FmFitError::Diverged { .. } | FmFitError::BadData(_))
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
