//! The Train screen's job list: what each job's status says, which jobs the `/` filter
//! shows, and how the highlight moves among them.
//!
//! The highlight stays an index into [`AppState::jobs`] (the Train view's list and detail
//! pane, the `c` key's cancel and the clipboard copy of the job list read it); the filter
//! only decides which jobs it may land on.

use super::app::{AppState, JobStatus, TrainJob};

impl TrainJob {
    /// The status column: the stage while running, the outcome after.
    pub fn status_text(&self) -> String {
        match &self.status {
            JobStatus::Running => self.stage.clone(),
            JobStatus::Finished {
                precision: Some((m, b)),
            } => format!("done: P@k {m:.4} vs popularity {b:.4}"),
            JobStatus::Finished { precision: None } => "done".to_owned(),
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
