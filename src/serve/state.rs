//! What the server shares between requests: the model being served (swappable, see
//! [`super::reload`]), the limits, the scoring permits and the counters.
//!
//! Each call takes the current model once ([`ServeState::served`]) and answers with it to
//! the end, so a reload never mixes two models in one answer and never waits for calls
//! in flight: the old model is dropped when its last call ends.
//!
//! Scoring takes one of a fixed number of permits (one per core): a permit is a dense
//! score buffer over the catalogue and a chunk of answer being written, so however many
//! calls arrive at once, only that many of each exist; the other calls wait their turn.

use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Semaphore;

use super::LoadedModel;
use super::limits::ServeLimits;
use super::metrics::Metrics;
use super::served::Served;

/// Where the served model comes from, for reloads: the `--model` spec and S3 endpoint.
#[derive(Debug, Clone)]
pub struct ModelSource {
    pub spec: String,
    pub endpoint: Option<String>,
}

/// The server's shared state.
pub struct ServeState {
    current: RwLock<Arc<Served>>,
    /// Timeouts and connection limit.
    pub limits: ServeLimits,
    /// Calls being scored at once (see the module docs).
    pub scoring: Semaphore,
    pub metrics: Arc<Metrics>,
    /// `None` when the model cannot be reloaded (it was handed in, not read from a spec).
    pub source: Option<ModelSource>,
    /// Held while a reload runs: one at a time.
    pub(super) reloading: Mutex<()>,
}

impl ServeState {
    /// Serves `model` under `limits` with at most `scorers` calls scored at once.
    pub fn new(
        model: LoadedModel,
        source: Option<ModelSource>,
        limits: ServeLimits,
        scorers: usize,
    ) -> Self {
        let metrics = Arc::new(Metrics::default());
        Self {
            current: RwLock::new(Arc::new(Served::new(model, Arc::clone(&metrics)))),
            limits,
            scoring: Semaphore::new(scorers.max(1)),
            metrics,
            source,
            reloading: Mutex::new(()),
        }
    }

    /// The model to answer a call with.
    pub fn served(&self) -> Arc<Served> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Puts `next` in place; calls already answering finish with the old model.
    pub(super) fn swap(&self, next: Served) {
        let next = Arc::new(next);
        match self.current.write() {
            Ok(mut g) => *g = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}
