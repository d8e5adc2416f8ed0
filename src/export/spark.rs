//! The `spark` format: a directory `pyspark.ml.recommendation.ALSModel.load` reads
//! (Spark 3.x and 4.x).
//!
//! ```text
//! metadata/part-00000       one JSON line: class, timestamp, sparkVersion, uid, paramMap,
//!                           defaultParamMap, rank (Spark's DefaultParamsWriter layout)
//! userFactors/part-*.parquet  id int32, features array<float>
//! itemFactors/part-*.parquet
//! latent_sidecar.json       what Spark does not keep: hyperparameters, their convention,
//!                           and the int32 id → original id maps
//! ```
//!
//! Spark ALS needs int32 ids; latent's ids are strings (`85123A`). The int32 id of a
//! customer or product is its run index, and the sidecar maps it back. Spark ignores
//! files it does not know at the model root.

use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use super::{ExportError, create_dir, write_bytes, write_parquet};
use crate::models::AlsModel;
use crate::models::als::params::Convention;
use crate::store::Run;

/// The Spark version written into the metadata: the oldest whose layout 3.5 and 4.x
/// both read (`defaultParamMap` exists since 2.4, `blockSize` since 3.0).
const SPARK_VERSION: &str = "3.5.0";

/// `latent_sidecar.json`.
#[derive(Debug, Serialize)]
struct Sidecar<'a> {
    format: &'static str,
    version: u32,
    latent_version: &'static str,
    model_kind: &'static str,
    /// Hyperparameters as strings (latent's names).
    params: std::collections::BTreeMap<&'static str, String>,
    /// The same under Spark ALS's parameter names, for `ALS(**spark_params)`.
    spark_params: serde_json::Value,
    /// How latent's convention maps onto Spark's.
    convention_note: &'static str,
    /// `user_ids[i]` is the original id of Spark user `i`.
    user_ids: &'a [String],
    /// `item_ids[i]` is the original id of Spark item `i`.
    item_ids: &'a [String],
}

/// Writes the Spark model of `run` (an ALS run) into `dir`.
pub fn write(
    run: &Run,
    created: chrono::DateTime<chrono::Utc>,
    dir: &Path,
) -> Result<(), ExportError> {
    let Some(m) = run.model.downcast_ref::<AlsModel>() else {
        return Err(ExportError::NeedsAls {
            format: "spark",
            run: run.meta.data.clone(),
            model: run.meta.model.name(),
        });
    };
    create_dir(&dir.join("metadata"))?;
    let uid = format!("ALS_{:012x}", created.timestamp_millis() & 0xffff_ffff_ffff);
    let defaults = serde_json::json!({
        "blockSize": 4096,
        "coldStartStrategy": "nan",
        "itemCol": "item",
        "predictionCol": "prediction",
        "userCol": "user",
    });
    let metadata = serde_json::json!({
        "class": "org.apache.spark.ml.recommendation.ALSModel",
        "timestamp": created.timestamp_millis(),
        "sparkVersion": SPARK_VERSION,
        "uid": uid,
        "paramMap": defaults,
        "defaultParamMap": defaults,
        "rank": m.rank(),
    });
    let path = dir.join("metadata").join("part-00000");
    let mut line = serde_json::to_vec(&metadata).map_err(|e| ExportError::write(&path, e))?;
    line.push(b'\n');
    write_bytes(&path, &line)?;
    write_bytes(&dir.join("metadata").join("_SUCCESS"), b"")?;

    for (name, factors) in [
        ("userFactors", &m.user_factors),
        ("itemFactors", &m.item_factors),
    ] {
        let sub = dir.join(name);
        create_dir(&sub)?;
        let ids: Vec<i32> = (0..factors.nrows() as i32).collect();
        let mut frame = DataFrame::new(
            ids.len(),
            vec![
                Column::new("id".into(), ids),
                super::bundle::list_column("features", factors).into_column(),
            ],
        )
        .map_err(|e| ExportError::write(&sub, e))?;
        write_parquet(
            &sub.join("part-00000-latent-c000.snappy.parquet"),
            &mut frame,
        )?;
        write_bytes(&sub.join("_SUCCESS"), b"")?;
    }

    let p = &m.params;
    let sidecar = Sidecar {
        format: "latent-spark-sidecar",
        version: 1,
        latent_version: env!("CARGO_PKG_VERSION"),
        model_kind: run.meta.model.name(),
        params: p.to_strings(),
        spark_params: serde_json::json!({
            "rank": p.rank,
            "maxIter": p.max_iter,
            "regParam": p.reg_param,
            "alpha": p.alpha,
            "implicitPrefs": p.implicit_prefs,
            "nonnegative": p.nonnegative,
            "seed": p.seed,
        }),
        convention_note: match p.convention {
            _ if p.reg_exponent.is_some() => {
                "trained with frequency-scaled regularisation (regParam times each row's count to reg_exponent): Spark scales by the count itself, so spark_params are not an exact equivalent"
            }
            Convention::Spark => {
                "trained with the spark convention (confidence 1 + alpha*r, regParam scaled by each row's count): spark_params reproduce it"
            }
            Convention::Implicit => {
                "trained with the implicit convention (confidence alpha*r, constant regularisation): Spark's regParam is scaled by each row's count, so spark_params are not an exact equivalent"
            }
        },
        user_ids: run.users.names(),
        item_ids: run.items.names(),
    };
    let path = dir.join("latent_sidecar.json");
    let text = serde_json::to_vec(&sidecar).map_err(|e| ExportError::write(&path, e))?;
    write_bytes(&path, &text)
}
