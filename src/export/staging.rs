//! Staging a local export beside its target, publishing it by rename, and cleaning what
//! an interrupted export left behind.
//!
//! An export to `dir/NAME` is written into `dir/.NAME.latent-export-ID` and renamed to
//! `dir/NAME` when complete; an existing target is first renamed aside to
//! `dir/.NAME.latent-export-ID.old`, and removed once the new export is in place. The
//! export holds an OS lock on `dir/.NAME.latent-export-ID.lock` from before the folder
//! exists until after the aside is gone, so the three names belong to one live export as
//! long as the lock is held.
//!
//! A process killed mid-export (kill -9, power loss) leaves these names behind with no
//! one holding the lock. The next export to the same target finds them, takes their lock
//! (so a live export's names are never touched), puts an aside export back when the
//! target is missing (a kill between the two renames), and removes the rest.

use std::fs::{File, OpenOptions};

use std::fs::TryLockError;
use std::path::{Path, PathBuf};

use super::ExportError;

const LOCK: &str = ".lock";
const ASIDE: &str = ".old";

/// A staging folder being written, and the lock that marks it as alive.
///
/// Dropped before [`publish`], it removes the folder; the lock file goes last either way.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    is_published: bool,
    /// `dir` + `.lock`, locked; only held (never read), removed then unlocked when dropped.
    _lock: tempfile::NamedTempFile,
}

impl Staging {
    /// The folder to write the export into.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where the export being replaced waits until the new one is in place.
    fn aside(&self) -> PathBuf {
        with_suffix(&self.dir, ASIDE)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.is_published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        // `_lock` is dropped after this: its file is removed while still locked.
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The folder `target` lives in (created) and the prefix of its staging names.
fn parent_and_prefix(target: &Path) -> Result<(PathBuf, String), ExportError> {
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| ExportError::write(&parent, e))?;
    let name = target
        .file_name()
        .map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    Ok((parent, format!(".{name}.latent-export-")))
}

/// A staging folder beside `target` (same file system, so the final rename is atomic),
/// locked as alive.
pub fn staging_dir(target: &Path) -> Result<Staging, ExportError> {
    let (parent, prefix) = parent_and_prefix(target)?;
    // A cleaner may claim a lock file in the instant between its creation and our lock:
    // it then removes it, and we start again with a new name.
    for _ in 0..16 {
        let lock = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(LOCK)
            .tempfile_in(&parent)
            .map_err(|e| ExportError::write(target, e))?;
        match lock.as_file().try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => continue,
            Err(TryLockError::Error(e)) => return Err(ExportError::write(lock.path(), e)),
        }
        let lock_name = lock.path().as_os_str().to_string_lossy().into_owned();
        let dir = PathBuf::from(lock_name.strip_suffix(LOCK).unwrap_or(&lock_name));
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                return Ok(Staging {
                    dir,
                    is_published: false,
                    _lock: lock,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(ExportError::write(&dir, e)),
        }
    }
    Err(ExportError::write(
        target,
        "no free staging folder name after 16 tries",
    ))
}

/// Moves a complete staging folder to `target`. An existing target is first renamed
/// aside and removed only once the new export is in place; if the final rename fails the
/// old export is put back.
pub fn publish(mut staging: Staging, target: &Path, overwrite: bool) -> Result<(), ExportError> {
    let old = if target.symlink_metadata().is_ok() {
        super::check_target(target, overwrite)?;
        let aside = staging.aside();
        std::fs::rename(target, &aside).map_err(|e| {
            ExportError::write(
                target,
                format!("cannot move it aside to '{}': {e}", aside.display()),
            )
        })?;
        Some(aside)
    } else {
        None
    };
    if let Err(e) = std::fs::rename(&staging.dir, target) {
        if let Some(old) = &old {
            let _ = std::fs::rename(old, target);
        }
        return Err(ExportError::write(target, e));
    }
    staging.is_published = true;
    if let Some(old) = old {
        remove_any(&old);
    }
    Ok(())
}

fn remove_any(path: &Path) {
    let result = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(
            "cannot remove '{}' ({e}): remove it by hand",
            path.display()
        ),
    }
}

/// The lock of the staging names `stem*` when no live export holds it. A missing lock
/// file is created and taken: the names are then from a process killed before its
/// lock file existed, or from a latent that took no locks.
fn claim(stem: &Path) -> Option<File> {
    let path = with_suffix(stem, LOCK);
    let file = match OpenOptions::new().write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .ok()?,
        Err(_) => return None,
    };
    file.try_lock().ok().map(|()| file)
}

