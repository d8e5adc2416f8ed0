//! Fold-in for factorization machines: a list for a customer the model never saw.
//!
//! An FM knows a customer through their features: the id, and side features such as the
//! country or recency / frequency bands. A new customer has no trained id, but some of
//! their side features are known the moment they buy (their segment; recency "today" and
//! one visit), so their folded vector `[P_u, b_u, 1]` can be built from those features
//! exactly as `fold` (in [`super`]) builds a known customer's, the id left out. Leaving a
//! feature out is what an FM does with any unknown value (`x_f = 0`), and for the id it is
//! also its prior mean: every id factor starts at zero and is shrunk towards it.
//!
//! With purchases, the id factor `x` itself can be estimated, holding every trained weight
//! fixed, as ALS's fold-in estimates a row of factors. For the objectives purchase logs
//! are trained with, the estimate maximises the training objective of this one customer
//! with a Gaussian prior on `x`:
//!
//! ```text
//! ranking (BPR):      L(x) = ν Σ_{i∈H} mean_{j∉H} ln σ(ŷ_i − ŷ_j)              − |x|² / 2σ²
//! binary_classifier:  L(x) = Σ_{i∈H} ln σ(ŷ_i) + ν |H| mean_{j∉H} ln σ(−ŷ_j)  − |x|² / 2σ²
//! ŷ_j = b_u + <P_u + x, Q_j> + b_j,   b_u including the pairs <x, P_u>
//! ```
//!
//! The mean over all not-bought products is the expectation of training's uniform
//! negative sampling. `σ²` is the spread of the trained customers' id factors (an
//! empirical-Bayes prior, the same for any solver and weight decay), and since those
//! factors were shaped by one pass over each customer's purchases per epoch with
//! `num_negatives` negatives each, `ν = num_negatives × (epochs run)` weighs the
//! likelihood alike: the epochs of the model's training history (fewer than `epochs`
//! when early stopping ended it), or the `epochs` setting when the model has no history.
//! Without it the new customer's factor comes out a fraction of a trained one's size and
//! the segment's factor drowns it. `L` is concave; it is maximised by Böhning's bound
//! (1988): `σ(1−σ) ≤ ¼` gives a fixed matrix `B` below the Hessian, so
//! `x ← x + B⁻¹ ∇L(x)` rises at every step with one Cholesky factorisation per customer.
//! The regressor learns ratings the new customer has not given, and MCMC keeps many
//! samples: both fold their known features only.

use super::{FmModel, FmTerm, fold_row};
use crate::models::fm::params::PredictorType;
use crate::models::linalg::{cholesky_resolve, cholesky_solve, dot};

/// Steps of the bound-optimisation; it usually settles in fewer.
const MAX_STEPS: usize = 25;

/// Names of the derived customer groups of [`crate::data::features::rfm_blocks`].
const RECENCY: &str = "recency_days";
const FREQUENCY: &str = "frequency";

pub use crate::models::model::NewCustomerFacts;

/// What the id solve needs of a model, computed once per model: `Σ_j Q_j`, `Σ_j Q_j Q_jᵀ`
/// over every product, and the prior precision `1/σ²` of an id factor.
#[derive(Debug, Clone, PartialEq)]
pub struct FmFoldInPrior {
    k: usize,
    q_sum: Vec<f64>,
    q_outer: Vec<f64>,
    precision: f64,
}

/// What is folded of a new customer before the id factor joins the vector.
struct FoldedParts {
    /// Their known customer features, `(feature, value)`.
    features: Vec<(u32, f32)>,
    /// Those features folded into `[P_u, b_u, 1]`.
    row: Vec<f32>,
    /// The id factor solved from their purchases.
    id: Option<Vec<f32>>,
}

impl FmModel {
    /// The constants [`FmModel::fold_in`] needs to solve a new customer's id factor;
    /// `None` when it will not solve one: the model holds other than exactly one set of
    /// weights (MCMC keeps many), it is a regressor, it has no factors, it has no customer
    /// id group (`user`), or its folded product rows are not contiguous. A model without
    /// products still gets a prior (zero sums).
    pub fn fold_in_prior(&self) -> Option<FmFoldInPrior> {
        let [w] = self.samples.as_slice() else {
            return None;
        };
        let k = w.k;
        if self.params.predictor_type == PredictorType::Regressor || k == 0 {
            return None;
        }
        let ids = self
            .space
            .groups
            .iter()
            .find(|g| g.user_side && g.name == "user")?;
        let n_ids = (ids.end - ids.start) as usize;
        let squares: f64 = (ids.start..ids.end)
            .flat_map(|f| w.factors(f))
            .map(|&v| f64::from(v) * f64::from(v))
            .sum();
        let variance = squares / (n_ids * k).max(1) as f64;
        let mut q_sum = vec![0f64; k];
        let mut q_outer = vec![0f64; k * k];
        for row in self.folded_items.rows() {
            let q = row.as_slice()?;
            add_outer(&mut q_sum, &mut q_outer, &q[..k], 1.0);
        }
        Some(FmFoldInPrior {
            k,
            q_sum,
            q_outer,
            precision: 1.0 / variance.max(1e-12),
        })
    }

