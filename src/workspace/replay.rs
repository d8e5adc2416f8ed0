//! `latent runs replay`: retrain a run from what it stored and check the result.
//!
//! A run keeps its resolved configuration, hyperparameters (seed included), hold-out and
//! the fingerprint of its data. Replaying first checks the data file against the
//! fingerprint, so a changed input is named instead of showing up as mysteriously moved
//! metrics; then it trains again and compares every metric. Training is deterministic for
//! any thread count, so they must match exactly.

use std::ops::ControlFlow;
use std::path::PathBuf;

use serde::Serialize;

use super::compare::MetricChange;
use crate::data::fingerprint::{DataFingerprint, load_config};
use crate::error::Error;
use crate::eval::{Metric, RankingMetrics};
use crate::experiment::{Holdout, Stage, TrainSpec, train};
use crate::models::hyper::{ParamsError, RawValue};
use crate::store::Run;

/// The outcome of a replay.
#[derive(Debug, Serialize)]
pub struct ReplayReport {
    pub data: PathBuf,
    /// What changed in the data or its configuration; empty when nothing did.
    pub data_changes: Vec<String>,
    /// False when the data changed and the replay was not forced.
    pub retrained: bool,
    /// Every metric, stored and replayed.
    pub metrics: Vec<MetricChange>,
    /// True when every metric matches to 1e-9.
    pub identical: bool,
}

/// Replays `run`; with `force`, retrains even when the data changed.
pub fn replay(
    run: &Run,
    force: bool,
    progress: &mut dyn FnMut(Stage) -> ControlFlow<()>,
) -> Result<ReplayReport, Error> {
    let data = run.config.data.path.clone().ok_or_else(|| {
        ParamsError::Invalid("the run does not record its data file; it cannot be replayed".into())
    })?;
    if !data.exists() {
        return Err(ParamsError::Invalid(format!(
            "the run's data file '{}' is not there any more (moved or deleted): put it back to replay",
            data.display()
        ))
        .into());
    }
    let load = run.config.load_spec();
    let now = DataFingerprint::of(&data, &load_config(&load))
        .map_err(|e| ParamsError::Invalid(format!("cannot read '{}': {e}", data.display())))?;
    let data_changes = match &run.meta.fingerprint {
        Some(stored) => stored.differences(&now),
        None => vec!["the run has no data fingerprint (trained by an older latent)".into()],
    };
    if !data_changes.is_empty() && !force {
        return Ok(ReplayReport {
            data,
            data_changes,
            retrained: false,
            metrics: Vec::new(),
            identical: false,
        });
    }
    let holdout = Holdout::parse(&run.meta.holdout).ok_or_else(|| {
        ParamsError::Invalid(format!(
            "the run's hold-out '{}' is not one latent knows",
            run.meta.holdout
        ))
    })?;
    let settings: Vec<(String, RawValue)> = run
        .meta
        .params
        .iter()
        .map(|(k, v)| (k.clone(), RawValue::Text(v.clone())))
        .collect();
    let spec = TrainSpec::new(
        run.config.clone(),
        data.clone(),
        run.meta.model,
        &settings,
        holdout,
        run.meta.k,
    )?;
    let again = train(&spec, progress)?;
    let mut metrics = Vec::new();
    if let (Some(a), Some(b)) = (&run.metrics, &again.metrics) {
        push_all(&mut metrics, false, &a.model, &b.model);
        push_all(&mut metrics, true, &a.baseline, &b.baseline);
    }
    let identical = run.metrics.is_some() == again.metrics.is_some()
        && metrics.iter().all(|m| (m.a - m.b).abs() <= 1e-9);
    Ok(ReplayReport {
        data,
        data_changes,
        retrained: true,
        metrics,
        identical,
    })
}

fn push_all(out: &mut Vec<MetricChange>, baseline: bool, a: &RankingMetrics, b: &RankingMetrics) {
    for m in Metric::ALL {
        let name = if baseline {
            format!("popularity {}", m.name())
        } else {
            m.name().to_owned()
        };
        out.push(MetricChange::plain(&name, a.get(m), b.get(m)));
    }
    if let (false, Some(x), Some(y)) = (baseline, a.rmse, b.rmse) {
        out.push(MetricChange::plain("rmse", x, y));
    }
}
