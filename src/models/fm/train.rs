//! Fitting an FM: the data checked against the feature space, then the chosen solver
//! ([`super::sgd`] or [`super::mcmc`]) run on its own thread pool. The solvers share the
//! types of [`super::fit`]; only this file knows both.

use std::ops::ControlFlow;
use std::time::Instant;

use super::fit::{FmEpochReport, FmFit, FmFitError};
use super::params::{FmSolver, ValidFmParams};
use super::space::FeatureSpace;
use crate::data::CsrMatrix;

/// Fits an FM on the observed pairs `m` (customers × products) over `space`.
pub fn fit(
    params: &ValidFmParams,
    space: &FeatureSpace,
    m: &CsrMatrix,
    progress: &mut dyn FnMut(&FmEpochReport) -> ControlFlow<()>,
) -> Result<FmFit, FmFitError> {
    if m.rows() != space.user_rows.rows() || m.cols() != space.item_rows.rows() {
        return Err(FmFitError::BadData(format!(
            "{} x {} pairs but {} customer and {} product feature rows",
            m.rows(),
            m.cols(),
            space.user_rows.rows(),
            space.item_rows.rows()
        )));
    }
    if let Some(bad) = m.data().iter().find(|v| !v.is_finite()) {
        return Err(FmFitError::BadData(format!(
            "a training value is '{bad}': ratings must be finite numbers"
        )));
    }
    if let Some(d) = params.feature_dim
        && d != space.len()
    {
        return Err(FmFitError::BadData(format!(
            "feature_dim '{d}' differs from the {} features of the data (ids and side features); leave feature_dim unset",
            space.len()
        )));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(params.num_threads)
        .thread_name(|i| format!("latent-fm-{i}"))
        .build()
        .map_err(|e| FmFitError::Threads(e.to_string()))?;
    let start = Instant::now();
    match params.solver {
        FmSolver::Mcmc => super::mcmc::fit(params, space, m, &pool, start, progress),
        FmSolver::Sgd | FmSolver::Adagrad => {
            super::sgd::fit(params, space, m, &pool, start, progress)
        }
    }
}
