//! A factorization machine as a [`Model`]: its feature space and weights saved as arrays,
//! pair predictions in the predictor's units, product neighbours by the cosine of their
//! folded interaction vectors, the fold-in prior prepared once for new customers, and
//! explanations by the score's largest terms.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::fit::{FmEpochReport, FmWeights};
use super::model::FmModel;
use super::model::fold_in::FmFoldInPrior;
use super::params::{FmParams, PredictorType, ValidFmParams};
use super::space::{FeatureBlock, FeatureGroup, FeatureSpace};
use crate::models::arrays::{ArrayError, ArrayReader, ArrayWriter};
use crate::models::fit::FitInput;
use crate::models::fit::{EpochReport, FitError};
use crate::models::hyper::settings_into;
use crate::models::linalg::cosine_to_row;
use crate::models::model::{Model, ModelExplanation, NewCustomerFacts, Prepared, Subject};

const FEATURES: &str = "fm_features.json";

/// `fm_features.json`: what the arrays' columns mean.
#[derive(Serialize, Deserialize)]
struct FmFeatures {
    names: Vec<String>,
    groups: Vec<FeatureGroup>,
    value_range: (f32, f32),
    num_factors: usize,
}

impl FmModel {
    /// Fits on `input` with the customers' and products' side-feature blocks, reporting
    /// each epoch as every model does.
    pub fn fit_reporting(
        params: &ValidFmParams,
        input: &FitInput<'_>,
        user_blocks: &[FeatureBlock],
        item_blocks: &[FeatureBlock],
        on_epoch: &mut dyn FnMut(&EpochReport) -> ControlFlow<()>,
    ) -> Result<Self, FitError> {
        let space = FeatureSpace::new(input.users, input.items, user_blocks, item_blocks);
        let mut report = |r: &FmEpochReport| on_epoch(&epoch_report(r));
        Ok(Self::fit(params, space, input.user_items, &mut report)?)
    }

    /// Reads the feature space and weights [`Model::save`] wrote, with the run's
    /// `settings`, for `users` customers and `items` products.
    pub fn load(
        settings: &BTreeMap<String, String>,
        users: usize,
        items: usize,
        arrays: &dyn ArrayReader,
    ) -> Result<Self, ArrayError> {
        let mut params = FmParams::default();
        settings_into(settings, &mut params, FmParams::set)?;
        let features: FmFeatures = serde_json::from_value(arrays.json(FEATURES)?)
            .map_err(|e| ArrayError::new(FEATURES, e.to_string()))?;
        let n = features.names.len();
        let k = features.num_factors;
        if k != params.num_factors || features.groups.iter().any(|g| g.end as usize > n) {
            return Err(ArrayError::new(
                FEATURES,
                "groups or num_factors disagree with run.toml",
            ));
        }
        let user_rows = arrays.csr("fm_user_x", users, n)?;
        let item_rows = arrays.csr("fm_item_x", items, n)?;
        let (shape, w0) = arrays.f32s("fm_w0.npy")?;
        let s = match shape[..] {
            [s] if s > 0 => s,
            _ => {
                return Err(ArrayError::new(
                    "fm_w0.npy",
                    format!("shape {shape:?}, expected (samples,)"),
                ));
            }
        };
        let w = arrays.f32s_shaped("fm_w.npy", &[s, n])?;
        let v = arrays.f32s_shaped("fm_v.npy", &[s, n, k])?;
        let samples = (0..s)
            .map(|i| FmWeights {
                w0: w0[i],
                w: w[i * n..(i + 1) * n].to_vec(),
                v: v[i * n * k..(i + 1) * n * k].to_vec(),
                k,
            })
            .collect();
        let space = FeatureSpace {
            names: features.names,
            groups: features.groups,
            user_rows,
            item_rows,
        };
        Ok(Self::from_parts(
            params,
            space,
            samples,
            features.value_range,
            Vec::new(),
        ))
    }
}

/// An FM epoch as every model reports it.
fn epoch_report(r: &FmEpochReport) -> EpochReport {
    EpochReport {
        iteration: r.epoch,
        of: r.of,
        loss: r.train_loss,
        elapsed: r.elapsed,
        validation: r.validation.map(|v| (r.metric, v)),
    }
}

impl Model for FmModel {
    fn history(&self) -> Vec<EpochReport> {
        self.history.iter().map(epoch_report).collect()
    }

    fn save(&self, out: &mut dyn ArrayWriter) -> std::io::Result<()> {
        let n = self.space.len();
        let k = self.params.num_factors;
        let s = self.samples.len();
        let features = FmFeatures {
            names: self.space.names.clone(),
            groups: self.space.groups.clone(),
            value_range: self.value_range,
            num_factors: k,
        };
        out.json(
            FEATURES,
            serde_json::to_value(&features).map_err(std::io::Error::other)?,
        )?;
        out.csr("fm_user_x", &self.space.user_rows)?;
        out.csr("fm_item_x", &self.space.item_rows)?;
        let w0: Vec<f32> = self.samples.iter().map(|w| w.w0).collect();
        out.f32s("fm_w0.npy", &[s], &w0)?;
        let w: Vec<f32> = self
            .samples
            .iter()
            .flat_map(|w| w.w.iter().copied())
            .collect();
        out.f32s("fm_w.npy", &[s, n], &w)?;
        let v: Vec<f32> = self
            .samples
            .iter()
            .flat_map(|w| w.v.iter().copied())
            .collect();
        out.f32s("fm_v.npy", &[s, n, k], &v)
    }

    fn predicts_ratings(&self) -> bool {
        self.params.predictor_type == PredictorType::Regressor
    }

    fn predict_pair(
        &self,
        user: Option<u32>,
        item: Option<u32>,
        _history: (&[u32], &[f32]),
    ) -> Option<f32> {
        Some(self.predict(user, item))
    }

    fn similar_scores(&self, item: u32) -> Option<Vec<f32>> {
        cosine_to_row(&self.item_interaction_factors(), item)
    }

    fn prepare(&self, fold_in: bool) -> Prepared {
        // The id solve's prior, for folding new customers in (and explaining them).
        match fold_in.then(|| self.fold_in_prior()).flatten() {
            Some(prior) => Prepared::new(prior),
            None => Prepared::default(),
        }
    }

    fn fold_in(
        &self,
        prepared: &Prepared,
        facts: NewCustomerFacts<'_>,
        scores: &mut [f32],
    ) -> bool {
        match FmModel::fold_in(self, facts, prepared.get::<FmFoldInPrior>()) {
            Some(row) => {
                self.score_folded(&row, scores);
                true
            }
            None => false,
        }
    }

    fn explain(
        &self,
        prepared: &Prepared,
        who: Subject<'_>,
        item: u32,
    ) -> Option<ModelExplanation> {
        // An FM's score is not a sum over purchases but over features and pairs of
        // features (and, for a new customer, the id factor solved from purchases):
        // explain it by its largest terms.
        let terms = match who {
            Subject::Known { user, .. } => self.terms(user, item),
            Subject::New(facts) => {
                self.new_customer_terms(facts, prepared.get::<FmFoldInPrior>(), item)?
            }
        };
        let terms: Vec<(String, f32)> = terms.into_iter().map(|t| (t.label, t.value)).collect();
        Some(ModelExplanation {
            score: terms.iter().map(|t| t.1).sum(),
            parts: Vec::new(),
            terms,
            method: "fm-terms",
        })
    }
}
