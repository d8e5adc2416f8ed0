//! One customer's least-squares problem against fixed product factors.
//!
//! Two features rest on it. **Fold-in** gives a customer the model has never seen factors
//! from a few purchases without retraining (implicit's `recalculate_user`), which is how a
//! new customer gets personal lists. **Explanations** decompose a score into one term per
//! purchase (implicit's `explain`, Hu, Koren & Volinsky 2008 §5): with `W` the customer's
//! regularised normal matrix and `wⱼ` the weight of purchase `j` in the right-hand side,
//!
//! ```text
//! xᵤ = W⁻¹ Σⱼ wⱼ yⱼ   ⇒   score(i) = yᵢᵀ xᵤ = Σⱼ wⱼ · yᵢᵀ W⁻¹ yⱼ
//! ```
//!
//! so purchase `j` contributes `wⱼ · yᵢᵀ W⁻¹ yⱼ`, and the contributions add up to the
//! score of the re-solved factors exactly. The system is the one the solver's exact path
//! forms, under the same confidence and regularisation conventions.

use super::model::AlsModel;
use super::row_solve::{confidence, row_lambda};
use crate::models::linalg::{cholesky_solve, nnls};

/// A customer's normal equations `W x = Σ wⱼ yⱼ`.
#[derive(Debug, Clone)]
pub struct UserSystem {
    k: usize,
    /// `W`, row-major k × k.
    w: Vec<f64>,
    /// Per purchase: product index and weight `wⱼ` (`cⱼ·pⱼ` implicit, the rating explicit).
    weights: Vec<(u32, f64)>,
    nonnegative: bool,
}

impl AlsModel {
    /// `YᵀY`, needed by every implicit system; compute it once per model and reuse it.
    pub fn item_gram(&self) -> Vec<f32> {
        super::gram::gram(&self.item_factors)
    }

    /// The normal equations of a customer whose purchases are `history` (product indices,
    /// sorted or not, and stored values); `yty` is [`AlsModel::item_gram`]. Products out of
    /// range are ignored.
    pub fn user_system(&self, yty: &[f32], history: (&[u32], &[f32])) -> UserSystem {
        let k = self.rank();
        let p = &self.params;
        let (cols, vals) = history;
        let valid: Vec<(u32, f32)> = cols
            .iter()
            .zip(vals)
            .filter(|&(&i, v)| (i as usize) < self.n_items_stored() && v.is_finite())
            .map(|(&i, &v)| (i, v))
            .collect();
        let mut w = vec![0f64; k * k];
        let mut weights = Vec::with_capacity(valid.len());
        if p.implicit_prefs {
            for (a, &g) in w.iter_mut().zip(yty) {
                *a = f64::from(g);
            }
            for &(i, v) in &valid {
                let (c, pref) = confidence(p, v);
                add_outer(&mut w, self.factor(i), f64::from(c - 1.0));
                weights.push((i, f64::from(c * pref)));
            }
            let lambda = f64::from(row_lambda(p, valid.len()));
            for d in 0..k {
                w[d * k + d] += lambda;
            }
        } else {
            for &(i, v) in &valid {
                add_outer(&mut w, self.factor(i), 1.0);
                weights.push((i, f64::from(v)));
            }
            let lambda = f64::from(p.reg_param) * valid.len() as f64;
            for d in 0..k {
                w[d * k + d] += lambda.max(1e-9);
            }
        }
        UserSystem {
            k,
            w,
            weights,
            nonnegative: p.nonnegative && !p.implicit_prefs,
        }
    }

    /// Factors for a customer from `history` alone; `None` when the history is empty or
    /// the system is singular.
    pub fn fold_in(&self, yty: &[f32], history: (&[u32], &[f32])) -> Option<Vec<f32>> {
        self.user_system(yty, history).factors(self)
    }

    fn factor(&self, i: u32) -> &[f32] {
        let k = self.rank();
        let all = self.item_factors.as_slice().unwrap_or(&[]);
        all.get(i as usize * k..(i as usize + 1) * k).unwrap_or(&[])
    }

    fn n_items_stored(&self) -> usize {
        self.item_factors.nrows()
    }
}

