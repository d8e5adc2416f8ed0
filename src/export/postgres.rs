//! The PostgreSQL sink: a run's recommendations (and optionally its factors with their
//! ids) as tables the business queries.
//!
//! ```text
//! recs                user_id text, item_id text, rank int, score real, reason text,
//!                     run_id text, created_at timestamptz; indexed on (user_id, rank)
//! recs_user_factors   user_index int, user_id text, factors real[]   (--format factors)
//! recs_item_factors   item_index int, item_id text, factors real[]
//! ```
//!
//! Readers never see a partial or mixed table: every table is loaded with binary COPY
//! into a staging table (`recs__new_<nonce>`), then one transaction renames the old
//! tables aside, the new ones into place and drops the old. A reader sees the old tables
//! or the new ones. A failure before that transaction leaves the old tables as they were
//! and drops the staging tables; an advisory lock per table keeps two exports from
//! racing, and lets an export clear the staging tables a killed one left.
//!
//! Credentials follow libpq ([`url`]); messages name the user, host and port, never the
//! password.

mod pgpass;
mod tables;
pub mod url;

use std::time::Instant;

use tokio_postgres::error::SqlState;

use super::ExportOptions;
use super::manifest::{FileEntry, Manifest};
use crate::store::Run;
pub use url::PgUrl;

/// Why a PostgreSQL export failed. No variant carries the password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("invalid PostgreSQL destination '{url}': {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "cannot connect to PostgreSQL at {at} as {user}: {reason}; is the server running and listening there? Nothing was changed"
    )]
    Connect {
        at: String,
        user: String,
        reason: String,
    },
    #[error("PostgreSQL at {at} refused user '{user}': {reason}{hint}")]
    Auth {
        at: String,
        user: String,
        reason: String,
        hint: String,
    },
    #[error("another export to {table} at {at} is running: try again when it ends")]
    Busy { at: String, table: String },
    #[error(
        "PostgreSQL at {at}, table {table}: {reason}. The old table{} untouched",
        if *.replaced { "s were" } else { " is" }
    )]
    Write {
        at: String,
        table: String,
        reason: String,
        replaced: bool,
    },
    #[error("'{format}' is not a PostgreSQL table: a database export takes recs and/or factors")]
    Format { format: String },
    #[error("factors: run '{run}' is {model}, which has no factor matrices; export recs only")]
    NoFactors { run: String, model: &'static str },
    #[error("cannot start the database client: {0}")]
    Runtime(String),
}

impl PgError {
    /// True when the request (URL, formats, credentials) is at fault.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            PgError::BadUrl { .. }
                | PgError::Auth { .. }
                | PgError::Format { .. }
                | PgError::NoFactors { .. }
        )
    }
}

/// What a database export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgFormat {
    Recs,
    Factors,
}

/// The database formats among `names` (`recs`, `factors`); anything else is refused.
pub fn formats(names: &[&str]) -> Result<Vec<PgFormat>, PgError> {
    let mut out = Vec::new();
    for name in names {
        let f = match name.trim().to_ascii_lowercase().as_str() {
            "recs" => PgFormat::Recs,
            "factors" => PgFormat::Factors,
            _ => {
                return Err(PgError::Format {
                    format: (*name).to_owned(),
                });
            }
        };
        if !out.contains(&f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// Writes `run`'s tables to `url` and returns what was written as a manifest (one entry
/// per table: its name, the rows as `rows`, and a SHA-256 of the rows as sent).
pub fn export(
    run: &Run,
    run_id: &str,
    url: &PgUrl,
    formats: &[PgFormat],
    opts: &ExportOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Manifest, PgError> {
    if formats.contains(&PgFormat::Factors) && run.model.model().factors().is_none() {
        return Err(PgError::NoFactors {
            run: run_id.to_owned(),
            model: run.meta.model.name(),
        });
    }
    let started = Instant::now();
    let created = chrono::Utc::now();
    let tables = tables::plan(run, run_id, created, url, formats, opts);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PgError::Runtime(e.to_string()))?;
    let written = runtime.block_on(tables::write(url, &tables, progress))?;
    progress(&format!(
        "swapped {} table(s) into {} in {:.1}s",
        written.len(),
        url.shown(),
        started.elapsed().as_secs_f64()
    ));
    Ok(Manifest {
        format_version: super::manifest::FORMAT_VERSION,
        content: "postgresql".to_owned(),
        latent_version: env!("CARGO_PKG_VERSION").to_owned(),
        run_id: run_id.to_owned(),
        created: created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        model_kind: run.meta.model.name().to_owned(),
        formats: formats
            .iter()
            .map(|f| match f {
                PgFormat::Recs => "recs".to_owned(),
                PgFormat::Factors => "factors".to_owned(),
            })
            .collect(),
        files: written
            .into_iter()
            .map(|t| FileEntry {
                path: t.name,
                size: t.bytes,
                sha256: t.sha256,
                rows: Some(t.rows),
            })
            .collect(),
    })
}

/// Turns a client error into one that names the place and user, never the password.
fn classify(url: &PgUrl, e: &tokio_postgres::Error) -> PgError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            let hint = match &url.password_from {
                Some(from) => format!(" (the password came from {from})"),
                None => String::new(),
            };
            return PgError::Auth {
                at: url.at(),
                user: url.user.clone(),
                reason: db.message().to_owned(),
                hint,
            };
        }
        return PgError::Connect {
            at: url.at(),
            user: url.user.clone(),
            reason: db.message().to_owned(),
        };
    }
    let text = e.to_string();
    if text.contains("password missing") {
        return PgError::Auth {
            at: url.at(),
            user: url.user.clone(),
            reason: "the server asks for a password and none was given".to_owned(),
            hint: "; give it in the URL, in PGPASSWORD or in ~/.pgpass".to_owned(),
        };
    }
    let reason = std::error::Error::source(e).map_or(text.clone(), |s| format!("{text}: {s}"));
    PgError::Connect {
        at: url.at(),
        user: url.user.clone(),
        reason,
    }
}
