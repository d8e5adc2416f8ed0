//! What the server shares between requests: the loaded run and its compiled base rules.
//!
//! Both are read-only after start-up, so requests share them through an `Arc` without a
//! lock. A request with its own `exclude` / `include` compiles its rules on top of the
//! base (well under a millisecond); the others reuse the base compiled once.
//!
//! Scoring takes one of a fixed number of permits (one per core): a permit is a dense
//! score buffer over the catalogue and a chunk of answer being written, so however many
//! calls arrive at once, only that many of each exist; the other calls wait their turn.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::LoadedModel;
use super::limits::ServeLimits;
use crate::recommend::engine::CompiledRules;
use crate::recommend::{Engine, IncludeRule, Overrides};
use crate::store::Run;

/// The server's shared state.
pub struct ServeState {
    pub model: LoadedModel,
    /// The bundle's `[overrides]`, compiled.
    pub base: Arc<CompiledRules>,
    /// List length when a request gives none: the run's `[recommend] reco_item`.
    pub default_top_k: usize,
    /// Timeouts and connection limit.
    pub limits: ServeLimits,
    /// Calls being scored at once (see the module docs).
    pub scoring: Semaphore,
}

impl ServeState {
    /// Compiles the base rules of `model`, to be served under `limits` with at most
    /// `scorers` calls scored at once.
    pub fn new(model: LoadedModel, limits: ServeLimits, scorers: usize) -> Self {
        let base = Arc::new(CompiledRules::new(
            model.run.view(),
            &model.run.config.overrides,
        ));
        for w in &base.warnings {
            tracing::warn!("rules: {w}");
        }
        let default_top_k = model.run.config.recommend.reco_item.max(1);
        Self {
            model,
            base,
            default_top_k,
            limits,
            scoring: Semaphore::new(scorers.max(1)),
        }
    }

    /// The run being served.
    pub fn run(&self) -> &Run {
        &self.model.run
    }

    /// An engine for one request: the base rules, plus the request's when it has any.
    /// The second value holds warnings of the request's own rules.
    pub fn engine(
        &self,
        exclude: &[String],
        include: &[String],
        exclude_seen: Option<bool>,
        rebuy: Option<f32>,
    ) -> (Engine<'_>, Vec<String>) {
        let view = self.run().view();
        if exclude.is_empty() && include.is_empty() && exclude_seen.is_none() && rebuy.is_none() {
            return (Engine::with(view, Arc::clone(&self.base)), Vec::new());
        }
        let mut rules: Overrides = self.base.rules.clone();
        rules.exclude_items.extend(exclude.iter().cloned());
        if !include.is_empty() {
            rules.include.push(IncludeRule {
                items: include.to_vec(),
                ..IncludeRule::default()
            });
        }
        if let Some(v) = exclude_seen {
            rules.exclude_seen = v;
        }
        if rebuy.is_some() {
            rules.rebuy = rebuy;
        }
        let engine = Engine::new(view, &rules);
        let warnings = engine
            .warnings
            .iter()
            .filter(|w| !self.base.warnings.contains(w))
            .cloned()
            .collect();
        (engine, warnings)
    }
}
