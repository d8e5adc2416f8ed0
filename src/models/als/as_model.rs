//! ALS as a [`Model`]: factors saved as two matrices, pair scores by dot product, product
//! neighbours by cosine of their factors, and `YᵀY` prepared once for fold-in and
//! explanations (see [`super::fold_in`]).

use std::collections::BTreeMap;

use super::model::AlsModel;
use super::params::AlsParams;
use crate::models::arrays::{ArrayError, ArrayReader, ArrayWriter};
use crate::models::fit::EpochReport;
use crate::models::hyper::settings_into;
use crate::models::linalg::{cosine_to_row, dot};
use crate::models::model::{Model, ModelExplanation, NewCustomerFacts, Prepared, Subject};

const USERS: &str = "user_factors.npy";
const ITEMS: &str = "item_factors.npy";

impl AlsModel {
    /// Reads the factors [`Model::save`] wrote, with the run's `settings`.
    pub fn load(
        settings: &BTreeMap<String, String>,
        users: usize,
        items: usize,
        arrays: &dyn ArrayReader,
    ) -> Result<Self, ArrayError> {
        let mut params = AlsParams::default();
        settings_into(settings, &mut params, AlsParams::set)?;
        let user_factors = arrays.matrix(USERS, users)?;
        let item_factors = arrays.matrix(ITEMS, items)?;
        if user_factors.ncols() != item_factors.ncols() {
            return Err(ArrayError::new(ITEMS, "rank differs from user_factors.npy"));
        }
        if settings.contains_key("als_rank") && params.rank != user_factors.ncols() {
            return Err(ArrayError::new(
                USERS,
                format!(
                    "rank {} differs from als_rank = {} in run.toml",
                    user_factors.ncols(),
                    params.rank
                ),
            ));
        }
        Ok(Self {
            params,
            user_factors,
            item_factors,
            history: Vec::new(),
        })
    }
}

impl Model for AlsModel {
    fn history(&self) -> Vec<EpochReport> {
        self.history.clone()
    }

    fn save(&self, out: &mut dyn ArrayWriter) -> std::io::Result<()> {
        out.matrix(USERS, &self.user_factors)?;
        out.matrix(ITEMS, &self.item_factors)
    }

    fn predicts_ratings(&self) -> bool {
        !self.params.implicit_prefs
    }

    fn updates_incrementally(&self) -> bool {
        true
    }

    fn update(
        &self,
        input: &crate::models::fit::UpdateInput<'_>,
    ) -> Option<Result<crate::models::TrainedModel, crate::models::fit::FitError>> {
        Some(self.updated(input).map(crate::models::TrainedModel::new))
    }

    fn factors(&self) -> Option<(&ndarray::Array2<f32>, &ndarray::Array2<f32>)> {
        Some((&self.user_factors, &self.item_factors))
    }

    fn predict_pair(
        &self,
        user: Option<u32>,
        item: Option<u32>,
        _history: (&[u32], &[f32]),
    ) -> Option<f32> {
        Some(self.predict(user?, item?))
    }

    fn similar_scores(&self, item: u32) -> Option<Vec<f32>> {
        cosine_to_row(&self.item_factors.view(), item)
    }

    fn prepare(&self, _fold_in: bool) -> Prepared {
        // `YᵀY` is shared by every customer's system: fold-in and explanations alike.
        Prepared::new(self.item_gram())
    }

    fn fold_in(
        &self,
        prepared: &Prepared,
        facts: NewCustomerFacts<'_>,
        scores: &mut [f32],
    ) -> bool {
        let Some(gram) = prepared.get::<Vec<f32>>() else {
            return false;
        };
        if facts.history.is_empty() {
            return false;
        }
        let ones = vec![1.0f32; facts.history.len()];
        let Some(x) = self.fold_in(gram, (facts.history, &ones)) else {
            return false;
        };
        let k = self.rank();
        let y = self.item_factors.as_slice().unwrap_or(&[]);
        for (s, yi) in scores.iter_mut().zip(y.chunks_exact(k)) {
            *s = dot(&x, yi);
        }
        true
    }

    fn explain(
        &self,
        prepared: &Prepared,
        who: Subject<'_>,
        item: u32,
    ) -> Option<ModelExplanation> {
        let gram = prepared.get::<Vec<f32>>()?;
        let (cols, vals) = who.purchases();
        if cols.is_empty() {
            return None;
        }
        let (parts, score) = self
            .user_system(gram, (&cols, &vals))
            .contributions(self, item)?;
        Some(ModelExplanation {
            score,
            parts,
            terms: Vec::new(),
            method: "als-solve",
        })
    }
}
