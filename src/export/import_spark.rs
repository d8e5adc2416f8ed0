//! Importing a Spark `ALSModel` folder as a latent run, so `latent recommend`, `latent
//! eval` and the workbench can use a model trained on Spark.
//!
//! A Spark ALS model is three things ([`super::spark`] writes the same layout):
//!
//! ```text
//! metadata/part-00000      one JSON line: class, rank, paramMap, ...
//! userFactors/*.parquet    id int, features array<float>
//! itemFactors/*.parquet
//! latent_sidecar.json      optional (latent's `spark` export and `spark-job` write it):
//!                          hyperparameters and the int32 -> original id maps
//! ```
//!
//! With the sidecar, customers and products get their original ids and the run its
//! hyperparameters; without it, the int ids become the ids (`"17"`) and only `rank` is
//! known (the rest are latent's defaults, spark convention). Spark keeps no training data,
//! so the run's training matrix (the products each customer bought, which lists leave
//! out) is rebuilt from a data file when one is given, loaded and cleaned with the
//! workspace's rules; otherwise it is empty, and the import says so.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use polars::prelude::*;
use serde::Deserialize;

use super::ExportError;
use crate::config::WorkspaceConfig;
use crate::data::fingerprint::{DataFingerprint, load_config};
use crate::data::{CsrMatrix, IdMap, Interactions, Transactions, load_transactions};
use crate::models::als::AlsParams;
use crate::models::hyper::RawValue;
use crate::models::{AlsModel, ModelKind, PopularityModel, TrainedModel};
use crate::recommend::Catalog;
use crate::recommend::catalog::pair_last_purchase;
use crate::store::{FORMAT_VERSION, Run, RunMeta};

/// Why an import failed: the model folder, or the data file and the run written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Model(#[from] ExportError),
    #[error(transparent)]
    Data(#[from] crate::Error),
}

/// What to import and with what.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The workspace whose mapping, cleaning and `[interactions]` apply to `data`.
    pub config: WorkspaceConfig,
    /// The data the model was trained on, for the training matrix.
    pub data: Option<PathBuf>,
}

/// An imported run and what the user should know about it.
#[derive(Debug)]
pub struct Imported {
    pub run: Run,
    /// True when `latent_sidecar.json` supplied the ids and hyperparameters.
    pub has_sidecar: bool,
    /// Plain-language notes (missing sidecar, empty training matrix, dropped pairs).
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
struct Sidecar {
    #[serde(default)]
    params: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    model_kind: Option<String>,
    user_ids: Vec<String>,
    item_ids: Vec<String>,
}

fn bad(path: &Path, message: impl Into<String>) -> ExportError {
    ExportError::NotASparkModel {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Reads `metadata/part-00000` (Spark 4 names it `part-00000-<uuid>-c000.txt`): the rank
/// and Spark's own parameters.
fn read_metadata(dir: &Path) -> Result<(usize, serde_json::Value), ExportError> {
    let meta_dir = dir.join("metadata");
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&meta_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("part-"))
                })
                .collect()
        })
        .unwrap_or_default();
    parts.sort();
    let path = parts
        .into_iter()
        .next()
        .unwrap_or_else(|| meta_dir.join("part-00000"));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            return Err(bad(
                &path,
                format!(
                    "cannot read the metadata ({e}): an ALSModel folder holds metadata/part-00000"
                ),
            ));
        }
    };
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| bad(&path, format!("not JSON: {e}")))?;
    let class = v["class"].as_str().unwrap_or("");
    if class != "org.apache.spark.ml.recommendation.ALSModel" {
        return Err(bad(
            &path,
            format!("class is '{class}', expected org.apache.spark.ml.recommendation.ALSModel"),
        ));
    }
    let rank = v["rank"]
        .as_u64()
        .filter(|&r| r > 0)
        .ok_or_else(|| bad(&path, "no positive integer 'rank'"))?;
    Ok((rank as usize, v))
}

