//! The re-buy channel: a customer's own products, blended into any model's list.
//!
//! Retail baskets are mostly re-buys, and no model of "what else" ranks a customer's own
//! staples as well as the customer's history does. When lists may show bought products
//! (`exclude_seen = false`), `rebuy = w` ranks by
//!
//! ```text
//! (1 − w) · m(i) + w · r(i)
//! ```
//!
//! where `m` is the model's score min–max scaled to `[0, 1]` over the catalogue for this
//! customer (so the blend means the same for every model, whatever its score scale) and
//! `r` is the customer's own value for the product over their largest (0 for products they
//! never bought). The value is the training matrix's: a purchase count, recency-weighted
//! when the workspace sets `recency_half_life_days`. `w = 0` is the model alone; `w = 1`
//! puts the customer's products first and lets the model order the rest; unset, it is
//! [`super::rules::DEFAULT_REBUY`]. `latent tune` chooses `w` (and the half-life) on its
//! validation split when `exclude_seen` is off.

use super::Overrides;
use crate::data::CsrMatrix;
use crate::models::{ModelKind, Recommender};

/// Blends `history`'s own products into `scores` with weight `weight` (see the module).
/// NaN scores (products the model cannot score) stay NaN unless the customer bought them.
pub fn blend(scores: &mut [f32], history: (&[u32], &[f32]), weight: f32) {
    if weight.is_nan() || weight <= 0.0 {
        return;
    }
    let weight = weight.min(1.0);
    let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
    for &s in scores.iter().filter(|s| s.is_finite()) {
        lo = lo.min(s);
        hi = hi.max(s);
    }
    // At w = 1 the model still orders what the customer never bought.
    let model_share = (1.0 - weight).max(1e-6);
    let span = hi - lo;
    for s in scores.iter_mut() {
        if s.is_finite() {
            *s = if span > 0.0 { (*s - lo) / span } else { 0.0 } * model_share;
        }
    }
    let top = history
        .1
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f32, f32::max);
    if top <= 0.0 {
        return;
    }
    for (&i, &v) in history.0.iter().zip(history.1) {
        let Some(s) = scores.get_mut(i as usize) else {
            continue;
        };
        let own = if v.is_finite() {
            (v / top).max(0.0)
        } else {
            0.0
        };
        *s = if s.is_finite() { *s } else { 0.0 } + weight * own;
    }
}

/// The weight `rules` ask for, checked: an out-of-range weight falls back to the default
/// and one that cannot act (bought products left out) to 0, each with a warning.
pub fn resolve(rules: &Overrides, warnings: &mut Vec<String>) -> f32 {
    match rules.rebuy {
        Some(w) if !(w.is_finite() && (0.0..=1.0).contains(&w)) => {
            warnings.push(format!(
                "rebuy = {w} ignored: it must be a weight from 0 to 1 (the default is used)"
            ));
            Overrides {
                rebuy: None,
                ..rules.clone()
            }
            .rebuy_weight()
        }
        Some(w) if w > 0.0 && rules.exclude_seen => {
            warnings.push(format!(
                "rebuy = {w} has no effect while exclude_seen is on: set exclude_seen = false to let bought products back in"
            ));
            0.0
        }
        _ => rules.rebuy_weight(),
    }
}

/// A model whose scores carry the re-buy channel: what evaluation and the tuner score
/// when the rules blend, so they measure the lists customers would get.
pub struct WithRebuy<'a> {
    inner: &'a dyn Recommender,
    weight: f32,
}

impl<'a> WithRebuy<'a> {
    pub fn new(inner: &'a dyn Recommender, weight: f32) -> Self {
        Self { inner, weight }
    }
}

impl Recommender for WithRebuy<'_> {
    fn kind(&self) -> ModelKind {
        self.inner.kind()
    }

    fn n_items(&self) -> usize {
        self.inner.n_items()
    }

    fn score_user(&self, user: u32, history: (&[u32], &[f32]), scores: &mut [f32]) {
        self.inner.score_user(user, history, scores);
        blend(scores, history, self.weight);
    }

    fn score_block(&self, users: &[u32], train: &CsrMatrix, out: &mut [f32]) {
        self.inner.score_block(users, train, out);
        let n = self.n_items().max(1);
        for (&u, row) in users.iter().zip(out.chunks_exact_mut(n)) {
            blend(row, train.row(u as usize), self.weight);
        }
    }
}

