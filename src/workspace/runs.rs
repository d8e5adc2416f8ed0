//! The runs of a workspace, as listings and comparisons see them.

use std::path::{Path, PathBuf};

use crate::eval::EvalReport;
use crate::store::{RunMeta, RunState, RunStatus};

/// What the run table shows of one run.
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub id: String,
    pub dir: PathBuf,
    pub state: RunState,
    /// The model kind's name.
    pub model: String,
    /// Seconds since 1970 when training started (or the run was written).
    pub created_unix: i64,
    /// `run.toml`, for finished runs.
    pub meta: Option<RunMeta>,
    pub metrics: Option<EvalReport>,
    /// Why the run failed.
    pub error: Option<String>,
}

impl RunSummary {
    /// Reads the run in `dir`; `None` when it is not a run (or vanished meanwhile).
    pub fn read(dir: &Path) -> Option<Self> {
        let id = dir.file_name()?.to_string_lossy().into_owned();
        let status = RunStatus::read(dir);
        let meta: Option<RunMeta> = std::fs::read_to_string(dir.join("run.toml"))
            .ok()
            .and_then(|t| toml::from_str(&t).ok());
        let metrics = meta.as_ref().and_then(|_| {
            std::fs::read_to_string(dir.join("metrics.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
        });
        let (state, model, created_unix, error) = match (&status, &meta) {
            (Some(s), _) => (s.state, s.model.clone(), s.started_unix, s.error.clone()),
            // Runs written before status files existed are finished by definition.
            (None, Some(m)) => (
                RunState::Finished,
                m.model.name().to_owned(),
                m.created_unix,
                None,
            ),
            (None, None) => return None,
        };
        let state = if state == RunState::Finished && meta.is_none() {
            RunState::Failed
        } else {
            state
        };
        Some(Self {
            id,
            dir: dir.to_owned(),
            state,
            model,
            created_unix,
            meta,
            metrics,
            error,
        })
    }

    /// The run's settings as `key=value` pairs, in the order its model offers them for
    /// tuning, the first `limit`: the run tables' one settings column, for any model.
    pub fn settings(&self, limit: usize) -> String {
        let Some(meta) = &self.meta else {
            return "-".to_owned();
        };
        let settings = crate::models::registry::settings_text(meta.model, &meta.params, limit);
        // A refit or an update names the run it stands on, before its settings.
        match (&meta.parent, &meta.update) {
            (Some(parent), Some(u)) => {
                format!(
                    "update of {parent} +{} lines to {} · {settings}",
                    u.lines, u.last
                )
            }
            (Some(parent), None) => format!("refit of {parent} · {settings}"),
            (None, _) => settings,
        }
    }
}

/// Every run folder under `runs_dir`, newest first.
pub fn list(runs_dir: &Path) -> Vec<RunSummary> {
    let Ok(entries) = std::fs::read_dir(runs_dir) else {
        return Vec::new();
    };
    let mut runs: Vec<RunSummary> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter(|e| e.path().is_dir())
        .filter_map(|e| RunSummary::read(&e.path()))
        .collect();
    runs.sort_by(|a, b| b.created_unix.cmp(&a.created_unix).then(b.id.cmp(&a.id)));
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorkspaceConfig;
    use crate::models::ModelKind;
    use crate::store::RunWriter;

    #[test]
    fn folders_that_vanish_or_are_not_runs_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        RunWriter::start(&runs.join("a"), ModelKind::Als, &WorkspaceConfig::default())
            .unwrap()
            .fail("boom");
        std::fs::create_dir_all(runs.join("not-a-run")).unwrap();
        std::fs::create_dir_all(runs.join(".staging")).unwrap();
        let listed = list(&runs);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].state, RunState::Failed);
        assert_eq!(listed[0].error.as_deref(), Some("boom"));
        // A run deleted between listing the folder and reading it is simply not there.
        std::fs::remove_dir_all(runs.join("a")).unwrap();
        assert!(RunSummary::read(&runs.join("a")).is_none());
        assert!(list(&runs).is_empty());
        assert!(list(&dir.path().join("missing")).is_empty());
    }
}
