//! Every evaluated customer's lists and what they bought after the cut-off, kept with the
//! run.
//!
//! A report's figures are summaries; these lists are the evidence. From them a diff pairs
//! two runs customer by customer, a chart draws precision@k for every k up to
//! [`CURVE_DEPTH`], and Inspect shows a customer the purchases the lists were judged on.

use super::list_metrics::score_list;
use super::list_set::ListSet;

/// Lists are kept this long, so precision@k can be charted for k = 1..=50 and runs can be
/// compared at any k up to it.
pub const CURVE_DEPTH: usize = 50;

/// Which ranker's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Model,
    Baseline,
}

/// The evaluated customers (run indices) with their lists and hold-out purchases, all in
/// one order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HoldoutLists {
    /// The list length of the run's report.
    pub k: usize,
    pub users: Vec<u32>,
    /// The model's lists, best first, up to [`CURVE_DEPTH`] long.
    pub model: Vec<Vec<u32>>,
    /// The popularity baseline's lists.
    pub baseline: Vec<Vec<u32>>,
    /// What each customer bought after the cut-off that counts as a hit (sorted).
    pub relevant: Vec<Vec<u32>>,
    /// What they bought again after the cut-off, not counted when bought products are
    /// left out of lists (sorted).
    pub rebought: Vec<Vec<u32>>,
}

impl HoldoutLists {
    /// The longest list kept: the largest k the lists can be scored at.
    pub fn depth(&self) -> usize {
        self.model
            .iter()
            .chain(&self.baseline)
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(self.k)
    }

    /// Where customer `user` is in the lists, when they were evaluated.
    pub fn position(&self, user: u32) -> Option<usize> {
        self.users.iter().position(|&u| u == user)
    }

    /// The lists of `side` cut to `k` and scored, for the customers at `rows` (all when
    /// `None`), in that order.
    pub fn set(
        &self,
        side: Side,
        k: usize,
        rows: Option<&[usize]>,
        popularity: &[f32],
        train_customers: usize,
    ) -> ListSet {
        let lists = match side {
            Side::Model => &self.model,
            Side::Baseline => &self.baseline,
        };
        let all: Vec<usize>;
        let rows = match rows {
            Some(r) => r,
            None => {
                all = (0..lists.len()).collect();
                &all
            }
        };
        let cut: Vec<Vec<u32>> = rows
            .iter()
            .map(|&r| lists[r][..lists[r].len().min(k)].to_vec())
            .collect();
        let per_user = cut
            .iter()
            .zip(rows)
            .map(|(l, &r)| score_list(l, &self.relevant[r], k))
            .collect();
        ListSet::new(per_user, cut, popularity, train_customers, k)
    }

    /// `(customer, what they bought after the cut-off)`: the truth a rule set's impact is
    /// measured on.
    pub fn relevant_pairs(&self) -> Vec<(u32, Vec<u32>)> {
        self.users
            .iter()
            .copied()
            .zip(self.relevant.iter().cloned())
            .collect()
    }

    /// Mean precision@k of the model and the baseline for k = 1..=`max_k` (capped at the
    /// depth): the curve the Evaluate screen draws. One pass per list with running hit
    /// counts, O(customers × depth), so a run with a million evaluated customers opens
    /// without a pause.
    pub fn precision_curve(&self, max_k: usize) -> Vec<(usize, f64, f64)> {
        let depth = max_k.min(self.depth());
        let n = self.users.len().max(1) as f64;
        // hits[k - 1]: hits within the first k of every list, summed over customers.
        let hits_at = |lists: &[Vec<u32>]| {
            let mut hits = vec![0u64; depth];
            for (l, rel) in lists.iter().zip(&self.relevant) {
                if rel.is_empty() {
                    continue;
                }
                let mut running = 0u64;
                for (pos, total) in hits.iter_mut().enumerate() {
                    if l.get(pos).is_some_and(|i| rel.binary_search(i).is_ok()) {
                        running += 1;
                    }
                    *total += running;
                }
            }
            hits
        };
        let (model, baseline) = (hits_at(&self.model), hits_at(&self.baseline));
        (1..=depth)
            .map(|k| {
                let at = |h: &[u64]| h[k - 1] as f64 / k as f64 / n;
                (k, at(&model), at(&baseline))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::metric::Metric;

    fn lists() -> HoldoutLists {
        HoldoutLists {
            k: 2,
            users: vec![7, 3],
            model: vec![vec![1, 2, 3], vec![4, 5, 6]],
            baseline: vec![vec![0, 1, 2], vec![0, 1, 2]],
            relevant: vec![vec![2], vec![6]],
            rebought: vec![vec![], vec![0]],
        }
    }

    #[test]
    fn lists_are_cut_to_k_and_the_curve_runs_to_the_depth() {
        let h = lists();
        assert_eq!(
            (h.depth(), h.position(3), h.position(9)),
            (3, Some(1), None)
        );
        let at_2 = h.set(Side::Model, 2, None, &[1.0; 7], 2).values(None);
        assert!((at_2[Metric::Precision] - 0.25).abs() < 1e-12);
        let only_second = h.set(Side::Model, 3, Some(&[1]), &[1.0; 7], 2).values(None);
        assert!((only_second[Metric::HitRate] - 1.0).abs() < 1e-12);
        let curve = h.precision_curve(10);
        assert_eq!(curve.len(), 3);
        assert_eq!(curve[0], (1, 0.0, 0.0));
        assert!((curve[2].1 - 1.0 / 3.0).abs() < 1e-12 && (curve[2].2 - 1.0 / 6.0).abs() < 1e-12);
        // The running counts agree with scoring each list at each k.
        for &(k, m, b) in &curve {
            let mean = |lists: &[Vec<u32>]| {
                lists
                    .iter()
                    .zip(&h.relevant)
                    .map(|(l, r)| score_list(l, r, k).precision)
                    .sum::<f64>()
                    / 2.0
            };
            assert!((m - mean(&h.model)).abs() < 1e-12 && (b - mean(&h.baseline)).abs() < 1e-12);
        }
    }
}
