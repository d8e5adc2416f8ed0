//! One writer per workspace.
//!
//! Two processes training into the same `runs/` could pick the same run id or interleave
//! a sweep's bookkeeping. The operating system decides who writes: the first process to
//! take an exclusive lock (`flock` on Unix, `LockFileEx` on Windows) on `.latent.lock`
//! holds the workspace until it exits or drops the lock, and a crashed process's lock
//! goes with it. The file's contents (pid, what it is doing, since when) only explain a
//! refusal; they never decide it, since a reader may see them half written.
//!
//! The file itself is never deleted: removing a locked file lets a third process create
//! a new one and lock that, so two would hold "the" lock.

use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::status::now_unix;

/// The lock file's name in a workspace folder.
pub const LOCK_FILE: &str = ".latent.lock";

/// Who holds a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    pub purpose: String,
    pub since_unix: i64,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "process {} ({}, since {})",
            self.pid,
            self.purpose,
            crate::data::timestamps::format_timestamp(self.since_unix)
        )
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "workspace '{root}' is in use by {}; wait for it to finish or stop it (the lock ends with its process: {lock})",
        holder.as_ref().map_or_else(|| "another process".to_owned(), ToString::to_string),
        lock = path.display()
    )]
    Held {
        root: PathBuf,
        path: PathBuf,
        /// `None` while the holder is still writing its name.
        holder: Option<LockHolder>,
    },
    #[error("cannot lock workspace '{root}': {message}")]
    Io { root: PathBuf, message: String },
}

impl LockError {
    /// Another process holding the workspace is the user's move, as bad input is.
    pub fn is_input_error(&self) -> bool {
        matches!(self, LockError::Held { .. })
    }
}

/// The held lock; released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct WorkspaceLock {
    file: File,
}

impl WorkspaceLock {
    /// Takes the lock of the workspace in `root` for `purpose`. A second call, from this
    /// process or another, is refused while the first lock lives.
    pub fn acquire(root: &Path, purpose: &str) -> Result<Self, LockError> {
        let path = root.join(LOCK_FILE);
        let io = |e: std::io::Error| LockError::Io {
            root: root.to_owned(),
            message: format!("{}: {e}", path.display()),
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    root: root.to_owned(),
                    holder: read_holder(&mut file),
                    path,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let me = LockHolder {
            pid: std::process::id(),
            purpose: purpose.to_owned(),
            since_unix: now_unix(),
        };
        let text = serde_json::to_string(&me).map_err(|e| io(std::io::Error::other(e)))?;
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(text.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io)?;
        Ok(Self { file })
    }

    /// Who holds the workspace in `root`, if a live process does (this one included).
    pub fn holder(root: &Path) -> Option<LockHolder> {
        let mut file = File::open(root.join(LOCK_FILE)).ok()?;
        // Taken (or failing to be taken for another reason): nobody writes, and whatever
        // the file says is left from an ended process.
        match file.try_lock_shared() {
            Err(TryLockError::WouldBlock) => read_holder(&mut file),
            Ok(()) | Err(TryLockError::Error(_)) => None,
        }
    }
}

/// The holder's name as written in the lock file; `None` while it is still being written.
fn read_holder(file: &mut File) -> Option<LockHolder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

impl Drop for WorkspaceLock {
    fn drop(&mut self) {
        // Emptied first, so a reader after us never names an ended process; the lock
        // itself ends when the file is closed.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_a_left_file_is_no_lock() {
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
        // A file left by a crashed process (or an older latent) holds no OS lock.
        std::fs::write(
            dir.path().join(LOCK_FILE),
            r#"{"pid":1,"purpose":"crashed","since_unix":0}"#,
        )
        .unwrap();
        assert!(WorkspaceLock::holder(dir.path()).is_none());
        let _taken = WorkspaceLock::acquire(dir.path(), "latent train").unwrap();
    }

    #[test]
    fn an_empty_lock_file_of_a_live_holder_still_refuses() {
        // The race the old design lost: the holder has the file but has not written it.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        let holder = File::create(&path).unwrap();
        holder.try_lock().unwrap();
        let err = WorkspaceLock::acquire(dir.path(), "latent train").unwrap_err();
        assert!(matches!(err, LockError::Held { holder: None, .. }), "{err}");
        assert!(err.to_string().contains("another process"), "{err}");
        drop(holder);
        let _taken = WorkspaceLock::acquire(dir.path(), "latent train").unwrap();
    }

    #[test]
    fn threads_racing_for_the_lock_give_one_holder() {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..20 {
            let barrier = std::sync::Barrier::new(8);
            let won = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            WorkspaceLock::acquire(dir.path(), "race").ok()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap())
                    .collect::<Vec<_>>()
            });
            assert_eq!(won.iter().filter(|l| l.is_some()).count(), 1);
        }
    }
}
