//! What both FM solvers share: the weights, the second-order score of one example, the
//! validation split and metric, progress reports and errors.
//!
//! The score of customer `u` and product `i` is Rendle's (2010) second-order model over
//! the joined feature row `x = [x_u, x_i]`:
//!
//! ```text
//! ŷ = w0 + Σ_f w_f x_f + ½ Σ_k [ (Σ_f v_fk x_f)² − Σ_f v_fk² x_f² ]
//! ```

use std::time::Duration;

use super::params::PredictorType;
use crate::data::CsrMatrix;
use crate::rng::Rng;

/// One set of FM weights: the global bias, one linear weight and `k` factors per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct FmWeights {
    pub w0: f32,
    pub w: Vec<f32>,
    /// Features × k, row-major.
    pub v: Vec<f32>,
    pub k: usize,
}

impl FmWeights {
    /// Zero weights for `n` features and `k` factors.
    pub fn zeros(n: usize, k: usize) -> Self {
        Self {
            w0: 0.0,
            w: vec![0.0; n],
            v: vec![0.0; n * k],
            k,
        }
    }

    /// The factors of feature `f`.
    #[inline]
    pub fn factors(&self, f: u32) -> &[f32] {
        &self.v[f as usize * self.k..(f as usize + 1) * self.k]
    }

    /// True when every weight is a finite number.
    pub fn is_finite(&self) -> bool {
        self.w0.is_finite() && self.w.iter().chain(&self.v).all(|x| x.is_finite())
    }

    /// `ŷ` for the joined rows `user` and `item`, leaving `Σ_f v_f x_f` in `sum`.
    pub fn score(&self, user: (&[u32], &[f32]), item: (&[u32], &[f32]), sum: &mut [f32]) -> f32 {
        sum.fill(0.0);
        let mut linear = self.w0;
        let mut squares = 0f32;
        for (&f, &x) in user.0.iter().zip(user.1).chain(item.0.iter().zip(item.1)) {
            linear += self.w[f as usize] * x;
            for (s, &v) in sum.iter_mut().zip(self.factors(f)) {
                let vx = v * x;
                *s += vx;
                squares += vx * vx;
            }
        }
        linear + 0.5 * (sum.iter().map(|s| s * s).sum::<f32>() - squares)
    }
}

/// What one epoch (or MCMC sample) reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FmEpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs planned.
    pub of: usize,
    /// Mean training loss: squared error (regressor), cross-entropy (classifier), BPR loss
    /// (ranking).
    pub train_loss: f64,
    /// The validation metric, when a validation split exists.
    pub validation: Option<f64>,
    /// Its name: `rmse`, `cross_entropy` or `auc`.
    pub metric: &'static str,
    pub elapsed: Duration,
    /// Time of this epoch's pass over the training pairs alone (no validation), which
    /// throughput figures divide by.
    pub pass: Duration,
}

pub use crate::models::fit::FmFitError;

/// The fitted weights: one set for SGD, every kept sample for MCMC (scores average them).
#[derive(Debug, Clone, PartialEq)]
pub struct FmFit {
    pub samples: Vec<FmWeights>,
    pub history: Vec<FmEpochReport>,
}

/// The examples of one fit: observed pairs split into training and validation.
pub struct Examples {
    /// `(user, item, value)` used for training.
    pub train: Vec<(u32, u32, f32)>,
    /// Held-out pairs for the validation metric.
    pub validation: Vec<(u32, u32, f32)>,
}

impl Examples {
    /// Splits the stored pairs of `m` by a seeded hash of each pair.
    pub fn split(m: &CsrMatrix, fraction: f32, seed: u64) -> Self {
        let mut out = Self {
            train: Vec::with_capacity(m.nnz()),
            validation: Vec::new(),
        };
        for u in 0..m.rows() {
            let (cols, vals) = m.row(u);
            for (&i, &v) in cols.iter().zip(vals) {
                let held = fraction > 0.0
                    && Rng::at(seed ^ 0x005e_ed0f_7a11, u as u64, u64::from(i)).uniform()
                        < f64::from(fraction);
                let e = (u as u32, i, v);
                if held {
                    out.validation.push(e);
                } else {
                    out.train.push(e);
                }
            }
        }
        out
    }
}

