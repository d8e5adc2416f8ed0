//! A fitted factorization machine, folded into one vector per customer and per product so
//! that top-k for every customer is a matrix product, as for ALS.
//!
//! With the features split into the customer's `U` and the product's `I`, the score is
//!
//! ```text
//! ŷ(u, i) = [w0 + Σ_U w_f x_f + pairs within U] + [Σ_I w_f x_f + pairs within I] + <P_u, Q_i>
//! P_u = Σ_{f∈U} v_f x_f        Q_i = Σ_{f∈I} v_f x_f
//! pairs within U = ½ (|P_u|² − Σ_{f∈U} |v_f|² x_f²)   (likewise for I)
//! ```
//!
//! so `ŷ(u, i) = <[P_u, b_u, 1], [Q_i, 1, b_i]>` exactly. MCMC keeps S samples and
//! averages their scores; the average of S dot products is one dot product of the
//! concatenated vectors, with `1/S` on the customer side. This is the seed's "FM + k-NN"
//! recipe done exactly and in process.

use std::ops::ControlFlow;

use ndarray::Array2;

use super::fit::{FmEpochReport, FmFitError, FmWeights};
use super::params::{FmParams, PredictorType, ValidFmParams};
use super::space::FeatureSpace;
use super::train;
use crate::data::CsrMatrix;
use crate::models::linalg::dot;
use crate::models::{ModelKind, Recommender};

pub mod fold_in;

/// A fitted FM: hyperparameters, feature space, weights (one set, or every kept MCMC
/// sample) and the folded vectors scores come from.
#[derive(Debug, Clone, PartialEq)]
pub struct FmModel {
    pub params: FmParams,
    pub space: FeatureSpace,
    pub samples: Vec<FmWeights>,
    /// Smallest and largest training value: regressor predictions are clipped to it.
    pub value_range: (f32, f32),
    pub history: Vec<FmEpochReport>,
    folded_users: Array2<f32>,
    folded_items: Array2<f32>,
}

/// One term of an FM score, for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct FmTerm {
    /// `bias`, one feature (`item=85123A`) or a pair (`age=25..35 × class=Comedy`).
    pub label: String,
    pub value: f32,
}

impl FmModel {
    /// Fits on the observed pairs `m` (customers × products) described by `space`.
    pub fn fit(
        params: &ValidFmParams,
        space: FeatureSpace,
        m: &CsrMatrix,
        progress: &mut dyn FnMut(&FmEpochReport) -> ControlFlow<()>,
    ) -> Result<Self, FmFitError> {
        let f = train::fit(params, &space, m, progress)?;
        let (lo, hi) = m
            .data()
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        Ok(Self::from_parts(
            (**params).clone(),
            space,
            f.samples,
            (lo, hi),
            f.history,
        ))
    }

    /// A model from stored parts; folds the vectors.
    pub fn from_parts(
        params: FmParams,
        space: FeatureSpace,
        samples: Vec<FmWeights>,
        value_range: (f32, f32),
        history: Vec<FmEpochReport>,
    ) -> Self {
        let folded_users = fold(&space.user_rows, &samples, true);
        let folded_items = fold(&space.item_rows, &samples, false);
        Self {
            params,
            space,
            samples,
            value_range,
            history,
            folded_users,
            folded_items,
        }
    }

    /// Number of customers.
    pub fn n_users(&self) -> usize {
        self.folded_users.nrows()
    }

    /// The raw score `ŷ(u, i)`; `None` for a side stands for an id the model never saw,
    /// whose features then contribute nothing (only the bias and the other side count).
    pub fn raw_score(&self, user: Option<u32>, item: Option<u32>) -> f32 {
        let d = self.folded_items.ncols();
        let cold_user = self.cold_user_row();
        let cold_item = cold_item_row(d);
        let u: &[f32] = match user {
            Some(u) if (u as usize) < self.n_users() => {
                self.folded_users.row(u as usize).to_slice().unwrap_or(&[])
            }
            _ => &cold_user,
        };
        let i: &[f32] = match item {
            Some(i) if (i as usize) < self.folded_items.nrows() => {
                self.folded_items.row(i as usize).to_slice().unwrap_or(&[])
            }
            _ => &cold_item,
        };
        dot(u, i)
    }

    /// The prediction in the predictor's units: a rating clipped to the training range
    /// (regressor), a probability (binary_classifier) or a ranking score.
    pub fn predict(&self, user: Option<u32>, item: Option<u32>) -> f32 {
        let y = self.raw_score(user, item);
        match self.params.predictor_type {
            PredictorType::Regressor => y.clamp(self.value_range.0, self.value_range.1),
            PredictorType::BinaryClassifier => 1.0 / (1.0 + (-y).exp()),
            PredictorType::Ranking => y,
        }
    }

