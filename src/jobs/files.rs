//! Small file-system jobs for the workbench: listing runs, listing a folder for the
//! palette's file picker, and writing a table to a file. Each is quick on a local disk
//! and slow on a network mount, so none of them runs on the UI thread.

use std::path::{Path, PathBuf};

use super::{JobEvent, JobHandle, JobId, Sink, spawn_once};
use crate::workspace::Workspace;

/// Lists `workspace`'s runs in the background.
pub fn spawn_list_runs(id: JobId, workspace: Workspace, sink: Sink) -> std::io::Result<JobHandle> {
    spawn_once("list-runs", id, sink, move || JobEvent::RunsListed {
        id,
        runs: workspace.list_runs(),
    })
}

/// Lists the data files (CSV, Parquet) and subfolders of `dir` (empty: the working
/// folder) in the background; hidden entries are left out.
pub fn spawn_list_files(id: JobId, dir: String, sink: Sink) -> std::io::Result<JobHandle> {
    spawn_once("list-files", id, sink, move || {
        let entries = data_entries(if dir.is_empty() {
            Path::new(".")
        } else {
            Path::new(&dir)
        });
        JobEvent::FilesListed { id, dir, entries }
    })
}

/// Deletes run `run` of `workspace`, or archives it, in the background.
pub fn spawn_remove_run(
    id: JobId,
    workspace: Workspace,
    run: String,
    archive: bool,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    spawn_once("remove-run", id, sink, move || {
        let removed = if archive {
            workspace.archive_run(&run).map(Some)
        } else {
            workspace.delete_run(&run).map(|()| None)
        };
        match removed {
            Ok(archived_to) => JobEvent::RunRemoved {
                id,
                run,
                archived_to,
            },
            Err(e) => JobEvent::Failed {
                id,
                knob: None,
                message: e.to_string(),
            },
        }
    })
}

/// Reads the workspace file `path` again in the background (`r` on Data).
pub fn spawn_read_workspace(id: JobId, path: PathBuf, sink: Sink) -> std::io::Result<JobHandle> {
    spawn_once(
        "read-workspace",
        id,
        sink,
        move || match crate::config::WorkspaceConfig::load(&path) {
            Ok(config) => JobEvent::WorkspaceRead {
                id,
                config: Box::new(config),
            },
            Err(e) => JobEvent::Failed {
                id,
                knob: None,
                message: e.to_string(),
            },
        },
    )
}

/// Writes `text` to `path` atomically in the background.
pub fn spawn_save_text(
    id: JobId,
    path: PathBuf,
    text: String,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    spawn_once("save", id, sink, move || {
        let written = crate::data::write::write_atomically(&path, |w| {
            std::io::Write::write_all(w, text.as_bytes()).map_err(Into::into)
        });
        match written {
            Ok(()) => JobEvent::Saved {
                id,
                lines: text.lines().count(),
                path,
            },
            Err(e) => JobEvent::Failed {
                id,
                knob: None,
                message: format!("cannot write '{}': {e}", path.display()),
            },
        }
    })
}

/// `(name, is a folder)` of the folders and data files in `dir`, sorted; empty when the
/// folder cannot be read.
fn data_entries(dir: &Path) -> Vec<(String, bool)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, bool)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.path().is_dir();
            let data = Path::new(&name)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| {
                    e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("parquet")
                });
            (!name.starts_with('.') && (is_dir || data)).then_some((name, is_dir))
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_data_files_are_listed_hidden_and_other_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.csv", "a.PARQUET", "notes.txt", ".hidden.csv"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(
            data_entries(dir.path()),
            vec![
                ("a.PARQUET".to_owned(), false),
                ("b.csv".to_owned(), false),
                ("sub".to_owned(), true)
            ]
        );
        assert!(data_entries(&dir.path().join("missing")).is_empty());
    }
}
