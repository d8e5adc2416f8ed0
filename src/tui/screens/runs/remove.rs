//! Deleting and archiving runs from the Runs screen and the palette. `D`, or a typed
//! `:delete ID`, puts `delete ID` (the whole id) in the palette, so Enter confirms and
//! Esc keeps the run; `A` and `:archive ID` archive at once, as archiving loses nothing.
//! Both move folders, so they are jobs.

use crate::jobs::JobEvent;
use crate::tui::app::{AppState, Command, Status};

impl AppState {
    /// Asks to delete the highlighted run: the palette holds the command until Enter.
    pub(crate) fn ask_delete(&mut self) -> Vec<Command> {
        let Some(id) = self.runs.selected_run().map(|r| r.id.clone()) else {
            self.status = Status::error("no run highlighted");
            return Vec::new();
        };
        self.confirm_delete(id)
    }

    /// Puts `delete ID` back in the palette with the whole id: Enter deletes, Esc keeps.
    pub(crate) fn confirm_delete(&mut self, id: String) -> Vec<Command> {
        let commands = self.open_palette(format!("delete {id}"));
        self.status = Status::info(format!(
            "Enter deletes run {id} for good; Esc keeps it (A archives instead)"
        ));
        self.runs.confirm_delete = Some(id);
        commands
    }

    /// Archives the highlighted run.
    pub(crate) fn archive_selected(&mut self) -> Vec<Command> {
        match self.runs.selected_run().map(|r| r.id.clone()) {
            Some(id) => self.remove_run(id, true),
            None => {
                self.status = Status::error("no run highlighted");
                Vec::new()
            }
        }
    }

    /// Deletes run `id` of the workspace, or archives it.
    pub(crate) fn remove_run(&mut self, id: String, archive: bool) -> Vec<Command> {
        let job = self.next_internal_id();
        self.runs.removing = Some(job);
        self.status = Status::info(format!(
            "{} run {id}…",
            if archive { "archiving" } else { "deleting" }
        ));
        vec![Command::RemoveRun {
            id: job,
            workspace: Box::new(self.workspace.clone()),
            run: id,
            archive,
        }]
    }

    pub(crate) fn on_run_removed(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.runs.removing != Some(event.id()) {
            return Err(event);
        }
        self.runs.removing = None;
        match event {
            JobEvent::RunRemoved {
                run, archived_to, ..
            } => {
                let open = if self.inspect.run_label == run {
                    " (Inspect keeps it open from memory until you open another)"
                } else {
                    ""
                };
                self.status = Status::info(match archived_to {
                    Some(to) => format!(
                        "archived run {run} to {} (move it back to runs/ to restore it){open}",
                        to.display()
                    ),
                    None => format!("deleted run {run}{open}"),
                });
                Ok(self.refresh_runs())
            }
            JobEvent::Failed { message, .. } => {
                self.status = Status::error(message);
                Ok(Vec::new())
            }
            _ => Ok(Vec::new()),
        }
    }
}