/// How lists treat what a customer already bought: left out, or blended back in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeenPolicy {
    pub exclude_seen: bool,
    /// The re-buy weight; it only acts when bought products may be shown.
    pub rebuy: f32,
}

impl SeenPolicy {
    /// Bought products left out: the default, and what "new pairs only" measures.
    pub const EXCLUDE: SeenPolicy = SeenPolicy {
        exclude_seen: true,
        rebuy: 0.0,
    };

    /// True when lists blend the re-buy channel in.
    pub fn blends(&self) -> bool {
        !self.exclude_seen && self.rebuy > 0.0
    }

    /// `model`, with the re-buy channel when this policy blends (a weight of 0 leaves
    /// the scores as they are).
    pub fn apply<'a>(&self, model: &'a dyn Recommender) -> WithRebuy<'a> {
        WithRebuy::new(model, if self.blends() { self.rebuy } else { 0.0 })
    }
}

impl From<&Overrides> for SeenPolicy {
    fn from(rules: &Overrides) -> Self {
        Self {
            exclude_seen: rules.exclude_seen,
            rebuy: rules.rebuy_weight(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_weight_leaves_the_model_alone() {
        let mut s = [3.0, -1.0, 2.0];
        blend(&mut s, (&[1], &[5.0]), 0.0);
        assert_eq!(s, [3.0, -1.0, 2.0]);
    }

    #[test]
    fn the_weight_moves_own_products_up_in_order_of_their_value() {
        // The model prefers 0 > 2 > 3 > 1; the customer bought 1 (4 times) and 3 (once).
        let scores = [4.0f32, 0.0, 3.0, 1.0, f32::NAN];
        let history: (&[u32], &[f32]) = (&[1, 3], &[4.0, 1.0]);
        let order = |w: f32| {
            let mut s = scores;
            blend(&mut s, history, w);
            let mut idx: Vec<usize> = (0..4).collect();
            idx.sort_by(|&a, &b| s[b].total_cmp(&s[a]));
            (idx, s)
        };
        assert_eq!(
            order(0.4).0,
            [0, 2, 1, 3],
            "a light blend lifts the staple only"
        );
        let (full, s) = order(1.0);
        assert_eq!(
            full,
            [1, 3, 0, 2],
            "w = 1: own products first, the model orders the rest"
        );
        assert!(
            s[4].is_nan(),
            "an unscored product the customer never bought stays out"
        );
        let (half, s) = order(0.5);
        assert!(
            (s[1] - 0.5).abs() < 1e-6 && (s[0] - 0.5).abs() < 1e-6,
            "{s:?}"
        );
        assert_eq!(half[2..], [2, 3]);
    }

    #[test]
    fn the_wrapper_scores_as_the_blend_and_the_policy_only_blends_when_seen_is_shown() {
        use crate::models::popularity::PopularityModel;
        let train = CsrMatrix::from_triplets(2, 3, &[(0, 0, 1.0), (1, 0, 1.0), (0, 2, 3.0)]);
        let pop = PopularityModel::fit(&train);
        let mut direct = vec![0.0; 3];
        pop.score_user(0, train.row(0), &mut direct);
        blend(&mut direct, train.row(0), 0.7);
        let wrapped = WithRebuy::new(&pop, 0.7);
        let mut block = vec![0.0; 6];
        wrapped.score_block(&[0, 1], &train, &mut block);
        assert_eq!(block[..3], direct[..]);
        let policy = SeenPolicy {
            exclude_seen: true,
            rebuy: 0.7,
        };
        assert!(!policy.blends());
        let mut plain = vec![0.0; 3];
        policy.apply(&pop).score_user(0, train.row(0), &mut plain);
        let mut raw = vec![0.0; 3];
        pop.score_user(0, train.row(0), &mut raw);
        assert_eq!(plain, raw);
    }
}
