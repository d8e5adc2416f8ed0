//! The Monitor screen: what drifted since the open run was trained (`d`), and how often a
//! model like it should be retrained (`b`), both measured on a worker.
//!
//! Drift compares the run's training window with the workspace's data file after it (a
//! run trained with a hold-out or an earlier retention date has newer lines there); the
//! backtest slides a reference date over the workspace's log with the run's model and
//! settings, as `latent monitor` and `latent backtest` do.

pub mod view;

use std::sync::Arc;

use crate::jobs::{JobEvent, JobId};
use crate::models::hyper::RawValue;
use crate::monitor::MonitorReport;
use crate::monitor::backtest::{Backtest, BacktestSpec};
use crate::store::Run;
use crate::tui::app::{AppState, Command, Screen, Status};

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
