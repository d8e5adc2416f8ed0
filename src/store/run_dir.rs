//! The layout of one run directory and its atomic save / checked load.
//!
//! ```text
//! status.json         running / finished / failed (with the error) / cancelled
//! run.toml            format version, latent version, model kind, data fingerprint,
//!                     history; written last: a run without it does not load
//! config.toml         the fully resolved workspace configuration
//! ids.json            customer ids, product ids and descriptions, in index order
//! train_*.npy         the training matrix in CSR form (indptr u64, indices u32, data f32)
//! popularity.npy      buyers per product (f32), the fallback list
//! user_factors.npy    ALS: customers × rank (f32, C order)
//! item_factors.npy    ALS: products × rank
//! knn_*.npy           item-kNN: the similarity matrix in CSR form
//! fm_features.json    FM: feature names and groups, training value range
//! fm_user_x_*.npy     FM: customers × features in CSR form (ids and side features)
//! fm_item_x_*.npy     FM: products × features in CSR form
//! fm_w0.npy           FM: global bias per kept sample (S, f32)
//! fm_w.npy            FM: linear weights (S × features)
//! fm_v.npy            FM: factors (S × features × num_factors)
//! catalog.json        segments per customer, first and last sale per product
//! train_time.npy      last purchase time of each training pair (i64), when dated
//! metrics.json        evaluation report, when a test set was given
//! holdout_*.npy       every evaluated customer's lists and hold-out purchases
//! train.log           one line per iteration
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::dir_arrays::{DirReader, DirWriter, write_csr, write_npy};
use super::files::write_with;
use super::holdout_files::{read_holdout, write_holdout};
use super::status::{RunState, RunStatus};
use crate::config::WorkspaceConfig;
use crate::data::fingerprint::DataFingerprint;
use crate::data::{CsrMatrix, IdMap};
use crate::eval::{EvalReport, HoldoutLists};
use crate::models::{ArrayReader, EpochReport, ModelKind, PopularityModel, TrainedModel};
use crate::recommend::{Catalog, RunView};

/// The popularity counts every run keeps as its fallback list.
const POPULARITY: &str = "popularity.npy";

/// The run format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a run could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("run directory '{0}' does not exist")]
    NotFound(PathBuf),
    #[error("'{0}' exists and is not empty: choose another run folder or remove it")]
    Exists(PathBuf),
    #[error("'{dir}' is not a latent run (no run.toml)")]
    NotARun { dir: PathBuf },
    #[error(
        "'{dir}' was written by run format {found} (latent {writer}); this latent reads format {FORMAT_VERSION}: retrain it with this version"
    )]
    Incompatible {
        dir: PathBuf,
        found: u32,
        writer: String,
    },
    #[error("run '{dir}' is damaged: {file}: {message}")]
    Corrupt {
        dir: PathBuf,
        file: String,
        message: String,
    },
    #[error("cannot write run '{dir}': {message}")]
    Io { dir: PathBuf, message: String },
    #[error("run '{dir}' has no model: {detail}")]
    Unfinished { dir: PathBuf, detail: String },
}

impl StoreError {
    /// Everything but a failed write is about the run folder the user named.
    pub fn is_input_error(&self) -> bool {
        !matches!(self, StoreError::Io { .. })
    }
}

/// One iteration of training history, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub iteration: usize,
    pub loss: f64,
    pub elapsed_ms: u64,
    /// FM: the validation metric of the epoch, when there was a validation split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<f64>,
}

