//! Per-list ranking metrics and their averages (definitions in the module above).

use serde::{Deserialize, Serialize};

use super::list_set::ListSet;
use super::metric::{Metric, MetricValues};

/// Metrics of one list against one relevant set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ListMetrics {
    pub precision: f64,
    pub recall: f64,
    pub average_precision: f64,
    pub ndcg: f64,
    pub hit: f64,
    pub reciprocal_rank: f64,
}

/// Scores `list` (best first, at most `k` long) against sorted `relevant`.
pub fn score_list(list: &[u32], relevant: &[u32], k: usize) -> ListMetrics {
    if relevant.is_empty() || k == 0 {
        return ListMetrics::default();
    }
    let mut hits = 0usize;
    let mut ap = 0.0;
    let mut dcg = 0.0;
    let mut rr = 0.0;
    for (pos, item) in list.iter().take(k).enumerate() {
        if relevant.binary_search(item).is_ok() {
            hits += 1;
            ap += hits as f64 / (pos + 1) as f64;
            dcg += 1.0 / ((pos + 2) as f64).log2();
            if rr == 0.0 {
                rr = 1.0 / (pos + 1) as f64;
            }
        }
    }
    let ideal = relevant.len().min(k);
    let idcg: f64 = (0..ideal).map(|p| 1.0 / ((p + 2) as f64).log2()).sum();
    ListMetrics {
        precision: hits as f64 / k as f64,
        recall: hits as f64 / relevant.len() as f64,
        average_precision: ap / ideal as f64,
        ndcg: dcg / idcg,
        hit: f64::from(u8::from(hits > 0)),
        reciprocal_rank: rr,
    }
}

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
    fn hand_computed_list() {
        // List [5, 1, 7, 3], relevant {1, 3, 9}, k = 4: hits at ranks 2 and 4.
        let m = score_list(&[5, 1, 7, 3], &[1, 3, 9], 4);
        assert_abs_diff_eq!(m.precision, 0.5);
        assert_abs_diff_eq!(m.recall, 2.0 / 3.0);
        assert_abs_diff_eq!(m.average_precision, (1.0 / 2.0 + 2.0 / 4.0) / 3.0);
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert_abs_diff_eq!(m.ndcg, dcg / idcg, epsilon = 1e-12);
        assert_abs_diff_eq!(m.hit, 1.0);
        assert_abs_diff_eq!(m.reciprocal_rank, 0.5);
    }

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
