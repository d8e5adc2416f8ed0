//! A set of customers' top-k lists, scored: every metric of [`Metric`] for any weighting of
//! the customers.
//!
//! A report weighs every customer once; a bootstrap resample weighs each by how often it
//! was drawn; a segment weighs its members. One function computes all three, so a metric's
//! point value, its interval and its segment rows cannot disagree on the definition.
//!
//! Over the weighted lists (weight `w_u`, `N = Σ w_u`, `c_i = Σ w_u [i ∈ L_u]`):
//! - **coverage**: share of the catalogue with `c_i > 0`;
//! - **Gini**: of the `c_i` over the whole catalogue (0 = every product shown equally,
//!   1 = one product everywhere);
//! - **personalisation**: `1 − Σ_i c_i (c_i − 1) / (N (N − 1) k)`, one minus the mean
//!   overlap of two customers' lists (each pair's shared products over k);
//! - **novelty** and **popularity bias**: means over shown products of `−log₂(share)` and
//!   `share`, `share` the products' training buyers over training customers.

use super::list_metrics::ListMetrics;
use super::metric::{Metric, MetricValues};

/// The lists of one ranker for a set of customers, and what the metrics need of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListSet {
    per_user: Vec<ListMetrics>,
    lists: Vec<Vec<u32>>,
    /// Per customer: Σ novelty and Σ share of the shown products.
    novelty: Vec<f64>,
    share: Vec<f64>,
    catalogue: usize,
    k: usize,
}

impl ListSet {
    /// `per_user[u]` scores `lists[u]`; `popularity` holds each product's training buyers
    /// out of `train_customers`.
    pub fn new(
        per_user: Vec<ListMetrics>,
        lists: Vec<Vec<u32>>,
        popularity: &[f32],
        train_customers: usize,
        k: usize,
    ) -> Self {
        let customers = train_customers.max(1) as f64;
        let shares = |list: &Vec<u32>| {
            list.iter().fold((0.0, 0.0), |(nov, sh), &i| {
                let share =
                    f64::from(popularity.get(i as usize).copied().unwrap_or(0.0)) / customers;
                (nov - share.max(1.0 / customers).log2(), sh + share)
            })
        };
        let (novelty, share) = lists.iter().map(shares).unzip();
        Self {
            per_user,
            lists,
            novelty,
            share,
            catalogue: popularity.len(),
            k,
        }
    }

    /// Customers in the set.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// True when no customer was scored.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// Each customer's accuracy metrics.
    pub fn per_user(&self) -> &[ListMetrics] {
        &self.per_user
    }

    /// Every metric with each customer counted `weights[u]` times (`None`: once each).
    pub fn values(&self, weights: Option<&[u32]>) -> MetricValues {
        let w = |u: usize| weights.map_or(1.0, |w| f64::from(w[u]));
        let mut v = MetricValues::default();
        let (mut total, mut shown, mut novelty, mut share) = (0.0, 0.0, 0.0, 0.0);
        let mut counts = vec![0u64; self.catalogue];
        for (u, list) in self.lists.iter().enumerate() {
            let wu = w(u);
            if wu == 0.0 {
                continue;
            }
            let m = &self.per_user[u];
            total += wu;
            v[Metric::Precision] += wu * m.precision;
            v[Metric::Recall] += wu * m.recall;
            v[Metric::Map] += wu * m.average_precision;
            v[Metric::Ndcg] += wu * m.ndcg;
            v[Metric::HitRate] += wu * m.hit;
            v[Metric::Mrr] += wu * m.reciprocal_rank;
            shown += wu * list.len() as f64;
            novelty += wu * self.novelty[u];
            share += wu * self.share[u];
            let times = weights.map_or(1, |w| u64::from(w[u]));
            for &i in list {
                if let Some(c) = counts.get_mut(i as usize) {
                    *c += times;
                }
            }
        }
        if total == 0.0 {
            return MetricValues::default();
        }
        for m in Metric::ACCURACY {
            v[m] /= total;
        }
        let catalogue = self.catalogue.max(1) as f64;
        v[Metric::Coverage] = counts.iter().filter(|&&c| c > 0).count() as f64 / catalogue;
        v[Metric::Novelty] = novelty / shown.max(1.0);
        v[Metric::PopularityBias] = share / shown.max(1.0);
        v[Metric::Gini] = gini(&mut counts);
        v[Metric::Personalisation] = personalisation(&counts, total, self.k);
        v
    }
}

