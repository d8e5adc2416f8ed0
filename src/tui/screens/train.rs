//! The Train screen's job list: what each job's status says, which jobs the `/` filter
//! shows, and how the highlight moves among them.
//!
//! The highlight stays an index into [`AppState::jobs`] (the Train view's list and detail
//! pane, the `c` key's cancel and the clipboard copy of the job list read it); the filter
//! only decides which jobs it may land on. Training and sweep jobs report here; a
//! finished run opens in Inspect.

pub mod view;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::jobs::{JobEvent, JobId};
use crate::tui::app::{AppState, Command, Screen, Status};

/// How a training job is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    Running,
    Finished {
        precision: Option<(f64, f64)>,
        /// The model does worse than its baseline ([`crate::eval::EvalReport::below_baseline`]).
        flagged: bool,
    },
    Failed(String),
    Cancelled,
}

/// A training job as the Train screen shows it.
#[derive(Debug, Clone)]
pub struct TrainJob {
    pub id: JobId,
    pub label: String,
    /// The settings that tell this job from the others (`als_rank=64 …`, a sweep's grid,
    /// a tune's budget): the Jobs table, its filter and its copy show them.
    pub settings: String,
    pub status: JobStatus,
    pub stage: String,
    /// `(iteration, loss)` per sweep.
    pub history: Vec<(usize, f64)>,
    pub planned: usize,
    pub elapsed: Duration,
    pub dir: PathBuf,
    /// `(epoch, value)` of the validation metric, for models that report one (FM).
    pub validation: Vec<(usize, f64)>,
    /// The validation metric's name.
    pub metric: &'static str,
    /// A tune's trials, in the order tried.
    pub trials: Vec<crate::store::TrialRecord>,
}

/// `(x, y)` points of a chart.
pub type Points = Vec<(f64, f64)>;

/// How a tune's trials table is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialOrder {
    /// As tried.
    Tried,
    /// Best validation first; failed trials last.
    Best,
}

impl TrialOrder {
    pub fn next(self) -> Self {
        match self {
            TrialOrder::Tried => TrialOrder::Best,
            TrialOrder::Best => TrialOrder::Tried,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TrialOrder::Tried => "as tried",
            TrialOrder::Best => "best first",
        }
    }
}

impl TrainJob {
    /// The trials in `order`; `lower_is_better` for error metrics (RMSE).
    pub fn ordered_trials(
        &self,
        order: TrialOrder,
        lower_is_better: bool,
    ) -> Vec<&crate::store::TrialRecord> {
        let mut trials: Vec<_> = self.trials.iter().collect();
        if order == TrialOrder::Best {
            let key = |t: &crate::store::TrialRecord| {
                t.validation
                    .map_or(f64::NEG_INFINITY, |v| if lower_is_better { -v } else { v })
            };
            trials.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.trial.cmp(&b.trial)));
        }
        trials
    }

    /// `(trial, value)` of every scored trial, and the best so far after each.
    pub fn trial_series(&self, lower_is_better: bool) -> (Points, Points) {
        let mut best: Option<f64> = None;
        let mut points = Vec::new();
        let mut best_line = Vec::new();
        for t in &self.trials {
            if let Some(v) = t.validation {
                points.push((t.trial as f64, v));
                let better = best.is_none_or(|b| if lower_is_better { v < b } else { v > b });
                if better {
                    best = Some(v);
                }
            }
            if let Some(b) = best {
                best_line.push((t.trial as f64, b));
            }
        }
        (points, best_line)
    }
}

impl TrainJob {
    /// A job just asked for, before its worker reports.
    pub fn queued(id: JobId, label: &str, planned: usize, dir: PathBuf) -> Self {
        Self {
            id,
            label: label.to_owned(),
            settings: String::new(),
            status: JobStatus::Running,
            stage: "queued".into(),
            history: Vec::new(),
            planned,
            elapsed: Duration::ZERO,
            dir,
            validation: Vec::new(),
            metric: "",
            trials: Vec::new(),
        }
    }

    /// The job with its key settings.
    pub fn with_settings(mut self, settings: impl Into<String>) -> Self {
        self.settings = settings.into();
        self
    }

