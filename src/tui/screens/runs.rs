//! The Runs screen's state: the workspace's runs, filtered and sorted, a marked run to
//! compare with, and the comparison once a worker has computed it. Listing, comparing
//! and opening runs read folders, so each is a job.

pub mod by_id;
pub mod remove;
pub mod view;

use std::sync::Arc;

use crate::jobs::{JobEvent, JobId};
use crate::store::RunState;
use crate::tui::action::Action;
use crate::tui::app::{AppState, Command, Screen, Status};
use crate::tui::filter::TableFilter;
use crate::workspace::RunSummary;
use crate::workspace::compare::RunDiff;

/// How the run table is ordered: by one of its columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RunSort {
    /// Newest first.
    #[default]
    Time,
    /// By the metric column (`:metric` chooses it), best first.
    Metric,
    /// By the lift over the popularity baseline on that metric, best first.
    Lift,
    /// Fastest first.
    Fit,
}

impl RunSort {
    /// The next order, for the `s` key.
    pub fn next(self) -> Self {
        match self {
            RunSort::Time => RunSort::Metric,
            RunSort::Metric => RunSort::Lift,
            RunSort::Lift => RunSort::Fit,
            RunSort::Fit => RunSort::Time,
        }
    }

    /// The column it sorts by, as the title says it.
    pub fn name(self, metric: crate::eval::Metric) -> String {
        match self {
            RunSort::Time => "newest".to_owned(),
            RunSort::Metric => metric.name().to_owned(),
            RunSort::Lift => format!("lift on {}", metric.name()),
            RunSort::Fit => "fit time".to_owned(),
        }
    }
}

/// One sweep's trials for the chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepChart {
    pub id: String,
    /// The metric trials were chosen by.
    pub metric: String,
    /// `(trial, validation value, best)`.
    pub trials: Vec<(usize, f64, bool)>,
}

/// Two runs compared.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub diff: Box<RunDiff>,
}

/// The Runs screen.
#[derive(Debug, Clone, Default)]
pub struct RunsState {
    /// Every run, newest first, as listed.
    pub all: Vec<RunSummary>,
    /// Position in [`RunsState::visible`].
    pub selected: usize,
    /// Text every shown run's id, model or status contains.
    pub filter: TableFilter,
    pub sort: RunSort,
    /// The run marked with Space, to compare with the selected one.
    pub marked: Option<String>,
    pub comparison: Option<Comparison>,
    /// The job computing a comparison.
    pub comparing: Option<JobId>,
    /// The listing job whose answer is awaited; older answers are dropped.
    pub listing: Option<JobId>,
    /// The run being opened for Inspect.
    pub opening: Option<JobId>,
    /// The metric of the table's metric column and of the chart (`:metric ndcg`).
    pub metric: crate::eval::Metric,
    /// The job deleting or archiving a run.
    pub removing: Option<JobId>,
    /// The run a `delete` asked about: the next palette line deletes it only if it is
    /// `delete` of this same run, so a typed `:delete ID` asks first, as `D` does.
    pub confirm_delete: Option<String>,
}

impl RunsState {
    /// Replaces the list, keeping the selection in range.
    pub fn set(&mut self, runs: Vec<RunSummary>) {
        self.all = runs;
        self.clamp();
    }

    /// Indices into `all` of the runs shown, in display order.
    pub fn visible(&self) -> Vec<usize> {
        let m = self.filter.matcher();
        let mut shown: Vec<usize> = (0..self.all.len())
            .filter(|&i| {
                let r = &self.all[i];
                m.matches([r.id.as_str(), r.model.as_str(), r.state.name()])
            })
            .collect();
        // Best first whichever way the metric points; runs without metrics go last.
        let sign = if self.metric.higher_is_better() {
            1.0
        } else {
            -1.0
        };
        let value = |i: usize, lift: bool| {
            self.all[i].metrics.as_ref().map_or(f64::NEG_INFINITY, |m| {
                let (v, base) = (m.model.get(self.metric), m.baseline.get(self.metric));
                match (lift, base == 0.0) {
                    (false, _) => sign * v,
                    (true, false) => sign * (v / base - 1.0),
                    (true, true) => f64::NEG_INFINITY,
                }
            })
        };
        match self.sort {
            RunSort::Time => {}
            RunSort::Metric => shown.sort_by(|&a, &b| value(b, false).total_cmp(&value(a, false))),
            RunSort::Lift => shown.sort_by(|&a, &b| value(b, true).total_cmp(&value(a, true))),
            RunSort::Fit => shown.sort_by(|&a, &b| {
                let t = |i: usize| {
                    self.all[i]
                        .meta
                        .as_ref()
                        .map_or(f64::INFINITY, |m| m.train_seconds)
                };
                t(a).total_cmp(&t(b))
            }),
        }
        shown
    }

    /// The highlighted run.
    pub fn selected_run(&self) -> Option<&RunSummary> {
        self.visible().get(self.selected).map(|&i| &self.all[i])
    }

    /// Moves the highlight.
    pub fn step(&mut self, delta: isize) {
        let n = self.visible().len();
        self.selected = if n == 0 {
            0
        } else {
            (self.selected as isize + delta).clamp(0, n as isize - 1) as usize
        };
    }

