//! The model being served: the loaded run and its compiled base rules.
//!
//! A `Served` is read-only once built, so requests share it through an `Arc` without a
//! lock; a reload builds a new one and swaps it in ([`super::state`]), while calls already
//! answering keep the one they started with. A request with its own `exclude` / `include`
//! compiles its rules on top of the base (well under a millisecond); the others reuse the
//! base compiled once.

use std::sync::Arc;

use super::LoadedModel;
use super::metrics::Metrics;
use crate::recommend::engine::CompiledRules;
use crate::recommend::{Engine, IncludeRule, Overrides};
use crate::store::Run;

/// One loaded model, ready to answer.
pub struct Served {
    pub model: LoadedModel,
    /// The bundle's `[overrides]`, compiled.
    pub base: Arc<CompiledRules>,
    /// List length when a request gives none: the run's `[recommend] reco_item`.
    pub default_top_k: usize,
    /// The server's counters, which outlive any one model.
    pub metrics: Arc<Metrics>,
    /// When this model started serving.
    pub since: std::time::Instant,
}

impl Served {
    /// Compiles the base rules of `model`.
    pub fn new(model: LoadedModel, metrics: Arc<Metrics>) -> Self {
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
            metrics,
            since: std::time::Instant::now(),
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
