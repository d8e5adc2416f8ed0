//! The workspace file, `workspace.toml`: one place for everything a run depends on.
//!
//! A workspace names its data file and column mapping (`[data]`), the cleaning rules
//! (`[cleaning]`), how lines become interactions and which days count (`[interactions]`),
//! the model's hyperparameters under the seed system's names (`[als]`) and a factorization
//! machine's under SageMaker's (`[fm]`), how many recommendations to make (`[recommend]`)
//! and the business rules over them (`[overrides]`, see [`crate::recommend::rules`]), and
//! what a search uses when not told (`[tune]`, see [`TuneTable`]). Every
//! table and key is optional; a missing one takes the documented default. Unknown keys are
//! errors, so a typo never silently falls back to a default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::{CleaningSpec, DataSpec, InteractionSpec, LoadSpec, RankingType};
use crate::models::fm::FmParams;
use crate::models::hyper::ParamsError;
use crate::recommend::Overrides;

mod tune_table;
pub use tune_table::{TuneTable, parse_budget, parse_model};

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
    #[error(
        "no demo workspace: looked for workspaces/demo/workspace.toml in '{}' and every folder above it; run latent from the clone, or pass --workspace PATH",
        from.display()
    )]
    NoDemo { from: PathBuf },
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

/// Workspace settings given on top of the file: by command-line flags, or by the seed
/// SageMaker job's keys, which belong to the workspace rather than the model.
#[derive(Debug, Default)]
pub struct SettingOverrides {
    pub ranking_type: Option<RankingType>,
    pub retention_date: Option<String>,
    pub retention_days: Option<u32>,
    pub reco_item: Option<usize>,
}

impl SettingOverrides {
    /// Writes the keys that were given into `config`, over its own values.
    pub fn apply(&self, config: &mut WorkspaceConfig) {
        if let Some(r) = self.ranking_type {
            config.interactions.ranking_type = r;
            config.interactions.ranking_type_given = true;
        }
        if let Some(d) = &self.retention_date {
            config.interactions.retention_date = Some(d.clone());
        }
        if let Some(d) = self.retention_days {
            config.interactions.retention_days = Some(d);
        }
        if let Some(n) = self.reco_item {
            config.recommend.reco_item = n;
        }
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
    /// Factorization-machine hyperparameters under SageMaker's names (`num_factors`,
    /// `predictor_type`, `epochs`, `*_lr`, `*_wd`, …) and latent's (`rfm_bands`,
    /// `side_features`); checked when the file is read, so a typo or a bad value is
    /// refused before any training (see [`WorkspaceConfig::fm_params`]).
    pub fm: toml::Table,
    pub recommend: RecommendSpec,
    /// Business rules over the lists: exclusions, forced products, boosts, cold start.
    pub overrides: Overrides,
    /// What `latent tune` and the workbench's search use when not told.
    pub tune: TuneTable,
}

impl WorkspaceConfig {
    /// The sections (`fm`, `interactions`, …) whose values differ between `self` and
    /// `other`: what re-reading the file changed, in the file's own words.
    pub fn changed_sections(&self, other: &Self) -> Vec<String> {
        let table = |c: &Self| match toml::Value::try_from(c) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let (a, b) = (table(self), table(other));
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .cloned()
            .collect()
    }

    /// This session's settings after the file went from `old_file` to `new_file`: every
    /// value the file changed is taken from it, and every other value stays as the
    /// session set it (a window chosen on the Data screen, a file opened with `:open`).
    /// So re-reading the file never drops a change the file itself did not touch.
    pub fn rebased(&self, old_file: &Self, new_file: &Self) -> Self {
        let table = |c: &Self| match toml::Value::try_from(c) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let mut session = table(self);
        take_changes(&mut session, &table(old_file), &table(new_file));
        let mut rebased: Self = match toml::Value::Table(session).try_into() {
            Ok(config) => config,
            Err(_) => return new_file.clone(),
        };
        rebased.interactions.ranking_type_given =
            if old_file.interactions.ranking_type == new_file.interactions.ranking_type {
                self.interactions.ranking_type_given
            } else {
                new_file.interactions.ranking_type_given
            };
        rebased
    }

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
        if let Some(data) = &config.data.path
            && data.is_relative()
        {
            let base = path.parent().unwrap_or(Path::new("."));
            config.data.path = Some(base.join(data));
        }
        Ok(config)
    }