    /// Every product's interaction part `Q_i` (products × factors, MCMC samples side by
    /// side), the bias slots left out: how a product meets every customer, so products
    /// with close `Q_i` appeal to the same customers (see [`crate::recommend::similar`]).
    pub fn item_interaction_factors(&self) -> ndarray::ArrayView2<'_, f32> {
        let d = self.folded_items.ncols().saturating_sub(2);
        self.folded_items.view().split_at(ndarray::Axis(1), d).0
    }

    /// Folded customer vector for a customer with no known features: only `w0`.
    fn cold_user_row(&self) -> Vec<f32> {
        let d = self.folded_items.ncols();
        let mut row = vec![0f32; d];
        if d >= 2 {
            row[d - 2] =
                self.samples.iter().map(|s| s.w0).sum::<f32>() / self.samples.len().max(1) as f32;
            row[d - 1] = 1.0;
        }
        row
    }

    /// The terms of `ŷ(u, i)`, averaged over samples, largest magnitude first: the bias,
    /// each feature's linear weight and each pair of features.
    pub fn terms(&self, user: u32, item: u32) -> Vec<FmTerm> {
        let (uc, ux) = self.space.user_rows.row(user as usize);
        let user: Vec<(u32, f32)> = uc.iter().zip(ux).map(|(&f, &x)| (f, x)).collect();
        let mut terms = self.terms_of(&user, item);
        sort_terms(&mut terms);
        terms
    }

    /// The unsorted terms of `ŷ` for customer features `user` and product `item`.
    pub(crate) fn terms_of(&self, user: &[(u32, f32)], item: u32) -> Vec<FmTerm> {
        let (ic, ix) = self.space.item_rows.row(item as usize);
        let feats: Vec<(u32, f32)> = user
            .iter()
            .copied()
            .chain(ic.iter().zip(ix).map(|(&f, &x)| (f, x)))
            .collect();
        let s = self.samples.len().max(1) as f32;
        let mut terms = vec![FmTerm {
            label: "bias".to_owned(),
            value: self.samples.iter().map(|w| w.w0).sum::<f32>() / s,
        }];
        for &(f, x) in &feats {
            terms.push(FmTerm {
                label: self.space.names[f as usize].clone(),
                value: self
                    .samples
                    .iter()
                    .map(|w| w.w[f as usize] * x)
                    .sum::<f32>()
                    / s,
            });
        }
        for (a, &(f, xf)) in feats.iter().enumerate() {
            for &(g, xg) in &feats[a + 1..] {
                let value = self
                    .samples
                    .iter()
                    .map(|w| dot(w.factors(f), w.factors(g)) * xf * xg)
                    .sum::<f32>()
                    / s;
                terms.push(FmTerm {
                    label: format!(
                        "{} × {}",
                        self.space.names[f as usize], self.space.names[g as usize]
                    ),
                    value,
                });
            }
        }
        terms
    }
}

/// Largest contributions first, whatever their sign.
pub(crate) fn sort_terms(terms: &mut [FmTerm]) {
    terms.sort_by(|a, b| {
        b.value
            .abs()
            .total_cmp(&a.value.abs())
            .then_with(|| a.label.cmp(&b.label))
    });
}

fn cold_item_row(d: usize) -> Vec<f32> {
    let mut row = vec![0f32; d];
    if d >= 2 {
        row[d - 2] = 1.0;
    }
    row
}

/// One side's folded vectors: `[P/S…, b, 1]` (customers) or `[Q…, 1, b]` (products).
fn fold(rows: &CsrMatrix, samples: &[FmWeights], user_side: bool) -> Array2<f32> {
    let d = folded_len(samples);
    let mut out = Array2::<f32>::zeros((rows.rows(), d));
    for (r, mut row) in out.rows_mut().into_iter().enumerate() {
        if let Some(row) = row.as_slice_mut() {
            fold_row(rows.row(r), samples, user_side, row);
        }
    }
    out
}

/// Length of a folded vector: `k` factors per sample, then the two bias slots.
fn folded_len(samples: &[FmWeights]) -> usize {
    samples.first().map_or(0, |s| s.k) * samples.len() + 2
}

/// Folds one feature row (`(features, values)`) into `out` (of [`folded_len`]).
fn fold_row((cols, xs): (&[u32], &[f32]), samples: &[FmWeights], user_side: bool, out: &mut [f32]) {
    let k = samples.first().map_or(0, |s| s.k);
    let s_count = samples.len();
    let d = out.len();
    let scale = if user_side {
        1.0 / s_count.max(1) as f32
    } else {
        1.0
    };
    let mut bias = 0f32;
    let mut p = vec![0f32; k];
    for (si, w) in samples.iter().enumerate() {
        p.fill(0.0);
        let mut squares = 0f32;
        let mut linear = if user_side { w.w0 } else { 0.0 };
        for (&f, &x) in cols.iter().zip(xs) {
            linear += w.w[f as usize] * x;
            for (pt, &v) in p.iter_mut().zip(w.factors(f)) {
                *pt += v * x;
                squares += v * v * x * x;
            }
        }
        let within = 0.5 * (p.iter().map(|a| a * a).sum::<f32>() - squares);
        bias += (linear + within) / s_count as f32;
        for (t, &pt) in p.iter().enumerate() {
            out[si * k + t] = pt * scale;
        }
    }
    if user_side {
        out[d - 2] = bias;
        out[d - 1] = 1.0;
    } else {
        out[d - 2] = 1.0;
        out[d - 1] = bias;
    }
}

