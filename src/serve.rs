//! `latent serve`: recommendations over HTTP with SageMaker's inference contract.
//!
//! ```text
//! GET  /ping          200 once the model is loaded (it is loaded before the port opens)
//! POST /invocations   application/json: one request, or {"instances": [request, ...]}
//!                     answered {"predictions": [answer, ...]};
//!                     application/jsonlines: one request per line, one answer per line
//! GET  /report        the served run's evaluation
//! GET  /metrics       Prometheus text: calls, errors, latency, cold starts, model age
//! POST /reload        read the model again from its source; swapped in only if it passes
//! ```
//!
//! A request is `{"user_id": "17850", "top_k": 10, "exclude": [ids], "include": [ids],
//! "history": [ids], "segment": "France", "exclude_seen": true, "rebuy": 0.8}`; only
//! `user_id` is required (`rebuy` weighs the customer's own products back in when
//! `exclude_seen` is false). Every list goes through the business-rules engine with the bundle's
//! `[overrides]` as the base rules and the request's `exclude` / `include` on top; a
//! known customer's `history` of purchases since training is folded in with their training
//! products; a customer the model never saw gets the cold-start policy (fold-in from `history`, else
//! popularity). `top_k` is capped at [`MAX_TOP_K`] (and the catalogue size); a capped
//! answer says so in `warnings`. Bad JSON or an unknown field is a 400 with a message.
//!
//! One client cannot hold the server: a call asking for more than [`MAX_BATCH_WORK`]
//! recommendations is a 413, answers are computed and sent in bounded chunks
//! ([`batch`]), and slow or idle connections are closed by the timeouts and connection
//! limit of [`ServeLimits`], which the server's own accept loop enforces.
//!
//! The model comes from a bundle folder, an export folder holding one, a SageMaker
//! `model.tar.gz`, or an `s3://` prefix ([`load_model`]); a bundle whose manifest has
//! another format version or whose files do not match their checksums is refused.

mod activity;
mod answer;
pub mod batch;
mod conn;
pub mod handlers;
pub mod limits;
pub mod metrics;
pub mod reload;
mod responses;
pub mod served;
pub mod state;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use crate::export::ExportError;
use crate::export::s3::{S3Target, S3Url};
use crate::export::{Manifest, bundle, sagemaker};
use crate::store::Run;

pub use limits::{MAX_BATCH, MAX_BATCH_WORK, MAX_BODY_BYTES, MAX_TOP_K, ServeLimits};
pub use state::{ModelSource, ServeState};

/// A model ready to serve, with the temporary folder it was unpacked into (if any).
pub struct LoadedModel {
    pub manifest: Manifest,
    pub run: Run,
    /// Where it came from, for messages.
    pub source: String,
    /// Kept alive while the model is served: downloads and unpacked archives live here.
    pub scratch: Option<tempfile::TempDir>,
}

fn scratch_dir() -> Result<tempfile::TempDir, ExportError> {
    tempfile::Builder::new()
        .prefix("latent-serve-")
        .tempdir()
        .map_err(|e| ExportError::write(Path::new("latent-serve"), e))
}

/// Loads the model named by `spec`: a bundle folder, an export folder (its `bundle/`
/// or `sagemaker/model.tar.gz`), a `model.tar.gz`, or `s3://bucket/prefix` of either.
pub fn load_model(spec: &str, endpoint: Option<&str>) -> Result<LoadedModel, ExportError> {
    if let Some(url) = S3Url::parse(spec) {
        let url = url?;
        let target = S3Target::connect(&url, endpoint)?;
        let scratch = scratch_dir()?;
        let runtime = crate::export::s3::runtime()?;
        runtime.block_on(target.download(scratch.path()))?;
        let mut loaded = load_local(scratch.path(), spec)?;
        if loaded.scratch.is_none() {
            loaded.scratch = Some(scratch);
        } else {
            // The archive was unpacked into a second folder; the download can go.
            drop(scratch);
        }
        return Ok(loaded);
    }
    load_local(Path::new(spec), spec)
}

fn load_local(path: &Path, source: &str) -> Result<LoadedModel, ExportError> {
    let not_bundle = |message: String| ExportError::NotABundle {
        path: source.to_owned(),
        message,
    };
    if path.is_file() {
        let scratch = scratch_dir()?;
        sagemaker::unpack(path, scratch.path())?;
        let (manifest, run) = bundle::open(scratch.path())?;
        return Ok(LoadedModel {
            manifest,
            run,
            source: source.to_owned(),
            scratch: Some(scratch),
        });
    }
    if !path.is_dir() {
        return Err(not_bundle("no such folder or file".into()));
    }
    let manifest = Manifest::read(path)?;
    match manifest.content.as_str() {
        "bundle" => {
            let (manifest, run) = bundle::open(path)?;
            Ok(LoadedModel {
                manifest,
                run,
                source: source.to_owned(),
                scratch: None,
            })
        }
        "export" if manifest.formats.iter().any(|f| f == "bundle") => {
            manifest.verify(path)?;
            let (manifest, run) = bundle::open(&path.join("bundle"))?;
            Ok(LoadedModel {
                manifest,
                run,
                source: source.to_owned(),
                scratch: None,
            })
        }
        "export" if manifest.formats.iter().any(|f| f == "sagemaker") => {
            manifest.verify(path)?;
            load_local(&path.join("sagemaker").join("model.tar.gz"), source)
        }
        other => Err(not_bundle(format!(
            "its manifest describes '{other}' without a bundle: export with --format bundle or sagemaker"
        ))),
    }
}

/// How the served model follows its source: where to read it again (`POST /reload`,
/// SIGHUP) and how often to check it for a change (`--watch`).
#[derive(Debug, Clone, Default)]
pub struct Follow {
    pub source: Option<ModelSource>,
    pub watch: Option<std::time::Duration>,
}

/// Serves `model` on `addr` under `limits` until Ctrl-C or SIGTERM, following its source
/// as `follow` says; `on_ready` gets the bound address (useful with port 0) once the
/// socket listens.
pub fn serve_blocking(
    model: LoadedModel,
    addr: SocketAddr,
    limits: ServeLimits,
    follow: Follow,
    on_ready: impl FnOnce(SocketAddr) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    // Scoring runs on blocking threads, one per scoring permit (see `state`): few threads
    // also keep glibc from growing an arena per thread that never shrinks back.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .max_blocking_threads(threads + 1)
        .enable_all()
        .build()?;
    let state = Arc::new(ServeState::new(model, follow.source, limits, threads));
    runtime.block_on(async move {
        #[cfg(unix)]
        tokio::spawn(reload::on_hangup(Arc::clone(&state)));
        if let Some(every) = follow.watch {
            tokio::spawn(reload::watch(Arc::clone(&state), every));
        }
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))?;
        let bound = listener.local_addr()?;
        on_ready(bound)?;
        tracing::info!("serving on {bound} with {limits:?}");
        conn::serve_connections(listener, handlers::router(state), limits, shutdown_signal()).await;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
