//! The retrain-cadence backtest: how often should this model be retrained, answered with
//! the analyst's own log.
//!
//! The reference date slides over the log in steps of `every` days. At each step three
//! policies hold a model trained on the lines up to that date:
//!
//! - `never`: the model of the first step, ageing;
//! - `update`: that model with each step's new lines folded in ([`crate::experiment::update`]);
//! - `retrain`: a model trained from scratch at every step;
//!
//! and each is scored on the next `horizon` days over every buyer of those days: the run's
//! own evaluation for the customers the model knows (rules' seen policy), its popularity
//! list for the others, so a model that never learns the newcomers pays for them. Beside
//! them, popularity fitted at the same date. Drift figures of the horizon against the
//! first model's training window come with each step.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::report::data_drift;
use super::window::WindowStats;
use crate::config::WorkspaceConfig;
use crate::data::{LoadError, Transactions, load_transactions};
use crate::error::Error;
use crate::experiment::update::WarmStart;
use crate::experiment::{Holdout, TrainSpec, evaluate_view, train_on};
use crate::models::ModelKind;
use crate::models::hyper::RawValue;
use crate::store::Run;

const DAY: i64 = 86_400;

/// What to backtest.
#[derive(Debug, Clone)]
pub struct BacktestSpec {
    pub config: WorkspaceConfig,
    pub data: PathBuf,
    pub model: ModelKind,
    pub overrides: Vec<(String, RawValue)>,
    /// Days between reference dates.
    pub every_days: u32,
    /// Days scored after each reference date.
    pub horizon_days: u32,
    /// The first reference date (seconds, a day's start); default: `every` days into the log.
    pub from: Option<i64>,
    /// List length.
    pub k: usize,
}

/// Why a backtest could not run.
#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error(transparent)]
    Train(#[from] Error),
    #[error("the data has no dates: a backtest slides a date over the log")]
    NoDates,
    #[error(
        "the log spans {first} .. {last}: too short for a first model on {from} and {horizon} days scored after it; start the first model earlier or score fewer days"
    )]
    TooShort {
        first: String,
        last: String,
        from: String,
        horizon: u32,
    },
}

impl BacktestError {
    /// The setting this error asks the user to change; each edge names where it lives.
    pub fn knob(&self) -> Option<crate::knob::Knob> {
        match self {
            BacktestError::Train(e) => e.knob(),
            BacktestError::TooShort { .. } => Some(crate::knob::Knob::BacktestWindow),
            BacktestError::NoDates => None,
        }
    }
}

impl From<LoadError> for BacktestError {
    fn from(e: LoadError) -> Self {
        BacktestError::Train(Error::Load(e))
    }
}

/// One reference date.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The last day trained on, `YYYY-MM-DD`.
    pub date: String,
    /// Days since the first step's model was trained (the `never` model's age).
    pub model_age_days: i64,
    /// Customers scored: every buyer of the horizon.
    pub customers: usize,
    /// precision@k of each policy and of popularity over every buyer of the horizon (a
    /// buyer a model never saw gets its popularity list).
    pub never: f64,
    pub update: f64,
    pub retrain: f64,
    pub popularity: f64,
    /// Popularity PSI of the horizon against the first model's training window.
    pub psi_since_first: f64,
    /// Share of the horizon's buyers the first model never saw.
    pub new_buyers_since_first: f64,
    /// Seconds of the step's retrain and of its update.
    pub retrain_seconds: f64,
    pub update_seconds: f64,
}

/// The whole backtest.
#[derive(Debug, Clone, Serialize)]
pub struct Backtest {
    pub model: String,
    pub every_days: u32,
    pub horizon_days: u32,
    pub k: usize,
    pub steps: Vec<Step>,
    /// Mean precision@k over the steps, per policy (`never`, `update`, `retrain`,
    /// `popularity`).
    pub mean: Vec<(String, f64)>,
    pub seconds: f64,
}

