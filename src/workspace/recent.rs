//! Recently opened workspaces, kept in latent's config folder (`recent.toml`) so the
//! workbench can offer them (`:recent` in the palette).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How many workspaces are remembered.
pub const KEEP: usize = 10;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Recent {
    workspaces: Vec<PathBuf>,
}

/// The file in `config_dir`.
pub fn file(config_dir: &Path) -> PathBuf {
    config_dir.join("recent.toml")
}

/// Recent workspaces, most recent first (missing or unreadable file: none).
pub fn list(config_dir: &Path) -> Vec<PathBuf> {
    std::fs::read_to_string(file(config_dir))
        .ok()
        .and_then(|t| toml::from_str::<Recent>(&t).ok())
        .map(|r| r.workspaces)
        .unwrap_or_default()
}

/// Puts `workspace` (made absolute) first; best effort, written atomically.
pub fn record(config_dir: &Path, workspace: &Path) -> std::io::Result<()> {
    let path = std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_owned());
    let mut all = list(config_dir);
    all.retain(|p| p != &path);
    all.insert(0, path);
    all.truncate(KEEP);
    std::fs::create_dir_all(config_dir)?;
    let text = toml::to_string(&Recent { workspaces: all }).map_err(std::io::Error::other)?;
    crate::store::files::write_file(config_dir, "recent.toml", text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        assert!(list(&config).is_empty());
        for name in ["a", "b", "a"] {
            let ws = dir.path().join(name);
            std::fs::create_dir_all(&ws).unwrap();
            record(&config, &ws).unwrap();
        }
        let names: Vec<String> = list(&config)
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a", "b"]);
        for n in 0..20 {
            record(&config, &dir.path().join(format!("w{n}"))).unwrap();
        }
        assert_eq!(list(&config).len(), KEEP);
    }
}
