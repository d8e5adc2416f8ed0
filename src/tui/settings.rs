//! The workbench's own settings, `config.toml` in latent's config folder
//! (`$LATENT_HOME/config/config.toml` when set): the colour theme and key bindings.
//!
//! ```toml
//! theme = "light"            # dark (default) | light | mono
//! [keys]                     # action = "key"; the action's default key is then free
//! quit = "Q"
//! hide_popular = "h"
//! ```
//!
//! A key names one character. Each action moves alone, on every screen it works on;
//! actions of different screens may share a key, as the defaults do (`c` cancels on
//! Train, compares on Runs). The actions and their keys are listed in
//! [`super::action::BINDINGS`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use super::action::KeyMap;
use super::theme::ThemeName;

/// `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub theme: ThemeName,
    /// Action name → key.
    pub keys: BTreeMap<String, String>,
}

impl Settings {
    /// The settings file's place.
    pub fn path() -> PathBuf {
        crate::paths::Paths::discover()
            .config_dir
            .join("config.toml")
    }

    /// Reads `path`; a missing file is the defaults, a bad one an error naming it.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| format!("settings '{}': {}", path.display(), e.message())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("settings '{}': {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_files_parse_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        std::fs::write(&path, "theme = \"mono\"\n[keys]\nquit = \"Q\"\n").unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.theme, ThemeName::Mono);
        std::fs::write(&path, "theme = \"neon\"\n").unwrap();
        let err = Settings::load(&path).unwrap_err();
        assert!(err.contains("config.toml") && err.contains("neon"), "{err}");
    }
}
