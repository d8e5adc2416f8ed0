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
use crate::models::tuning::{Dimension, Range};

/// What the Tune form offers of the factorization machine.
/// Where `latent tune` moves a factorization machine; the solver's own defaults keep
/// the number of passes (200 MCMC draws, for one).
pub const SEARCH: &[Dimension] = &[
    Dimension::new("num_factors", Range::LogInt(4, 64)),
    Dimension::new("factors_lr", Range::Log(1e-4, 0.1)),
    Dimension::new("factors_wd", Range::Log(1e-6, 0.1)),
    Dimension::new("linear_lr", Range::Log(1e-4, 0.1)),
];

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

/// Sweeps an MCMC fit draws when nothing says otherwise: SageMaker's one epoch suits SGD,
/// but a Gibbs sampler needs enough samples past its burn-in (on MovieLens-100k ratings
/// 200 reach RMSE 0.946, where one sample cannot even pass the burn-in of 10).
pub const MCMC_EPOCHS: usize = 200;

/// Passes a gradient regressor may make when nothing says otherwise; early stopping on
/// the validation split ends it sooner (after 10 to 40 on MovieLens-100k).
pub const GRADIENT_REGRESSOR_EPOCHS: usize = 100;

/// A gradient regressor's learning rates (linear, factors) and mini-batch when nothing
/// says otherwise. SageMaker's (0.001, 0.0001, 1000) with one epoch predict worse than
/// the mean rating on MovieLens-100k (per-user 80/20 with side features: AdaGrad RMSE
/// 2.18, SGD 1.20, the mean 1.21); these reach 0.977 (AdaGrad) and 0.983 (SGD).
const fn gradient_regressor(solver: FmSolver) -> (f32, f32, usize) {
    match solver {
        FmSolver::Sgd => (0.2, 0.2, 100),
        _ => (0.01, 0.05, 1000),
    }
}

/// Fills in what nobody set: a regressor's solver (MCMC, whose sampled factors need no
/// learning rate, regularisation or epoch count to beat the mean rating: RMSE 0.94
/// against AdaGrad's 2.2 with SageMaker's single epoch on MovieLens-100k), a gradient
/// regressor's rates and passes, an MCMC fit's sweeps, and a burn-in a short chain can
/// pass. `given` answers whether a canonical key was set by the workspace or the
/// overrides.
pub fn solver_defaults(p: &mut FmParams, given: impl Fn(&str) -> bool) {
    if p.predictor_type == PredictorType::Regressor && !given("solver") {
        p.solver = FmSolver::Mcmc;
    }
    if p.predictor_type == PredictorType::Regressor && p.solver != FmSolver::Mcmc {
        let (linear_lr, factors_lr, batch) = gradient_regressor(p.solver);
        if !given("epochs") {
            p.epochs = GRADIENT_REGRESSOR_EPOCHS;
        }
        if !given("linear_lr") {
            p.linear_lr = linear_lr;
        }
        if !given("factors_lr") {
            p.factors_lr = factors_lr;
        }
        if !given("mini_batch_size") {
            p.mini_batch_size = batch;
        }
    }
    if p.solver == FmSolver::Mcmc && !given("epochs") {
        p.epochs = MCMC_EPOCHS;
    }
    // A short chain (a quick look, `epochs=2`) discards half its draws, not a fixed 10.
    if p.solver == FmSolver::Mcmc && !given("burn_in") && p.burn_in >= p.epochs {
        p.burn_in = p.epochs / 2;
    }
}

#[cfg(test)]
mod tests {
    use crate::models::hyper::RawValue;
    use crate::models::{ModelKind, ModelParams, SettingTables};

    fn fm(table: &toml::Table, overrides: &[(&str, &str)]) -> Result<ModelParams, String> {
        let tables = SettingTables {
            als: &toml::Table::new(),
            fm: table,
            ratings: true,
        };
        let overrides: Vec<(String, RawValue)> = overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), RawValue::Text((*v).to_owned())))
            .collect();
        ModelParams::parse(ModelKind::Fm, tables, &overrides).map_err(|e| e.to_string())
    }

    fn epochs(p: &ModelParams) -> String {
        p.to_strings()["epochs"].clone()
    }

    #[test]
    fn mcmc_alone_gets_enough_sweeps_and_explicit_epochs_still_win() {
        let none = toml::Table::new();
        let mcmc = fm(&none, &[("solver", "mcmc")]).unwrap();
        assert_eq!(epochs(&mcmc), super::MCMC_EPOCHS.to_string());
        assert_eq!(
            epochs(&fm(&none, &[("solver", "mcmc"), ("n_iter", "50")]).unwrap()),
            "50"
        );
        let table: toml::Table = toml::from_str("epochs = 30").unwrap();
        assert_eq!(epochs(&fm(&table, &[("solver", "mcmc")]).unwrap()), "30");
        // A short chain discards half its draws; an explicit burn-in above the count is
        // still refused, naming it.
        let short = fm(&none, &[("solver", "mcmc"), ("epochs", "5")]).unwrap();
        assert_eq!(short.to_strings()["burn_in"], "2");
        let e = fm(
            &none,
            &[("solver", "mcmc"), ("epochs", "5"), ("burn_in", "8")],
        )
        .unwrap_err();
        assert!(e.contains("burn_in"), "{e}");
        // A regressor with nothing set samples; SGD solvers keep SageMaker's one epoch.
        let regressor = fm(&none, &[]).unwrap();
        assert_eq!(regressor.to_strings()["solver"], "mcmc");
        assert_eq!(epochs(&regressor), super::MCMC_EPOCHS.to_string());
        let ranking = fm(&none, &[("predictor_type", "ranking")]).unwrap();
        assert_eq!(ranking.to_strings()["solver"], "adagrad");
        assert_eq!(
            epochs(&ranking),
            "1",
            "a ranker keeps SageMaker's one epoch"
        );
    }

    #[test]
    fn a_gradient_regressor_gets_rates_and_passes_that_learn_and_given_ones_win() {
        let none = toml::Table::new();
        let adagrad = fm(&none, &[("solver", "adagrad")]).unwrap().to_strings();
        assert_eq!(
            adagrad["epochs"],
            super::GRADIENT_REGRESSOR_EPOCHS.to_string()
        );
        assert_eq!(
            (
                adagrad["linear_lr"].as_str(),
                adagrad["factors_lr"].as_str()
            ),
            ("0.01", "0.05")
        );
        assert_eq!(adagrad["mini_batch_size"], "1000");
        let sgd = fm(&none, &[("solver", "sgd")]).unwrap().to_strings();
        assert_eq!(
            (sgd["factors_lr"].as_str(), sgd["mini_batch_size"].as_str()),
            ("0.2", "100")
        );
        let table: toml::Table = toml::from_str("factors_lr = 0.001\nepochs = 3").unwrap();
        let given = fm(&table, &[("solver", "sgd"), ("mini_batch_size", "500")])
            .unwrap()
            .to_strings();
        assert_eq!(
            (
                given["factors_lr"].as_str(),
                given["epochs"].as_str(),
                given["mini_batch_size"].as_str(),
                given["linear_lr"].as_str()
            ),
            ("0.001", "3", "500", "0.2")
        );
    }
}
