//! A fitted ALS model: customer and product factors whose dot product is the score.

use std::ops::ControlFlow;

use ndarray::Array2;

use super::params::{AlsParams, ValidAlsParams};
use super::solver::{self, EpochReport, FitError};
use crate::data::CsrMatrix;
use crate::models::linalg::dot;
use crate::models::{ModelKind, Recommender};

/// Customer factors `X` (users × rank) and product factors `Y` (items × rank).
#[derive(Debug, Clone, PartialEq)]
pub struct AlsModel {
    pub params: AlsParams,
    pub user_factors: Array2<f32>,
    pub item_factors: Array2<f32>,
    /// Loss and time per sweep.
    pub history: Vec<EpochReport>,
}

impl AlsModel {
    /// Fits on `user_items` (customers × products) and its transpose.
    pub fn fit(
        params: &ValidAlsParams,
        user_items: &CsrMatrix,
        item_users: &CsrMatrix,
        progress: &mut dyn FnMut(&EpochReport) -> ControlFlow<()>,
    ) -> Result<Self, FitError> {
        let f = solver::fit(params, user_items, item_users, progress)?;
        Ok(Self {
            params: (**params).clone(),
            user_factors: f.users,
            item_factors: f.items,
            history: f.history,
        })
    }

    /// The predicted preference (implicit) or rating (explicit) of `user` for `item`.
    pub fn predict(&self, user: u32, item: u32) -> f32 {
        dot(
            self.user_factors
                .row(user as usize)
                .as_slice()
                .unwrap_or(&[]),
            self.item_factors
                .row(item as usize)
                .as_slice()
                .unwrap_or(&[]),
        )
    }

    /// The rank of the factors.
    pub fn rank(&self) -> usize {
        self.item_factors.ncols()
    }
}

impl Recommender for AlsModel {
    fn kind(&self) -> ModelKind {
        if self.params.implicit_prefs {
            ModelKind::Als
        } else {
            ModelKind::AlsExplicit
        }
    }

    fn n_items(&self) -> usize {
        self.item_factors.nrows()
    }

    fn score_block(&self, users: &[u32], _train: &CsrMatrix, out: &mut [f32]) {
        // One matrix product per block: X_block · Yᵀ, on matrixmultiply's SIMD kernels.
        let k = self.rank();
        let mut xb = Array2::<f32>::zeros((users.len(), k));
        for (mut row, &u) in xb.rows_mut().into_iter().zip(users) {
            row.assign(&self.user_factors.row(u as usize));
        }
        let mut scores = ndarray::ArrayViewMut2::from_shape((users.len(), self.n_items()), out)
            .expect("caller sizes the block");
        ndarray::linalg::general_mat_mul(1.0, &xb, &self.item_factors.t(), 0.0, &mut scores);
    }

    fn score_user(&self, user: u32, _history: (&[u32], &[f32]), scores: &mut [f32]) {
        let k = self.rank();
        let x = &self.user_factors.as_slice().expect("standard layout")
            [user as usize * k..(user as usize + 1) * k];
        for (s, y) in scores.iter_mut().zip(
            self.item_factors
                .as_slice()
                .expect("standard layout")
                .chunks_exact(k),
        ) {
            *s = dot(x, y);
        }
    }
}
