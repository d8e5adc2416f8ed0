//! Serving a new model without dropping a call: `POST /reload`, SIGHUP, or `--watch`
//! (the source's `manifest.json`, in a folder, an archive or an S3 prefix, checked every
//! few seconds).
//!
//! A reload reads the model from the same `--model` spec as at start-up, through the
//! same checks (manifest format version, every file's SHA-256), while the old model keeps
//! answering. Only a model that passed is swapped in; on any error the old one stays and
//! the refusal is logged, counted in `/metrics` and, for `POST /reload`, answered with
//! what was wrong. Calls in flight finish on the model they started with.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::served::Served;
use super::{ServeState, load_model};

/// Why a reload did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("a reload is already running")]
    Busy,
    #[error("this server was given its model directly and cannot reload it")]
    NoSource,
    #[error("the new model was refused and run {current} keeps serving: {reason}")]
    Refused { current: String, reason: String },
}

/// What a reload did.
#[derive(Debug, Clone)]
pub struct Reloaded {
    pub previous: String,
    pub run_id: String,
}

/// Reads the model again from its source and swaps it in if it passes every check.
/// Blocking: call it from a blocking thread.
pub fn reload(state: &ServeState) -> Result<Reloaded, ReloadError> {
    let Ok(_one) = state.reloading.try_lock() else {
        return Err(ReloadError::Busy);
    };
    let source = state.source.as_ref().ok_or(ReloadError::NoSource)?;
    let previous = state.served().model.manifest.run_id.clone();
    match load_model(&source.spec, source.endpoint.as_deref()) {
        Ok(model) => {
            let run_id = model.manifest.run_id.clone();
            state.swap(Served::new(model, Arc::clone(&state.metrics)));
            state.metrics.reloaded(true);
            tracing::info!("reloaded {}: run {previous} -> {run_id}", source.spec);
            Ok(Reloaded { previous, run_id })
        }
        Err(e) => {
            state.metrics.reloaded(false);
            let refused = ReloadError::Refused {
                current: previous,
                reason: format!("{e}"),
            };
            tracing::error!("{refused}");
            Err(refused)
        }
    }
}

/// A fingerprint of a local source: its manifest's bytes (a folder) or size and time
/// (an archive); `None` while the source is being replaced.
fn fingerprint(spec: &str) -> Option<Vec<u8>> {
    let path = Path::new(spec);
    if path.is_dir() {
        return std::fs::read(path.join("manifest.json")).ok();
    }
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!("{}:{}", meta.len(), modified.as_nanos()).into_bytes())
}

/// Checks the source every `every` and reloads when its manifest changed. A change that
/// fails its checks is not retried until the source changes again.
pub async fn watch(state: Arc<ServeState>, every: Duration) {
    let Some(source) = state.source.clone() else {
        return;
    };
    let probe = match Probe::new(&source) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!("--watch cannot follow {}: {e}", source.spec);
            return;
        }
    };
    let mut seen = probe.fingerprint().await;
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = probe.fingerprint().await;
        if now.is_none() || now == seen {
            continue;
        }
        seen = now;
        let shared = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || reload(&shared)).await;
    }
}

/// How `--watch` sees a change: a local manifest's bytes or an archive's size and time,
/// or an S3 manifest's ETag (a HEAD per tick, no download). An S3 upload writes the
/// manifest last, so a new fingerprint means a whole export is there.
enum Probe {
    Local(String),
    S3(crate::export::s3::S3Target),
}

impl Probe {
    fn new(source: &super::state::ModelSource) -> Result<Self, crate::export::s3::S3Error> {
        match crate::export::s3::S3Url::parse(&source.spec) {
            Some(url) => Ok(Self::S3(crate::export::s3::S3Target::connect(
                &url?,
                source.endpoint.as_deref(),
            )?)),
            None => Ok(Self::Local(source.spec.clone())),
        }
    }

    /// `None` while the source is missing or being replaced; an S3 error is logged and
    /// counts as "no change", so a network blip never swaps or drops the model.
    async fn fingerprint(&self) -> Option<Vec<u8>> {
        match self {
            Self::Local(spec) => fingerprint(spec),
            Self::S3(target) => match target.manifest_fingerprint().await {
                Ok(f) => f.map(String::into_bytes),
                Err(e) => {
                    tracing::warn!("--watch: {e}");
                    None
                }
            },
        }
    }
}

/// Reloads on every SIGHUP.
#[cfg(unix)]
pub async fn on_hangup(state: Arc<ServeState>) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        return;
    };
    while hup.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading the model");
        let shared = Arc::clone(&state);
        let _ = tokio::task::spawn_blocking(move || reload(&shared)).await;
    }
}
