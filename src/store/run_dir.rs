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
//! train.log           one line per iteration
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::files::write_with;
use super::npy;
use super::status::{RunState, RunStatus};
use super::writer::RunWriter;
use crate::config::WorkspaceConfig;
use crate::data::fingerprint::DataFingerprint;
use crate::data::{CsrMatrix, IdMap};
use crate::eval::EvalReport;
use crate::models::als::{AlsParams, EpochReport};
use crate::models::fm::{FeatureGroup, FeatureSpace, FmEpochReport, FmParams, FmWeights};
use crate::models::{AlsModel, FmModel, ItemKnnModel, ModelKind, PopularityModel, TrainedModel};
use crate::recommend::{Catalog, RunView};

/// The run format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a run could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("run directory '{0}' does not exist")]
    NotFound(PathBuf),
    #[error("'{0}' exists and is not empty: choose another --out or remove it")]
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
}

#[derive(Serialize, Deserialize)]
struct Ids {
    users: Vec<String>,
    items: Vec<String>,
    descriptions: Vec<String>,
}

impl Run {
    /// History entries from a fit's epoch reports.
    pub fn history_of(reports: &[EpochReport]) -> Vec<HistoryEntry> {
        reports
            .iter()
            .map(|r| HistoryEntry {
                iteration: r.iteration,
                loss: r.loss,
                elapsed_ms: r.elapsed.as_millis() as u64,
                validation: None,
            })
            .collect()
    }

    /// History entries from an FM fit's epoch reports (with the validation metric).
    pub fn history_of_fm(reports: &[FmEpochReport]) -> Vec<HistoryEntry> {
        reports
            .iter()
            .map(|r| HistoryEntry {
                iteration: r.epoch,
                loss: r.train_loss,
                elapsed_ms: r.elapsed.as_millis() as u64,
                validation: r.validation,
            })
            .collect()
    }