/// `run.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub format_version: u32,
    pub latent_version: String,
    pub model: ModelKind,
    /// Seconds since 1970 (UTC) when the run was written.
    pub created_unix: i64,
    pub data: String,
    pub ranking_type: String,
    /// Hyperparameters as strings, SageMaker style.
    pub params: BTreeMap<String, String>,
    pub users: usize,
    pub items: usize,
    pub nnz: usize,
    pub train_seconds: f64,
    pub history: Vec<HistoryEntry>,
    /// The data file and loading configuration the run was trained on.
    #[serde(default)]
    pub fingerprint: Option<DataFingerprint>,
    /// How the evaluation data was held out: `none`, `last-days:N`, `last-days:N:new`
    /// or `file:PATH`.
    #[serde(default)]
    pub holdout: String,
    /// List length of the evaluation.
    #[serde(default = "default_k")]
    pub k: usize,
    /// Set when the run belongs to a hyperparameter sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepTag>,
    /// Set when `latent tune` chose this run's model and settings: how, and every trial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tune: Option<TuneTag>,
    /// The evaluated run this one refits on all data (`latent train --refit-from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Settings the job's file gave that latent accepts but gives no meaning to (the seed
    /// SageMaker job's `group_size`), kept so the reader sees they were not applied.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ignored_params: BTreeMap<String, String>,
    /// Set when `latent update` made this run from `parent` and newer lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateTag>,
}

/// What an incremental update added to its parent run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateTag {
    /// The file of new transactions.
    pub data: String,
    /// Lines added, and their first and last day (`YYYY-MM-DD`).
    pub lines: usize,
    pub first: String,
    pub last: String,
    /// Customers and products with new purchases, and how many of them are new.
    pub touched_users: usize,
    pub new_users: usize,
    pub touched_items: usize,
    pub new_items: usize,
    /// `incremental` (rows re-solved against fixed factors) or `refit` (a model without an
    /// incremental update, fitted again on the combined data).
    pub method: String,
}

impl UpdateTag {
    /// "N lines (first .. last): C customers (n new) and P products (m new) touched", as
    /// the CLI and the workbench's update job both report it.
    pub fn summary(&self) -> String {
        format!(
            "{} lines ({} .. {}): {} customers ({} new) and {} products ({} new) touched",
            self.lines,
            self.first,
            self.last,
            self.touched_users,
            self.new_users,
            self.touched_items,
            self.new_items
        )
    }
}

/// How `latent tune` chose a run: the search, and every trial it scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneTag {
    /// The metric trials were compared on, e.g. `precision@10`.
    pub metric: String,
    /// The inner validation split: its window and how many customers it scored.
    pub validation: String,
    /// Why the run's test metrics are honest, in words for the reader of `run.toml`.
    pub selection: String,
    pub seed: u64,
    pub budget_seconds: f64,
    /// True when the search was cancelled and the best so far was kept.
    #[serde(default)]
    pub cancelled: bool,
    /// The trial whose model and settings this run retrained (1-based).
    pub best_trial: usize,
    pub trials: Vec<TrialRecord>,
}

/// One configuration `latent tune` tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialRecord {
    /// 1-based, in the order tried.
    pub trial: usize,
    pub model: ModelKind,
    pub settings: BTreeMap<String, String>,
    /// The metric on the validation split; none when the trial failed or was stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<f64>,
    /// Fit and scoring time.
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A run's place in a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepTag {
    /// The sweep's id (shared by its runs).
    pub id: String,
    /// 1-based trial number; 0 for the chosen configuration retrained for the test.
    pub trial: usize,
    /// The metric configurations were chosen by, and this run's validation value.
    pub metric: String,
    pub validation: f64,
    /// True for the chosen configuration's runs (its trial and its test run).
    pub best: bool,
}

fn default_k() -> usize {
    10
}

/// A trained run in memory.
#[derive(Debug, Clone)]
pub struct Run {
    pub meta: RunMeta,
    pub config: WorkspaceConfig,
    pub users: IdMap,
    pub items: IdMap,
    pub descriptions: Vec<String>,
    /// Customers × products of the training data.
    pub train: CsrMatrix,
    pub popularity: PopularityModel,
    /// Segments and sales dates for the business rules.
    pub catalog: Catalog,
    /// Last purchase time (seconds) of each stored pair of `train`, when the data has dates.
    pub train_times: Option<Vec<i64>>,
    pub model: TrainedModel,
    pub metrics: Option<EvalReport>,
    /// The evaluated customers' lists and what they bought after the cut-off.
    pub holdout: Option<HoldoutLists>,
}

