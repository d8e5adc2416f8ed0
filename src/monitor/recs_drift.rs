//! What the drift does to the run's recommendations: the lists the model gives the newer
//! window's customers, measured against what those customers and the shop now do.

use rustc_hash::FxHashSet;
use serde::Serialize;

use super::window::WindowStats;
use crate::recommend::Engine;
use crate::store::Run;

/// The run's lists on the newer window.
#[derive(Debug, Clone, Serialize)]
pub struct RecsDrift {
    /// List length.
    pub k: usize,
    /// Newer-window customers the model knows (their lists are measured).
    pub customers_scored: usize,
    /// Share of the newer window's customers the model never saw (they get the
    /// cold-start policy).
    pub customers_unknown_share: f64,
    /// Distinct recommended products over the run's catalogue.
    pub catalogue_coverage: f64,
    /// Mean share of the run's customers who bought a recommended product (per list slot).
    pub avg_recommended_popularity: f64,
    /// The same measure over what the newer window's customers bought, for comparison.
    pub avg_bought_popularity: f64,
    /// Share of list slots on products that sold nothing in the newer window.
    pub not_sold_share: f64,
}

/// Scores every newer-window customer the run knows, with the run's own rules.
pub fn recs_drift(run: &Run, newer: &WindowStats, k: usize) -> RecsDrift {
    let mut known: Vec<u32> = newer
        .customers
        .keys()
        .filter_map(|c| run.users.get(c))
        .collect();
    known.sort_unstable();
    let engine = Engine::new(run.view(), &run.config.overrides);
    let lists = engine.recommend_known(&known, k);
    let users = run.users.len().max(1) as f64;
    let popularity = |item: u32| {
        f64::from(
            run.popularity
                .counts
                .get(item as usize)
                .copied()
                .unwrap_or(0.0),
        ) / users
    };
    let mut distinct = FxHashSet::default();
    let (mut slots, mut pop_sum, mut not_sold) = (0usize, 0.0, 0usize);
    for list in &lists {
        for s in list {
            distinct.insert(s.item);
            slots += 1;
            pop_sum += popularity(s.item);
            if !newer.items.contains_key(run.items.name(s.item)) {
                not_sold += 1;
            }
        }
    }
    let (mut bought_sum, mut bought_lines) = (0.0, 0u64);
    for (item, &n) in &newer.items {
        if let Some(i) = run.items.get(item) {
            bought_sum += popularity(i) * n as f64;
        }
        bought_lines += n;
    }
    RecsDrift {
        k,
        customers_scored: known.len(),
        customers_unknown_share: 1.0 - known.len() as f64 / newer.customers.len().max(1) as f64,
        catalogue_coverage: distinct.len() as f64 / run.items.len().max(1) as f64,
        avg_recommended_popularity: pop_sum / slots.max(1) as f64,
        avg_bought_popularity: bought_sum / bought_lines.max(1) as f64,
        not_sold_share: not_sold as f64 / slots.max(1) as f64,
    }
}