fn day(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map_or_else(|| ts.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// The lines whose timestamp `keep` accepts, with the full id maps.
fn lines(t: &Transactions, keep: impl Fn(i64) -> bool) -> Transactions {
    let rows: Vec<usize> = (0..t.len()).filter(|&r| keep(t.timestamp[r])).collect();
    t.select(&rows)
}

/// Runs the backtest; `progress` sees every step as it is scored (`Break` stops early).
pub fn backtest(
    spec: &BacktestSpec,
    progress: &mut dyn FnMut(&Step) -> ControlFlow<()>,
) -> Result<Backtest, BacktestError> {
    let started = Instant::now();
    let mut load = spec.config.load_spec();
    // The window is the backtest's own: every step reads its days from the whole log.
    let window_days = load.interactions.retention_days;
    load.interactions.retention_date = None;
    load.interactions.retention_days = None;
    let (all, _) = load_transactions(&spec.data, &load)?;
    let (first, last) = all
        .time_range()
        .filter(|_| all.has.timestamp)
        .ok_or(BacktestError::NoDates)?;
    let first_day = first.div_euclid(DAY) * DAY;
    let last_day = last.div_euclid(DAY) * DAY;
    let every = i64::from(spec.every_days.max(1)) * DAY;
    let horizon = i64::from(spec.horizon_days.max(1)) * DAY;
    let from = spec.from.unwrap_or(first_day + every);
    if from + horizon > last_day + DAY || from <= first_day {
        return Err(BacktestError::TooShort {
            first: day(first),
            last: day(last),
            from: day(from),
            horizon: spec.horizon_days,
        });
    }
    let mut train_spec = TrainSpec::new(
        spec.config.clone(),
        spec.data.clone(),
        spec.model,
        &spec.overrides,
        Holdout::None,
        spec.k,
    )
    .map_err(Error::from)?;
    let ranking = load.interactions.ranking_type;
    let rules = &spec.config.overrides;
    let quiet = &mut |_| ControlFlow::Continue(());
    // Every buyer of the horizon counts: those the model knows get its lists, the others
    // the popularity list it would serve them, so a model that never learns the new
    // customers pays for them.
    let score = |run: &Run, test: &Transactions| -> Result<(f64, f64, usize), Error> {
        let e = evaluate_view(run.view(), rules, test, ranking, spec.k)?;
        let (cold, n_cold) = cold_precision(run, test, spec.k);
        let known = e.report.users as f64;
        let all = (known + n_cold as f64).max(1.0);
        let blend = |warm: f64| (warm * known + cold * n_cold as f64) / all;
        Ok((
            blend(e.report.model.precision),
            blend(e.report.baseline.precision),
            e.report.users + n_cold,
        ))
    };
    let mut steps = Vec::new();
    let mut first_model: Option<Arc<Run>> = None;
    let mut updated: Option<Arc<Run>> = None;
    let mut first_window = WindowStats::default();
    let mut previous_end = from;
    let mut date = from;
    while date + horizon <= last_day + DAY {
        let end = date + DAY;
        let start = window_days.map_or(i64::MIN, |d| end - i64::from(d) * DAY);
        let train = lines(&all, |ts| ts >= start && ts < end);
        let test = lines(&all, |ts| ts >= end && ts < end + horizon);
        let t0 = Instant::now();
        train_spec.warm = None;
        let retrained = Arc::new(train_on(&train_spec, &train, None, quiet)?);
        let retrain_seconds = t0.elapsed().as_secs_f64();
        let (model_first, update_run, update_seconds) = match (&first_model, &updated) {
            (Some(f), Some(u)) => {
                let new = lines(&all, |ts| ts >= previous_end && ts < end);
                let t1 = Instant::now();
                train_spec.warm = Some(WarmStart {
                    run: Arc::clone(u),
                    touched_users: distinct(&new, |t, l| t.users.name(t.user[l]).to_owned()),
                    touched_items: distinct(&new, |t, l| t.items.name(t.item[l]).to_owned()),
                    passes: 1,
                });
                let next = Arc::new(train_on(&train_spec, &train, None, quiet)?);
                (Arc::clone(f), next, t1.elapsed().as_secs_f64())
            }
            _ => {
                first_window = WindowStats::of(&train, |_| true);
                (Arc::clone(&retrained), Arc::clone(&retrained), 0.0)
            }
        };
        let (retrain_p, popularity_p, customers) = score(&retrained, &test)?;
        // On the first step the three policies hold one model: scored once.
        let scored = |run: &Arc<Run>| -> Result<f64, Error> {
            if Arc::ptr_eq(run, &retrained) {
                Ok(retrain_p)
            } else {
                score(run, &test).map(|(p, _, _)| p)
            }
        };
        let (never_p, update_p) = (scored(&model_first)?, scored(&update_run)?);
        let drift = data_drift(&first_window, &WindowStats::of(&test, |_| true));
        let step = Step {
            date: day(date),
            model_age_days: (date - from) / DAY,
            customers,
            never: never_p,
            update: update_p,
            retrain: retrain_p,
            popularity: popularity_p,
            psi_since_first: drift.popularity.psi,
            new_buyers_since_first: drift.new_buyer_share,
            retrain_seconds,
            update_seconds,
        };
        let stop = progress(&step).is_break();
        steps.push(step);
        first_model.get_or_insert(model_first);
        updated = Some(update_run);
        previous_end = end;
        date += every;
        if stop {
            break;
        }
    }
    let mean = |f: fn(&Step) -> f64| steps.iter().map(f).sum::<f64>() / steps.len().max(1) as f64;
    let means = vec![
        ("never".to_owned(), mean(|s| s.never)),
        ("update".to_owned(), mean(|s| s.update)),
        ("retrain".to_owned(), mean(|s| s.retrain)),
        ("popularity".to_owned(), mean(|s| s.popularity)),
    ];
    Ok(Backtest {
        model: spec.model.name().to_owned(),
        every_days: spec.every_days,
        horizon_days: spec.horizon_days,
        k: spec.k,
        steps,
        mean: means,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// precision@k of `run`'s popularity list for the buyers in `test` that `run` never saw,
/// and how many they are.
fn cold_precision(run: &Run, test: &Transactions, k: usize) -> (f64, usize) {
    let mut order: Vec<u32> = (0..run.items.len() as u32).collect();
    let count = |i: &u32| run.popularity.counts[*i as usize];
    order.sort_by(|a, b| count(b).total_cmp(&count(a)).then(a.cmp(b)));
    let top: rustc_hash::FxHashSet<&str> =
        order.iter().take(k).map(|&i| run.items.name(i)).collect();
    let mut bought: rustc_hash::FxHashMap<u32, rustc_hash::FxHashSet<u32>> =
        rustc_hash::FxHashMap::default();
    for l in 0..test.len() {
        if run.users.get(test.users.name(test.user[l])).is_none() {
            bought.entry(test.user[l]).or_default().insert(test.item[l]);
        }
    }
    if bought.is_empty() {
        return (0.0, 0);
    }
    let total: f64 = bought
        .values()
        .map(|items| {
            let hits = items
                .iter()
                .filter(|&&i| top.contains(test.items.name(i)))
                .count();
            hits as f64 / k as f64
        })
        .sum();
    (total / bought.len() as f64, bought.len())
}

/// The distinct names `name` gives the lines of `t`.
fn distinct(t: &Transactions, name: impl Fn(&Transactions, usize) -> String) -> Vec<String> {
    let mut v: Vec<String> = (0..t.len()).map(|l| name(t, l)).collect();
    v.sort_unstable();
    v.dedup();
    v
}