    /// Writes the run to `dir` (which must not exist or be empty) with `log` as its log.
    pub fn save(&self, dir: &Path, log: &str) -> Result<(), StoreError> {
        let mut writer = RunWriter::start(dir, self.meta.model, &self.config)?;
        writer.log(log.trim_end());
        writer.finish(self)
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
        write_npy(
            dir,
            "popularity.npy",
            &[self.popularity.counts.len()],
            &self.popularity.counts,
        )?;
        match &self.model {
            TrainedModel::Als(m) => {
                write_matrix(dir, "user_factors.npy", &m.user_factors)?;
                write_matrix(dir, "item_factors.npy", &m.item_factors)?;
            }
            TrainedModel::ItemKnn(m) => write_csr(dir, "knn", &m.similarities)?,
            TrainedModel::Popularity(_) => {}
            TrainedModel::Fm(m) => write_fm(dir, m)?,
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
        let train = read_csr(dir, "train", users.len(), items.len())?;
        let counts: Vec<f32> = read_npy(dir, "popularity.npy", &[items.len()])?;
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
            Some(read_npy::<i64>(dir, "train_time.npy", &[train.nnz()])?)
        } else {
            None
        };
        let popularity = PopularityModel { counts };
        let model = match meta.model {
            ModelKind::Als | ModelKind::AlsExplicit => {
                let mut params = AlsParams::default();
                for (k, v) in &meta.params {
                    params
                        .set(k, &crate::models::hyper::RawValue::Text(v.clone()))
                        .map_err(|e| corrupt("run.toml", e.to_string()))?;
                }
                let user_factors = read_matrix(dir, "user_factors.npy", users.len())?;
                let item_factors = read_matrix(dir, "item_factors.npy", items.len())?;
                if user_factors.ncols() != item_factors.ncols() {
                    return Err(corrupt(
                        "item_factors.npy",
                        "rank differs from user_factors.npy".into(),
                    ));
                }
                TrainedModel::Als(AlsModel {
                    params,
                    user_factors,
                    item_factors,
                    history: Vec::new(),
                })
            }
            ModelKind::ItemKnn => TrainedModel::ItemKnn(ItemKnnModel {
                similarities: read_csr(dir, "knn", items.len(), items.len())?,
            }),
            ModelKind::Popularity => TrainedModel::Popularity(popularity.clone()),
            ModelKind::Fm => {
                TrainedModel::Fm(Box::new(read_fm(dir, &meta, users.len(), items.len())?))
            }
        };
        let metrics = match std::fs::read_to_string(dir.join("metrics.json")) {
            Ok(text) => Some(
                serde_json::from_str(&text).map_err(|e| corrupt("metrics.json", e.to_string()))?,
            ),
            Err(_) => None,
        };
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

fn write_npy<T: npy::Element>(
    dir: &Path,
    name: &str,
    shape: &[usize],
    data: &[T],
) -> std::io::Result<()> {
    if let Some(at) = npy::first_non_finite(data) {
        return Err(std::io::Error::other(format!(
            "{name}: value {at} is not a finite number (NaN or infinity); the model \
             diverged: retrain with a lower alpha or learning rate, or a higher regularisation"
        )));
    }
    write_with(dir, name, |w| npy::write(w, shape, data))
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

fn write_matrix(dir: &Path, name: &str, m: &Array2<f32>) -> std::io::Result<()> {
    let data = m
        .as_slice()
        .ok_or_else(|| std::io::Error::other("factors not in standard layout"))?;
    write_npy(dir, name, &[m.nrows(), m.ncols()], data)
}

fn write_csr(dir: &Path, prefix: &str, m: &CsrMatrix) -> std::io::Result<()> {
    let indptr: Vec<u64> = m.indptr().iter().map(|&p| p as u64).collect();
    write_npy(
        dir,
        &format!("{prefix}_indptr.npy"),
        &[indptr.len()],
        &indptr,
    )?;
    write_npy(
        dir,
        &format!("{prefix}_indices.npy"),
        &[m.nnz()],
        m.indices(),
    )?;
    write_npy(dir, &format!("{prefix}_data.npy"), &[m.nnz()], m.data())
}

fn read_npy<T: npy::Element>(
    dir: &Path,
    name: &str,
    expect: &[usize],
) -> Result<Vec<T>, StoreError> {
    let (shape, data) = read_npy_any(dir, name)?;
    if shape != expect {
        return Err(StoreError::Corrupt {
            dir: dir.to_owned(),
            file: name.to_owned(),
            message: format!("shape {shape:?}, expected {expect:?}"),
        });
    }
    Ok(data)
}

fn read_npy_any<T: npy::Element>(
    dir: &Path,
    name: &str,
) -> Result<(Vec<usize>, Vec<T>), StoreError> {
    let corrupt = |message: String| StoreError::Corrupt {
        dir: dir.to_owned(),
        file: name.to_owned(),
        message,
    };
    let f = File::open(dir.join(name)).map_err(|e| corrupt(e.to_string()))?;
    let (shape, data) = npy::read(BufReader::new(f)).map_err(corrupt)?;
    if let Some(at) = npy::first_non_finite(&data) {
        return Err(corrupt(format!(
            "value {at} is not a finite number (NaN or infinity): the model diverged; \
             retrain it with a lower alpha or learning rate, or a higher regularisation"
        )));
    }
    Ok((shape, data))
}

fn read_matrix(dir: &Path, name: &str, rows: usize) -> Result<Array2<f32>, StoreError> {
    let (shape, data) = read_npy_any::<f32>(dir, name)?;
    let corrupt = |message: String| StoreError::Corrupt {
        dir: dir.to_owned(),
        file: name.to_owned(),
        message,
    };
    match shape[..] {
        [r, k] if r == rows => {
            Array2::from_shape_vec((r, k), data).map_err(|e| corrupt(e.to_string()))
        }
        _ => Err(corrupt(format!("shape {shape:?}, expected ({rows}, rank)"))),
    }
}

fn read_csr(dir: &Path, prefix: &str, rows: usize, cols: usize) -> Result<CsrMatrix, StoreError> {
    let indptr: Vec<u64> = read_npy(dir, &format!("{prefix}_indptr.npy"), &[rows + 1])?;
    let (_, indices) = read_npy_any::<u32>(dir, &format!("{prefix}_indices.npy"))?;
    let (_, data) = read_npy_any::<f32>(dir, &format!("{prefix}_data.npy"))?;
    let indptr: Vec<usize> = indptr.into_iter().map(|p| p as usize).collect();
    CsrMatrix::from_parts(rows, cols, indptr, indices, data).ok_or_else(|| StoreError::Corrupt {
        dir: dir.to_owned(),
        file: format!("{prefix}_*.npy"),
        message: "inconsistent sparse matrix arrays".into(),
    })
}

/// `fm_features.json`.
#[derive(Serialize, Deserialize)]
struct FmFeatures {
    names: Vec<String>,
    groups: Vec<FeatureGroup>,
    value_range: (f32, f32),
    num_factors: usize,
}

fn write_fm(dir: &Path, m: &FmModel) -> std::io::Result<()> {
    let n = m.space.len();
    let k = m.params.num_factors;
    let s = m.samples.len();
    let features = FmFeatures {
        names: m.space.names.clone(),
        groups: m.space.groups.clone(),
        value_range: m.value_range,
        num_factors: k,
    };
    write_with(dir, "fm_features.json", |w| {
        serde_json::to_writer(w, &features).map_err(std::io::Error::other)
    })?;
    write_csr(dir, "fm_user_x", &m.space.user_rows)?;
    write_csr(dir, "fm_item_x", &m.space.item_rows)?;
    let w0: Vec<f32> = m.samples.iter().map(|w| w.w0).collect();
    write_npy(dir, "fm_w0.npy", &[s], &w0)?;
    let w: Vec<f32> = m.samples.iter().flat_map(|w| w.w.iter().copied()).collect();
    write_npy(dir, "fm_w.npy", &[s, n], &w)?;
    let v: Vec<f32> = m.samples.iter().flat_map(|w| w.v.iter().copied()).collect();
    write_npy(dir, "fm_v.npy", &[s, n, k], &v)
}

fn read_fm(dir: &Path, meta: &RunMeta, users: usize, items: usize) -> Result<FmModel, StoreError> {
    let corrupt = |file: &str, message: String| StoreError::Corrupt {
        dir: dir.to_owned(),
        file: file.to_owned(),
        message,
    };
    let mut params = FmParams::default();
    for (k, v) in &meta.params {
        params
            .set(k, &crate::models::hyper::RawValue::Text(v.clone()))
            .map_err(|e| corrupt("run.toml", e.to_string()))?;
    }
    let features: FmFeatures = File::open(dir.join("fm_features.json"))
        .map_err(|e| corrupt("fm_features.json", e.to_string()))
        .and_then(|f| {
            serde_json::from_reader(BufReader::new(f))
                .map_err(|e| corrupt("fm_features.json", e.to_string()))
        })?;
    let n = features.names.len();
    let k = features.num_factors;
    if k != params.num_factors || features.groups.iter().any(|g| g.end as usize > n) {
        return Err(corrupt(
            "fm_features.json",
            "groups or num_factors disagree with run.toml".into(),
        ));
    }
    let user_rows = read_csr(dir, "fm_user_x", users, n)?;
    let item_rows = read_csr(dir, "fm_item_x", items, n)?;
    let (shape, w0) = read_npy_any::<f32>(dir, "fm_w0.npy")?;
    let s = match shape[..] {
        [s] if s > 0 => s,
        _ => {
            return Err(corrupt(
                "fm_w0.npy",
                format!("shape {shape:?}, expected (samples,)"),
            ));
        }
    };
    let w: Vec<f32> = read_npy(dir, "fm_w.npy", &[s, n])?;
    let v: Vec<f32> = read_npy(dir, "fm_v.npy", &[s, n, k])?;
    let samples = (0..s)
        .map(|i| FmWeights {
            w0: w0[i],
            w: w[i * n..(i + 1) * n].to_vec(),
            v: v[i * n * k..(i + 1) * n * k].to_vec(),
            k,
        })
        .collect();
    let space = FeatureSpace {
        names: features.names,
        groups: features.groups,
        user_rows,
        item_rows,
    };
    Ok(FmModel::from_parts(
        params,
        space,
        samples,
        features.value_range,
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_arrays_are_neither_written_nor_read() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_npy(
            dir.path(),
            "user_factors.npy",
            &[3],
            &[1.0f32, f32::NAN, 2.0],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("value 1 is not a finite number"),
            "{err}"
        );
        assert!(!dir.path().join("user_factors.npy").exists());
        // A file written by another tool (or damaged) is refused when the run is read.
        let f = File::create(dir.path().join("item_factors.npy")).unwrap();
        npy::write(f, &[2, 2], &[0.5f32, 1.0, f32::INFINITY, 0.0]).unwrap();
        let err = read_matrix(dir.path(), "item_factors.npy", 2).unwrap_err();
        assert!(err.to_string().contains("item_factors.npy"), "{err}");
        assert!(
            err.to_string().contains("value 2 is not a finite number"),
            "{err}"
        );
        // Integers are always finite.
        write_npy(dir.path(), "train_indices.npy", &[2], &[1u32, 2]).unwrap();
    }
}
