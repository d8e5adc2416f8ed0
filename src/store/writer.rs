//! A run being written: created when training starts, completed or marked failed.
//!
//! [`RunWriter::start`] creates the folder with `status.json` (running, with the process
//! id) and the resolved configuration, so the run is listed from its first second;
//! [`RunWriter::log`] appends to `train.log` as training goes; [`RunWriter::finish`] writes
//! the model files one by one, each atomically, then `run.toml`, then marks the run
//! finished. A failure at any point (a full disk, say) marks it failed with the error and
//! leaves every other run untouched; a killed process leaves `running` behind, which
//! listings show as interrupted.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::files::write_file;
use super::run_dir::{Run, StoreError};
use super::status::{RunState, RunStatus, now_unix};
use crate::config::WorkspaceConfig;
use crate::models::ModelKind;

/// An open run directory.
#[derive(Debug)]
pub struct RunWriter {
    dir: PathBuf,
    status: RunStatus,
    log: Option<std::fs::File>,
    done: bool,
}

impl RunWriter {
    /// Creates `dir` (refusing one that exists and is not empty) and marks it running.
    pub fn start(
        dir: &Path,
        model: ModelKind,
        config: &WorkspaceConfig,
    ) -> Result<Self, StoreError> {
        let io = |e: &dyn std::fmt::Display| StoreError::Io {
            dir: dir.to_owned(),
            message: e.to_string(),
        };
        // One `mkdir` decides between two writers of the same new folder; an empty folder
        // that exists was claimed for this run by its caller (`Workspace::claim_run_dir`).
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| io(&e))?;
        }
        match std::fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if std::fs::read_dir(dir).map_err(|e| io(&e))?.next().is_some() {
                    return Err(StoreError::Exists(dir.to_owned()));
                }
            }
            Err(e) => return Err(io(&e)),
        }
        let status = RunStatus {
            state: RunState::Running,
            model: model.name().to_owned(),
            pid: std::process::id(),
            started_unix: now_unix(),
            ended_unix: None,
            error: None,
        };
        status.write(dir).map_err(|e| io(&e))?;
        let text = toml::to_string(config).map_err(|e| io(&e))?;
        write_file(dir, "config.toml", text.as_bytes()).map_err(|e| io(&e))?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("train.log"))
            .ok();
        Ok(Self {
            dir: dir.to_owned(),
            status,
            log,
            done: false,
        })
    }

    /// The run's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends a line to `train.log` (best effort: a log line never stops training).
    pub fn log(&mut self, line: &str) {
        if let Some(f) = &mut self.log {
            let _ = writeln!(f, "{line}");
        }
    }

    /// Writes the model and marks the run finished; on failure marks it failed.
    pub fn finish(mut self, run: &Run) -> Result<(), StoreError> {
        match run.write_files_into(&self.dir) {
            Ok(()) => {
                self.end(RunState::Finished, None);
                Ok(())
            }
            Err(e) => {
                let message = e.to_string();
                // Without run.toml the partial files never load; remove them anyway so a
                // failed run takes no space, keeping the status, config and log.
                for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if !matches!(name.as_str(), "status.json" | "config.toml" | "train.log") {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
                self.log(&format!("failed: {message}"));
                self.end(RunState::Failed, Some(message.clone()));
                Err(StoreError::Io {
                    dir: self.dir.clone(),
                    message,
                })
            }
        }
    }

    /// Marks the run failed with `message`.
    pub fn fail(mut self, message: &str) {
        self.log(&format!("failed: {message}"));
        self.end(RunState::Failed, Some(message.to_owned()));
    }

    /// Marks the run cancelled.
    pub fn cancel(mut self) {
        self.log("cancelled");
        self.end(RunState::Cancelled, None);
    }

    fn end(&mut self, state: RunState, error: Option<String>) {
        self.status.state = state;
        self.status.ended_unix = Some(now_unix());
        self.status.error = error;
        if let Err(e) = self.status.write(&self.dir) {
            tracing::error!("cannot record run status in {}: {e}", self.dir.display());
        }
        self.done = true;
    }
}

impl Drop for RunWriter {
    fn drop(&mut self) {
        if !self.done {
            self.end(
                RunState::Failed,
                Some("training stopped before the run was written".into()),
            );
        }
    }
}

impl Run {
    /// Writes the run to `dir` (which must not exist or be empty) with `log` as its log.
    pub fn save(&self, dir: &Path, log: &str) -> Result<(), StoreError> {
        let mut writer = RunWriter::start(dir, self.meta.model, &self.config)?;
        writer.log(log.trim_end());
        writer.finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_listed_from_the_start_and_ends_in_a_state() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("r");
        let w = RunWriter::start(&run, ModelKind::Als, &WorkspaceConfig::default()).unwrap();
        assert_eq!(RunStatus::read(&run).unwrap().state, RunState::Running);
        assert!(run.join("config.toml").exists());
        w.fail("boom");
        let s = RunStatus::read(&run).unwrap();
        assert_eq!(
            (s.state, s.error.as_deref()),
            (RunState::Failed, Some("boom"))
        );
        let err = Run::load(&run).unwrap_err().to_string();
        assert!(err.contains("failed: boom"), "{err}");
        assert!(matches!(
            RunWriter::start(&run, ModelKind::Als, &WorkspaceConfig::default()),
            Err(StoreError::Exists(_))
        ));

        let other = dir.path().join("c");
        RunWriter::start(&other, ModelKind::Als, &WorkspaceConfig::default())
            .unwrap()
            .cancel();
        assert!(
            Run::load(&other)
                .unwrap_err()
                .to_string()
                .contains("cancelled")
        );

        // A dead writer's run reads as interrupted.
        let dead = dir.path().join("d");
        std::fs::create_dir(&dead).unwrap();
        RunStatus {
            state: RunState::Running,
            model: "als".into(),
            pid: u32::MAX - 1,
            started_unix: 0,
            ended_unix: None,
            error: None,
        }
        .write(&dead)
        .unwrap();
        assert_eq!(RunStatus::read(&dead).unwrap().state, RunState::Interrupted);
        assert!(
            Run::load(&dead)
                .unwrap_err()
                .to_string()
                .contains("interrupted")
        );
    }
}
