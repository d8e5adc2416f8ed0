//! The search loop: which model each trial tries, what the sampler proposes for it, and
//! how a trial is scored, stopped or recorded.

use std::ops::ControlFlow;
use std::time::Instant;

use super::tpe::{Axis, Observation, Tpe};
use super::validation::Validation;
use super::{TuneEvent, TuneSpec};
use crate::error::Error;
use crate::experiment::TrainSpec;
use crate::models::hyper::{ParamsError, RawValue};
use crate::models::tuning::{Dimension, REBUY, RECENCY, is_outside_model};
use crate::models::{ModelKind, ModelParams};
use crate::rng::Rng;
use crate::store::TrialRecord;
use crate::sweep::Metric;

/// The trials of a search and which was best.
pub(super) struct Search {
    pub trials: Vec<TrialRecord>,
    pub best: Option<usize>,
    pub cancelled: bool,
}

/// One model's part of the search: its free dimensions and its sampler.
struct Arm {
    kind: ModelKind,
    dims: Vec<Dimension>,
    tpe: Tpe,
    seen: Vec<Observation>,
    /// False once its defaults failed (EASE on a catalogue too large): not tried again.
    alive: bool,
    /// The first trials, before the sampler: the defaults, then, for models that read
    /// values, the defaults with a 30-day recency half-life, the prior purchase logs
    /// suggest (precision@10 0.079 against 0.076 for ALS on Online Retail). Both carry
    /// the default re-buy weight when lists may show bought products.
    warm: Vec<Vec<(String, RawValue)>>,
}

/// The half-life of the recency warm start, in days.
const WARM_HALF_LIFE: &str = "30";

