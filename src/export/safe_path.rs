//! Paths that come from files latent did not write itself: a `manifest.json` entry, a
//! member of a `model.tar.gz`, a key of a remote listing.
//!
//! Such a path is data, and data may be hostile or just wrong: `/etc/cron.d/x`,
//! `../../.ssh/authorized_keys` or `link/x` (where `link` is a symbolic link to `/`)
//! would each write outside the folder a model is unpacked into. Every reader therefore
//! goes through this one check, which accepts only a relative path of plain names
//! separated by `/`, and, when the path is about to be written under a destination,
//! refuses any symbolic link on the way.

use std::path::{Component, Path, PathBuf};

/// Why a path read from a manifest, an archive or a listing is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry '{entry}' {reason}")]
pub struct UnsafePath {
    /// The path as it was read (lossy for non-UTF-8 archive members).
    pub entry: String,
    /// What is wrong with it, in words.
    pub reason: String,
}

impl UnsafePath {
    fn new(entry: &str, reason: impl Into<String>) -> Self {
        Self {
            entry: entry.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Checks that `entry` is a relative path of plain names separated by `/`: not empty, no
/// root, no drive or UNC prefix, no `..` or `.`, no empty segment, no backslash or NUL
/// (a separator or a terminator on some systems). Returns it as a local path.
///
/// This is the lexical half of the check: it needs no file system, so a manifest's
/// entries are checked when the manifest is parsed, before any reader trusts them.
pub fn check_relative(entry: &str) -> Result<PathBuf, UnsafePath> {
    if entry.is_empty() {
        return Err(UnsafePath::new(entry, "is an empty path"));
    }
    if entry.starts_with('/') {
        return Err(UnsafePath::new(
            entry,
            "is an absolute path: only paths relative to the model folder are allowed",
        ));
    }
    if entry.contains('\\') || entry.contains('\0') {
        return Err(UnsafePath::new(
            entry,
            "holds a backslash or NUL: paths use '/' between plain names",
        ));
    }
    let mut path = PathBuf::new();
    for segment in entry.split('/') {
        match segment {
            "" => return Err(UnsafePath::new(entry, "has an empty segment ('//')")),
            "." | ".." => {
                return Err(UnsafePath::new(
                    entry,
                    format!("has a '{segment}' segment: it could lead outside the model folder"),
                ));
            }
            _ => {}
        }
        // On Windows `C:` is a drive prefix, not a name: the platform decides.
        let mut components = Path::new(segment).components();
        match (components.next(), components.next()) {
            (Some(Component::Normal(name)), None) if name == segment => path.push(name),
            _ => {
                return Err(UnsafePath::new(
                    entry,
                    format!("has '{segment}', which is not a plain file name here"),
                ));
            }
        }
    }
    Ok(path)
}

/// Where `entry` lands under `dest`, refused unless it stays inside: [`check_relative`],
/// then every part of the way that exists already (folders and the file itself) must
/// not be a symbolic link, so nothing written there can follow one out of `dest`.
///
/// Call it right before creating or writing the file: it checks the disk as it is.
pub fn resolve_inside(dest: &Path, entry: &str) -> Result<PathBuf, UnsafePath> {
    let rel = check_relative(entry)?;
    let mut current = dest.to_path_buf();
    for name in &rel {
        current.push(name);
        match current.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => {
                let shown = current.strip_prefix(dest).unwrap_or(&current);
                return Err(UnsafePath::new(
                    entry,
                    format!(
                        "goes through '{}', a symbolic link: it could lead outside the model folder",
                        shown.display()
                    ),
                ));
            }
            Ok(_) => {}
            // Nothing exists from here on: what is created below is plain folders.
            Err(_) => break,
        }
    }
    Ok(dest.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths_pass() {
        assert_eq!(
            check_relative("bundle/run.toml").unwrap(),
            Path::new("bundle").join("run.toml")
        );
        assert_eq!(check_relative("a").unwrap(), PathBuf::from("a"));
        // Dots inside a name are fine.
        assert!(check_relative("x/..hidden/a..b").is_ok());
    }

    #[test]
    fn escapes_and_odd_forms_are_refused_with_the_entry_named() {
        for bad in [
            "",
            "/abs/x",
            "/",
            "../x",
            "a/../../x",
            "a/..",
            "./x",
            "a/./b",
            "a//b",
            "a/",
            "a\\..\\b",
            "c:\\x",
            "nul\0x",
        ] {
            let err = check_relative(bad).unwrap_err();
            assert_eq!(err.entry, bad);
            assert!(
                err.to_string().starts_with(&format!("entry '{bad}' ")),
                "{err}"
            );
        }
    }

    #[cfg(windows)]
    #[test]
    fn windows_prefixes_are_refused() {
        assert!(check_relative("C:/x").is_err());
        assert!(check_relative("C:").is_err());
    }

    #[test]
    fn resolves_inside_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = resolve_inside(dir.path(), "a/b/c.txt").unwrap();
        assert_eq!(p, dir.path().join("a").join("b").join("c.txt"));
        assert!(!dir.path().join("a").exists());
        std::fs::create_dir(dir.path().join("a")).unwrap();
        assert!(resolve_inside(dir.path(), "a/b/c.txt").is_ok());
        assert!(resolve_inside(dir.path(), "../x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_folder_or_file_on_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let err = resolve_inside(dir.path(), "link/x").unwrap_err();
        assert!(err.reason.contains("'link', a symbolic link"), "{err}");
        // Deeper: a real folder, then a link.
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("real/deep")).unwrap();
        assert!(resolve_inside(dir.path(), "real/deep/x/y").is_err());
        // The file itself a link: writing it would write its target.
        std::os::unix::fs::symlink(outside.path().join("f"), dir.path().join("f")).unwrap();
        assert!(resolve_inside(dir.path(), "f").is_err());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
