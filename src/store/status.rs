//! `status.json`: where a run is in its life, readable while it is being written.
//!
//! A run directory is created with `running` as soon as training starts, so every run the
//! user started shows up in listings, including those that fail, are cancelled or are
//! killed. `run.toml` is written after every model file and marks a run that loads; a
//! `running` run whose process is gone was interrupted.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The state of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Finished,
    Failed,
    Cancelled,
    /// Marked running by a process that no longer exists (crash, kill -9, power loss).
    Interrupted,
}

impl RunState {
    /// The word shown in tables.
    pub fn name(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Finished => "finished",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
            RunState::Interrupted => "interrupted",
        }
    }
}

/// `status.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    pub state: RunState,
    /// The model kind's name.
    pub model: String,
    /// The process writing the run.
    pub pid: u32,
    pub started_unix: i64,
    #[serde(default)]
    pub ended_unix: Option<i64>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
}

impl RunStatus {
    /// Reads `dir/status.json`; a `running` status of a dead process reads as
    /// [`RunState::Interrupted`].
    pub fn read(dir: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(dir.join("status.json")).ok()?;
        let mut status: RunStatus = serde_json::from_str(&text).ok()?;
        if status.state == RunState::Running && !process_alive(status.pid) {
            status.state = RunState::Interrupted;
        }
        Some(status)
    }

    /// Writes `dir/status.json` atomically.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        super::files::write_file(dir, "status.json", text.as_bytes())
    }
}

/// Seconds since 1970, now.
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// True when a process with this id exists (Linux: `/proc/PID`; elsewhere assumed alive).
pub fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.is_dir() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}
