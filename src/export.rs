//! Export: a trained run as the files production tools read, written so a reader never
//! sees a partial export.
//!
//! One export is a folder (or an `s3://bucket/prefix`) with one subfolder per format and
//! a `manifest.json` listing every file with its size and SHA-256:
//!
//! ```text
//! manifest.json          written last; its presence means the export is complete
//! bundle/                latent's own (what `latent serve` loads): the run files plus
//!                        Parquet id maps and factors, als_spec.json, overrides.toml,
//!                        and its own manifest.json
//! spark/                 a pyspark.ml.recommendation.ALSModel directory (+ latent_sidecar.json)
//! implicit/model.npz     implicit.cpu.als.AlternatingLeastSquares.load reads it
//! recs/recs.parquet      batch top-N through the business rules, also as recs/recs.csv
//! sagemaker/model.tar.gz the bundle as SageMaker stores training output
//! recs-partitioned/      the recs rows as Hive-style partitioned Parquet
//!                        (run_id=RUN/country=C/part-00000.parquet)
//! spark-job/             a PySpark script + job.json that redo the run on Spark (a recipe,
//!                        not part of `all`); [`import_spark`] reads its model back
//! ```
//!
//! Every format is first written into a staging folder beside the target; the staging
//! folder is renamed into place only when complete ([`publish`]), and an existing target
//! is replaced only with `--overwrite`, by renaming, so the target is either the old
//! export or the new one, never a mix. What a killed export leaves beside the target is
//! cleaned by the next export to it ([`staging`]). S3 exports ([`s3`]) upload the staged files, verify
//! each one, and put `manifest.json` last.

pub mod bundle;
pub mod destination;
pub mod implicit;
pub mod import_spark;
pub mod manifest;
pub mod npz;
pub mod postgres;
pub mod recs;
pub mod recs_partitioned;
pub mod redact;
pub mod s3;
pub mod safe_path;
pub mod sagemaker;
pub mod spark;
pub mod spark_job;
pub mod staging;

use std::path::{Path, PathBuf};

use crate::recommend::Overrides;
use crate::store::Run;

pub use destination::{DestinationError, export_to};
pub use manifest::{FileEntry, Manifest};
pub use staging::{Staging, clean_leftovers, publish, staging_dir};

/// Why an export (or loading an exported bundle) failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(
        "unknown export format '{0}': choose bundle, spark, implicit, recs, sagemaker, recs-partitioned or spark-job (factors: PostgreSQL only)"
    )]
    UnknownFormat(String),
    #[error(
        "format '{format}' needs an ALS run; '{run}' is a {model} run: export it as bundle, recs or sagemaker"
    )]
    NeedsAls {
        format: &'static str,
        run: String,
        model: &'static str,
    },
    #[error(
        "format '{0}' is a database table: export it to postgresql://USER@HOST:PORT/DB?table=NAME"
    )]
    DatabaseOnly(&'static str),
    #[error(
        "export target '{0}' exists: replace it (the old export is kept until the new one is complete), or choose another destination"
    )]
    TargetExists(String),
    #[error("cannot write export '{path}': {message}")]
    Write { path: PathBuf, message: String },
    #[error("cannot read '{path}': {message}")]
    Read { path: PathBuf, message: String },
    #[error("'{path}' is not a latent bundle: {message}")]
    NotABundle { path: String, message: String },
    #[error(
        "bundle '{path}' has format version {found}; this latent reads version {expected}: export it again with this version"
    )]
    BundleVersion {
        path: String,
        found: u32,
        expected: u32,
    },
    #[error("bundle '{path}' is damaged: {file}: {message}; export it again")]
    Checksum {
        path: String,
        file: String,
        message: String,
    },
    /// A manifest entry or archive member that would land outside its folder.
    #[error("'{path}' is refused: {error}; a model lists only paths inside its own folder")]
    UnsafePath {
        path: String,
        error: safe_path::UnsafePath,
    },
    #[error("'{path}' is not a Spark ALSModel: {message}")]
    NotASparkModel { path: PathBuf, message: String },
    #[error(transparent)]
    S3(#[from] s3::S3Error),
}