/// The Gini coefficient of `counts` (sorted in place): `Σ (2i − n − 1) c_(i) / (n Σ c)`.
fn gini(counts: &mut [u64]) -> f64 {
    let sum: u64 = counts.iter().sum();
    let n = counts.len();
    if sum == 0 || n == 0 {
        return 0.0;
    }
    counts.sort_unstable();
    let weighted: f64 = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| (2.0 * (i + 1) as f64 - n as f64 - 1.0) * c as f64)
        .sum();
    weighted / (n as f64 * sum as f64)
}

/// One minus the mean share of k two customers' lists have in common (0 with fewer than
/// two customers: there is no pair to differ).
fn personalisation(counts: &[u64], customers: f64, k: usize) -> f64 {
    if customers < 2.0 || k == 0 {
        return 0.0;
    }
    let shared: f64 = counts
        .iter()
        .map(|&c| c as f64 * (c as f64 - 1.0).max(0.0))
        .sum();
    1.0 - shared / (customers * (customers - 1.0) * k as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::list_metrics::score_list;
    use approx::assert_abs_diff_eq;

    fn set(lists: &[&[u32]], relevant: &[&[u32]], catalogue: usize, k: usize) -> ListSet {
        let per_user = lists
            .iter()
            .zip(relevant)
            .map(|(l, r)| score_list(l, r, k))
            .collect();
        let lists = lists.iter().map(|l| l.to_vec()).collect();
        ListSet::new(per_user, lists, &vec![1.0; catalogue], 4, k)
    }

    #[test]
    fn hand_computed_gini_and_personalisation() {
        // Two customers, k = 2: lists {0, 1} and {0, 2} share one product of two.
        let s = set(&[&[0, 1], &[0, 2]], &[&[0], &[3]], 4, 2);
        let v = s.values(None);
        assert_abs_diff_eq!(v[Metric::Personalisation], 0.5);
        assert_abs_diff_eq!(v[Metric::Coverage], 0.75);
        assert_abs_diff_eq!(v[Metric::Precision], 0.25);
        assert_abs_diff_eq!(v[Metric::HitRate], 0.5);
        // Counts over 4 products: sorted [0, 1, 1, 2]; Σ(2i−5)c = 0·(−3) + 1·(−1) + 1·1 + 2·3 = 6,
        // over n·Σc = 4·4.
        assert_abs_diff_eq!(v[Metric::Gini], 6.0 / 16.0);
        // Identical lists: no personalisation; disjoint: full.
        assert_abs_diff_eq!(
            set(&[&[0, 1], &[0, 1]], &[&[0], &[0]], 4, 2).values(None)[Metric::Personalisation],
            0.0
        );
        assert_abs_diff_eq!(
            set(&[&[0, 1], &[2, 3]], &[&[0], &[0]], 4, 2).values(None)[Metric::Personalisation],
            1.0
        );
    }

    #[test]
    fn weights_count_customers_that_many_times_and_zero_leaves_them_out() {
        let s = set(&[&[0], &[1], &[2]], &[&[0], &[0], &[0]], 3, 1);
        let v = s.values(Some(&[3, 1, 0]));
        assert_abs_diff_eq!(v[Metric::Precision], 0.75);
        assert_abs_diff_eq!(v[Metric::Coverage], 2.0 / 3.0);
        // Four draws: the three of customer 0 share their product in 3·2 ordered pairs.
        assert_abs_diff_eq!(v[Metric::Personalisation], 1.0 - 6.0 / 12.0);
        assert_eq!(s.values(Some(&[0, 0, 0])), MetricValues::default());
    }
}
