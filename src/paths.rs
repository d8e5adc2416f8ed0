//! Where latent keeps its own files: configuration, logs and caches.
//!
//! The standard places come from `directories` (XDG on Linux). Setting `LATENT_HOME`
//! puts everything under one folder instead, which is how tests and CI keep away from
//! the real home directory.

use std::path::PathBuf;

/// The environment variable that relocates every latent folder.
pub const HOME_ENV: &str = "LATENT_HOME";

/// latent's folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Settings: recent workspaces, key bindings, theme.
    pub config_dir: PathBuf,
    /// Logs, search indexes, caches.
    pub data_dir: PathBuf,
}

impl Paths {
    /// `$LATENT_HOME/{config,data}` when set, else the platform's standard folders, else
    /// `./.latent` when no home directory is known.
    pub fn discover() -> Self {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            let home = PathBuf::from(home);
            return Self {
                config_dir: home.join("config"),
                data_dir: home.join("data"),
            };
        }
        match directories::ProjectDirs::from("", "", "latent") {
            Some(dirs) => Self {
                config_dir: dirs.config_dir().to_owned(),
                data_dir: dirs.data_dir().to_owned(),
            },
            None => Self {
                config_dir: PathBuf::from(".latent/config"),
                data_dir: PathBuf::from(".latent/data"),
            },
        }
    }

    /// The folder of log files.
    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }
}
