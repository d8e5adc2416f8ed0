//! The `spark-job` format: latent's recipe for Spark, for data that outgrows one machine.
//!
//! ```text
//! spark-job/latent_als_job.py   a PySpark script: read CSV/Parquet (a path or s3a://),
//!                               clean as latent does, apply the retention window and the
//!                               ranking_type aggregation, train Spark ALS, write the
//!                               ALSModel (+ latent_sidecar.json) and batch top-N Parquet
//! spark-job/job.json            what the script reproduces: the run's data path, column
//!                               mapping, cleaning rules, window, ranking_type, ALS
//!                               hyperparameters under Spark's names, and the convention
//! ```
//!
//! Unlike the `spark` format this needs no fitted model: it is a recipe, so any run
//! (ALS or not) can be exported; a non-ALS run gets the ALS hyperparameters of its
//! workspace. The script's differences from latent's own cleaning are listed at its top.
//! `latent import spark-model OUT/model` turns what the job writes back into a run.

use std::path::Path;

use serde_json::json;

use super::{ExportError, create_dir, write_bytes};
use crate::models::AlsModel;
use crate::models::als::AlsParams;
use crate::models::als::params::Convention;
use crate::store::Run;

/// The PySpark script, shipped inside the binary.
pub const SCRIPT: &str = include_str!("../../scripts/latent_als_job.py");

/// The script's file name in the export.
pub const SCRIPT_NAME: &str = "latent_als_job.py";

/// What `job.json` says about the two conventions.
fn convention_note(p: &AlsParams) -> &'static str {
    match (p.convention, p.implicit_prefs) {
        _ if p.reg_exponent.is_some() => {
            "approximate: the run scaled regParam by each row's number of ratings to the power reg_exponent (frequency-scaled regularisation); Spark scales by the number itself, so these values will not reproduce the run exactly"
        }
        (Convention::Spark, true) => {
            "exact: latent's spark convention is Spark's implicit ALS (confidence 1 + alpha*|r|, preference r > 0, regParam scaled by each row's number of ratings, ALS-WR); only the random initial factors differ"
        }
        (Convention::Spark, false) => {
            "exact: explicit ALS with regParam scaled by each row's number of ratings (ALS-WR), as Spark; only the random initial factors differ"
        }
        (Convention::Implicit, _) => {
            "approximate: the run used the implicit library's convention (confidence alpha*r, constant lambda); Spark uses confidence 1 + alpha*|r| and scales regParam by each row's number of ratings, so these values are passed unchanged and will not reproduce the run exactly: retrain in latent with convention = \"spark\" to compare"
        }
    }
}

/// The ALS hyperparameters of `run`: its model's, else its workspace's `[als]` table.
fn params_of(run: &Run) -> AlsParams {
    match run.model.downcast_ref::<AlsModel>() {
        Some(m) => m.params.clone(),
        None => {
            let mut p = AlsParams::default();
            // A bad table cannot reach a saved run; defaults are the honest fallback.
            let _ = p.apply_table(&run.config.als);
            p
        }
    }
}

fn f64_of(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(f64::from(x))
}

/// `job.json` of `run`.
pub fn job_config(
    run: &Run,
    run_id: &str,
    created: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    let c = &run.config;
    let d = &c.data;
    let p = params_of(run);
    let data_path = d
        .path
        .as_ref()
        .map_or_else(|| run.meta.data.clone(), |p| p.display().to_string());
    json!({
        "format": "latent-spark-job",
        "version": 1,
        "latent_version": env!("CARGO_PKG_VERSION"),
        "run_id": run_id,
        "created": created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": {
            "path": data_path,
            "path_note": "the file the run was trained on; pass --data to the script for another path (local, hdfs:// or s3a://)",
            "date_format": d.date_format,
            "columns": {
                "user": d.user, "item": d.item, "quantity": d.quantity,
                "timestamp": d.timestamp, "price": d.price, "rating": d.rating,
                "invoice": d.invoice, "description": d.description, "country": d.country,
            },
            "columns_note": "null: the first header among latent's well-known names for the role",
        },
        "cleaning": {
            "cancellations": match c.cleaning.cancellations {
                crate::data::CancellationPolicy::Drop => "drop",
                crate::data::CancellationPolicy::Net => "net",
            },
            "drop_adjustments": c.cleaning.drop_adjustments,
            "non_product_codes": c.cleaning.non_product_codes,
            "drop_non_positive_price": c.cleaning.drop_non_positive_price,
            "drop_duplicates": c.cleaning.drop_duplicates,
        },
        "interactions": {
            "ranking_type": c.interactions.ranking_type.name(),
            "retention_date": c.interactions.retention_date,
            "retention_days": c.interactions.retention_days,
            "min_rating": c.interactions.min_rating,
        },
        "als": {
            "rank": p.rank,
            "maxIter": p.max_iter,
            // f32 through its shortest text, so 0.1 stays 0.1 rather than 0.10000000149…
            "regParam": f64_of(p.reg_param),
            "alpha": f64_of(p.alpha),
            "implicitPrefs": p.implicit_prefs,
            "nonnegative": p.nonnegative,
            "seed": p.seed,
        },
        "latent_params": p.to_strings(),
        "convention": {
            "latent": format!("{:?}", p.convention).to_ascii_lowercase(),
            "spark": "confidence 1 + alpha*|r|; regParam * (ratings of the row)",
            "note": convention_note(&p),
        },
        "recommend": {
            "top_k": c.recommend.reco_item,
            "exclude_seen": c.overrides.exclude_seen,
            "rebuy": f64_of(c.overrides.rebuy_weight()),
            "rebuy_note": if c.overrides.rebuy_weight() > 0.0 {
                "latent's lists blend the customer's own products in (rebuy); this job ranks by ALS alone, so its lists differ"
            } else {
                "no re-buy blend"
            },
        },
        "outputs": {
            "model": "OUT/model (ALSModel + latent_sidecar.json)",
            "recommendations": "OUT/recommendations (Parquet: user_id, item_id, rank, score)",
            "report": "OUT/job_report.json",
        },
    })
}

/// Writes the script and `job.json` of `run` into `dir`.
pub fn write(
    run: &Run,
    run_id: &str,
    created: chrono::DateTime<chrono::Utc>,
    dir: &Path,
) -> Result<(), ExportError> {
    create_dir(dir)?;
    let script = dir.join(SCRIPT_NAME);
    write_bytes(&script, SCRIPT.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| ExportError::write(&script, e))?;
    }
    let path = dir.join("job.json");
    let text = serde_json::to_vec_pretty(&job_config(run, run_id, created))
        .map_err(|e| ExportError::write(&path, e))?;
    write_bytes(&path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_name_the_convention() {
        let spark = AlsParams::new(8);
        assert!(convention_note(&spark).starts_with("exact"));
        let implicit = AlsParams::new(8).convention(Convention::Implicit);
        assert!(convention_note(&implicit).starts_with("approximate"));
    }

    #[test]
    fn the_script_reads_job_json() {
        assert!(SCRIPT.contains("job.json") && SCRIPT.contains("pyspark.ml.recommendation"));
    }
}