pub(super) fn search(
    spec: &TuneSpec,
    validation: &Validation,
    on_event: &mut dyn FnMut(TuneEvent),
    should_stop: &dyn Fn() -> bool,
) -> Search {
    let started = Instant::now();
    let deadline = started + spec.budget;
    let mut arms: Vec<Arm> = spec
        .models
        .iter()
        .enumerate()
        .map(|(m, &kind)| {
            let dims = spec.dimensions(kind);
            let axes = dims
                .iter()
                .map(|d| d.choices().map_or(Axis::Numeric, Axis::Choices))
                .collect();
            let mut warm = vec![Vec::new()];
            let recency = dims.contains(&RECENCY).then(|| {
                (
                    RECENCY.key.to_owned(),
                    RawValue::Text(WARM_HALF_LIFE.to_owned()),
                )
            });
            warm.extend(recency.map(|r| vec![r]));
            Arm {
                kind,
                tpe: Tpe::new(axes, spec.seed ^ ((m as u64 + 1) << 32)),
                dims,
                seen: Vec::new(),
                alive: true,
                warm,
            }
        })
        .collect();
    let mut trials: Vec<TrialRecord> = Vec::new();
    let mut best: Option<(usize, f64)> = None;
    let mut cancelled = false;
    for n in 0.. {
        if spec.max_trials.is_some_and(|max| n >= max) {
            break;
        }
        if should_stop() {
            cancelled = true;
            break;
        }
        if n > 0 && Instant::now() >= deadline {
            break;
        }
        let Some(a) = next_arm(&arms, n, spec.seed) else {
            break;
        };
        let arm = &arms[a];
        // Each model starts from its warm starts, then the sampler proposes.
        let point = (arm.seen.len() >= arm.warm.len())
            .then(|| arm.tpe.propose(&arm.seen, arm.seen.len() as u64));
        let drawn: Vec<(String, RawValue)> = match &point {
            Some(p) => arm
                .dims
                .iter()
                .zip(p)
                .map(|(d, &u)| (d.key.to_owned(), RawValue::Text(d.value_at(u))))
                .collect(),
            None => arm.warm[arm.seen.len()].clone(),
        };
        let finished_one = best.is_some();
        let mut on_epoch = |_: &_| {
            if should_stop() || (finished_one && Instant::now() >= deadline) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let (data_drawn, model_drawn): (Vec<_>, Vec<_>) =
            drawn.into_iter().partition(|(k, _)| is_outside_model(k));
        let drawn_of = |key: &str| data_drawn.iter().find(|(k, _)| k == key);
        let half_life = match drawn_of(RECENCY.key) {
            Some((_, v)) => v.as_f64(RECENCY.key).ok(),
            None => spec.half_life(),
        };
        let rebuy = match drawn_of(REBUY.key) {
            Some((_, v)) => v.as_f64(REBUY.key).map_or(0.0, |w| w as f32),
            None => spec.rebuy(),
        };
        let params = TrainSpec::settings(&spec.base.config, arm.kind, &spec.model_fixed())
            .and_then(|p| p.with_overrides(&model_drawn));
        let outcome = match params {
            Ok(params) => {
                // The settings the search moves: the rest are the model's and the
                // workspace's, the same in every trial.
                let mut settings = params.to_strings();
                settings.retain(|k, _| arm.dims.iter().any(|d| d.key == k));
                if let (Some(h), true) = (half_life, arm.dims.contains(&RECENCY)) {
                    settings.insert(RECENCY.key.to_owned(), h.to_string());
                }
                if arm.dims.contains(&REBUY) {
                    settings.insert(REBUY.key.to_owned(), rebuy.to_string());
                }
                let lists = super::validation::Lists { half_life, rebuy };
                let scored =
                    validation.score(&spec.base, &params, lists, spec.metric, &mut on_epoch);
                (settings, scored)
            }
            Err(e) => (std::collections::BTreeMap::default(), Err(e.into())),
        };
        let (settings, result) = outcome;
        let record = match result {
            Ok((value, seconds)) => TrialRecord {
                trial: n + 1,
                model: arm.kind,
                settings,
                validation: value.is_finite().then_some(value),
                seconds,
                error: (!value.is_finite()).then(|| format!("the metric is {value}")),
            },
            Err(e) => TrialRecord {
                trial: n + 1,
                model: arm.kind,
                settings,
                validation: None,
                seconds: 0.0,
                error: Some(match &e {
                    Error::Fit(crate::models::FitError::Cancelled { .. }) if should_stop() => {
                        "stopped: the search was cancelled".to_owned()
                    }
                    Error::Fit(crate::models::FitError::Cancelled { .. }) => {
                        "stopped: the budget ran out".to_owned()
                    }
                    other => crate::experiment::chain_text(other),
                }),
            },
        };
        let arm = &mut arms[a];
        let score = record
            .validation
            .map_or(f64::NAN, |v| oriented(spec.metric, v));
        if arm.seen.is_empty() && record.validation.is_none() {
            arm.alive = false;
        }
        let position = match &point {
            Some(p) => p.clone(),
            None => arm
                .dims
                .iter()
                .map(|d| {
                    record
                        .settings
                        .get(d.key)
                        .and_then(|v| d.position_of(v))
                        // No half-life is no weighting: the scale's far end.
                        .unwrap_or(if *d == RECENCY { 1.0 } else { 0.5 })
                })
                .collect(),
        };
        arm.seen.push(Observation {
            point: position,
            score,
        });
        if score.is_finite() && best.is_none_or(|(_, b)| score > b) {
            best = Some((trials.len(), score));
        }
        on_event(TuneEvent::Trial(record.clone()));
        trials.push(record);
    }
    Search {
        trials,
        best: best.map(|(i, _)| i),
        cancelled,
    }
}

/// Higher is better for the sampler: error metrics are negated.
fn oriented(metric: Metric, value: f64) -> f64 {
    if metric == Metric::Rmse {
        -value
    } else {
        value
    }
}

/// Which model trial `n` tries: each model's defaults first, in order; then, nine times
/// in ten, the contenders in turn (the models whose best is within a tenth of the
/// leader's), and otherwise one of the rest, so a weaker start is not abandoned.
fn next_arm(arms: &[Arm], n: usize, seed: u64) -> Option<usize> {
    let alive: Vec<usize> = (0..arms.len()).filter(|&a| arms[a].alive).collect();
    // Every model's defaults first, then the other warm starts, in model order.
    if let Some(&fresh) = alive.iter().find(|&&a| arms[a].seen.is_empty()) {
        return Some(fresh);
    }
    if let Some(&warm) = alive
        .iter()
        .find(|&&a| arms[a].seen.len() < arms[a].warm.len())
    {
        return Some(warm);
    }
    let best_of = |a: usize| {
        arms[a]
            .seen
            .iter()
            .map(|o| o.score)
            .filter(|s| s.is_finite())
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let lead = alive
        .iter()
        .map(|&a| best_of(a))
        .fold(f64::NEG_INFINITY, f64::max);
    let (contenders, rest): (Vec<usize>, Vec<usize>) = alive
        .iter()
        .partition(|&&a| best_of(a) >= lead - 0.1 * lead.abs());
    let mut rng = Rng::at(seed, 0xa2, n as u64);
    if rest.is_empty() || rng.uniform() < 0.9 {
        // In turn: the contender that has been tried least.
        return contenders
            .iter()
            .copied()
            .min_by_key(|&a| (arms[a].seen.len(), a));
    }
    Some(rest[rng.below(rest.len())])
}

/// The settings a trial recorded, as the model's parameters.
pub(super) fn params_of(
    spec: &TuneSpec,
    kind: ModelKind,
    settings: &std::collections::BTreeMap<String, String>,
) -> Result<ModelParams, ParamsError> {
    let given: Vec<(String, RawValue)> = settings
        .iter()
        .filter(|(k, _)| !is_outside_model(k))
        .map(|(k, v)| (k.clone(), RawValue::Text(v.clone())))
        .collect();
    TrainSpec::settings(&spec.base.config, kind, &spec.model_fixed())?.with_overrides(&given)
}