/// Cleans what interrupted exports to `target` left beside it: staging folders, aside
/// exports and lock files no live export holds. When `target` is missing and such an
/// aside export exists (a kill between the two renames of [`publish`]), the newest one is
/// put back as `target` first. Returns what was done, one line each, for the log.
pub fn clean_leftovers(target: &Path) -> Result<Vec<String>, ExportError> {
    let (parent, prefix) = parent_and_prefix(target)?;
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Ok(Vec::new());
    };
    let mut stems = std::collections::BTreeSet::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let id = rest
            .strip_suffix(LOCK)
            .or_else(|| rest.strip_suffix(ASIDE))
            .unwrap_or(rest);
        // tempfile's names are letters and digits; anything else is not ours.
        if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()) {
            stems.insert(parent.join(format!("{prefix}{id}")));
        }
    }
    let dead: Vec<(PathBuf, File)> = stems
        .into_iter()
        .filter_map(|stem| claim(&stem).map(|lock| (stem, lock)))
        .collect();
    let mut done = Vec::new();
    if target.symlink_metadata().is_err() {
        let newest = dead
            .iter()
            .map(|(stem, _)| with_suffix(stem, ASIDE))
            .filter_map(|aside| {
                let modified = aside.symlink_metadata().and_then(|m| m.modified()).ok()?;
                Some((modified, aside))
            })
            .max();
        if let Some((_, aside)) = newest {
            std::fs::rename(&aside, target).map_err(|e| {
                ExportError::write(
                    target,
                    format!(
                        "it is missing, and '{}' holds the export an interrupted run moved aside, but it cannot be put back ({e}): move it to '{}' by hand",
                        aside.display(),
                        target.display()
                    ),
                )
            })?;
            done.push(format!(
                "put back '{}' as '{}': an interrupted export had moved it aside",
                aside.display(),
                target.display()
            ));
        }
    }
    for (stem, lock) in dead {
        for path in [with_suffix(&stem, ASIDE), stem.clone()] {
            if path.symlink_metadata().is_ok() {
                remove_any(&path);
                done.push(format!(
                    "removed '{}', left by an interrupted export",
                    path.display()
                ));
            }
        }
        remove_any(&with_suffix(&stem, LOCK));
        drop(lock);
    }
    for line in &done {
        tracing::info!("{line}");
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_export_is_kept_and_a_dead_one_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("previous"), b"x").unwrap();
        let live = staging_dir(&target).unwrap();
        std::fs::write(live.path().join("f"), b"x").unwrap();
        // A dead one: its lock file exists, but nobody holds it.
        let dead = dir.path().join(".out.latent-export-dead01");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(with_suffix(&dead, LOCK), b"").unwrap();
        std::fs::create_dir(with_suffix(&dead, ASIDE)).unwrap();
        // Not ours: another target's, and a name tempfile never makes.
        let other = dir.path().join(".outer.latent-export-abc123");
        std::fs::create_dir(&other).unwrap();
        let odd = dir.path().join(".out.latent-export-a.b");
        std::fs::create_dir(&odd).unwrap();

        let done = clean_leftovers(&target).unwrap();
        assert_eq!(done.len(), 2, "{done:?}");
        assert!(live.path().join("f").exists(), "the live export is kept");
        assert!(with_suffix(live.path(), LOCK).exists());
        assert!(!dead.exists() && !with_suffix(&dead, ASIDE).exists());
        assert!(!with_suffix(&dead, LOCK).exists());
        assert!(other.exists() && odd.exists());
        assert!(target.join("previous").exists(), "the target is left alone");

        publish(live, &target, true).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".out."))
            .collect();
        assert_eq!(names, [".out.latent-export-a.b"], "lock and staging gone");
        assert!(target.join("f").exists() && !target.join("previous").exists());
    }

    #[test]
    fn an_export_moved_aside_by_a_killed_run_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        // Killed between the renames, by a latent that took no lock (no .lock file).
        let stem = dir.path().join(".out.latent-export-Kx9q2Z");
        std::fs::create_dir_all(stem.join("bundle")).unwrap();
        std::fs::create_dir(with_suffix(&stem, ASIDE)).unwrap();
        std::fs::write(with_suffix(&stem, ASIDE).join("old.txt"), b"old").unwrap();
        let done = clean_leftovers(&target).unwrap();
        assert!(done[0].starts_with("put back"), "{done:?}");
        assert_eq!(std::fs::read(target.join("old.txt")).unwrap(), b"old");
        assert!(!stem.exists() && !with_suffix(&stem, LOCK).exists());
    }

    #[test]
    fn a_failed_export_removes_its_staging_folder_and_lock() {
        let dir = tempfile::tempdir().unwrap();
        let staging = staging_dir(&dir.path().join("out")).unwrap();
        let path = staging.path().to_owned();
        assert!(path.is_dir());
        drop(staging);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
