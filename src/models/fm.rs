//! Factorization machines (Rendle 2010, second order) with side features.
//!
//! [`params`] names and checks the hyperparameters (SageMaker's names and defaults),
//! [`space`] lays out the features of customers and products, [`sgd`] fits by mini-batch
//! SGD or AdaGrad (regressor, binary classifier, BPR ranking), [`mcmc`] by Gibbs sampling
//! (Bayesian FM, regressor), and [`model`] folds a fitted model into one vector per
//! customer and per product so every consumer of [`crate::models::Recommender`] works on it.

mod as_model;
pub mod fit;
pub mod mcmc;
pub mod model;
pub mod params;
mod params_check;
pub mod sgd;
mod sgd_apply;
mod sgd_kernel;
mod sgd_order;
mod sgd_weights;
pub mod space;
pub mod train;

pub use fit::{FmEpochReport, FmFitError, FmWeights};
pub use model::fold_in::{FmFoldInPrior, NewCustomerFacts};
pub use model::{FmModel, FmTerm};
pub use params::{FmParams, FmSolver, PredictorType, ValidFmParams};
pub use space::{FeatureBlock, FeatureGroup, FeatureSpace};

use crate::models::hyper::Setting;

/// What the Tune form offers of the factorization machine.
pub const SETTINGS: &[Setting] = &[
    Setting::text(
        "num_factors",
        "FM factors",
        "FM latent factors per feature, 1..=1000 (SageMaker num_factors)",
    ),
    Setting::text(
        "epochs",
        "FM epochs",
        "passes over the data (SGD) or Gibbs sweeps (mcmc)",
    ),
    Setting::choice(
        "predictor_type",
        "FM predictor",
        "ranking: purchases (BPR); regressor: ratings (RMSE); binary_classifier: 0/1",
        &["ranking", "regressor", "binary_classifier"],
    ),
    Setting::choice(
        "solver",
        "FM solver",
        "adagrad or sgd: mini-batches; mcmc: Bayesian FM (regressor), the most accurate for ratings",
        &["adagrad", "sgd", "mcmc"],
    ),
    Setting::text(
        "factors_lr",
        "FM factor rate",
        "learning rate of the factors (SGD/AdaGrad), > 0; lower it if training diverges",
    ),
];
