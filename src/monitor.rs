//! Drift monitoring: what changed since a run was trained, in the data and in what the
//! run recommends, and whether that calls for a retrain.
//!
//! The reference is the run's own training window: its data file read with its cleaning
//! and retention window, up to the last moment the run saw (a hold-out stays out). The
//! newer window is a newer file's lines after that moment (`days` of them, or all). See
//! [`report`] for the figures, [`recs_drift`] for the lists and [`verdict`] for the
//! decision.

pub mod backtest;
pub mod divergence;
pub mod recs_drift;
pub mod report;
pub mod verdict;
pub mod window;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::data::{LoadError, LoadSpec};
use crate::store::Run;
pub use divergence::Band;
pub use recs_drift::RecsDrift;
pub use report::DataDrift;
pub use verdict::{Action, Verdict};
use window::WindowStats;

const DAY: i64 = 86_400;

/// Why a drift report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "run '{run}' has no dates: drift compares time windows, so the data needs a timestamp column"
    )]
    NoDates { run: String },
    #[error(
        "'{path}' has no lines after the run's training window (which ends {end}); the file spans {span}: choose a file with newer transactions"
    )]
    NothingNewer {
        path: PathBuf,
        end: String,
        span: String,
    },
}

/// The whole report: the data's drift, the lists' drift and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorReport {
    pub run: String,
    pub model: String,
    pub newer_file: String,
    #[serde(flatten)]
    pub data: DataDrift,
    pub recommendations: RecsDrift,
    pub verdict: Verdict,
}

fn day_of(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map_or_else(|| ts.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// The run's data file and load settings, as it was trained.
fn run_data(run: &Run) -> PathBuf {
    run.config
        .data
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&run.meta.data))
}

/// Compares `newer_path` (read with `newer_spec`, no retention window) with `run`'s
/// training window; `days` limits the newer window to that many days after the run's.
pub fn monitor(
    run: &Run,
    run_label: &str,
    newer_path: &Path,
    newer_spec: &LoadSpec,
    days: Option<u32>,
) -> Result<MonitorReport, MonitorError> {
    let end = run
        .catalog
        .reference_time
        .ok_or_else(|| MonitorError::NoDates {
            run: run_label.to_owned(),
        })?;
    let (reference_lines, _) =
        crate::data::load_transactions(&run_data(run), &run.config.load_spec())?;
    let reference = WindowStats::of(&reference_lines, |ts| ts <= end);
    drop(reference_lines);
    let newer_lines = crate::experiment::load_test_file(newer_path, newer_spec)?;
    let last_day = end.div_euclid(DAY) * DAY + DAY;
    let limit = days.map_or(i64::MAX, |d| last_day + i64::from(d) * DAY);
    let newer = WindowStats::of(&newer_lines, |ts| ts >= last_day && ts < limit);
    if newer.lines == 0 {
        let all = WindowStats::of(&newer_lines, |_| true);
        return Err(MonitorError::NothingNewer {
            path: newer_path.to_owned(),
            end: day_of(end),
            span: match (all.first, all.last) {
                (Some(a), Some(b)) => format!("{} .. {}", day_of(a), day_of(b)),
                _ => "no dated lines".to_owned(),
            },
        });
    }
    drop(newer_lines);
    let data = report::data_drift(&reference, &newer);
    let k = run.config.recommend.reco_item.max(1);
    let recommendations = recs_drift::recs_drift(run, &newer, k);
    let verdict = verdict::verdict(&data, Some(&recommendations));
    Ok(MonitorReport {
        run: run_label.to_owned(),
        model: run.meta.model.name().to_owned(),
        newer_file: newer_path.display().to_string(),
        data,
        recommendations,
        verdict,
    })
}