impl UserSystem {
    /// Number of purchases in the system.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// True when the customer has no usable purchase.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    fn solve(&self, rhs: &[f64]) -> Option<Vec<f64>> {
        let mut a = self.w.clone();
        let mut b = rhs.to_vec();
        cholesky_solve(&mut a, &mut b).then_some(b)
    }

    /// `xᵤ`, the customer's factors.
    pub fn factors(&self, model: &AlsModel) -> Option<Vec<f32>> {
        if self.is_empty() {
            return None;
        }
        let mut b = vec![0f64; self.k];
        for &(i, wj) in &self.weights {
            for (bv, &y) in b.iter_mut().zip(model.factor(i)) {
                *bv += wj * f64::from(y);
            }
        }
        let x = if self.nonnegative {
            let mut x = vec![0f64; self.k];
            nnls(&self.w, &b, &mut x, 100);
            x
        } else {
            self.solve(&b)?
        };
        Some(x.into_iter().map(|v| v as f32).collect())
    }

    /// Each purchase's share of `item`'s score, largest first, and their sum (the score of
    /// the re-solved factors). Under `nonnegative` the decomposition is of the
    /// unconstrained solve, an approximation of the clipped one.
    pub fn contributions(&self, model: &AlsModel, item: u32) -> Option<(Vec<(u32, f32)>, f32)> {
        if self.is_empty() {
            return None;
        }
        let yi: Vec<f64> = model.factor(item).iter().map(|&v| f64::from(v)).collect();
        if yi.len() != self.k {
            return None;
        }
        let z = self.solve(&yi)?;
        let mut parts: Vec<(u32, f32)> = self
            .weights
            .iter()
            .map(|&(j, wj)| {
                let d: f64 = model
                    .factor(j)
                    .iter()
                    .zip(&z)
                    .map(|(&y, &zv)| f64::from(y) * zv)
                    .sum();
                (j, (wj * d) as f32)
            })
            .collect();
        let total = parts.iter().map(|&(_, c)| f64::from(c)).sum::<f64>() as f32;
        parts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Some((parts, total))
    }
}

fn add_outer(a: &mut [f64], v: &[f32], weight: f64) {
    let k = v.len();
    for (i, &vi) in v.iter().enumerate() {
        let wi = weight * f64::from(vi);
        for (aij, &vj) in a[i * k..(i + 1) * k].iter_mut().zip(v) {
            *aij += wi * f64::from(vj);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CsrMatrix;
    use crate::models::als::{AlsParams, SolverKind};
    use crate::models::linalg::dot;

    fn fitted(implicit: bool) -> (AlsModel, CsrMatrix) {
        let mut triplets = Vec::new();
        for u in 0..40u32 {
            for i in 0..30u32 {
                if (u * 7 + i * 3) % 5 == 0 || (u + i) % 11 == 0 {
                    triplets.push((u, i, 1.0 + ((u + i) % 4) as f32));
                }
            }
        }
        let ui = CsrMatrix::from_triplets(40, 30, &triplets);
        let params = AlsParams::new(6)
            .implicit_prefs(implicit)
            .solver(SolverKind::Cholesky)
            .max_iter(40)
            .check()
            .unwrap();
        let model = AlsModel::fit(&params, &ui, &ui.transpose(), &mut |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        (model, ui)
    }

    #[test]
    fn fold_in_reproduces_the_trained_factors() {
        // Each sweep solves customers against the previous product factors; once ALS has
        // converged, folding a known customer back in gives their stored factors.
        for implicit in [true, false] {
            let (model, ui) = fitted(implicit);
            let yty = model.item_gram();
            for u in [0usize, 5, 17] {
                let x = model.fold_in(&yty, ui.row(u)).unwrap();
                let stored = model.user_factors.row(u);
                for (a, b) in x.iter().zip(stored) {
                    assert!(
                        (a - b).abs() < 1e-3,
                        "implicit={implicit} user {u}: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn contributions_sum_to_the_score() {
        for implicit in [true, false] {
            let (model, ui) = fitted(implicit);
            let yty = model.item_gram();
            let system = model.user_system(&yty, ui.row(3));
            let x = system.factors(&model).unwrap();
            for item in [0u32, 9, 29] {
                let (parts, total) = system.contributions(&model, item).unwrap();
                assert_eq!(parts.len(), ui.row(3).0.len());
                let score = dot(
                    &x,
                    model.item_factors.row(item as usize).as_slice().unwrap(),
                );
                assert!((total - score).abs() < 1e-4, "{total} vs {score}");
                assert!(parts.windows(2).all(|w| w[0].1 >= w[1].1), "largest first");
            }
        }
    }

    #[test]
    fn empty_and_out_of_range_histories() {
        let (model, _) = fitted(true);
        let yty = model.item_gram();
        assert!(model.fold_in(&yty, (&[], &[])).is_none());
        assert!(model.fold_in(&yty, (&[999], &[1.0])).is_none());
        assert!(model.fold_in(&yty, (&[2], &[1.0])).is_some());
    }
}