    /// Parses workspace text; the error carries toml's line and column, and for an
    /// unknown key the nearest valid one.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut config: Self = toml::from_str(text).map_err(|e| {
            let message = e.to_string().trim_end().to_owned();
            match suggest_key(&message) {
                Some(s) => format!("{message}\ndid you mean '{s}'?"),
                None => message,
            }
        })?;
        // Whether the file chose an aggregation, which serde's default cannot tell.
        config.interactions.ranking_type_given = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("interactions")?.get("ranking_type").cloned())
            .is_some();
        if let Err(e) = config.fm_params().and_then(|p| p.check_values()) {
            let at = error_key(&e)
                .and_then(|key| line_of(text, "fm", key))
                .map_or_else(String::new, |line| format!(" at line {line}"));
            return Err(format!("in [fm]{at}: {e}"));
        }
        if let Err(e) = config.tune.check() {
            return Err(format!("in [tune]: {e}"));
        }
        Ok(config)
    }

    /// FM hyperparameters before `--set`: SageMaker's defaults (the regressor on rating
    /// data), then the `[fm]` table; values may be strings, as SageMaker passes them.
    /// Each value was checked when the file was read; whether they go together (MCMC's
    /// `burn_in` against `epochs`) is checked after the command line's overrides.
    pub fn fm_params(&self) -> Result<FmParams, ParamsError> {
        FmParams::for_data(
            self.interactions.ranking_type == RankingType::Rating,
            &self.fm,
        )
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

/// The key a hyperparameter error is about, to find its line.
fn error_key(e: &ParamsError) -> Option<&str> {
    match e {
        ParamsError::UnknownKey { key, .. }
        | ParamsError::BadValue { key, .. }
        | ParamsError::OutOfRange { key, .. } => Some(key),
        ParamsError::Invalid(_) => None,
    }
}

/// The 1-based line where `key` is set in `[table]` of `text`, for messages; a key the
/// error names by its canonical name but the file by an alias is not found.
fn line_of(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut current = "";
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            current = header.trim_end_matches(']').trim();
        } else if current == table
            && line
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return Some(n + 1);
        }
    }
    None
}

/// From serde's "unknown field `x`, expected one of `a`, `b`", the valid key nearest `x`.
fn suggest_key(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest.split("expected").nth(1)?;
    let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    crate::models::hyper::nearest(unknown, &valid).map(str::to_owned)
}

