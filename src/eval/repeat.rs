//! Repeat and explore, reported apart.
//!
//! When lists may show what a customer already bought (`exclude_seen = false`), a hit can
//! be a **repeat** (the customer bought the product in training and again in the test) or
//! an **explore** hit (a product new to them). Retail baskets are mostly repeats, so a
//! model can look strong on precision while it only ever re-lists staples; and a re-buy
//! blend trades one for the other. Both halves are shown, for the model and the baseline:
//!
//! | figure | definition |
//! | --- | --- |
//! | precision | hits of the kind / `k`, averaged over customers (the two add up to precision@k) |
//! | recall | hits of the kind / relevant products of the kind, over customers with any |
//! | list share | the share of list slots holding products the customer already bought |
//!
//! and, once for the test set, the share of relevant pairs that are repeats. A third
//! ranker, the customer's own products alone, is the bar for re-buys.

use serde::{Deserialize, Serialize};

use crate::data::CsrMatrix;

/// One kind of hit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Hits of this kind over `k`, averaged over every evaluated customer.
    pub precision: f64,
    /// Hits over the customer's relevant products of this kind, averaged over customers
    /// who have some.
    pub recall: f64,
    /// Customers with a relevant product of this kind.
    pub customers: usize,
}

/// One ranker's lists, split.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub repeat: Channel,
    pub explore: Channel,
    /// The share of list slots holding products the customer already bought.
    pub list_repeat_share: f64,
}

/// The model's and the baseline's lists, split into repeat and explore.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RepeatReport {
    /// The share of relevant test pairs the customer had bought in training.
    pub truth_repeat_share: f64,
    pub model: Split,
    pub baseline: Split,
    /// The customer's own products alone (re-buy weight 1, popularity for the rest): the
    /// bar a model must clear to add anything to re-buys.
    #[serde(default)]
    pub rebuy_only: Split,
    /// Its precision@k.
    #[serde(default)]
    pub rebuy_only_precision: f64,
}

/// Splits `lists` (one per entry of `relevant`) against each customer's training row.
pub fn split(
    lists: &[Vec<u32>],
    relevant: &[(u32, Vec<u32>)],
    train: &CsrMatrix,
    k: usize,
) -> Split {
    let n = relevant.len().max(1) as f64;
    let k = k.max(1) as f64;
    let mut out = Split::default();
    let (mut rep_recall, mut exp_recall, mut shown, mut slots) = (0.0, 0.0, 0usize, 0usize);
    for (list, (u, rel)) in lists.iter().zip(relevant) {
        let seen = train.row(*u as usize).0;
        let bought = |i: &u32| seen.binary_search(i).is_ok();
        let rel_repeat = rel.iter().filter(|i| bought(i)).count();
        let rel_explore = rel.len() - rel_repeat;
        let (mut hit_repeat, mut hit_explore) = (0usize, 0usize);
        for i in list {
            let repeat = bought(i);
            shown += usize::from(repeat);
            if rel.binary_search(i).is_ok() {
                if repeat {
                    hit_repeat += 1;
                } else {
                    hit_explore += 1;
                }
            }
        }
        slots += list.len();
        out.repeat.precision += hit_repeat as f64 / k;
        out.explore.precision += hit_explore as f64 / k;
        if rel_repeat > 0 {
            out.repeat.customers += 1;
            rep_recall += hit_repeat as f64 / rel_repeat as f64;
        }
        if rel_explore > 0 {
            out.explore.customers += 1;
            exp_recall += hit_explore as f64 / rel_explore as f64;
        }
    }
    out.repeat.precision /= n;
    out.explore.precision /= n;
    out.repeat.recall = rep_recall / out.repeat.customers.max(1) as f64;
    out.explore.recall = exp_recall / out.explore.customers.max(1) as f64;
    out.list_repeat_share = shown as f64 / slots.max(1) as f64;
    out
}

/// The share of `relevant`'s pairs the customer had bought in `train`.
pub fn truth_repeat_share(relevant: &[(u32, Vec<u32>)], train: &CsrMatrix) -> f64 {
    let (mut repeats, mut all) = (0usize, 0usize);
    for (u, rel) in relevant {
        let seen = train.row(*u as usize).0;
        repeats += rel.iter().filter(|i| seen.binary_search(i).is_ok()).count();
        all += rel.len();
    }
    repeats as f64 / all.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_split_by_whether_the_customer_bought_the_product_before() {
        // Customer 0 bought 0 and 1; customer 1 bought 2.
        let train = CsrMatrix::from_triplets(2, 5, &[(0, 0, 1.0), (0, 1, 2.0), (1, 2, 1.0)]);
        let relevant = vec![(0, vec![0, 3]), (1, vec![4])];
        let lists = vec![vec![0, 1, 3, 4], vec![2, 3, 4, 0]];
        let s = split(&lists, &relevant, &train, 4);
        // Customer 0: repeat hit 0, explore hit 3. Customer 1: explore hit 4.
        assert!((s.repeat.precision - (1.0 / 4.0) / 2.0).abs() < 1e-12);
        assert!(
            (s.explore.precision - 0.25).abs() < 1e-12,
            "two hits of 4 over 2 customers"
        );
        assert_eq!((s.repeat.customers, s.explore.customers), (1, 2));
        assert!((s.repeat.recall - 1.0).abs() < 1e-12);
        assert!((s.explore.recall - 1.0).abs() < 1e-12);
        // Slots with bought products: 0, 1 for customer 0; 2 for customer 1.
        assert!((s.list_repeat_share - 3.0 / 8.0).abs() < 1e-12);
        assert!((truth_repeat_share(&relevant, &train) - 1.0 / 3.0).abs() < 1e-12);
    }
}