#[derive(Serialize, Deserialize)]
struct Ids {
    users: Vec<String>,
    items: Vec<String>,
    descriptions: Vec<String>,
}

impl Run {
    /// History entries from a fit's epoch reports (with the validation metric, when the
    /// model held one out).
    pub fn history_of(reports: &[EpochReport]) -> Vec<HistoryEntry> {
        reports
            .iter()
            .map(|r| HistoryEntry {
                iteration: r.iteration,
                loss: r.loss,
                elapsed_ms: r.elapsed.as_millis() as u64,
                validation: r.validation.map(|v| v.1),
            })
            .collect()
    }

    /// Writes every file of the run into `dir`, each atomically, `run.toml` last.
    pub(super) fn write_files_into(&self, dir: &Path) -> std::io::Result<()> {
        write_with(dir, "config.toml", |w| {
            w.write_all(
                toml::to_string(&self.config)
                    .map_err(std::io::Error::other)?
                    .as_bytes(),
            )
        })?;
        let ids = Ids {
            users: self.users.names().to_vec(),
            items: self.items.names().to_vec(),
            descriptions: self.descriptions.clone(),
        };
        write_with(dir, "ids.json", |w| {
            serde_json::to_writer(w, &ids).map_err(std::io::Error::other)
        })?;
        write_csr(dir, "train", &self.train)?;
        write_with(dir, "catalog.json", |w| {
            serde_json::to_writer(w, &self.catalog).map_err(std::io::Error::other)
        })?;
        if let Some(times) = &self.train_times {
            write_npy(dir, "train_time.npy", &[times.len()], times)?;
        }
        let mut arrays = DirWriter::new(dir);
        self.model.model().save(&mut arrays)?;
        // The fallback list, unless the model is that list and wrote it already.
        if !arrays.wrote(POPULARITY) {
            write_npy(
                dir,
                POPULARITY,
                &[self.popularity.counts.len()],
                &self.popularity.counts,
            )?;
        }
        if let Some(lists) = &self.holdout {
            write_holdout(dir, lists)?;
        }
        if let Some(metrics) = &self.metrics {
            write_with(dir, "metrics.json", |w| {
                serde_json::to_writer_pretty(w, metrics).map_err(std::io::Error::other)
            })?;
        }
        write_with(dir, "run.toml", |w| {
            w.write_all(
                toml::to_string(&self.meta)
                    .map_err(std::io::Error::other)?
                    .as_bytes(),
            )
        })
    }

