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
//! A key names one character. Screen-specific actions may share a key on different
//! screens, as the defaults do (`c` cancels on Train, compares on Runs).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::theme::ThemeName;

/// Every remappable action, with its default key.
pub const ACTIONS: [(&str, char); 22] = [
    ("quit", 'q'),
    ("help", '?'),
    ("palette", ':'),
    ("down", 'j'),
    ("up", 'k'),
    ("search", '/'),
    ("train", 't'),
    ("cancel_or_compare", 'c'),
    ("reload", 'r'),
    ("sort", 's'),
    ("mark", ' '),
    ("next_customer", 'n'),
    ("previous_customer", 'p'),
    ("demo", 'd'),
    ("hide_popular", 'x'),
    ("new_products", 'w'),
    ("exclude", 'e'),
    ("clear_exclusions", 'E'),
    ("copy_row", 'y'),
    ("copy_table", 'Y'),
    ("left", 'h'),
    ("right", 'l'),
];

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

/// Pressed key → the default key of the action it is bound to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    remap: BTreeMap<char, char>,
    /// Default keys whose action moved elsewhere.
    freed: Vec<char>,
}

impl KeyMap {
    /// The map of `keys` (action → key); unknown actions and keys longer than one
    /// character are errors naming them.
    pub fn new(keys: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut map = KeyMap::default();
        for (action, key) in keys {
            let Some(&(_, default)) = ACTIONS.iter().find(|(a, _)| a == action) else {
                let names: Vec<&str> = ACTIONS.iter().map(|(a, _)| *a).collect();
                let hint = crate::models::hyper::nearest(action, &names)
                    .map_or_else(String::new, |n| format!(" (did you mean '{n}'?)"));
                return Err(format!("[keys] unknown action '{action}'{hint}"));
            };
            let mut chars = key.chars();
            let (Some(k), None) = (chars.next(), chars.next()) else {
                return Err(format!(
                    "[keys] {action} = '{key}': a key is one character, e.g. \"Q\""
                ));
            };
            if k != default {
                map.remap.insert(k, default);
                map.freed.push(default);
            }
        }
        Ok(map)
    }

    /// What the pressed character means, or `None` when its default action moved away.
    pub fn translate(&self, c: char) -> Option<char> {
        if let Some(&to) = self.remap.get(&c) {
            return Some(to);
        }
        (!self.freed.contains(&c)).then_some(c)
    }

    /// The key shown for the action whose default key is `default`.
    pub fn shown(&self, default: char) -> char {
        self.remap
            .iter()
            .find(|&(_, &to)| to == default)
            .map_or(default, |(&from, _)| from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remapped_keys_move_their_action() {
        let keys = BTreeMap::from([("quit".to_owned(), "Q".to_owned())]);
        let map = KeyMap::new(&keys).unwrap();
        assert_eq!(map.translate('Q'), Some('q'));
        assert_eq!(map.translate('q'), None, "the old key is free");
        assert_eq!(map.translate('x'), Some('x'));
        assert_eq!(map.shown('q'), 'Q');
        let err = KeyMap::new(&BTreeMap::from([("quti".to_owned(), "Q".to_owned())])).unwrap_err();
        assert!(err.contains("did you mean 'quit'"), "{err}");
        let err =
            KeyMap::new(&BTreeMap::from([("quit".to_owned(), "ctrl-q".to_owned())])).unwrap_err();
        assert!(err.contains("one character"), "{err}");
    }

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
