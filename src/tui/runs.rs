//! The Runs screen's state: the workspace's runs, filtered and sorted, a marked run to
//! compare with, and the comparison once a worker has computed it.

use super::filter::TableFilter;
use crate::store::RunState;
use crate::workspace::RunSummary;
use crate::workspace::compare::RunDiff;

/// How the run table is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RunSort {
    /// Newest first.
    #[default]
    Time,
    Precision,
    Ndcg,
    /// Fastest first.
    Fit,
}

impl RunSort {
    /// The next order, for the `s` key.
    pub fn next(self) -> Self {
        match self {
            RunSort::Time => RunSort::Precision,
            RunSort::Precision => RunSort::Ndcg,
            RunSort::Ndcg => RunSort::Fit,
            RunSort::Fit => RunSort::Time,
        }
    }

    /// The name shown in the title.
    pub fn name(self) -> &'static str {
        match self {
            RunSort::Time => "newest",
            RunSort::Precision => "precision",
            RunSort::Ndcg => "ndcg",
            RunSort::Fit => "fit time",
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
    pub comparing: Option<crate::jobs::JobId>,
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
        let metric = |i: usize, f: fn(&crate::eval::RankingMetrics) -> f64| {
            self.all[i]
                .metrics
                .as_ref()
                .map_or(f64::NEG_INFINITY, |m| f(&m.model))
        };
        match self.sort {
            RunSort::Time => {}
            RunSort::Precision => shown.sort_by(|&a, &b| {
                metric(b, |m| m.precision).total_cmp(&metric(a, |m| m.precision))
            }),
            RunSort::Ndcg => {
                shown.sort_by(|&a, &b| metric(b, |m| m.ndcg).total_cmp(&metric(a, |m| m.ndcg)));
            }
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