    /// What a training of `spec` is: its first settings, and its hold-out when it has one.
    pub fn training_settings(spec: &crate::experiment::TrainSpec) -> String {
        let settings = spec.params.key_settings(4);
        match spec.holdout {
            crate::experiment::Holdout::None => settings,
            ref h => format!("{settings} · hold-out {}", h.label()),
        }
    }

    /// True when the job finished with a model that does worse than its baseline.
    pub fn below_baseline(&self) -> bool {
        matches!(self.status, JobStatus::Finished { flagged: true, .. })
    }

    /// Seconds left at the current pace, once a sweep is done.
    pub fn eta(&self) -> Option<Duration> {
        let done = self.history.len();
        (self.status == JobStatus::Running && done > 0 && self.planned > done).then(|| {
            self.elapsed
                .mul_f64((self.planned - done) as f64 / done as f64)
        })
    }
}

impl TrainJob {
    /// The status column: the stage while running, the outcome after.
    pub fn status_text(&self) -> String {
        match &self.status {
            JobStatus::Running => self.stage.clone(),
            JobStatus::Finished { flagged: true, .. } => {
                "✗ worse than its baseline: do not deploy".to_owned()
            }
            JobStatus::Finished {
                precision: Some((m, b)),
                ..
            } => format!("done: P@k {m:.4} vs popularity {b:.4}"),
            JobStatus::Finished { .. } => "done".to_owned(),
            JobStatus::Failed(e) => format!("failed: {e}"),
            JobStatus::Cancelled => "cancelled".to_owned(),
        }
    }
}

impl AppState {
    /// Indices into `jobs` of the jobs the filter shows (number, model or status).
    pub fn visible_jobs(&self) -> Vec<usize> {
        let m = self.jobs_filter.matcher();
        (0..self.jobs.len())
            .filter(|&i| {
                let j = &self.jobs[i];
                m.matches([
                    format!("#{}", j.id).as_str(),
                    j.label.as_str(),
                    j.settings.as_str(),
                    j.status_text().as_str(),
                ])
            })
            .collect()
    }

    /// The highlighted job, if the filter shows it.
    pub fn selected_visible_job(&self) -> Option<&TrainJob> {
        self.visible_jobs()
            .contains(&self.selected_job)
            .then(|| self.jobs.get(self.selected_job))
            .flatten()
    }

    /// Moves the highlight `delta` shown jobs up or down.
    pub(crate) fn step_job(&mut self, delta: isize) {
        let shown = self.visible_jobs();
        if shown.is_empty() {
            return;
        }
        let at = shown
            .iter()
            .position(|&i| i == self.selected_job)
            .map_or(0, |p| {
                (p as isize + delta).clamp(0, shown.len() as isize - 1) as usize
            });
        self.selected_job = shown[at];
    }

    /// Moves the highlight to the first shown job when the filter hides it.
    pub(crate) fn clamp_job_selection(&mut self) {
        let shown = self.visible_jobs();
        if !shown.contains(&self.selected_job)
            && let Some(&first) = shown.first()
        {
            self.selected_job = first;
        }
    }
}

impl AppState {
    /// Adds `job` to the list, highlights it and shows the Train screen.
    pub(crate) fn follow_job(&mut self, job: TrainJob) {
        self.jobs.push(job);
        self.selected_job = self.jobs.len() - 1;
        self.screen = Screen::Train;
    }

    /// Enter on a job: opens the run it saved, or says why there is none yet.
    pub(crate) fn open_selected_job_run(&mut self) -> Vec<Command> {
        let Some(job) = self.selected_visible_job() else {
            return Vec::new();
        };
        let number = job.id;
        match &job.status {
            JobStatus::Finished { .. } => {
                let dir = job.dir.clone();
                let label = super::runs::run_label(&dir);
                let id = self.next_internal_id();
                self.runs.opening = Some(id);
                self.status = Status::info(format!("opening run {label} (job {number})"));
                vec![Command::LoadRun { id, dir }]
            }
            JobStatus::Running => {
                self.status = Status::info(format!(
                    "job {number} is still running: its run opens in Inspect when it finishes"
                ));
                Vec::new()
            }
            JobStatus::Failed(e) => {
                self.status =
                    Status::error(format!("job {number} failed, so it saved no run: {e}"));
                Vec::new()
            }
            JobStatus::Cancelled => {
                self.status = Status::info(format!("job {number} was cancelled: it saved no run"));
                Vec::new()
            }
        }
    }