    /// Loads and checks the run in `dir`.
    pub fn load(dir: &Path) -> Result<Self, StoreError> {
        if !dir.is_dir() {
            return Err(StoreError::NotFound(dir.to_owned()));
        }
        let corrupt = |file: &str, message: String| StoreError::Corrupt {
            dir: dir.to_owned(),
            file: file.to_owned(),
            message,
        };
        let Ok(meta_text) = std::fs::read_to_string(dir.join("run.toml")) else {
            return Err(match RunStatus::read(dir) {
                Some(status) => StoreError::Unfinished {
                    dir: dir.to_owned(),
                    detail: unfinished_detail(&status),
                },
                None => StoreError::NotARun {
                    dir: dir.to_owned(),
                },
            });
        };
        let version: toml::Table =
            toml::from_str(&meta_text).map_err(|e| corrupt("run.toml", e.to_string()))?;
        let found = version
            .get("format_version")
            .and_then(toml::Value::as_integer)
            .unwrap_or(0);
        if found != i64::from(FORMAT_VERSION) {
            let writer = version
                .get("latent_version")
                .and_then(toml::Value::as_str)
                .unwrap_or("unknown")
                .to_owned();
            return Err(StoreError::Incompatible {
                dir: dir.to_owned(),
                found: u32::try_from(found).unwrap_or(0),
                writer,
            });
        }
        let meta: RunMeta =
            toml::from_str(&meta_text).map_err(|e| corrupt("run.toml", e.to_string()))?;
        let config_text = std::fs::read_to_string(dir.join("config.toml"))
            .map_err(|e| corrupt("config.toml", e.to_string()))?;
        let config = WorkspaceConfig::parse(&config_text).map_err(|e| corrupt("config.toml", e))?;
        let ids: Ids = File::open(dir.join("ids.json"))
            .map_err(|e| corrupt("ids.json", e.to_string()))
            .and_then(|f| {
                serde_json::from_reader(BufReader::new(f))
                    .map_err(|e| corrupt("ids.json", e.to_string()))
            })?;
        let users = IdMap::from_names(ids.users);
        let items = IdMap::from_names(ids.items);
        let arrays = DirReader(dir);
        let train = arrays
            .csr("train", users.len(), items.len())
            .map_err(|e| corrupt_array(dir, e))?;
        let counts: Vec<f32> = arrays
            .shaped(POPULARITY, &[items.len()])
            .map_err(|e| corrupt_array(dir, e))?;
        // Runs written before the catalog existed load without one: rules that need
        // dates or segments then say so instead of failing.
        let catalog: Catalog = match File::open(dir.join("catalog.json")) {
            Ok(f) => serde_json::from_reader(BufReader::new(f))
                .map_err(|e| corrupt("catalog.json", e.to_string()))?,
            Err(_) => Catalog::default(),
        };
        if !catalog.user_segment.is_empty() && catalog.user_segment.len() != users.len()
            || !catalog.last_sale.is_empty() && catalog.last_sale.len() != items.len()
        {
            return Err(corrupt(
                "catalog.json",
                "customer or product counts differ from ids.json".into(),
            ));
        }
        let train_times = if dir.join("train_time.npy").exists() {
            Some(
                arrays
                    .shaped::<i64>("train_time.npy", &[train.nnz()])
                    .map_err(|e| corrupt_array(dir, e))?,
            )
        } else {
            None
        };
        let popularity = PopularityModel { counts };
        let model = crate::models::registry::load(
            meta.model,
            &meta.params,
            users.len(),
            items.len(),
            &arrays,
        )
        .map_err(|e| corrupt_array(dir, e))?;
        let metrics = match std::fs::read_to_string(dir.join("metrics.json")) {
            Ok(text) => Some(
                serde_json::from_str(&text).map_err(|e| corrupt("metrics.json", e.to_string()))?,
            ),
            Err(_) => None,
        };
        let k = metrics.as_ref().map_or(meta.k, |m: &EvalReport| m.k);
        let holdout = read_holdout(dir, k, items.len()).map_err(|e| corrupt_array(dir, e))?;
        Ok(Run {
            meta,
            config,
            users,
            items,
            descriptions: ids.descriptions,
            train,
            popularity,
            catalog,
            train_times,
            model,
            metrics,
            holdout,
        })
    }

    /// The parts the recommendation rules read.
    pub fn view(&self) -> RunView<'_> {
        RunView {
            model: &self.model,
            train: &self.train,
            users: &self.users,
            items: &self.items,
            descriptions: &self.descriptions,
            popularity: &self.popularity,
            catalog: &self.catalog,
        }
    }
}

/// A model's array error as the run's.
fn corrupt_array(dir: &Path, e: crate::models::ArrayError) -> StoreError {
    StoreError::Corrupt {
        dir: dir.to_owned(),
        file: e.file,
        message: e.message,
    }
}

/// Why a run without `run.toml` has no model, in words.
pub fn unfinished_detail(status: &RunStatus) -> String {
    match status.state {
        RunState::Running => format!("it is still being trained (process {})", status.pid),
        RunState::Interrupted => format!(
            "its training was interrupted (process {} is gone): retrain it",
            status.pid
        ),
        RunState::Failed => format!(
            "its training failed: {}",
            status.error.as_deref().unwrap_or("unknown error")
        ),
        RunState::Cancelled => "its training was cancelled".to_owned(),
        RunState::Finished => "run.toml is missing: the run is damaged".to_owned(),
    }
}