/// Reads every Parquet part of `dir/name` into `(id, factors)` rows sorted by id.
fn read_factors(dir: &Path, name: &str, rank: usize) -> Result<Vec<(i32, Vec<f32>)>, ExportError> {
    let folder = dir.join(name);
    let entries = std::fs::read_dir(&folder)
        .map_err(|e| bad(&folder, format!("cannot list the {name} folder: {e}")))?;
    let mut parts: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !n.starts_with(['.', '_']) && n.ends_with(".parquet")
        })
        .collect();
    parts.sort();
    if parts.is_empty() {
        return Err(bad(&folder, "no .parquet part files"));
    }
    let mut rows = Vec::new();
    for part in parts {
        let file = std::fs::File::open(&part).map_err(|e| bad(&part, e.to_string()))?;
        let frame = ParquetReader::new(file)
            .finish()
            .map_err(|e| bad(&part, format!("unreadable Parquet: {e}")))?;
        let column = |c: &str| {
            frame.column(c).map_err(|_| {
                let found: Vec<String> = frame
                    .get_column_names()
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect();
                bad(
                    &part,
                    format!("no '{c}' column (columns: {})", found.join(", ")),
                )
            })
        };
        let ids = column("id")?
            .cast(&DataType::Int32)
            .map_err(|e| bad(&part, format!("'id' is not an integer column: {e}")))?;
        let features = column("features")?
            .cast(&DataType::List(Box::new(DataType::Float32)))
            .map_err(|e| bad(&part, format!("'features' is not array<float>: {e}")))?;
        let ids = ids.i32().map_err(|e| bad(&part, e.to_string()))?;
        let lists = features.list().map_err(|e| bad(&part, e.to_string()))?;
        for (row, (id, list)) in ids.iter().zip(lists.amortized_iter()).enumerate() {
            let (Some(id), Some(list)) = (id, list) else {
                return Err(bad(&part, format!("row {}: null id or features", row + 1)));
            };
            let values: Vec<f32> = list
                .as_ref()
                .f32()
                .map_err(|e| bad(&part, e.to_string()))?
                .iter()
                .map(|x| x.unwrap_or(f32::NAN))
                .collect();
            if values.len() != rank {
                return Err(bad(
                    &part,
                    format!(
                        "id {id} has {} factors; metadata rank is {rank}",
                        values.len()
                    ),
                ));
            }
            if values.iter().any(|x| !x.is_finite()) {
                return Err(bad(
                    &part,
                    format!("id {id} has a null or non-finite factor"),
                ));
            }
            rows.push((id, values));
        }
    }
    rows.sort_unstable_by_key(|(id, _)| *id);
    if let Some(w) = rows.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(bad(&folder, format!("id {} appears twice", w[0].0)));
    }
    Ok(rows)
}

/// Names and a factor matrix for `rows`, the names from `ids` (the sidecar) when given.
fn named(
    rows: Vec<(i32, Vec<f32>)>,
    ids: Option<&[String]>,
    sidecar: &Path,
    what: &str,
) -> Result<(IdMap, Array2<f32>), ExportError> {
    let rank = rows.first().map_or(0, |r| r.1.len());
    let mut names = Vec::with_capacity(rows.len());
    let mut flat = Vec::with_capacity(rows.len() * rank);
    for (id, values) in rows {
        let name = match ids {
            Some(ids) => usize::try_from(id)
                .ok()
                .and_then(|i| ids.get(i))
                .cloned()
                .ok_or_else(|| {
                    bad(
                        sidecar,
                        format!("{what} id {id} is not in its {} ids", ids.len()),
                    )
                })?,
            None => id.to_string(),
        };
        names.push(name);
        flat.extend(values);
    }
    let map = IdMap::from_names(names.iter().map(String::as_str));
    if map.len() != names.len() {
        return Err(bad(sidecar, format!("two {what}s share one original id")));
    }
    let m = Array2::from_shape_vec((names.len(), rank), flat)
        .map_err(|e| bad(sidecar, e.to_string()))?;
    Ok((map, m))
}

/// The training matrix of `lines` over the model's ids; pairs of unknown customers or
/// products are left out and counted.
fn training_matrix(
    lines: &Transactions,
    config: &WorkspaceConfig,
    users: &IdMap,
    items: &IdMap,
) -> Result<(CsrMatrix, usize), crate::Error> {
    let m = Interactions::from_transactions(lines, config.interactions.ranking_type)?;
    let item_map: Vec<Option<u32>> = m.items.names().iter().map(|n| items.get(n)).collect();
    let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); users.len()];
    let mut dropped = 0;
    for (u, name) in m.users.names().iter().enumerate() {
        let (cols, vals) = m.user_items.row(u);
        let Some(target) = users.get(name) else {
            dropped += cols.len();
            continue;
        };
        for (&c, &v) in cols.iter().zip(vals) {
            match item_map[c as usize] {
                Some(i) => rows[target as usize].push((i, v)),
                None => dropped += 1,
            }
        }
    }
    let mut indptr = vec![0usize];
    let (mut indices, mut data) = (Vec::new(), Vec::new());
    for mut row in rows {
        row.sort_unstable_by_key(|p| p.0);
        indices.extend(row.iter().map(|p| p.0));
        data.extend(row.iter().map(|p| p.1));
        indptr.push(indices.len());
    }
    let csr = CsrMatrix::from_parts(users.len(), items.len(), indptr, indices, data)
        .expect("rows are sorted, distinct and in range");
    Ok((csr, dropped))
}

