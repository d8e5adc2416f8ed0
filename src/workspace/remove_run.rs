//! Deleting and archiving runs, so a session's 34 trials do not bury the two that matter.
//!
//! Both take the run out of `runs/` in one rename, so a listing sees the whole run or
//! none of it. Archiving moves it to `<workspace>/archive/`, out of every table and kept
//! on disk (move it back to restore it); deleting renames it to a hidden name first and
//! then removes it, so a removal cut short leaves no half run behind in the list.

use std::path::PathBuf;

use super::Workspace;
use super::runs::RunSummary;
use crate::store::RunState;

/// Why a run cannot be deleted or archived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoveRunError {
    #[error(
        "'{id}' is not a run id: run ids are the folder names under {} (the Runs screen and `latent runs list` show them)",
        runs.display()
    )]
    BadId { id: String, runs: PathBuf },
    #[error(
        "no run '{id}' in {}: the runs list shows the ids",
        runs.display()
    )]
    NotFound { id: String, runs: PathBuf },
    #[error("run '{id}' is still training: cancel it first")]
    Running { id: String },
    #[error("cannot {action} run '{id}': {message}")]
    Io {
        action: &'static str,
        id: String,
        message: String,
    },
}

impl Workspace {
    /// Where archived runs go.
    pub fn archive_dir(&self) -> PathBuf {
        self.root.join("archive")
    }

    /// Deletes run `id` for good.
    pub fn delete_run(&self, id: &str) -> Result<(), RemoveRunError> {
        let dir = self.removable_run(id)?;
        let io = |e: std::io::Error| RemoveRunError::Io {
            action: "delete",
            id: id.to_owned(),
            message: e.to_string(),
        };
        let trash = self
            .runs_dir()
            .join(format!(".deleting-{id}-{}", std::process::id()));
        std::fs::rename(&dir, &trash).map_err(io)?;
        std::fs::remove_dir_all(&trash).map_err(io)
    }

    /// Moves run `id` to the archive folder; returns where it went.
    pub fn archive_run(&self, id: &str) -> Result<PathBuf, RemoveRunError> {
        let dir = self.removable_run(id)?;
        let io = |e: std::io::Error| RemoveRunError::Io {
            action: "archive",
            id: id.to_owned(),
            message: e.to_string(),
        };
        let archive = self.archive_dir();
        std::fs::create_dir_all(&archive).map_err(io)?;
        // An id archived before keeps its folder; this one gets the next free name.
        let target = (1..=u32::MAX)
            .map(|n| match n {
                1 => archive.join(id),
                n => archive.join(format!("{id}-{n}")),
            })
            .find(|p| !p.exists())
            .unwrap_or_else(|| archive.join(id));
        std::fs::rename(&dir, &target).map_err(io)?;
        Ok(target)
    }

    /// The folder of run `id`, when it is a run of this workspace that is not training.
    fn removable_run(&self, id: &str) -> Result<PathBuf, RemoveRunError> {
        let runs = self.runs_dir();
        if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\']) {
            return Err(RemoveRunError::BadId {
                id: id.to_owned(),
                runs,
            });
        }
        let dir = runs.join(id);
        match RunSummary::read(&dir) {
            None => Err(RemoveRunError::NotFound {
                id: id.to_owned(),
                runs,
            }),
            Some(r) if r.state == RunState::Running => {
                Err(RemoveRunError::Running { id: id.to_owned() })
            }
            Some(_) => Ok(dir),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorkspaceConfig;
    use crate::models::ModelKind;
    use crate::store::RunWriter;

    fn workspace(root: &std::path::Path) -> Workspace {
        Workspace {
            root: root.to_owned(),
            config_path: root.join("workspace.toml"),
            config: WorkspaceConfig::default(),
        }
    }

    fn failed_run(ws: &Workspace, id: &str) {
        RunWriter::start(
            &ws.runs_dir().join(id),
            ModelKind::Als,
            &WorkspaceConfig::default(),
        )
        .unwrap()
        .fail("boom");
    }

    #[test]
    fn archiving_moves_a_run_out_of_the_list_and_deleting_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(dir.path());
        for id in ["a", "b", "c"] {
            failed_run(&ws, id);
        }
        let to = ws.archive_run("a").unwrap();
        assert_eq!(to, ws.archive_dir().join("a"));
        assert!(to.is_dir());
        failed_run(&ws, "a");
        assert_eq!(ws.archive_run("a").unwrap(), ws.archive_dir().join("a-2"));
        ws.delete_run("b").unwrap();
        let left: Vec<String> = ws.list_runs().into_iter().map(|r| r.id).collect();
        assert_eq!(left, vec!["c".to_owned()]);
        assert!(
            std::fs::read_dir(ws.runs_dir()).unwrap().count() == 1,
            "no trash left behind"
        );
    }

    #[test]
    fn ids_that_are_not_runs_of_the_workspace_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ws = workspace(dir.path());
        failed_run(&ws, "a");
        for bad in ["", "../a", ".staging", "a/b"] {
            assert!(
                matches!(ws.delete_run(bad), Err(RemoveRunError::BadId { .. })),
                "{bad}"
            );
        }
        let err = ws.archive_run("nope").unwrap_err();
        assert!(
            err.to_string().contains("the runs list shows the ids"),
            "{err}"
        );
        assert!(ws.runs_dir().join("a").is_dir(), "nothing else moved");
    }
}
