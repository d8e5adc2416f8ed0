//! One writer per workspace.
//!
//! Two processes training into the same `runs/` could pick the same run id or interleave
//! a sweep's bookkeeping. A lock file, `.latent.lock`, names the process that writes (pid,
//! what it is doing, since when); a second writer is refused with those facts, and a lock
//! left by a process that no longer exists is taken over.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::status::{now_unix, process_alive};

/// The lock file's name in a workspace folder.
pub const LOCK_FILE: &str = ".latent.lock";

/// Who holds a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    pub purpose: String,
    pub since_unix: i64,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "workspace '{root}' is in use by process {} ({}, since {}); wait for it to finish or stop it (a lock left by a crashed process is taken over automatically: {lock})",
        holder.pid,
        holder.purpose,
        crate::data::timestamps::format_timestamp(holder.since_unix),
        lock = path.display()
    )]
    Held {
        root: PathBuf,
        path: PathBuf,
        holder: LockHolder,
    },
    #[error("cannot lock workspace '{root}': {message}")]
    Io { root: PathBuf, message: String },
}

/// The held lock; released when dropped.
#[derive(Debug)]
pub struct WorkspaceLock {
    path: PathBuf,
}

impl WorkspaceLock {
    /// Takes the lock of the workspace in `root` for `purpose`.
    pub fn acquire(root: &Path, purpose: &str) -> Result<Self, LockError> {
        let path = root.join(LOCK_FILE);
        let io = |e: std::io::Error| LockError::Io {
            root: root.to_owned(),
            message: e.to_string(),
        };
        let me = LockHolder {
            pid: std::process::id(),
            purpose: purpose.to_owned(),
            since_unix: now_unix(),
        };
        for _ in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    let text = serde_json::to_string(&me).map_err(std::io::Error::other);
                    text.and_then(|t| f.write_all(t.as_bytes())).map_err(io)?;
                    return Ok(Self { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder: Option<LockHolder> = std::fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| serde_json::from_str(&t).ok());
                    match holder {
                        Some(h) if h.pid != me.pid && process_alive(h.pid) => {
                            return Err(LockError::Held {
                                root: root.to_owned(),
                                path,
                                holder: h,
                            });
                        }
                        Some(h) if h.pid == me.pid => {
                            // This process already holds it (another job of the same TUI).
                            return Err(LockError::Held {
                                root: root.to_owned(),
                                path,
                                holder: h,
                            });
                        }
                        // Stale (its process is gone) or unreadable: take it over.
                        _ => {
                            let _ = std::fs::remove_file(&path);
                        }
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(LockError::Io {
            root: root.to_owned(),
            message: "the lock file keeps reappearing".into(),
        })
    }

    /// Who holds the workspace in `root`, if a live process does.
    pub fn holder(root: &Path) -> Option<LockHolder> {
        let h: LockHolder =
            serde_json::from_str(&std::fs::read_to_string(root.join(LOCK_FILE)).ok()?).ok()?;
        process_alive(h.pid).then_some(h)
    }
}

impl Drop for WorkspaceLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_stale_locks_are_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = WorkspaceLock::acquire(dir.path(), "latent sweep").unwrap();
        let err = WorkspaceLock::acquire(dir.path(), "latent train").unwrap_err();
        assert!(err.to_string().contains("latent sweep"), "{err}");
        assert_eq!(
            WorkspaceLock::holder(dir.path()).map(|h| h.purpose),
            Some("latent sweep".to_owned())
        );
        drop(lock);
        assert!(WorkspaceLock::holder(dir.path()).is_none());
        std::fs::write(
            dir.path().join(LOCK_FILE),
            r#"{"pid":4294967294,"purpose":"crashed","since_unix":0}"#,
        )
        .unwrap();
        let _taken = WorkspaceLock::acquire(dir.path(), "latent train").unwrap();
    }
}
