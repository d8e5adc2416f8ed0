//! A workspace: a folder holding `workspace.toml` and the `runs/` trained from it.
//!
//! `latent` with no arguments opens `workspaces/demo`; every run the TUI trains is saved
//! under the workspace's `runs/` with an id made of the time and the model.

use std::path::{Path, PathBuf};

use crate::config::{ConfigError, WorkspaceConfig};
use crate::eval::EvalReport;
use crate::store::RunMeta;

/// An opened workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder.
    pub root: PathBuf,
    /// Its `workspace.toml`.
    pub config_path: PathBuf,
    pub config: WorkspaceConfig,
}

/// What the run table shows of one run.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub id: String,
    pub dir: PathBuf,
    pub meta: RunMeta,
    pub metrics: Option<EvalReport>,
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

    /// The folder runs are saved in.
    pub fn runs_dir(&self) -> PathBuf {
        self.root.join("runs")
    }

    /// A fresh run folder name: `YYYYMMDD-HHMMSS-model`, with a suffix if taken.
    pub fn new_run_dir(&self, model: &str) -> PathBuf {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let stamp = crate::data::timestamps::format_timestamp(now)
            .replace(['-', ':'], "")
            .replace(' ', "-");
        let base = self.runs_dir().join(format!("{stamp}-{model}"));
        let mut dir = base.clone();
        let mut n = 2;
        while dir.exists() {
            dir = PathBuf::from(format!("{}-{n}", base.display()));
            n += 1;
        }
        dir
    }

    /// Every readable run, newest first; unreadable folders are skipped.
    pub fn list_runs(&self) -> Vec<RunSummary> {
        let Ok(entries) = std::fs::read_dir(self.runs_dir()) else {
            return Vec::new();
        };
        let mut runs: Vec<RunSummary> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| {
                let dir = e.path();
                let meta: RunMeta =
                    toml::from_str(&std::fs::read_to_string(dir.join("run.toml")).ok()?).ok()?;
                let metrics = std::fs::read_to_string(dir.join("metrics.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str(&t).ok());
                Some(RunSummary {
                    id: e.file_name().to_string_lossy().into_owned(),
                    dir,
                    meta,
                    metrics,
                })
            })
            .collect();
        runs.sort_by(|a, b| {
            b.meta
                .created_unix
                .cmp(&a.meta.created_unix)
                .then(b.id.cmp(&a.id))
        });
        runs
    }
}
