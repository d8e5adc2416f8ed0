//! The popularity baseline: every customer gets the products most customers bought.
//!
//! It is the bar every model must clear, and the fallback for customers a model has never
//! seen. Popularity is the number of distinct customers who bought a product in the
//! training window, so one enthusiastic buyer cannot make a product "popular".

use super::arrays::{ArrayError, ArrayReader, ArrayWriter};
use super::model::Model;
use super::{ModelKind, Recommender};
use crate::data::CsrMatrix;

/// Distinct buyers per product.
#[derive(Debug, Clone, PartialEq)]
pub struct PopularityModel {
    /// Per product: customers who interacted with it.
    pub counts: Vec<f32>,
}

impl PopularityModel {
    /// Counts buyers per product in `user_items`.
    pub fn fit(user_items: &CsrMatrix) -> Self {
        let mut counts = vec![0f32; user_items.cols()];
        for &c in user_items.indices() {
            counts[c as usize] += 1.0;
        }
        Self { counts }
    }

    /// Product indices from most to least popular (ties: lower index first).
    pub fn ranking(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.counts.len() as u32).collect();
        order.sort_by(|&a, &b| {
            self.counts[b as usize]
                .total_cmp(&self.counts[a as usize])
                .then(a.cmp(&b))
        });
        order
    }
}

impl Recommender for PopularityModel {
    fn kind(&self) -> ModelKind {
        ModelKind::Popularity
    }

    fn n_items(&self) -> usize {
        self.counts.len()
    }

    fn score_user(&self, _user: u32, _history: (&[u32], &[f32]), scores: &mut [f32]) {
        scores.copy_from_slice(&self.counts);
    }
}

/// The buyer counts; a run keeps its fallback list under the same name, once.
const COUNTS: &str = "popularity.npy";

impl PopularityModel {
    /// Reads the buyer counts of `items` products.
    pub fn load(items: usize, arrays: &dyn ArrayReader) -> Result<Self, ArrayError> {
        Ok(Self {
            counts: arrays.f32s_shaped(COUNTS, &[items])?,
        })
    }
}

impl Model for PopularityModel {
    fn save(&self, out: &mut dyn ArrayWriter) -> std::io::Result<()> {
        out.f32s(COUNTS, &[self.counts.len()], &self.counts)
    }

    fn is_baseline(&self) -> bool {
        true
    }

    fn predict_pair(
        &self,
        _user: Option<u32>,
        item: Option<u32>,
        _history: (&[u32], &[f32]),
    ) -> Option<f32> {
        self.counts.get(item? as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_buyers() {
        let m =
            CsrMatrix::from_triplets(3, 3, &[(0, 1, 5.0), (1, 1, 1.0), (2, 0, 1.0), (2, 1, 1.0)]);
        let p = PopularityModel::fit(&m);
        assert_eq!(p.counts, [1.0, 3.0, 0.0]);
        assert_eq!(p.ranking(), [1, 0, 2]);
    }
}
