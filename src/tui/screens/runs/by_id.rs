//! The palette's run commands: `run ID` opens a run, `compare A B` compares two, by the
//! ids the Runs table's first column shows. They move the Runs table's highlight as the
//! keys would, so the table, Inspect and the comparison agree on which runs they mean.

use crate::tui::app::{AppState, Command, Screen};

use super::RunsState;

impl RunsState {
    /// Highlights the run `id` (its whole id, or the only one ending with it), clearing a
    /// filter that hides it; an id that names no run, or several, is an error saying so.
    pub fn highlight(&mut self, id: &str) -> Result<String, String> {
        let exact = self.all.iter().position(|r| r.id == id);
        let ending: Vec<usize> = (0..self.all.len())
            .filter(|&i| self.all[i].id.ends_with(id))
            .collect();
        let at = match (exact, ending.as_slice()) {
            (Some(i), _) | (None, &[i]) => i,
            (None, []) => {
                return Err(format!(
                    "no run '{id}' in this workspace: the Runs table's first column names them"
                ));
            }
            (None, many) => {
                let names: Vec<&str> = many.iter().map(|&i| self.all[i].id.as_str()).collect();
                return Err(format!(
                    "'{id}' ends {} runs ({}): type more of it",
                    many.len(),
                    names.join(", ")
                ));
            }
        };
        if !self.visible().contains(&at) {
            self.filter = crate::tui::filter::TableFilter::default();
        }
        self.selected = self.visible().iter().position(|&i| i == at).unwrap_or(0);
        Ok(self.all[at].id.clone())
    }
}

impl AppState {
    /// `run ID`: opens the run in Inspect and Export, as Enter on its row does.
    pub(crate) fn open_run_named(&mut self, id: &str) -> Result<Vec<Command>, String> {
        self.runs.highlight(id)?;
        self.screen = Screen::Runs;
        Ok(self.open_selected_run())
    }

    /// `compare A B`: marks `a`, highlights `b` and compares them on the Runs screen.
    pub(crate) fn compare_named(&mut self, a: &str, b: &str) -> Result<Vec<Command>, String> {
        let marked = self.runs.highlight(a)?;
        self.runs.highlight(b)?;
        self.runs.marked = Some(marked);
        self.screen = Screen::Runs;
        Ok(self.compare_runs())
    }
}
