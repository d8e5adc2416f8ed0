//! What a rule set costs or gains: the same run evaluated with and without it.
//!
//! "Exclude the top 5 %" trades hits on bestsellers for coverage and novelty; forcing new
//! products in spends slots on them. Both lists are scored on the same known test
//! customers, so the deltas are the rules' effect alone, and the paired bootstrap says
//! whether each is more than luck ("hiding the top 5 % costs 0.012 NDCG ± 0.004").

use serde::{Deserialize, Serialize};

use super::bootstrap::{MetricChange, Verdict};
use super::list_set::ListSet;
use super::metrics::{ListMetrics, RankingMetrics, score_list};
use crate::recommend::{Engine, Reason, Scored};

/// Metrics without and with a rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RulesImpact {
    pub k: usize,
    pub users: usize,
    pub without: RankingMetrics,
    pub with: RankingMetrics,
    /// Share of shown slots taken by forced products, with the rules.
    pub forced_share: f64,
    /// Share of shown slots holding a boosted product, with the rules.
    pub boosted_share: f64,
    /// Every metric without (`a`) and with (`b`) the rules, the difference's 95 % interval
    /// by the paired bootstrap, and whether the rules cost or gain more than luck.
    #[serde(default)]
    pub changes: Vec<MetricChange>,
}

/// A change's verdict as the rules' effect (the rules are side B): "rules gain", "rules
/// cost" or "no detectable difference".
pub fn rules_verdict(verdict: Option<Verdict>) -> &'static str {
    match verdict {
        Some(Verdict::BBetter) => "rules gain",
        Some(Verdict::ABetter) => "rules cost",
        Some(Verdict::NoDifference) => "no detectable difference",
        None => "",
    }
}

/// Scores `without` and `with` (two engines on one run) on known customers and what
/// each bought after the cut-off (`(customer, products sorted)`): a test file's
/// [`TestSet::relevant`](super::TestSet) or a run's kept hold-out.
pub fn rules_impact(
    without: &Engine<'_>,
    with: &Engine<'_>,
    relevant: &[(u32, Vec<u32>)],
    k: usize,
) -> RulesImpact {
    let users: Vec<u32> = relevant.iter().map(|(u, _)| *u).collect();
    let score = |engine: &Engine<'_>| {
        let lists = engine.recommend_known(&users, k);
        let items: Vec<Vec<u32>> = lists
            .iter()
            .map(|l| l.iter().map(|s| s.item).collect())
            .collect();
        let per_user: Vec<ListMetrics> = items
            .iter()
            .zip(relevant)
            .map(|(l, (_, rel))| score_list(l, rel, k))
            .collect();
        let view = engine.view();
        let set = ListSet::new(
            per_user,
            items,
            &view.popularity.counts,
            view.train.rows(),
            k,
        );
        (set, lists)
    };
    let (base, _) = score(without);
    let (ruled, lists) = score(with);
    let shown = lists.iter().map(Vec::len).sum::<usize>().max(1) as f64;
    let share = |reason: Reason| {
        lists
            .iter()
            .flatten()
            .filter(|s: &&Scored| s.reason == reason)
            .count() as f64
            / shown
    };
    RulesImpact {
        k,
        users: users.len(),
        without: RankingMetrics::from_values(&base.values(None)),
        with: RankingMetrics::from_values(&ruled.values(None)),
        changes: MetricChange::paired_rows(&base, &ruled, k),
        forced_share: share(Reason::Forced),
        boosted_share: share(Reason::Boosted),
    }
}
