//! The workspace file, `workspace.toml`: one place for everything a run depends on.
//!
//! A workspace names its data file and column mapping (`[data]`), the cleaning rules
//! (`[cleaning]`), how lines become interactions and which days count (`[interactions]`),
//! the model's hyperparameters under the seed system's names (`[als]`), how many
//! recommendations to make (`[recommend]`) and the business rules over them
//! (`[overrides]`, see [`crate::recommend::rules`]). Every table and key is optional; a missing
//! one takes the documented default. Unknown keys are errors, so a typo never silently
//! falls back to a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::{CleaningSpec, DataSpec, InteractionSpec, LoadSpec};
use crate::recommend::Overrides;

/// Why a workspace file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("workspace file '{path}' not found")]
    NotFound { path: PathBuf },
    #[error("cannot read workspace file '{path}': {message}")]
    Read { path: PathBuf, message: String },
    #[error("invalid workspace file '{path}': {message}")]
    Parse { path: PathBuf, message: String },
    #[error("no data file: pass one on the command line or set [data] path in the workspace")]
    NoDataPath,
}

/// The `[recommend]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecommendSpec {
    /// How many products to recommend per customer (the seed's `reco_item`).
    pub reco_item: usize,
}

impl Default for RecommendSpec {
    fn default() -> Self {
        Self { reco_item: 10 }
    }
}

/// A parsed `workspace.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkspaceConfig {
    /// A display name.
    pub name: Option<String>,
    /// What this workspace is for.
    pub description: Option<String>,
    pub data: DataSpec,
    pub cleaning: CleaningSpec,
    pub interactions: InteractionSpec,
    /// ALS hyperparameters under the seed's names (`als_rank`, `reg_param`, `max_iter`,
    /// `alpha`, …); checked by the model when training starts.
    pub als: toml::Table,
    pub recommend: RecommendSpec,
    /// Business rules over the lists: exclusions, forced products, boosts, cold start.
    pub overrides: Overrides,
}

impl WorkspaceConfig {
    /// Reads `path`; a relative `[data] path` is resolved against the file's folder.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_owned(),
                }
            } else {
                ConfigError::Read {
                    path: path.to_owned(),
                    message: e.to_string(),
                }
            }
        })?;
        let mut config = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })?;
        if let Some(data) = &config.data.path {
            if data.is_relative() {
                let base = path.parent().unwrap_or(Path::new("."));
                config.data.path = Some(base.join(data));
            }
        }
        Ok(config)
    }

    /// Parses workspace text; the error carries toml's line and column, and for an
    /// unknown key the nearest valid one.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| {
            let message = e.to_string().trim_end().to_owned();
            match suggest_key(&message) {
                Some(s) => format!("{message}\ndid you mean '{s}'?"),
                None => message,
            }
        })
    }

    /// The loading part of this workspace.
    pub fn load_spec(&self) -> LoadSpec {
        LoadSpec {
            data: self.data.clone(),
            cleaning: self.cleaning.clone(),
            interactions: self.interactions.clone(),
        }
    }

    /// The data file: `override_path` when given, else `[data] path`.
    pub fn data_path(&self, override_path: Option<&Path>) -> Result<PathBuf, ConfigError> {
        override_path
            .map(Path::to_path_buf)
            .or_else(|| self.data.path.clone())
            .ok_or(ConfigError::NoDataPath)
    }
}

/// From serde's "unknown field `x`, expected one of `a`, `b`", the valid key nearest `x`.
fn suggest_key(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest.split("expected").nth(1)?;
    let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    crate::models::hyper::nearest(unknown, &valid).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CancellationPolicy, RankingType};

    #[test]
    fn full_workspace_parses() {
        let c = WorkspaceConfig::parse(
            r#"
            name = "demo"
            [data]
            path = "x.parquet"
            user = "CustomerID"
            user_features = ["Country"]
            [cleaning]
            cancellations = "net"
            [interactions]
            ranking_type = "revenue"
            retention_date = "20111209"
            retention_days = 90
            [als]
            als_rank = 10
            [recommend]
            reco_item = 5
            "#,
        )
        .unwrap();
        assert_eq!(c.data.user.as_deref(), Some("CustomerID"));
        assert_eq!(c.cleaning.cancellations, CancellationPolicy::Net);
        assert!(c.cleaning.drop_duplicates, "unset keys keep defaults");
        assert_eq!(c.interactions.ranking_type, RankingType::Revenue);
        assert_eq!(c.interactions.retention_days, Some(90));
        assert_eq!(c.recommend.reco_item, 5);
    }

    #[test]
    fn unknown_keys_and_syntax_errors_are_located() {
        let err = WorkspaceConfig::parse("[data]\nusr = \"x\"\n").unwrap_err();
        assert!(err.contains("usr") && err.contains("line 2"), "{err}");
        assert!(err.ends_with("did you mean 'user'?"), "{err}");
        let err = WorkspaceConfig::parse("[overrides]\nexclude_popualr = 5\n").unwrap_err();
        assert!(err.ends_with("did you mean 'exclude_popular'?"), "{err}");
        let err = WorkspaceConfig::parse("[data\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }
}