/// A product `user` has not bought (as far as `m` knows), drawn from `rng`.
pub fn negative_item(m: &CsrMatrix, user: u32, rng: &mut Rng) -> u32 {
    negative_among(m.cols(), m.row(user as usize).0, rng)
}

/// A product of `0..n` not in the sorted list `seen`, drawn from `rng` (after 16 tries
/// that all hit `seen`, the last draw).
#[inline]
pub fn negative_among(n: usize, seen: &[u32], rng: &mut Rng) -> u32 {
    let mut j = rng.below(n) as u32;
    for _ in 0..16 {
        if seen.binary_search(&j).is_err() {
            break;
        }
        j = rng.below(n) as u32;
    }
    j
}

/// Validation metric of `score` on `examples`: RMSE, cross-entropy against one fixed
/// negative per positive, or AUC against one fixed negative per positive.
pub fn validation_metric(
    predictor: PredictorType,
    examples: &[(u32, u32, f32)],
    m: &CsrMatrix,
    seed: u64,
    score: &(dyn Fn(u32, u32) -> f32 + Sync),
) -> f64 {
    use rayon::prelude::*;
    let per: Vec<f64> = examples
        .par_iter()
        .enumerate()
        .map(|(n, &(u, i, y))| {
            let neg = || negative_item(m, u, &mut Rng::at(seed ^ 0xa11d, n as u64, 0));
            match predictor {
                PredictorType::Regressor => {
                    let e = f64::from(score(u, i) - y);
                    e * e
                }
                PredictorType::BinaryClassifier => {
                    let p = f64::from(score(u, i));
                    let q = f64::from(score(u, neg()));
                    softplus(-p) + softplus(q)
                }
                PredictorType::Ranking => {
                    let d = score(u, i) - score(u, neg());
                    if d > 0.0 {
                        1.0
                    } else if d == 0.0 {
                        0.5
                    } else {
                        0.0
                    }
                }
            }
        })
        .collect();
    let n = per.len().max(1) as f64;
    let mean = per.iter().sum::<f64>() / n;
    match predictor {
        PredictorType::Regressor => mean.sqrt(),
        PredictorType::BinaryClassifier => mean / 2.0,
        PredictorType::Ranking => mean,
    }
}

/// The metric's name and whether larger is better.
pub fn metric_of(predictor: PredictorType) -> (&'static str, bool) {
    match predictor {
        PredictorType::Regressor => ("rmse", false),
        PredictorType::BinaryClassifier => ("cross_entropy", false),
        PredictorType::Ranking => ("auc", true),
    }
}

/// `ln(1 + e^x)` without overflow.
pub fn softplus(x: f64) -> f64 {
    if x > 30.0 { x } else { x.exp().ln_1p() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_order_score_by_hand() {
        // Features 0 (user) and 1, 2 (item); k = 2.
        let w = FmWeights {
            w0: 0.5,
            w: vec![1.0, -1.0, 2.0],
            v: vec![1.0, 0.0, 0.5, 1.0, 2.0, -1.0],
            k: 2,
        };
        let mut sum = [0f32; 2];
        // x = [1, 1, 0.5]: pairs <v0,v1>·1 + <v0,v2>·0.5 + <v1,v2>·0.5
        //   = 0.5 + 1.0 + (1 − 1)·0.5 = 1.5; linear = 0.5 + 1 − 1 + 1 = 1.5.
        let y = w.score((&[0], &[1.0]), (&[1, 2], &[1.0, 0.5]), &mut sum);
        approx::assert_abs_diff_eq!(y, 3.0, epsilon = 1e-6);
        assert_eq!(sum, [2.5, 0.5]);
    }

    #[test]
    fn split_is_seeded_and_complete() {
        let m = CsrMatrix::from_triplets(
            20,
            20,
            &(0..400u32)
                .map(|k| (k / 20, k % 20, 1.0))
                .collect::<Vec<_>>(),
        );
        let a = Examples::split(&m, 0.25, 1);
        let b = Examples::split(&m, 0.25, 1);
        assert_eq!(a.validation, b.validation);
        assert_eq!(a.train.len() + a.validation.len(), 400);
        assert!(
            (60..140).contains(&a.validation.len()),
            "{}",
            a.validation.len()
        );
        assert!(Examples::split(&m, 0.0, 1).validation.is_empty());
    }
}