/// Reads the Spark model in `dir` and builds a latent ALS run from it.
pub fn import_spark_model(dir: &Path, opts: &ImportOptions) -> Result<Imported, ImportError> {
    let _span = tracing::info_span!("import", model = %dir.display()).entered();
    if !dir.is_dir() {
        return Err(bad(dir, "not a folder").into());
    }
    let (rank, metadata) = read_metadata(dir)?;
    let sidecar_path = dir.join("latent_sidecar.json");
    let sidecar: Option<Sidecar> = match std::fs::read(&sidecar_path) {
        Ok(bytes) => Some(
            serde_json::from_slice(&bytes)
                .map_err(|e| bad(&sidecar_path, format!("unreadable sidecar: {e}")))?,
        ),
        Err(_) => None,
    };
    let mut notes = Vec::new();
    let mut params = AlsParams::new(rank);
    if let Some(s) = &sidecar {
        for (k, v) in &s.params {
            params
                .set(k, &RawValue::Text(v.clone()))
                .map_err(|e| bad(&sidecar_path, format!("params: {e}")))?;
        }
        if s.model_kind.as_deref() == Some("als-explicit") {
            params.implicit_prefs = false;
        }
    } else {
        notes.push(
            "no latent_sidecar.json: ids are Spark's int ids, and only rank is known (other hyperparameters are latent's defaults)".to_owned(),
        );
    }
    if params.rank != rank {
        return Err(bad(
            &sidecar_path,
            format!(
                "als_rank '{}' differs from the metadata's rank {rank}",
                params.rank
            ),
        )
        .into());
    }
    let user_rows = read_factors(dir, "userFactors", rank)?;
    let item_rows = read_factors(dir, "itemFactors", rank)?;
    let (users, user_factors) = named(
        user_rows,
        sidecar.as_ref().map(|s| s.user_ids.as_slice()),
        &sidecar_path,
        "customer",
    )?;
    let (items, item_factors) = named(
        item_rows,
        sidecar.as_ref().map(|s| s.item_ids.as_slice()),
        &sidecar_path,
        "product",
    )?;
    if users.is_empty() || items.is_empty() {
        return Err(bad(dir, "no customers or no products in the factors").into());
    }

    let mut config = opts.config.clone();
    let load = config.load_spec();
    let (lines, fingerprint, data_label) = match &opts.data {
        Some(path) => {
            let (lines, _) = load_transactions(path, &load).map_err(crate::Error::from)?;
            let fp = DataFingerprint::of(path, &load_config(&load)).ok();
            config.data.path = Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()));
            (Some(lines), fp, path.display().to_string())
        }
        None => {
            notes.push(
                "no --data: the training matrix is empty, so lists and eval do not leave out products customers already bought; popularity is zero".to_owned(),
            );
            (None, None, String::new())
        }
    };
    let (train, descriptions, catalog, train_times) = match &lines {
        Some(t) => {
            let (train, dropped) = training_matrix(t, &config, &users, &items)?;
            if dropped > 0 {
                notes.push(format!(
                    "{dropped} pairs of the data name customers or products the model does not know: left out of the training matrix"
                ));
            }
            let descriptions = items
                .names()
                .iter()
                .map(|n| {
                    t.items
                        .get(n)
                        .map(|j| t.description(j).to_owned())
                        .unwrap_or_default()
                })
                .collect();
            let catalog = Catalog::from_transactions(t, &users, &items);
            let times = pair_last_purchase(t, &users, &items, &train);
            (train, descriptions, catalog, times)
        }
        None => (
            CsrMatrix::from_parts(
                users.len(),
                items.len(),
                vec![0; users.len() + 1],
                Vec::new(),
                Vec::new(),
            )
            .expect("an empty matrix is consistent"),
            vec![String::new(); items.len()],
            Catalog::default(),
            None,
        ),
    };
    config.als = params
        .to_strings()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), toml::Value::String(v)))
        .collect();
    let popularity = PopularityModel::fit(&train);
    let meta = RunMeta {
        format_version: FORMAT_VERSION,
        latent_version: env!("CARGO_PKG_VERSION").to_owned(),
        model: if params.implicit_prefs {
            ModelKind::Als
        } else {
            ModelKind::AlsExplicit
        },
        created_unix: chrono::Utc::now().timestamp(),
        data: data_label,
        ranking_type: config.interactions.ranking_type.name().to_owned(),
        params: params
            .to_strings()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        users: users.len(),
        items: items.len(),
        nnz: train.nnz(),
        train_seconds: 0.0,
        history: Vec::new(),
        fingerprint,
        holdout: format!("spark-model:{}", dir.display()),
        k: config.recommend.reco_item,
        sweep: None,
        tune: None,
        parent: None,
        ignored_params: std::collections::BTreeMap::new(),
        update: None,
    };
    tracing::info!(
        users = users.len(),
        items = items.len(),
        spark_uid = metadata["uid"].as_str().unwrap_or(""),
        "imported spark model"
    );
    let run = Run {
        meta,
        config,
        users,
        items,
        descriptions,
        train,
        popularity,
        catalog,
        train_times,
        model: TrainedModel::new(AlsModel {
            params,
            user_factors,
            item_factors,
            history: Vec::new(),
        }),
        metrics: None,
        holdout: None,
    };
    Ok(Imported {
        run,
        has_sidecar: sidecar.is_some(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_without_metadata_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = import_spark_model(dir.path(), &ImportOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("metadata") && text.contains("part-00000"),
            "{text}"
        );
    }

    #[test]
    fn a_foreign_class_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("metadata")).unwrap();
        std::fs::write(
            dir.path().join("metadata/part-00000"),
            r#"{"class":"org.apache.spark.ml.feature.StringIndexerModel"}"#,
        )
        .unwrap();
        let err = import_spark_model(dir.path(), &ImportOptions::default()).unwrap_err();
        assert!(err.to_string().contains("StringIndexerModel"), "{err}");
    }
}