    /// Cancels the highlighted job while it runs.
    pub(crate) fn cancel_selected_job(&mut self) -> Vec<Command> {
        let Some(id) = self
            .selected_visible_job()
            .filter(|j| j.status == JobStatus::Running)
            .map(|j| j.id)
        else {
            return Vec::new();
        };
        self.status = Status::info(format!("cancelling job {id}"));
        vec![Command::Cancel(id)]
    }

    pub(crate) fn on_train_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        let id = event.id();
        let Some(job) = self.jobs.iter_mut().find(|j| j.id == id) else {
            return Err(event);
        };
        match event {
            JobEvent::Started { label, .. } => job.label = label,
            JobEvent::Stage { message, .. } => job.stage = message,
            JobEvent::Progress {
                iteration,
                of,
                loss,
                elapsed,
                validation,
                ..
            } => {
                job.planned = of;
                job.elapsed = elapsed;
                job.history.push((iteration, loss));
                job.stage = format!("iteration {iteration}/{of}");
                if let Some((metric, value)) = validation {
                    job.metric = metric;
                    job.validation.push((iteration, value));
                    job.stage =
                        format!("iteration {iteration}/{of}, validation {metric} {value:.4}");
                }
            }
            JobEvent::Trial { trial, .. } => {
                job.elapsed += std::time::Duration::from_secs_f64(trial.seconds);
                let value = trial
                    .validation
                    .map_or_else(|| "failed".to_owned(), |v| format!("{v:.4}"));
                job.stage = format!("trial {}: {} {value}", trial.trial, trial.model.name());
                job.trials.push(*trial);
            }
            JobEvent::Finished { run, dir, .. } => {
                let metrics = run.metrics.as_ref();
                job.status = JobStatus::Finished {
                    precision: metrics.map(|m| (m.model.precision, m.baseline.precision)),
                    flagged: metrics.is_some_and(crate::eval::EvalReport::is_below_baseline),
                };
                job.stage = "finished".into();
                // Where the run was saved: Enter on the job opens it later.
                job.dir.clone_from(&dir);
                let label = super::runs::run_label(&dir);
                // The run open in Inspect and Export changes only for the job the user is
                // watching (highlighted on Train), or when none is open: a job finishing
                // in the background never swaps the run being inspected or exported.
                let watched = self.screen == Screen::Train
                    && self.jobs.get(self.selected_job).is_some_and(|j| j.id == id);
                let opens = watched || self.inspect.run.is_none();
                let opened = if opens {
                    format!("; open in Inspect as run {label}")
                } else {
                    format!(
                        "; Inspect keeps run {} (Enter on Runs opens the new one)",
                        self.inspect.run_label
                    )
                };
                let why = (run.metrics.as_ref())
                    .and_then(|r| crate::tui::knob_words::below_baseline(self, r));
                self.status = match why {
                    Some(why) => {
                        Status::error(format!("run saved to {}{opened}; {why}", dir.display()))
                    }
                    None => Status::info(format!("run saved to {}{opened}", dir.display())),
                };
                let mut commands = if opens {
                    self.open_in_inspect(Arc::new(*run), label)
                } else {
                    Vec::new()
                };
                commands.extend(self.refresh_runs());
                return Ok(commands);
            }
            JobEvent::Failed { message, .. } => {
                self.status = Status::error(format!("training failed: {message}"));
                job.status = JobStatus::Failed(message);
            }
            JobEvent::Cancelled { .. } => {
                job.status = JobStatus::Cancelled;
                job.stage = "cancelled".into();
                self.status = Status::info(format!("job {id} cancelled"));
            }
            _ => {}
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_below_its_baseline_says_so_and_one_above_does_not() {
        let mut job = TrainJob::queued(1, "rp3beta", 0, PathBuf::from("runs/x"));
        job.status = JobStatus::Finished {
            precision: Some((0.02, 0.03)),
            flagged: true,
        };
        assert!(job.below_baseline());
        assert!(job.status_text().contains("do not deploy"));
        job.status = JobStatus::Finished {
            precision: Some((0.05, 0.03)),
            flagged: false,
        };
        assert!(!job.below_baseline());
        assert_eq!(job.status_text(), "done: P@k 0.0500 vs popularity 0.0300");
    }
}
