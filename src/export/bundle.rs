//! The bundle: latent's own export, what `latent serve` and `latent sagemaker serve` load.
//!
//! A bundle is a run directory (so [`Run::load`] opens it as it is) plus files for other
//! readers, and its own `manifest.json`:
//!
//! ```text
//! manifest.json                 content = "bundle", format version, every file's sha256
//! run.toml config.toml ids.json the run (see crate::store::run_dir), factors as
//! *_factors.npy train_*.npy ... float32 C-order .npy
//! als_spec.json                 hyperparameters as strings, SageMaker style (the seed's file)
//! users.parquet                 index, user_id, segment
//! items.parquet                 index, item_id, description
//! user_factors.parquet          ALS: id, features (list<float32>)
//! item_factors.parquet
//! popularity.parquet            rank, item_id, buyers
//! overrides.toml                the business rules the run carries (a readable copy)
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use ndarray::Array2;
use polars::prelude::*;

use super::manifest::Manifest;
use super::{ExportError, create_dir, write_bytes, write_parquet};
use crate::models::AlsModel;
use crate::store::Run;

/// Writes the bundle of `run` into `dir` (created; must not hold files).
pub fn write(
    run: &Run,
    run_id: &str,
    created: chrono::DateTime<chrono::Utc>,
    dir: &Path,
) -> Result<(), ExportError> {
    run.save(dir, "").map_err(|e| ExportError::write(dir, e))?;
    create_dir(dir)?;
    // An ALS run spells out every setting, defaults included, as the seed's spec does.
    let spec: BTreeMap<String, String> = match run.model.downcast_ref::<AlsModel>() {
        Some(m) => m
            .params
            .to_strings()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        None => run.meta.params.clone(),
    };
    let path = dir.join("als_spec.json");
    let text = serde_json::to_vec_pretty(&spec).map_err(|e| ExportError::write(&path, e))?;
    write_bytes(&path, &text)?;

    let path = dir.join("users.parquet");
    let mut users = DataFrame::new(
        run.users.len(),
        vec![
            Column::new("index".into(), index_column(run.users.len())),
            Column::new("user_id".into(), run.users.names()),
            Column::new(
                "segment".into(),
                (0..run.users.len() as u32)
                    .map(|u| run.catalog.user_segment_name(u))
                    .collect::<Vec<_>>(),
            ),
        ],
    )
    .map_err(|e| ExportError::write(&path, e))?;
    write_parquet(&path, &mut users)?;

    let path = dir.join("items.parquet");
    let descriptions: Vec<&str> = (0..run.items.len())
        .map(|i| run.descriptions.get(i).map_or("", String::as_str))
        .collect();
    let mut items = DataFrame::new(
        run.items.len(),
        vec![
            Column::new("index".into(), index_column(run.items.len())),
            Column::new("item_id".into(), run.items.names()),
            Column::new("description".into(), descriptions),
        ],
    )
    .map_err(|e| ExportError::write(&path, e))?;
    write_parquet(&path, &mut items)?;

    if let Some(m) = run.model.downcast_ref::<AlsModel>() {
        write_factors(
            &dir.join("user_factors.parquet"),
            run.users.names(),
            &m.user_factors,
        )?;
        write_factors(
            &dir.join("item_factors.parquet"),
            run.items.names(),
            &m.item_factors,
        )?;
    }

    let path = dir.join("popularity.parquet");
    let ranking = run.popularity.ranking();
    let mut popular = DataFrame::new(
        ranking.len(),
        vec![
            Column::new(
                "rank".into(),
                (1..=ranking.len() as u32).collect::<Vec<_>>(),
            ),
            Column::new(
                "item_id".into(),
                ranking
                    .iter()
                    .map(|&i| run.items.name(i))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "buyers".into(),
                ranking
                    .iter()
                    .map(|&i| run.popularity.counts[i as usize])
                    .collect::<Vec<_>>(),
            ),
        ],
    )
    .map_err(|e| ExportError::write(&path, e))?;
    write_parquet(&path, &mut popular)?;

    let path = dir.join("overrides.toml");
    let mut table = toml::Table::new();
    table.insert(
        "overrides".into(),
        toml::Value::try_from(&run.config.overrides).map_err(|e| ExportError::write(&path, e))?,
    );
    let text = toml::to_string(&table).map_err(|e| ExportError::write(&path, e))?;
    write_bytes(&path, text.as_bytes())?;

    Manifest::of_folder(dir, "bundle", run_id, run.meta.model, created, Vec::new())?.write(dir)
}

/// Opens a bundle folder: checks its manifest (version, every checksum), then loads the
/// run it holds.
pub fn open(dir: &Path) -> Result<(Manifest, Run), ExportError> {
    let manifest = Manifest::read(dir)?;
    if manifest.content != "bundle" {
        return Err(ExportError::NotABundle {
            path: dir.display().to_string(),
            message: format!(
                "its manifest describes '{}', not a bundle",
                manifest.content
            ),
        });
    }
    manifest.verify(dir)?;
    let run = Run::load(dir).map_err(|e| ExportError::NotABundle {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    Ok((manifest, run))
}

fn index_column(n: usize) -> Vec<u32> {
    (0..n as u32).collect()
}

/// `id` (original string) and `features` (list<float32>) per row of `m`.
fn write_factors(path: &Path, ids: &[String], m: &Array2<f32>) -> Result<(), ExportError> {
    let features = list_column("features", m);
    let mut frame = DataFrame::new(
        ids.len(),
        vec![Column::new("id".into(), ids), features.into_column()],
    )
    .map_err(|e| ExportError::write(path, e))?;
    write_parquet(path, &mut frame)
}

/// One list<float32> value per row of `m`.
pub(crate) fn list_column(name: &str, m: &Array2<f32>) -> Series {
    let mut builder = ListPrimitiveChunkedBuilder::<Float32Type>::new(
        name.into(),
        m.nrows(),
        m.len(),
        DataType::Float32,
    );
    for row in m.rows() {
        match row.as_slice() {
            Some(s) => builder.append_slice(s),
            None => builder.append_slice(&row.to_vec()),
        }
    }
    builder.finish().into_series()
}
