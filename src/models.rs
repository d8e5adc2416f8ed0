//! Recommendation models: what they are, and the one trait they share.
//!
//! A model turns a customer's training history into a score for every product. The
//! [`Recommender`] trait is all that top-k, evaluation, export and serving need, so a new
//! model plugs into every one of them at once. Models live in their own folders:
//! [`als`] (implicit and explicit ALS), [`popularity`] (the baseline every report shows),
//! [`knn`] (item-item cosine neighbours), [`fm`] (factorization machines with side
//! features).

pub mod als;
pub mod fm;
pub mod hyper;
pub mod knn;
pub mod linalg;
pub mod popularity;

use serde::{Deserialize, Serialize};

pub use als::AlsModel;
pub use fm::FmModel;
pub use knn::ItemKnnModel;
pub use popularity::PopularityModel;

/// The kinds of model latent trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// ALS on implicit feedback (purchases).
    Als,
    /// ALS on explicit ratings.
    AlsExplicit,
    /// Most-bought products in the training window.
    Popularity,
    /// Item-item cosine neighbours.
    ItemKnn,
    /// Factorization machine with side features (regressor, classifier or ranking).
    Fm,
}

impl ModelKind {
    /// Every kind, in menu order.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::Als,
        ModelKind::AlsExplicit,
        ModelKind::Popularity,
        ModelKind::ItemKnn,
        ModelKind::Fm,
    ];

    /// The name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Als => "als",
            ModelKind::AlsExplicit => "als-explicit",
            ModelKind::Popularity => "popularity",
            ModelKind::ItemKnn => "item-knn",
            ModelKind::Fm => "fm",
        }
    }

    /// Parses a name from [`ModelKind::name`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == text)
    }
}

/// Scores products for customers the model knows.
pub trait Recommender: Send + Sync {
    /// Which model this is.
    fn kind(&self) -> ModelKind;

    /// Number of products scored.
    fn n_items(&self) -> usize;

    /// Writes a score for every product into `scores` (length [`Recommender::n_items`])
    /// for customer `user`, whose training history is `history` (item indices and values).
    fn score_user(&self, user: u32, history: (&[u32], &[f32]), scores: &mut [f32]);

    /// Scores a block of customers at once into `out` (row-major, `users.len()` rows of
    /// [`Recommender::n_items`]); histories come from `train`. Models with a faster batch
    /// form (a matrix product for ALS) override it.
    fn score_block(&self, users: &[u32], train: &crate::data::CsrMatrix, out: &mut [f32]) {
        let n = self.n_items();
        for (&u, scores) in users.iter().zip(out.chunks_exact_mut(n)) {
            self.score_user(u, train.row(u as usize), scores);
        }
    }
}

/// A fitted model of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainedModel {
    Als(AlsModel),
    Popularity(PopularityModel),
    ItemKnn(ItemKnnModel),
    /// Boxed: a factorization machine carries its feature space and folded vectors.
    Fm(Box<FmModel>),
}

impl TrainedModel {
    /// The model as the trait every consumer uses.
    pub fn as_recommender(&self) -> &dyn Recommender {
        match self {
            TrainedModel::Als(m) => m,
            TrainedModel::Popularity(m) => m,
            TrainedModel::ItemKnn(m) => m,
            TrainedModel::Fm(m) => m.as_ref(),
        }
    }

    /// Rating predictions, for models that predict ratings (explicit ALS).
    pub fn rating_predictor(&self) -> Option<&AlsModel> {
        match self {
            TrainedModel::Als(m) if !m.params.implicit_prefs => Some(m),
            _ => None,
        }
    }

    /// The predicted rating of a (customer, product) pair, for models that predict
    /// ratings: explicit ALS and the FM regressor.
    pub fn rating_fn(&self) -> Option<Box<dyn Fn(u32, u32) -> f32 + Sync + '_>> {
        match self {
            TrainedModel::Als(m) if !m.params.implicit_prefs => {
                Some(Box::new(move |u, i| m.predict(u, i)))
            }
            TrainedModel::Fm(m) if m.params.predictor_type == fm::PredictorType::Regressor => {
                Some(Box::new(move |u, i| m.predict(Some(u), Some(i))))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn models_params_and_errors_cross_threads() {
        is_send_sync::<TrainedModel>();
        is_send_sync::<als::AlsParams>();
        is_send_sync::<als::ValidAlsParams>();
        is_send_sync::<als::FitError>();
        is_send_sync::<hyper::ParamsError>();
        is_send_sync::<crate::Error>();
        is_send_sync::<als::EpochReport>();
        is_send_sync::<fm::FmParams>();
        is_send_sync::<fm::ValidFmParams>();
        is_send_sync::<fm::FmFitError>();
        is_send_sync::<fm::FmEpochReport>();
    }
}
