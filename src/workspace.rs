//! A workspace: a folder holding `workspace.toml` and the `runs/` trained from it.
//!
//! `latent` with no arguments opens `workspaces/demo`; every run the TUI, `latent train
//! --workspace` or a sweep trains is saved under the workspace's `runs/` with an id made of
//! the time and the model. [`runs`] lists and reads them; [`lock`] keeps two processes
//! from writing the same workspace at once.

use std::path::{Path, PathBuf};

pub mod compare;
pub mod lock;
pub mod recent;
pub mod remove_run;
pub mod replay;
pub mod runs;

use crate::config::{ConfigError, WorkspaceConfig};

pub use lock::{LockError, WorkspaceLock};
pub use runs::RunSummary;

/// The demo workspace: `workspaces/demo` in the current folder or the nearest folder
/// above it holding one, so `latent` works from a clone's root or anywhere inside it,
/// whichever binary runs.
pub fn demo() -> Result<PathBuf, ConfigError> {
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    demo_from(&here)
}

/// [`demo`] searched from `dir`.
pub fn demo_from(dir: &Path) -> Result<PathBuf, ConfigError> {
    dir.ancestors()
        .map(|d| d.join("workspaces").join("demo"))
        .find(|d| d.join("workspace.toml").is_file())
        .ok_or_else(|| ConfigError::NoDemo {
            from: dir.to_owned(),
        })
}

/// An opened workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder.
    pub root: PathBuf,
    /// Its `workspace.toml`.
    pub config_path: PathBuf,
    pub config: WorkspaceConfig,
}

impl Workspace {
    /// Opens a workspace folder or its `workspace.toml`.
    pub fn open(path: &Path) -> Result<Self, ConfigError> {
        let config_path = if path.is_dir() {
            path.join("workspace.toml")
        } else {
            path.to_owned()
        };
        let root = config_path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let config = WorkspaceConfig::load(&config_path)?;
        Ok(Self {
            root,
            config_path,
            config,
        })
    }

    /// The workspace of `dir` or its nearest parent holding a `workspace.toml`; the demo
    /// workspace when there is none.
    pub fn discover(dir: &Path) -> Result<Self, ConfigError> {
        let found = dir
            .ancestors()
            .find(|d| d.join("workspace.toml").is_file())
            .map(Path::to_path_buf);
        Self::open(&found.map_or_else(demo, Ok)?)
    }

    /// A run of this workspace by id, or `text` itself when it is a run folder's path.
    pub fn run_dir(&self, text: &str) -> PathBuf {
        let as_path = PathBuf::from(text);
        if as_path.join("run.toml").exists() || as_path.join("status.json").exists() {
            as_path
        } else {
            self.runs_dir().join(text)
        }
    }

    /// The folder runs are saved in.
    pub fn runs_dir(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// A fresh run folder name: `YYYYMMDD-HHMMSS-model`, with a suffix if taken. Only a
    /// proposal (another job may take it first): [`Workspace::claim_run_dir`] makes one
    /// that is this caller's alone.
    pub fn new_run_dir(&self, model: &str) -> PathBuf {
        let base = self.run_dir_base(model);
        let mut dir = base.clone();
        let mut n = 2;
        while dir.exists() {
            dir = PathBuf::from(format!("{}-{n}", base.display()));
            n += 1;
        }
        dir
    }

    /// Creates a fresh, empty run folder for `model` and returns it. The folder is made
    /// with one `mkdir`, which the file system grants to one caller only, so two runs
    /// started in the same second (in one process or two) never share a folder.
    pub fn claim_run_dir(&self, model: &str) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(self.runs_dir())?;
        let base = self.run_dir_base(model);
        let mut dir = base.clone();
        for n in 2..10_000 {
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(dir),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    dir = PathBuf::from(format!("{}-{n}", base.display()));
                }
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other(format!(
            "every run folder name from '{}' on is taken",
            base.display()
        )))
    }

    /// The run folder a run of `model` started now would get, from the clock alone (no
    /// file system): the workbench proposes it without blocking, and the training job
    /// claims it or the next free name.
    pub fn run_dir_base(&self, model: &str) -> PathBuf {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let stamp = crate::data::timestamps::format_timestamp(now)
            .replace(['-', ':'], "")
            .replace(' ', "-");
        self.runs_dir().join(format!("{stamp}-{model}"))
    }

    /// Every run folder, newest first: finished ones with their metrics, and those that
    /// are running, failed, cancelled or were interrupted. Folders that vanish or are not
    /// runs are skipped.
    pub fn list_runs(&self) -> Vec<RunSummary> {
        runs::list(&self.runs_dir())
    }

    /// Takes the workspace's write lock for `purpose` (e.g. "latent sweep").
    pub fn lock(&self, purpose: &str) -> Result<WorkspaceLock, LockError> {
        WorkspaceLock::acquire(&self.root, purpose)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_found_from_any_folder_inside_the_clone_and_missed_clearly_outside() {
        let clone = tempfile::tempdir().unwrap();
        let demo = clone.path().join("workspaces").join("demo");
        std::fs::create_dir_all(&demo).unwrap();
        std::fs::write(demo.join("workspace.toml"), "").unwrap();
        let deep = clone.path().join("src").join("models");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(demo_from(clone.path()).unwrap(), demo);
        assert_eq!(demo_from(&deep).unwrap(), demo);
        let elsewhere = tempfile::tempdir().unwrap();
        let err = demo_from(elsewhere.path()).unwrap_err().to_string();
        assert!(err.contains("no demo workspace"), "{err}");
        assert!(err.contains("--workspace PATH"), "{err}");
        assert!(
            err.contains(&elsewhere.path().display().to_string()),
            "{err}"
        );
    }
}
