//! Per-list ranking metrics and their averages (definitions in the module above).

use serde::{Deserialize, Serialize};

pub use super::list_metrics::{ListMetrics, score_list};
use super::list_set::ListSet;
use super::metric::{Metric, MetricValues};

/// Reads one metric out of [`RankingMetrics`], for tables that list several.
pub type MetricOf = fn(&RankingMetrics) -> f64;

/// Averages over customers plus list-level statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RankingMetrics {
    pub precision: f64,
    pub recall: f64,
    pub map: f64,
    pub ndcg: f64,
    pub hit_rate: f64,
    pub mrr: f64,
    pub coverage: f64,
    pub novelty: f64,
    pub popularity_bias: f64,
    /// Gini of how often each product is shown (0 = evenly, 1 = one product everywhere).
    #[serde(default)]
    pub gini: f64,
    /// One minus the mean overlap of two customers' lists.
    #[serde(default)]
    pub personalisation: f64,
    /// Root mean squared error of predicted ratings (explicit models only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rmse: Option<f64>,
    /// Mean absolute error of predicted ratings (explicit models only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mae: Option<f64>,
}

impl RankingMetrics {
    /// Averages per-list metrics; `lists` gives the list-set metrics (coverage, novelty,
    /// bias, Gini, personalisation) against per-product buyer counts `popularity` out of
    /// `n_users` training customers.
    pub fn aggregate(
        per_user: &[ListMetrics],
        lists: &[Vec<u32>],
        popularity: &[f32],
        n_users: usize,
        k: usize,
    ) -> Self {
        let set = ListSet::new(per_user.to_vec(), lists.to_vec(), popularity, n_users, k);
        Self::from_values(&set.values(None))
    }

    /// The named fields of a [`MetricValues`].
    pub fn from_values(v: &MetricValues) -> Self {
        Self {
            precision: v[Metric::Precision],
            recall: v[Metric::Recall],
            map: v[Metric::Map],
            ndcg: v[Metric::Ndcg],
            hit_rate: v[Metric::HitRate],
            mrr: v[Metric::Mrr],
            coverage: v[Metric::Coverage],
            novelty: v[Metric::Novelty],
            popularity_bias: v[Metric::PopularityBias],
            gini: v[Metric::Gini],
            personalisation: v[Metric::Personalisation],
            rmse: None,
            mae: None,
        }
    }

    /// One metric by name.
    pub fn get(&self, m: Metric) -> f64 {
        match m {
            Metric::Precision => self.precision,
            Metric::Recall => self.recall,
            Metric::Map => self.map,
            Metric::Ndcg => self.ndcg,
            Metric::HitRate => self.hit_rate,
            Metric::Mrr => self.mrr,
            Metric::Coverage => self.coverage,
            Metric::Novelty => self.novelty,
            Metric::PopularityBias => self.popularity_bias,
            Metric::Gini => self.gini,
            Metric::Personalisation => self.personalisation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn perfect_and_empty_lists() {
        let m = score_list(&[2, 4], &[2, 4], 2);
        assert_abs_diff_eq!(m.ndcg, 1.0);
        assert_abs_diff_eq!(m.average_precision, 1.0);
        assert_abs_diff_eq!(m.precision, 1.0);
        assert_eq!(
            score_list(&[], &[1], 10),
            ListMetrics {
                ..Default::default()
            }
        );
        let short = score_list(&[1], &[1], 10);
        assert_abs_diff_eq!(short.precision, 0.1, epsilon = 1e-12);
    }

    #[test]
    fn aggregates_coverage_novelty_bias() {
        let per_user = [score_list(&[0], &[0], 1), score_list(&[1], &[2], 1)];
        let agg =
            RankingMetrics::aggregate(&per_user, &[vec![0], vec![1]], &[4.0, 1.0, 1.0, 0.0], 4, 1);
        assert_abs_diff_eq!(agg.precision, 0.5);
        assert_abs_diff_eq!(agg.coverage, 0.5);
        assert_abs_diff_eq!(agg.popularity_bias, 0.625);
        assert_abs_diff_eq!(agg.novelty, 1.0);
    }

    proptest::proptest! {
        #[test]
        fn metrics_lie_in_unit_interval(list in proptest::collection::vec(0u32..50, 0..20), rel in proptest::collection::btree_set(0u32..50, 1..10), k in 1usize..20) {
            let mut dedup = Vec::new();
            for i in list { if !dedup.contains(&i) { dedup.push(i); } }
            let relevant: Vec<u32> = rel.into_iter().collect();
            let m = score_list(&dedup, &relevant, k);
            for v in [m.precision, m.recall, m.average_precision, m.ndcg, m.hit, m.reciprocal_rank] {
                proptest::prop_assert!((0.0..=1.0 + 1e-12).contains(&v), "{v}");
            }
        }
    }
}