    /// The customer-side features known of a new customer, as `(feature, value)`:
    /// their segment's value when a customer group is named after the segment column,
    /// and, once they have bought, the lowest recency band (they bought today) and the
    /// frequency band of one visit. Monetary bands and other side columns are unknown.
    pub fn new_customer_features(&self, facts: NewCustomerFacts<'_>) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        for g in self.space.groups.iter().filter(|g| g.user_side) {
            let features = g.start..g.end;
            let bought = !facts.history.is_empty();
            let found = match g.name.as_str() {
                "user" => None,
                RECENCY if bought => band_of(&self.space.names, features, 0.0),
                FREQUENCY if bought => band_of(&self.space.names, features, 1.0),
                name => facts.segment.and_then(|(column, value)| {
                    let column = column.split(':').next().unwrap_or(column);
                    name.eq_ignore_ascii_case(column.trim())
                        .then(|| value_of(&self.space.names, features, name, value))
                        .flatten()
                }),
            };
            out.extend(found.map(|f| (f, 1.0)));
        }
        out
    }

    /// A new customer's folded vector `[P_u, b_u, 1]`, scored like a known customer's
    /// with [`FmModel::score_folded`]: their known features, plus an id factor solved from
    /// their purchases when `prior` is given (see the module docs). `None` when nothing
    /// is known of them.
    pub fn fold_in(
        &self,
        facts: NewCustomerFacts<'_>,
        prior: Option<&FmFoldInPrior>,
    ) -> Option<Vec<f32>> {
        let FoldedParts {
            features: cols,
            mut row,
            id,
        } = self.fold_in_parts(facts, prior);
        match id {
            Some(x) => {
                let d = row.len();
                // The id joins the customer's features: its pairs with them go to the bias.
                row[d - 2] += dot(&x, &row[..x.len()]);
                for (p, xi) in row.iter_mut().zip(&x) {
                    *p += xi;
                }
            }
            None if cols.is_empty() => return None,
            None => {}
        }
        Some(row)
    }

    /// A new customer's known features, their folded vector and the solved id factor.
    fn fold_in_parts(
        &self,
        facts: NewCustomerFacts<'_>,
        prior: Option<&FmFoldInPrior>,
    ) -> FoldedParts {
        let features = self.new_customer_features(facts);
        let (cols, xs): (Vec<u32>, Vec<f32>) = features.iter().copied().unzip();
        let mut row = vec![0f32; self.folded_items.ncols()];
        fold_row((&cols[..], &xs[..]), &self.samples, true, &mut row);
        let id = prior
            .filter(|p| !facts.history.is_empty() && p.k == self.k())
            .and_then(|p| self.solve_id(&row, facts.history, p));
        FoldedParts { features, row, id }
    }

    /// The terms of a new customer's score for `item`, largest first, summing to what
    /// [`FmModel::fold_in`] and [`FmModel::score_folded`] give: the terms of their known
    /// features (as [`FmModel::terms`]), and for the id factor solved from their purchases
    /// its product with the item's vector and with their known features.
    pub fn new_customer_terms(
        &self,
        facts: NewCustomerFacts<'_>,
        prior: Option<&FmFoldInPrior>,
        item: u32,
    ) -> Option<Vec<FmTerm>> {
        let FoldedParts { features, row, id } = self.fold_in_parts(facts, prior);
        if features.is_empty() && id.is_none() {
            return None;
        }
        let mut terms = self.terms_of(&features, item);
        if let Some(x) = id {
            let k = x.len();
            let q = self.folded_items.row(item as usize);
            let q = q.as_slice()?;
            terms.push(FmTerm {
                label: "purchases (folded in) × product".to_owned(),
                value: dot(&x, &q[..k]),
            });
            if !features.is_empty() {
                terms.push(FmTerm {
                    label: "purchases (folded in) × customer features".to_owned(),
                    value: dot(&x, &row[..k]),
                });
            }
        }
        super::sort_terms(&mut terms);
        Some(terms)
    }

    /// Scores of every product for a folded customer vector (as [`FmModel::fold_in`]
    /// makes); `scores` has one slot per product.
    pub fn score_folded(&self, user_row: &[f32], scores: &mut [f32]) {
        for (s, q) in scores.iter_mut().zip(self.folded_items.rows()) {
            *s = dot(user_row, q.as_slice().unwrap_or(&[]));
        }
    }

    /// Factors per sample (0 without samples).
    fn k(&self) -> usize {
        self.samples.first().map_or(0, |s| s.k)
    }

    /// The id factor maximising the customer's objective (module docs), from their
    /// features' folded vector `row` and purchases `history`.
    fn solve_id(&self, row: &[f32], history: &[u32], prior: &FmFoldInPrior) -> Option<Vec<f32>> {
        let k = prior.k;
        let n = self.folded_items.nrows();
        let d = row.len();
        // Training went over every positive once per epoch with ν negatives each; the
        // prior was measured on factors shaped by all those passes, so the likelihood
        // here counts them too.
        let epochs = if self.history.is_empty() {
            self.params.epochs
        } else {
            self.history.len()
        };
        let nu = (self.params.num_negatives * epochs) as f64;
        let items = self.folded_items.as_slice()?;
        let q = |j: usize| &items[j * d..j * d + k];
        let mut bought = vec![false; n];
        for &h in history {
            if let Some(b) = bought.get_mut(h as usize) {
                *b = true;
            }
        }
        let n_bought = bought.iter().filter(|&&b| b).count();
        let n_neg = n - n_bought;
        if n_bought == 0 || n_neg == 0 {
            return None;
        }
        // What scores hold apart from x: <P_u, Q_j> + b_j (+ b_u for the classifier).
        let base: Vec<f64> = (0..n)
            .map(|j| f64::from(dot(row, &items[j * d..(j + 1) * d])))
            .collect();
        let classifier = self.params.predictor_type == PredictorType::BinaryClassifier;
        // The direction each score moves with x: Q_j, or Q_j + P_u for the classifier,
        // whose b_u carries <x, P_u>. BPR's differences cancel P_u.
        let shift: Vec<f64> = if classifier {
            row[..k].iter().map(|&p| f64::from(p)).collect()
        } else {
            vec![0.0; k]
        };
        let dir = |j: usize, out: &mut [f64]| {
            for ((o, &v), &s) in out.iter_mut().zip(q(j)).zip(&shift) {
                *o = f64::from(v) + s;
            }
        };
        // Sums of the directions and their outer products, over bought and not-bought.
        let (mut h_sum, mut h_outer) = (vec![0f64; k], vec![0f64; k * k]);
        let mut tmp = vec![0f64; k];
        for j in (0..n).filter(|&j| bought[j]) {
            dir(j, &mut tmp);
            add_outer_f64(&mut h_sum, &mut h_outer, &tmp, 1.0);
        }
        let (all_sum, all_outer) = shifted_sums(prior, &shift, n);
        let neg_sum: Vec<f64> = all_sum.iter().zip(&h_sum).map(|(a, h)| a - h).collect();
        let neg_outer: Vec<f64> = all_outer.iter().zip(&h_outer).map(|(a, h)| a - h).collect();
        let nb = n_bought as f64;
        let c = nu / n_neg as f64;
        // Böhning's bound: ¼ Σ (curvature-free) second moments, plus the prior.
        let mut bound = vec![0f64; k * k];
        for a in 0..k {
            for b in 0..k {
                let v = if classifier {
                    h_outer[a * k + b] + c * nb * neg_outer[a * k + b]
                } else {
                    c * (n_neg as f64 * h_outer[a * k + b]
                        - h_sum[a] * neg_sum[b]
                        - neg_sum[a] * h_sum[b]
                        + nb * neg_outer[a * k + b])
                };
                bound[a * k + b] = 0.25 * v;
            }
            bound[a * k + a] += prior.precision;
        }
        let mut x = vec![0f64; k];
        let mut step = vec![0f64; k];
        if !cholesky_solve(&mut bound, &mut step) {
            return None;
        }
        let mut s = vec![0f64; n];
        let mut weight = vec![0f64; n];
        for _ in 0..MAX_STEPS {
            for (j, (sj, &bj)) in s.iter_mut().zip(&base).enumerate() {
                dir(j, &mut tmp);
                *sj = bj + tmp.iter().zip(&x).map(|(a, b)| a * b).sum::<f64>();
            }
            // ∇L = Σ_j weight_j · dir_j − x/σ².
            weight.fill(0.0);
            if classifier {
                for j in 0..n {
                    weight[j] = if bought[j] {
                        sigmoid(-s[j])
                    } else {
                        -c * nb * sigmoid(s[j])
                    };
                }
            } else {
                for i in (0..n).filter(|&i| bought[i]) {
                    let mut total = 0.0;
                    for j in (0..n).filter(|&j| !bought[j]) {
                        let g = c * sigmoid(s[j] - s[i]);
                        total += g;
                        weight[j] -= g;
                    }
                    weight[i] += total;
                }
            }
            for (g, &xi) in step.iter_mut().zip(&x) {
                *g = -prior.precision * xi;
            }
            for (j, &wj) in weight.iter().enumerate() {
                if wj != 0.0 {
                    dir(j, &mut tmp);
                    for (g, &t) in step.iter_mut().zip(&tmp) {
                        *g += wj * t;
                    }
                }
            }
            cholesky_resolve(&bound, &mut step);
            let moved = step.iter().map(|v| v * v).sum::<f64>().sqrt();
            for (xi, &d) in x.iter_mut().zip(&step) {
                *xi += d;
            }
            let size = x.iter().map(|v| v * v).sum::<f64>().sqrt();
            if !moved.is_finite() {
                return None;
            }
            if moved <= 1e-4 * (1.0 + size) {
                break;
            }
        }
        Some(x.iter().map(|&v| v as f32).collect())
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `Σ (Q_j + s)` and `Σ (Q_j + s)(Q_j + s)ᵀ` over all `n` products from the unshifted sums.
fn shifted_sums(prior: &FmFoldInPrior, s: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let k = prior.k;
    let n = n as f64;
    let sum: Vec<f64> = prior.q_sum.iter().zip(s).map(|(q, s)| q + n * s).collect();
    let mut outer = prior.q_outer.clone();
    for a in 0..k {
        for b in 0..k {
            outer[a * k + b] += s[a] * prior.q_sum[b] + prior.q_sum[a] * s[b] + n * s[a] * s[b];
        }
    }
    (sum, outer)
}

fn add_outer(sum: &mut [f64], outer: &mut [f64], v: &[f32], weight: f64) {
    let v: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
    add_outer_f64(sum, outer, &v, weight);
}

fn add_outer_f64(sum: &mut [f64], outer: &mut [f64], v: &[f64], weight: f64) {
    let k = v.len();
    for (a, &va) in v.iter().enumerate() {
        sum[a] += weight * va;
        for (b, &vb) in v.iter().enumerate() {
            outer[a * k + b] += weight * va * vb;
        }
    }
}

/// The feature of `group=value` among `features` (exact, else ignoring case).
fn value_of(
    names: &[String],
    features: std::ops::Range<u32>,
    group: &str,
    value: &str,
) -> Option<u32> {
    let wanted = format!("{group}={}", value.trim());
    let slice = names.get(features.start as usize..features.end as usize)?;
    slice
        .iter()
        .position(|n| *n == wanted)
        .or_else(|| slice.iter().position(|n| n.eq_ignore_ascii_case(&wanted)))
        .map(|p| features.start + p as u32)
}

/// The band of a numeric group (features named `group=lo..hi`, as
/// [`crate::data::features::banded`] names them) that holds `v`, else the nearest one.
fn band_of(names: &[String], features: std::ops::Range<u32>, v: f64) -> Option<u32> {
    let mut best: Option<(f64, u32)> = None;
    for f in features {
        let name = names.get(f as usize)?;
        let range = name.split_once('=').map_or(name.as_str(), |(_, r)| r);
        let Some((lo, hi)) = range.split_once("..") else {
            continue;
        };
        let (Ok(lo), Ok(hi)) = (lo.parse::<f64>(), hi.parse::<f64>()) else {
            continue;
        };
        let distance = if v < lo {
            lo - v
        } else if v > hi {
            v - hi
        } else {
            0.0
        };
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, f));
        }
    }
    best.map(|(_, f)| f)
}

/// A ranking FM fitted on planted purchases, for tests here and in the rules engine:
/// customers `c0..c11` buy products `p0..p11` ("block A"), the others `p12..p23`, and
/// with `country` each block has its own country (France, Spain).
#[cfg(test)]
#[path = "fold_in_tests.rs"]
mod tests;

#[cfg(test)]
pub(crate) use tests::planted_ranking_fm;
