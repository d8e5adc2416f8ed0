//! `r` on Data reads `workspace.toml` again, so an edit made in another window (new
//! `[fm]` values, `item_features`, a cleaning rule) takes effect without a restart. Only
//! what the file changed since it was last read is taken: a window set with `w` or a
//! Tune edit the file did not touch stays. The status line names each changed section
//! with what it reaches (the data, the next training, the next search) and the values
//! this session kept.

use crate::jobs::JobEvent;
use crate::tui::app::{AppState, Command, Status};

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
                let file = *config;
                let changed = self.workspace_file.changed_sections(&file);
                self.workspace.config = self.workspace.config.rebased(&self.workspace_file, &file);
                let kept = self.tune.rebase(&self.workspace_file, &file);
                self.workspace_file = file;
                Status::info(reread_note(&changed, &kept, &self.inspect.run_label))
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

/// What re-reading the file did, in one line: each changed section with what it reaches,
/// then the session's own values that were kept.
fn reread_note(changed: &[String], kept: &[&str], open_run: &str) -> String {
    let mut parts = Vec::new();
    for which in [Reach::Data, Reach::Training, Reach::Search, Reach::Title] {
        let sections: Vec<String> = changed
            .iter()
            .filter(|s| reach(s) == which)
            .map(|s| format!("[{s}]"))
            .collect();
        if sections.is_empty() {
            continue;
        }
        let open = if open_run.is_empty() {
            String::new()
        } else {
            format!(" (run {open_run} keeps its own)")
        };
        let what = match which {
            Reach::Data => "the data reloads with it".to_owned(),
            Reach::Training => format!("reaches the next training{open}"),
            Reach::Search => "reaches the next search".to_owned(),
            Reach::Title => "shows in the title".to_owned(),
        };
        parts.push(format!("{}: {what}", sections.join(", ")));
    }
    let mut note = if parts.is_empty() {
        "workspace.toml unchanged: the data reloads".to_owned()
    } else {
        format!("workspace.toml read again: {}", parts.join("; "))
    };
    if !kept.is_empty() {
        note = format!("{note}; kept this session's {}", kept.join(", "));
    }
    note
}

/// What a section of `workspace.toml` reaches when it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Loading, cleaning, the window: the Data screen reloads.
    Data,
    /// A model's settings, the list length, the rules: saved with the next run.
    Training,
    /// `[tune]`: the next search's defaults.
    Search,
    /// The workspace's name and description.
    Title,
}

fn reach(section: &str) -> Reach {
    match section {
        "data" | "cleaning" | "interactions" => Reach::Data,
        "tune" => Reach::Search,
        "name" | "description" => Reach::Title,
        _ => Reach::Training,
    }
}