    /// Keeps the highlight on a shown run after the list or filter changed.
    pub fn clamp(&mut self) {
        self.selected = self.selected.min(self.visible().len().saturating_sub(1));
    }

    /// The trials of the highlighted run's sweep.
    pub fn sweep_of_selected(&self) -> Option<SweepChart> {
        let tag = self.selected_run()?.meta.as_ref()?.sweep.clone()?;
        let best_value = self
            .all
            .iter()
            .filter_map(|r| r.meta.as_ref()?.sweep.as_ref())
            .find(|t| t.id == tag.id && t.best)
            .map(|t| t.validation);
        let mut trials: Vec<(usize, f64, bool)> = self
            .all
            .iter()
            .filter(|r| r.state == RunState::Finished)
            .filter_map(|r| r.meta.as_ref()?.sweep.as_ref())
            .filter(|t| t.id == tag.id && t.trial > 0)
            .map(|t| (t.trial, t.validation, Some(t.validation) == best_value))
            .collect();
        trials.sort_by_key(|t| t.0);
        Some(SweepChart {
            id: tag.id,
            metric: tag.metric,
            trials,
        })
    }
}

impl AppState {
    /// Marks the highlighted run to compare with another.
    pub(crate) fn mark_run(&mut self) {
        if let Some(id) = self.runs.selected_run().map(|r| r.id.clone()) {
            self.status = Status::info(format!(
                "marked {id}: highlight another run and press {} to compare",
                self.keymap.key(Action::Compare)
            ));
            self.runs.marked = Some(id);
        }
    }

    /// Compares the marked run with the highlighted one on a worker.
    pub(crate) fn compare_runs(&mut self) -> Vec<Command> {
        let Some(marked) = self.runs.marked.clone() else {
            self.status = Status::error(format!(
                "mark a run with {} first, then highlight another and press {}",
                self.keymap.label(Action::Mark),
                self.keymap.key(Action::Compare)
            ));
            return Vec::new();
        };
        let find = |id: &str| {
            self.runs
                .all
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.dir.clone())
        };
        let (Some(a), Some(b)) = (
            find(&marked),
            self.runs.selected_run().map(|r| r.dir.clone()),
        ) else {
            return Vec::new();
        };
        if a == b {
            self.status = Status::error("highlight a different run than the marked one");
            return Vec::new();
        }
        let id = self.next_internal_id();
        self.runs.comparing = Some(id);
        self.status = Status::info("comparing runs…");
        vec![Command::CompareRuns { id, a, b }]
    }

    /// Opens the highlighted run in Inspect, when it has a model.
    pub(crate) fn open_selected_run(&mut self) -> Vec<Command> {
        let Some(r) = self.runs.selected_run() else {
            return Vec::new();
        };
        if r.state != RunState::Finished {
            self.status = Status::error(format!(
                "run {} has no model: it is {}{}",
                r.id,
                r.state.name(),
                r.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ));
            return Vec::new();
        }
        let (run_id, dir) = (r.id.clone(), r.dir.clone());
        let id = self.next_internal_id();
        self.runs.opening = Some(id);
        self.status = Status::info(format!("opening run {run_id}"));
        vec![Command::LoadRun { id, dir }]
    }

    pub(crate) fn on_runs_listed(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.runs.listing != Some(event.id()) {
            return Err(event);
        }
        match event {
            JobEvent::RunsListed { runs, .. } => {
                self.runs.listing = None;
                self.runs.set(runs);
            }
            JobEvent::Failed { message, .. } => {
                self.runs.listing = None;
                self.status = Status::error(format!("cannot list the runs: {message}"));
            }
            _ => {}
        }
        Ok(Vec::new())
    }

    pub(crate) fn on_compare_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.runs.comparing != Some(event.id()) {
            return Err(event);
        }
        self.runs.comparing = None;
        match event {
            JobEvent::Compared { a, b, diff, .. } => {
                self.status = Status::info(format!("{a} compared with {b}"));
                self.runs.comparison = Some(Comparison { a, b, diff });
            }
            JobEvent::Failed { message, .. } => {
                self.status = Status::error(format!("cannot compare: {message}"));
            }
            _ => {}
        }
        Ok(Vec::new())
    }

    pub(crate) fn on_run_loaded(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.runs.opening != Some(event.id()) {
            return Err(event);
        }
        match event {
            JobEvent::RunLoaded { run, dir, .. } => {
                self.runs.opening = None;
                let label = run_label(&dir);
                self.screen = Screen::Inspect;
                // A run below its baseline says so as it opens, as when it was trained.
                let why = (run.metrics.as_ref())
                    .and_then(|r| crate::tui::knob_words::below_baseline(self, r));
                self.status = match why {
                    Some(why) => {
                        Status::error(format!("run {label} open in Inspect and Export; {why}"))
                    }
                    None => Status::info(format!("run {label} open in Inspect and Export")),
                };
                return Ok(self.open_in_inspect(Arc::new(*run), label));
            }
            JobEvent::Failed { message, .. } => {
                self.runs.opening = None;
                self.status = Status::error(format!("cannot open run: {message}"));
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}

/// A run's name on screen: its folder's name (`20261203-073911-t05`).
pub(crate) fn run_label(dir: &std::path::Path) -> String {
    dir.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}