impl Recommender for FmModel {
    fn kind(&self) -> ModelKind {
        ModelKind::Fm
    }

    fn n_items(&self) -> usize {
        self.folded_items.nrows()
    }

    fn score_user(&self, user: u32, _history: (&[u32], &[f32]), scores: &mut [f32]) {
        let u = self.folded_users.row(user as usize);
        let u = u.to_slice().unwrap_or(&[]);
        for (s, i) in scores.iter_mut().zip(self.folded_items.rows()) {
            *s = dot(u, i.to_slice().unwrap_or(&[]));
        }
    }

    fn score_block(&self, users: &[u32], _train: &CsrMatrix, out: &mut [f32]) {
        let d = self.folded_items.ncols();
        let mut ub = Array2::<f32>::zeros((users.len(), d));
        for (mut row, &u) in ub.rows_mut().into_iter().zip(users) {
            row.assign(&self.folded_users.row(u as usize));
        }
        let mut scores = ndarray::ArrayViewMut2::from_shape((users.len(), self.n_items()), out)
            .expect("caller sizes the block");
        ndarray::linalg::general_mat_mul(1.0, &ub, &self.folded_items.t(), 0.0, &mut scores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;
    use crate::models::fm::sgd::init_weights;
    use crate::models::fm::space::FeatureBlock;

    fn space() -> FeatureSpace {
        let users = IdMap::from_names(["a", "b", "c"]);
        let items = IdMap::from_names(["x", "y"]);
        let age = FeatureBlock {
            name: "age".into(),
            values: vec!["young".into(), "old".into()],
            rows: vec![vec![(0, 1.0)], vec![(1, 1.0)], vec![]],
            exclusive: true,
        };
        let genre = FeatureBlock {
            name: "genre".into(),
            values: vec!["comedy".into(), "drama".into()],
            rows: vec![vec![(0, 0.5), (1, 0.5)], vec![(1, 1.0)]],
            exclusive: false,
        };
        FeatureSpace::new(&users, &items, &[age], &[genre])
    }

    fn random_weights(n: usize, seed: u64) -> FmWeights {
        let p = FmParams::new(3)
            .factors_init_sigma(0.7)
            .seed(seed)
            .check()
            .unwrap();
        let mut w = init_weights(&p, n, 3);
        for (f, x) in w.w.iter_mut().enumerate() {
            *x = (f as f32 * 0.37).sin();
        }
        w.w0 = 0.3;
        w
    }

    #[test]
    fn folded_scores_equal_the_full_model_for_every_pair() {
        let space = space();
        for samples in [1usize, 3] {
            let ws: Vec<FmWeights> = (0..samples)
                .map(|s| random_weights(space.len(), s as u64))
                .collect();
            let m = FmModel::from_parts(
                FmParams::new(3),
                space.clone(),
                ws.clone(),
                (1.0, 5.0),
                Vec::new(),
            );
            let mut block = vec![0f32; 3 * 2];
            m.score_block(&[0, 1, 2], &CsrMatrix::default(), &mut block);
            let mut sum = [0f32; 3];
            for u in 0..3u32 {
                let mut row = [0f32; 2];
                m.score_user(u, (&[], &[]), &mut row);
                for i in 0..2u32 {
                    let full: f32 = ws
                        .iter()
                        .map(|w| {
                            w.score(
                                space.user_rows.row(u as usize),
                                space.item_rows.row(i as usize),
                                &mut sum,
                            )
                        })
                        .sum::<f32>()
                        / samples as f32;
                    let folded = m.raw_score(Some(u), Some(i));
                    approx::assert_abs_diff_eq!(folded, full, epsilon = 1e-5);
                    approx::assert_abs_diff_eq!(row[i as usize], full, epsilon = 1e-5);
                    approx::assert_abs_diff_eq!(
                        block[u as usize * 2 + i as usize],
                        full,
                        epsilon = 1e-5
                    );
                    let terms: f32 = m.terms(u, i).iter().map(|t| t.value).sum();
                    approx::assert_abs_diff_eq!(terms, full, epsilon = 1e-4);
                }
            }
        }
    }

    #[test]
    fn unknown_ids_leave_their_side_out() {
        let space = space();
        let w = random_weights(space.len(), 9);
        let m = FmModel::from_parts(
            FmParams::new(3).predictor_type(PredictorType::Regressor),
            space,
            vec![w.clone()],
            (-100.0, 100.0),
            Vec::new(),
        );
        approx::assert_abs_diff_eq!(m.raw_score(None, None), w.w0, epsilon = 1e-6);
        // Item x alone: w0 + its linear weights + its within-item pairs.
        let mut sum = [0f32; 3];
        let alone = w.score((&[], &[]), m.space.item_rows.row(0), &mut sum);
        approx::assert_abs_diff_eq!(m.raw_score(None, Some(0)), alone, epsilon = 1e-5);
        let clipped = FmModel::from_parts(
            m.params.clone(),
            m.space.clone(),
            vec![w],
            (1.0, 1.5),
            Vec::new(),
        );
        assert!((1.0..=1.5).contains(&clipped.predict(Some(0), Some(1))));
    }
}
