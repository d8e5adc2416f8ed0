//! The Monitor screen: what drifted since the open run was trained (`d`), and how often a
//! model like it should be retrained (`b`), both measured on a worker.
//!
//! Drift compares the run's training window with the workspace's data file after it (a
//! run trained with a hold-out or an earlier retention date has newer lines there); the
//! backtest slides a reference date over the workspace's log with the run's model and
//! settings, as `latent monitor` and `latent backtest` do.

pub mod view;

use std::sync::Arc;

use crate::experiment::update::UpdateRequest;
use crate::jobs::{JobEvent, JobId};
use crate::models::hyper::RawValue;
use crate::monitor::MonitorReport;
use crate::monitor::backtest::{Backtest, BacktestSpec};
use crate::store::Run;
use crate::tui::app::{AppState, Command, Screen, Status};
use crate::tui::screens::train::TrainJob;

/// What the screen shows.
#[derive(Debug, Clone, Default)]
pub struct MonitorState {
    /// The last drift report, and the run it was measured for.
    pub report: Option<Box<MonitorReport>>,
    pub backtest: Option<Box<Backtest>>,
    pub drift_job: Option<JobId>,
    pub backtest_job: Option<JobId>,
    /// Why the last measurement failed.
    pub error: Option<String>,
}

/// The settings `run` was trained with, as overrides for another training of its model.
fn run_settings(run: &Run) -> Vec<(String, RawValue)> {
    run.meta
        .model
        .settings()
        .iter()
        .filter_map(|s| {
            let v = run.meta.params.get(s.key)?;
            Some((s.key.to_owned(), RawValue::Text(v.clone())))
        })
        .collect()
}

impl AppState {
    /// Measures what drifted in the workspace's data since the open run's window.
    pub(crate) fn start_drift(&mut self) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            self.status = Status::error("no run open: pick one on the Runs screen (Enter)");
            return Vec::new();
        };
        let Some(data) = self.workspace.config.data.path.clone() else {
            self.status = Status::error("the workspace has no [data] path to compare with");
            return Vec::new();
        };
        let id = self.next_internal_id();
        self.monitor.drift_job = Some(id);
        self.monitor.error = None;
        self.status = Status::info(format!(
            "measuring drift since run {} against {}…",
            self.inspect.run_label,
            data.display()
        ));
        vec![Command::Drift {
            id,
            run: Arc::clone(&run),
            label: self.inspect.run_label.clone(),
            data,
        }]
    }

    /// Backtests retrain cadences with the open run's model (else Tune's) on the
    /// workspace's log, 30-day steps scored on the next 30 days.
    pub(crate) fn start_backtest(&mut self) -> Vec<Command> {
        let Some(data) = self.workspace.config.data.path.clone() else {
            self.status = Status::error("the workspace has no [data] path to backtest on");
            return Vec::new();
        };
        let (model, overrides) = match &self.inspect.run {
            Some(run) => (run.meta.model, run_settings(run)),
            None => {
                let model = self.tune.model();
                (model, self.tune.overrides(model))
            }
        };
        let id = self.next_internal_id();
        self.monitor.backtest_job = Some(id);
        self.monitor.error = None;
        self.status = Status::info(format!(
            "backtesting {} every 30 days over the log (a retrain, an update and three scorings per step)…",
            model.name()
        ));
        vec![Command::Backtest {
            id,
            spec: Box::new(BacktestSpec {
                config: self.workspace.config.clone(),
                data,
                model,
                overrides,
                every_days: 30,
                horizon_days: 30,
                from: None,
                k: self.workspace.config.recommend.reco_item.max(1),
            }),
        }]
    }

    /// `u`: the palette, with `update` and the workspace's data file typed, so Enter folds
    /// that file's lines after the open run's window into its model and another path can
    /// be typed instead.
    pub(crate) fn prompt_update(&mut self) -> Vec<Command> {
        let Some(run) = self.inspect.run.as_ref() else {
            self.status = Status::error("no run open: pick one on the Runs screen (Enter)");
            return Vec::new();
        };
        let end = run
            .catalog
            .reference_time
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map_or_else(
                || "its window".to_owned(),
                |d| d.format("%Y-%m-%d").to_string(),
            );
        let file = self
            .workspace
            .config
            .data
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        self.status = Status::info(format!(
            "Enter folds the file's lines after {end} into run {}'s model; type another file's path to use it",
            self.inspect.run_label
        ));
        self.open_palette(format!("update {file}"))
    }

    /// Folds the lines of `data` after the open run's window into its model, as a job the
    /// user follows on Train; the new run names the open one as its parent.
    pub(crate) fn start_update(&mut self, data: std::path::PathBuf) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            self.status = Status::error("no run open: pick one on the Runs screen (Enter)");
            return Vec::new();
        };
        let parent = self.inspect.run_label.clone();
        let id = self.next_job_id();
        let name = format!("{}-update", run.meta.model.name());
        let dir = self.workspace.run_dir_base(&name);
        let file = data.file_name().map_or_else(
            || data.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let settings = format!("update of {parent} with {file}");
        self.follow_job(TrainJob::queued(id, &name, 0, dir.clone()).with_settings(settings));
        self.status = Status::info(format!(
            "updating run {parent} with the newer lines of {} (job {id}); it opens in Inspect when done",
            data.display()
        ));
        vec![Command::Update {
            id,
            request: Box::new(UpdateRequest {
                parent: run,
                parent_id: parent,
                data,
                passes: 1,
                newer_only: true,
            }),
            dir,
        }]
    }

    pub(crate) fn on_monitor_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        let id = event.id();
        if self.monitor.drift_job != Some(id) && self.monitor.backtest_job != Some(id) {
            return Err(event);
        }
        match event {
            JobEvent::Drifted { report, .. } => {
                self.monitor.drift_job = None;
                self.status =
                    Status::info(format!("run {}: {}", report.run, report.verdict.sentence));
                self.monitor.report = Some(report);
                self.screen = Screen::Monitor;
            }
            JobEvent::Backtested { backtest, .. } => {
                self.monitor.backtest_job = None;
                self.status = Status::info(format!(
                    "backtest: {} steps of {} days in {:.1}s",
                    backtest.steps.len(),
                    backtest.every_days,
                    backtest.seconds
                ));
                self.monitor.backtest = Some(backtest);
                self.screen = Screen::Monitor;
            }
            JobEvent::Failed { message, .. } => {
                if self.monitor.drift_job == Some(id) {
                    self.monitor.drift_job = None;
                } else {
                    self.monitor.backtest_job = None;
                }
                self.status = Status::error(message.clone());
                self.monitor.error = Some(message);
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}
