//! Hyperparameter sweeps: many normal runs, compared on a validation period, the winner
//! retrained and tested once.
//!
//! The data is loaded and cleaned once. With a test period of `T` days, every trial trains
//! on the data before the last `T + V` days and is scored on the `V` days before the test
//! period (the validation split); the test period is only touched by the chosen
//! configuration, retrained on everything before the test, so its test metrics are an
//! honest estimate. Every trial is saved as an ordinary run (replayable, listed, diffable)
//! tagged with the sweep's id.

pub mod space;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::data::fingerprint::{DataFingerprint, load_config};
use crate::data::load_transactions;
use crate::error::Error;
use crate::eval::{EvalReport, RankingMetrics};
use crate::experiment::{Holdout, RunError, Source, TrainSpec, chain_text, train_into};
use crate::models::hyper::{ParamsError, RawValue};
use crate::store::StoreError;
use crate::store::{Run, SweepTag};
use crate::workspace::Workspace;

/// The metric configurations are chosen by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Precision,
    Recall,
    Map,
    Ndcg,
    HitRate,
    /// Lower is better (explicit models).
    Rmse,
}

impl Metric {
    /// Parses a metric name.
    pub fn parse(text: &str) -> Result<Self, ParamsError> {
        Ok(match text {
            "precision" => Metric::Precision,
            "recall" => Metric::Recall,
            "map" => Metric::Map,
            "ndcg" => Metric::Ndcg,
            "hit_rate" | "hit-rate" => Metric::HitRate,
            "rmse" => Metric::Rmse,
            other => {
                return Err(ParamsError::BadValue {
                    key: "metric".into(),
                    value: other.to_owned(),
                    expected: "precision, recall, map, ndcg, hit_rate or rmse",
                });
            }
        })
    }

    /// Parses `name` or `name@k` (`ndcg@10`): the metric and the list length, if given.
    pub fn parse_at(text: &str) -> Result<(Self, Option<usize>), ParamsError> {
        let Some((name, k)) = text.split_once('@') else {
            return Ok((Self::parse(text)?, None));
        };
        let metric = Self::parse(name)?;
        match k.trim().parse::<usize>() {
            Ok(k) if k > 0 => Ok((metric, Some(k))),
            _ => Err(ParamsError::BadValue {
                key: "metric".into(),
                value: text.to_owned(),
                expected: "a metric and a list length above 0, e.g. ndcg@10",
            }),
        }
    }

    /// The list metric this objective reads; `None` for RMSE, a rating error.
    fn ranked(self) -> Option<crate::eval::Metric> {
        use crate::eval::Metric as M;
        match self {
            Metric::Precision => Some(M::Precision),
            Metric::Recall => Some(M::Recall),
            Metric::Map => Some(M::Map),
            Metric::Ndcg => Some(M::Ndcg),
            Metric::HitRate => Some(M::HitRate),
            Metric::Rmse => None,
        }
    }

    /// The name in reports (the evaluation's own name for a list metric).
    pub fn name(self) -> &'static str {
        self.ranked().map_or("rmse", crate::eval::Metric::name)
    }

    /// The value of this metric in `m`.
    pub fn of(self, m: &RankingMetrics) -> Option<f64> {
        match self.ranked() {
            Some(r) => Some(m.get(r)),
            None => m.rmse,
        }
    }

    fn better(self, a: f64, b: f64) -> bool {
        if self == Metric::Rmse { a < b } else { a > b }
    }
}

/// A sweep to run.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// Configuration, data, model and fixed `--set` values; `holdout` is the test period
    /// (`LastDays`) or `None`.
    pub base: TrainSpec,
    /// Hyperparameters of each trial, on top of the base.
    pub configurations: Vec<Vec<(String, String)>>,
    pub metric: Metric,
    /// Days of the validation period.
    pub validation_days: u32,
    /// Trials trained at once (1 or 2 on two cores).
    pub parallel: usize,
}