impl ExportError {
    /// The setting this error asks the user to change; each edge names where it lives.
    pub fn knob(&self) -> Option<crate::knob::Knob> {
        match self {
            ExportError::TargetExists(_) => Some(crate::knob::Knob::Overwrite),
            ExportError::S3(e) => e.knob(),
            _ => None,
        }
    }

    /// True when the user's input is at fault (exit code 2): a bad format, an existing
    /// target, a damaged bundle, wrong credentials; false for I/O failures of the machine.
    pub fn is_input_error(&self) -> bool {
        match self {
            ExportError::Write { .. } | ExportError::Read { .. } => false,
            ExportError::S3(e) => e.is_input_error(),
            _ => true,
        }
    }

    pub(crate) fn write(path: &Path, e: impl std::fmt::Display) -> Self {
        ExportError::Write {
            path: path.to_owned(),
            message: e.to_string(),
        }
    }

    pub(crate) fn read(path: &Path, e: impl std::fmt::Display) -> Self {
        ExportError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        }
    }
}

/// One export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Bundle,
    Spark,
    Implicit,
    Recs,
    Sagemaker,
    /// The `recs` rows as Hive-style partitioned Parquet (`run_id=/country=`).
    RecsPartitioned,
    /// A PySpark script and its config that redo the run on Spark: a recipe, so it is
    /// not part of [`Format::ALL`] (`--format all`) and must be named.
    SparkJob,
    /// The model's factors with their ids, as tables: a PostgreSQL destination only.
    Factors,
}

impl Format {
    /// Every artifact format, in the order they are written (`--format all`).
    pub const ALL: [Format; 6] = [
        Format::Bundle,
        Format::Spark,
        Format::Implicit,
        Format::Recs,
        Format::Sagemaker,
        Format::RecsPartitioned,
    ];

    /// The name on the command line, and the subfolder of the export.
    pub fn name(self) -> &'static str {
        match self {
            Format::Bundle => "bundle",
            Format::Spark => "spark",
            Format::Implicit => "implicit",
            Format::Recs => "recs",
            Format::RecsPartitioned => "recs-partitioned",
            Format::Sagemaker => "sagemaker",
            Format::SparkJob => "spark-job",
            Format::Factors => "factors",
        }
    }

    /// Parses one name (`all` is handled by the CLI).
    pub fn parse(text: &str) -> Result<Self, ExportError> {
        let t = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .chain([Format::SparkJob, Format::Factors])
            .find(|f| f.name() == t)
            .ok_or_else(|| ExportError::UnknownFormat(text.to_owned()))
    }

    /// True for a format only a database destination takes.
    pub fn database_only(self) -> bool {
        self == Format::Factors
    }

    fn needs_als(self) -> bool {
        matches!(self, Format::Spark | Format::Implicit)
    }
}

/// What to export and how.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Formats to write (duplicates are ignored).
    pub formats: Vec<Format>,
    /// The rules batch recommendations go through: the run's `[overrides]` plus the
    /// request's own.
    pub rules: Overrides,
    /// List length of batch recommendations.
    pub top_k: usize,
    /// Replace an existing target.
    pub overwrite: bool,
}

