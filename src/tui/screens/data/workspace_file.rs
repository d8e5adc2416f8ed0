//! `r` on Data reads `workspace.toml` again, so an edit made in another window (new
//! `[fm]` values, `item_features`, a cleaning rule) takes effect without a restart: the
//! Data screen reloads with it, the Tune form takes the file's values, and the status
//! line names the sections that changed.

use crate::jobs::JobEvent;
use crate::tui::app::{AppState, Command, Status};
use crate::tui::screens::tune::form::TuneForm;

impl AppState {
    /// Starts reading the workspace file again; the data reloads once it is read.
    pub(crate) fn reread_workspace(&mut self) -> Vec<Command> {
        let id = self.next_internal_id();
        self.rereading = Some(id);
        self.status = Status::info(format!(
            "reading {} again…",
            self.workspace.config_path.display()
        ));
        vec![Command::ReadWorkspace {
            id,
            path: self.workspace.config_path.clone(),
        }]
    }

    pub(crate) fn on_workspace_read(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.rereading != Some(event.id()) {
            return Err(event);
        }
        self.rereading = None;
        let note = match event {
            JobEvent::WorkspaceRead { config, .. } => {
                let mut config = *config;
                // A file opened in this session (`:open`) stays the data until the file
                // itself names another one.
                if config.data.path.is_none() {
                    config
                        .data
                        .path
                        .clone_from(&self.workspace.config.data.path);
                }
                let changed = self.workspace.config.changed_sections(&config);
                self.workspace.config = config;
                self.tune = TuneForm::from_config(&self.workspace.config);
                if changed.is_empty() {
                    Status::info("workspace.toml unchanged: the data reloads")
                } else {
                    Status::info(format!(
                        "workspace.toml read again: [{}] changed; the data reloads and the Tune form took the file's values",
                        changed.join("], [")
                    ))
                }
            }
            JobEvent::Failed { message, .. } => Status::error(format!(
                "{message}: kept the settings in use; the data reloads with them"
            )),
            _ => return Ok(Vec::new()),
        };
        let commands = self.reload_data();
        self.status = note;
        Ok(commands)
    }
}