/// Progress of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub enum SweepEvent {
    Loaded { lines: usize },
    TrialFinished(TrialOutcome),
    FinalStarted { trial: usize },
}

/// One trial's result.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialOutcome {
    /// 1-based.
    pub trial: usize,
    pub params: Vec<(String, String)>,
    pub dir: PathBuf,
    pub validation: Option<f64>,
    pub error: Option<String>,
}

/// The result of a sweep.
#[derive(Debug, Clone)]
pub struct SweepReport {
    pub id: String,
    pub metric: Metric,
    pub trials: Vec<TrialOutcome>,
    /// Index into `trials` of the chosen configuration.
    pub best: Option<usize>,
    /// The chosen configuration retrained with the test period held out.
    pub final_dir: Option<PathBuf>,
    /// Why retraining the chosen configuration failed.
    pub final_error: Option<String>,
    pub test: Option<EvalReport>,
}

/// Runs `spec`, saving every trial under `ws`'s runs (the caller holds the lock).
pub fn run_sweep(
    ws: &Workspace,
    spec: &SweepSpec,
    on_event: &(dyn Fn(SweepEvent) + Sync),
    should_stop: &(dyn Fn() -> bool + Sync),
) -> Result<SweepReport, Error> {
    if spec.configurations.is_empty() {
        return Err(ParamsError::Invalid("the sweep has no configuration to try".into()).into());
    }
    let test_days = match &spec.base.holdout {
        Holdout::None => 0,
        Holdout::LastDays { days, .. } => *days,
        other => {
            return Err(ParamsError::Invalid(format!(
                "a sweep holds out the last days of the data; '{}' is not supported: use --test-last-days N",
                other.label()
            ))
            .into());
        }
    };
    let trial_spec = |params: &[(String, String)], holdout: Holdout| {
        let overrides: Vec<(String, RawValue)> = params
            .iter()
            .map(|(k, v)| (k.clone(), RawValue::Text(v.clone())))
            .collect();
        let mut s = spec.base.clone();
        s.params = s.params.with_overrides(&overrides)?;
        s.holdout = holdout;
        Ok::<_, ParamsError>(s)
    };
    let validation = if test_days == 0 {
        Holdout::LastDays {
            days: spec.validation_days,
            new_items_only: false,
        }
    } else {
        Holdout::Validation {
            test_days,
            days: spec.validation_days,
        }
    };
    // Every configuration is checked before any data is read.
    let trials = spec
        .configurations
        .iter()
        .enumerate()
        .map(|(n, c)| {
            trial_spec(c, validation.clone()).map_err(|e| {
                ParamsError::Invalid(format!("trial {} ({}): {e}", n + 1, describe(c)))
            })
        })
        .collect::<Result<Vec<TrainSpec>, _>>()?;
    let load = spec.base.config.load_spec();
    let (transactions, report) = load_transactions(&spec.base.data, &load)?;
    let fingerprint = DataFingerprint::of(&spec.base.data, &load_config(&load)).ok();
    let source = Source::Loaded {
        transactions: &transactions,
        fingerprint: fingerprint.as_ref(),
    };
    on_event(SweepEvent::Loaded {
        lines: report.rows_kept,
    });
    let stamp = crate::data::timestamps::format_timestamp(crate::store::status::now_unix())
        .replace(['-', ':'], "")
        .replace(' ', "-");
    let id = claim_sweep_id(
        &ws.runs_dir(),
        &format!("{stamp}-sweep-{}", spec.base.model.name()),
    )
    .map_err(|e| StoreError::Io {
        dir: ws.runs_dir(),
        message: e.to_string(),
    })?;
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let run_trial = |n: usize| -> TrialOutcome {
        let params = spec.configurations[n].clone();
        let dir = ws.runs_dir().join(format!("{id}-t{:02}", n + 1));
        let s = &trials[n];
        let outcome = |validation: Option<f64>, error: Option<String>| TrialOutcome {
            trial: n + 1,
            params: params.clone(),
            dir: dir.clone(),
            validation,
            error,
        };
        let mut stop = |_: &_| {
            if should_stop() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let mut value = None;
        let mut tag = |run: &mut Run| {
            value = run.metrics.as_ref().and_then(|m| spec.metric.of(&m.model));
            run.meta.sweep = Some(SweepTag {
                id: id.clone(),
                trial: n + 1,
                metric: spec.metric.name().to_owned(),
                validation: value.unwrap_or(f64::NAN),
                best: false,
            });
        };
        match train_into(s, source, &dir, &mut stop, &mut tag) {
            Ok(_) => outcome(value, None),
            Err(e) => outcome(None, Some(failure_text(e))),
        }
    };
    let workers = spec.parallel.clamp(1, 2).min(spec.configurations.len());
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= spec.configurations.len() || should_stop() {
                        break;
                    }
                    let outcome = run_trial(n);
                    on_event(SweepEvent::TrialFinished(outcome.clone()));
                    if let Ok(mut r) = results.lock() {
                        r.push(outcome);
                    }
                }
            });
        }
    });
    let mut trials = results.into_inner().unwrap_or_default();
    trials.sort_by_key(|t| t.trial);
    let best = trials
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((i, t.validation?)))
        .filter(|(_, v)| v.is_finite())
        .fold(None, |acc: Option<(usize, f64)>, (i, v)| match acc {
            Some((_, bv)) if !spec.metric.better(v, bv) => acc,
            _ => Some((i, v)),
        })
        .map(|(i, _)| i);
    let (mut final_dir, mut test, mut final_error) = (None, None, None);
    if should_stop() {
        final_error = Some("the sweep was cancelled".to_owned());
    } else if let Some(b) = best {
        let chosen = &trials[b];
        on_event(SweepEvent::FinalStarted {
            trial: chosen.trial,
        });
        let s = trial_spec(&chosen.params, spec.base.holdout.clone())?;
        let dir = ws.runs_dir().join(format!("{id}-best"));
        let mut tag = |run: &mut Run| {
            run.meta.sweep = Some(SweepTag {
                id: id.clone(),
                trial: 0,
                metric: spec.metric.name().to_owned(),
                validation: chosen.validation.unwrap_or(f64::NAN),
                best: true,
            });
        };
        match train_into(
            &s,
            source,
            &dir,
            &mut |_| ControlFlow::Continue(()),
            &mut tag,
        ) {
            Ok(run) => {
                test.clone_from(&run.metrics);
                final_dir = Some(dir);
            }
            Err(RunError::Start { source, .. } | RunError::Save { source, .. }) => {
                return Err(source.into());
            }
            Err(e) => final_error = Some(failure_text(e)),
        }
    }
    Ok(SweepReport {
        id,
        metric: spec.metric,
        trials,
        best,
        final_dir,
        final_error,
        test,
    })
}

/// `key=value key=value`.
/// Why a trial or the final run has no result, in words for the sweep's table.
fn failure_text(e: RunError) -> String {
    match e {
        RunError::Start { source, .. } | RunError::Save { source, .. } => source.to_string(),
        RunError::Train(e) => chain_text(&e),
        RunError::Cancelled => e.to_string(),
    }
}

pub fn describe(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sweep id no other sweep has: the first trial's folder is made with one `mkdir`, which
/// only one caller wins, so two sweeps started in the same second take different ids.
fn claim_sweep_id(runs: &std::path::Path, base: &str) -> std::io::Result<String> {
    std::fs::create_dir_all(runs)?;
    let mut id = base.to_owned();
    for n in 2..10_000 {
        match std::fs::create_dir(runs.join(format!("{id}-t01"))) {
            Ok(()) => return Ok(id),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => id = format!("{base}-{n}"),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!(
        "every sweep id from '{base}' on is taken"
    )))
}