/// The run's name in manifests: its folder's name.
pub fn run_id(run_dir: &Path) -> String {
    run_dir
        .canonicalize()
        .unwrap_or_else(|_| run_dir.to_owned())
        .file_name()
        .map_or_else(|| "run".to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Checks that every requested format can be made from `run`.
pub fn check_formats(run: &Run, run_id: &str, formats: &[Format]) -> Result<(), ExportError> {
    let is_als = run
        .model
        .downcast_ref::<crate::models::AlsModel>()
        .is_some();
    if let Some(f) = formats.iter().find(|f| f.needs_als() && !is_als) {
        return Err(ExportError::NeedsAls {
            format: f.name(),
            run: run_id.to_owned(),
            model: run.meta.model.name(),
        });
    }
    Ok(())
}

/// Writes every format of `opts` into `staging` (an empty folder), `manifest.json` last,
/// and returns the manifest.
pub fn write_formats(
    run: &Run,
    run_id: &str,
    staging: &Path,
    opts: &ExportOptions,
) -> Result<Manifest, ExportError> {
    let mut formats = opts.formats.clone();
    formats.sort();
    formats.dedup();
    check_formats(run, run_id, &formats)?;
    let _span = tracing::info_span!("export", run = run_id).entered();
    let created = chrono::Utc::now();
    // The SageMaker archive holds a bundle: made in a scratch folder when the bundle
    // itself is not exported.
    let scratch;
    let bundle_dir = if formats.contains(&Format::Bundle) {
        Some(staging.join("bundle"))
    } else if formats.contains(&Format::Sagemaker) {
        scratch = tempfile::Builder::new()
            .prefix(".latent-bundle-")
            .tempdir_in(staging)
            .map_err(|e| ExportError::write(staging, e))?;
        Some(scratch.path().join("bundle"))
    } else {
        None
    };
    if let Some(dir) = &bundle_dir {
        bundle::write(run, run_id, created, dir)?;
    }
    for format in &formats {
        let dir = staging.join(format.name());
        match format {
            Format::Bundle => {}
            Format::Spark => spark::write(run, created, &dir)?,
            Format::Implicit => implicit::write(run, &dir)?,
            Format::Recs => recs::write(run, &opts.rules, opts.top_k, &dir)?,
            Format::RecsPartitioned => {
                recs_partitioned::write(run, run_id, &opts.rules, opts.top_k, &dir)?;
            }
            Format::Sagemaker => {
                let bundle = bundle_dir.as_deref().unwrap_or(staging);
                sagemaker::write(bundle, created, &dir)?;
            }
            Format::SparkJob => spark_job::write(run, run_id, created, &dir)?,
            Format::Factors => return Err(ExportError::DatabaseOnly(format.name())),
        }
        tracing::info!("wrote format {}", format.name());
    }
    drop(bundle_dir);
    let manifest = Manifest::of_folder(
        staging,
        "export",
        run_id,
        run.meta.model,
        created,
        formats.iter().map(|f| f.name().to_owned()).collect(),
    )?;
    manifest.write(staging)?;
    Ok(manifest)
}

/// Exports `run` into the local folder `target`: staged beside it, then renamed into place.
pub fn export_local(
    run: &Run,
    run_id: &str,
    target: &Path,
    opts: &ExportOptions,
) -> Result<Manifest, ExportError> {
    // Before the target is judged: an export an interrupted run moved aside comes back.
    clean_leftovers(target)?;
    check_target(target, opts.overwrite)?;
    check_formats(run, run_id, &opts.formats)?;
    let staging = staging_dir(target)?;
    let manifest = write_formats(run, run_id, staging.path(), opts)?;
    publish(staging, target, opts.overwrite)?;
    Ok(manifest)
}

/// Refuses an existing, non-empty target unless `overwrite`.
pub fn check_target(target: &Path, overwrite: bool) -> Result<(), ExportError> {
    let busy = match std::fs::read_dir(target) {
        Ok(mut entries) => entries.next().is_some(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        // A file, or a folder we cannot read.
        Err(_) => target.exists(),
    };
    if busy && !overwrite {
        return Err(ExportError::TargetExists(target.display().to_string()));
    }
    Ok(())
}

/// Writes `frame` as a Snappy-compressed Parquet file (the codec every reader has).
pub(crate) fn write_parquet(
    path: &Path,
    frame: &mut polars::prelude::DataFrame,
) -> Result<(), ExportError> {
    use polars::prelude::{ParquetCompression, ParquetWriter};
    let file = std::fs::File::create(path).map_err(|e| ExportError::write(path, e))?;
    ParquetWriter::new(std::io::BufWriter::new(file))
        .with_compression(ParquetCompression::Snappy)
        .finish(frame)
        .map_err(|e| ExportError::write(path, e))?;
    Ok(())
}

/// Creates `dir` and its parents.
pub(crate) fn create_dir(dir: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| ExportError::write(dir, e))
}

/// Writes `bytes` to `path`.
pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    std::fs::write(path, bytes).map_err(|e| ExportError::write(path, e))
}
