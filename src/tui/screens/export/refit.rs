//! A run evaluated on a hold-out never saw the held-out days. Export says so, and `R`
//! refits the same model and settings on all the data for production, keeping the
//! evaluated run as the refit's parent (as `latent train --refit-from`).

use crate::experiment::TrainSpec;
use crate::store::Run;
use crate::tui::action::Action;
use crate::tui::app::{AppState, Command, Status, TrainJob};

/// True when `run` was trained with part of its data held out.
pub fn held_out(run: &Run) -> bool {
    !matches!(run.meta.holdout.as_str(), "" | "none")
}

/// What exporting `run` as it is leaves out, and the key that fixes it; none for a run
/// trained on all its data.
pub fn holdout_warning(run: &Run, refit_key: &str) -> Option<String> {
    if !held_out(run) {
        return None;
    }
    let missed = run.metrics.as_ref().map_or(0, |m| m.cold_users).to_string();
    Some(format!(
        "trained with {} held out: its lists miss the {missed} customers who first bought then, and the model never saw those days. {refit_key} refits it on all the data for production",
        run.meta.holdout
    ))
}

impl AppState {
    /// Refits the run open in Inspect on all its data, as a training job the user follows.
    pub(crate) fn start_refit(&mut self) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            self.status = Status::error("no run open: train one, or open one on the Runs screen");
            return Vec::new();
        };
        let parent = self.inspect.run_label.clone();
        if !held_out(&run) {
            self.status = Status::info(format!(
                "run {parent} was trained on all its data: nothing to refit"
            ));
            return Vec::new();
        }
        let spec = match TrainSpec::refit(&run, None, &parent) {
            Ok(spec) => spec,
            Err(e) => {
                self.status = Status::error(format!("cannot refit run {parent}: {e}"));
                return Vec::new();
            }
        };
        let id = self.next_job_id();
        let name = spec.model.name();
        let dir = self.workspace.run_dir_base(name);
        let settings = format!("refit of {parent} · {}", spec.params.key_settings(4));
        self.follow_job(TrainJob::queued(id, name, 0, dir.clone()).with_settings(settings));
        self.status = Status::info(format!(
            "refitting run {parent} on all the data (job {id}); it opens in Inspect and Export when done ({} on Train cancels)",
            self.keymap.label(Action::Cancel)
        ));
        vec![Command::Train {
            id,
            spec: Box::new(spec),
            dir,
        }]
    }
}
