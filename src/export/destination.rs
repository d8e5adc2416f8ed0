//! One entry point for "export this run there": a local folder, `s3://bucket/prefix` or
//! `postgresql://user@host:port/db?table=recs`.
//!
//! The CLI and the workbench's Export screen both call [`export_to`], so an export made
//! in either is the same export: formats staged in a temporary folder, `manifest.json`
//! written last, then renamed into place (a folder) or uploaded file by file with
//! verification and the manifest last (S3); or tables loaded beside the live ones and
//! swapped in one transaction (PostgreSQL, see [`super::postgres`]).

use std::path::Path;

use super::manifest::Manifest;
use super::postgres::{PgError, PgUrl};
use super::s3::{S3Error, S3Target, S3Url};
use super::{ExportError, ExportOptions};
use crate::store::Run;

/// Why an export to a destination failed.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    S3(#[from] S3Error),
    #[error(transparent)]
    Postgres(#[from] PgError),
}

impl DestinationError {
    /// The setting this error asks the user to change (overwrite, when an export is
    /// already there): the CLI names its flag, the workbench its checkbox.
    pub fn knob(&self) -> Option<crate::knob::Knob> {
        match self {
            DestinationError::Export(e) => e.knob(),
            DestinationError::S3(e) => e.knob(),
            DestinationError::Postgres(_) => None,
        }
    }

    /// True when the request (a path, a format, credentials) is at fault.
    pub fn is_input_error(&self) -> bool {
        match self {
            DestinationError::Export(e) => e.is_input_error(),
            DestinationError::S3(e) => e.is_input_error(),
            DestinationError::Postgres(e) => e.is_input_error(),
        }
    }
}

/// Exports `run` (named `run_id` in the manifest) to `destination`; `endpoint`
/// overrides `AWS_ENDPOINT_URL` for S3-compatible stores. `progress` gets a line per step.
pub fn export_to(
    run: &Run,
    run_id: &str,
    destination: &str,
    endpoint: Option<&str>,
    opts: &ExportOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Manifest, DestinationError> {
    if let Some(url) = PgUrl::parse(destination).transpose()? {
        let names: Vec<&str> = opts.formats.iter().map(|f| f.name()).collect();
        let formats = super::postgres::formats(&names)?;
        return Ok(super::postgres::export(
            run, run_id, &url, &formats, opts, progress,
        )?);
    }
    if let Some(f) = opts.formats.iter().find(|f| f.database_only()) {
        return Err(ExportError::DatabaseOnly(f.name()).into());
    }
    super::check_formats(run, run_id, &opts.formats)?;
    let Some(url) = S3Url::parse(destination).transpose()? else {
        let manifest = super::export_local(run, run_id, Path::new(destination), opts)?;
        progress(&format!(
            "wrote {} files to {destination}",
            manifest.files.len()
        ));
        return Ok(manifest);
    };
    let target = S3Target::connect(&url, endpoint)?;
    let runtime = super::s3::runtime()?;
    // An existing export is refused before any time is spent on the formats.
    if !opts.overwrite && runtime.block_on(target.has_export())? {
        return Err(S3Error::Exists(url.to_string()).into());
    }
    let staging = tempfile::Builder::new()
        .prefix("latent-export-")
        .tempdir()
        .map_err(|e| ExportError::write(Path::new("latent-export staging folder"), e))?;
    let manifest = super::write_formats(run, run_id, staging.path(), opts)?;
    progress(&format!("staged {} files; uploading", manifest.files.len()));
    runtime.block_on(target.upload(staging.path(), &manifest, opts.overwrite, progress))?;
    Ok(manifest)
}

/// `destination` as it may be shown and logged: a PostgreSQL URL without its password,
/// any other URL with its credentials masked.
pub fn shown(destination: &str) -> String {
    match PgUrl::parse(destination) {
        Some(Ok(url)) => url.shown(),
        _ => super::redact::mask_url_credentials(destination),
    }
}

/// True for a database destination, whose formats are tables (`recs`, `factors`).
pub fn is_database(destination: &str) -> bool {
    PgUrl::parse(destination).is_some()
}