/// Writes into `into` each value that differs between `old` and `new`, key by key, so a
/// table the file changed in one place keeps the session's other values.
fn take_changes(into: &mut toml::Table, old: &toml::Table, new: &toml::Table) {
    let mut keys: Vec<String> = old.keys().chain(new.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        match (old.get(&key), new.get(&key)) {
            (a, b) if a == b => {}
            (Some(toml::Value::Table(a)), Some(toml::Value::Table(b))) => {
                if let Some(toml::Value::Table(mine)) = into.get_mut(&key) {
                    take_changes(mine, a, b);
                } else {
                    into.insert(key, toml::Value::Table(b.clone()));
                }
            }
            (_, Some(b)) => {
                into.insert(key, b.clone());
            }
            (_, None) => {
                into.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CancellationPolicy, RankingType};
    use crate::models::fm::PredictorType;
    use crate::models::hyper::RawValue;

    /// Re-reading the file takes what the file changed, value by value, and keeps what
    /// only the session changed, even inside a table the file also touched.
    #[test]
    fn a_rebase_keeps_the_sessions_values_the_file_did_not_change() {
        let old = WorkspaceConfig::parse(
            "[interactions]\nretention_days = 374\nmin_rating = 1.0\n[fm]\nepochs = 5\n",
        )
        .unwrap();
        let mut session = old.clone();
        session.interactions.retention_days = Some(90);
        session.data.path = Some(PathBuf::from("opened.csv"));

        let mut new = old.clone();
        new.fm.insert("epochs".into(), toml::Value::Integer(7));
        new.interactions.min_rating = Some(2.0);
        let rebased = session.rebased(&old, &new);
        assert_eq!(rebased.interactions.retention_days, Some(90));
        assert_eq!(rebased.interactions.min_rating, Some(2.0));
        assert_eq!(rebased.fm.get("epochs"), Some(&toml::Value::Integer(7)));
        assert_eq!(rebased.data.path, Some(PathBuf::from("opened.csv")));

        new.interactions.retention_days = Some(30);
        new.fm.remove("epochs");
        let rebased = session.rebased(&old, &new);
        assert_eq!(rebased.interactions.retention_days, Some(30));
        assert_eq!(rebased.fm.get("epochs"), None);
        assert_eq!(session.rebased(&old, &old), session);
    }

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
    fn fm_table_takes_sagemakers_names_and_strings() {
        let c = WorkspaceConfig::parse(
            "[fm]\nnum_factors = \"64\"\npredictor_type = \"binary_classifier\"\n\
             epochs = 5\nfactors_lr = 0.05\nfactors_init_method = \"uniform\"\n\
             clip_gradient = 5.0\nrfm_bands = 3\nside_features = false\n",
        )
        .unwrap();
        let p = c.fm_params().unwrap();
        assert_eq!(p.num_factors, 64);
        assert_eq!(p.predictor_type, PredictorType::BinaryClassifier);
        assert_eq!((p.epochs, p.factors_lr), (5, 0.05));
        assert_eq!(p.clip_gradient, Some(5.0));
        assert_eq!((p.rfm_bands, p.side_features), (3, false));
        // Rating data makes the regressor the default; the table still decides.
        let c = WorkspaceConfig::parse("[interactions]\nranking_type = \"rating\"\n").unwrap();
        assert_eq!(
            c.fm_params().unwrap().predictor_type,
            PredictorType::Regressor
        );
    }

    #[test]
    fn fm_table_errors_name_the_key_and_line() {
        let err =
            WorkspaceConfig::parse("name = \"x\"\n[fm]\nepochs = 3\nnum_factor = 8\n").unwrap_err();
        assert_eq!(
            err,
            "in [fm] at line 4: unknown hyperparameter 'num_factor' for fm: did you mean 'num_factors'?"
        );
        let err = WorkspaceConfig::parse("[fm]\nnum_factors = 0\n").unwrap_err();
        assert_eq!(
            err,
            "in [fm] at line 2: invalid num_factors '0': must be in 1..=256"
        );
        let err = WorkspaceConfig::parse("[fm]\nsolver = \"newton\"\n").unwrap_err();
        assert!(
            err.contains("solver 'newton'") && err.contains("line 2"),
            "{err}"
        );
        let err = WorkspaceConfig::parse("[fm]\nepochs = [1]\n").unwrap_err();
        assert!(err.contains("epochs"), "{err}");
    }

    #[test]
    fn fm_values_that_only_clash_together_wait_for_the_command_line() {
        // MCMC's default burn-in (10) is not below the default epochs (1): the workspace
        // still opens (ALS trains from it), and `--set epochs=50` makes the FM valid.
        let c = WorkspaceConfig::parse("[fm]\nsolver = \"mcmc\"\npredictor_type = \"regressor\"\n")
            .unwrap();
        let mut p = c.fm_params().unwrap();
        let err = p.check().unwrap_err().to_string();
        assert!(
            err.contains("burn_in") && err.contains("below epochs (1)"),
            "{err}"
        );
        p.set("epochs", &RawValue::Text("50".into())).unwrap();
        assert!(p.check().is_ok());
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
