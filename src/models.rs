//! Recommendation models: what they are, and the one trait they share.
//!
//! A model turns a customer's training history into a score for every product. The
//! [`Recommender`] trait is scoring; [`Model`] adds everything else top-k, evaluation,
//! the store, export and serving ask of a model, and [`registry`] is the one place that
//! lists the models, so a new model plugs into every one of them at once. Models live in their own folders:
//! [`als`] (implicit and explicit ALS), [`popularity`] (the baseline every report shows),
//! [`knn`] (item-item cosine neighbours), [`rp3beta`] (a popularity-penalised random
//! walk over the same neighbourhoods), [`ease`] (one closed-form regression of every
//! product on the others), [`fm`] (factorization machines with side features).

pub mod als;
pub mod arrays;
#[cfg(test)]
pub(crate) mod contract_tests;
pub mod ease;
pub mod fit;
pub mod fm;
pub mod hyper;
pub mod knn;
pub mod linalg;
pub mod model;
pub mod popularity;
pub mod registry;
pub mod rp3beta;
pub mod tuning;

pub use als::AlsModel;
pub use arrays::{ArrayError, ArrayReader, ArrayWriter};
pub use fit::{EpochReport, FitError};
pub use fit::{FitInput, UpdateInput};
pub use fm::FmModel;
pub use knn::ItemKnnModel;
pub use model::{Model, ModelExplanation, NewCustomerFacts, Prepared, Subject, TrainedModel};
pub use popularity::PopularityModel;
pub use registry::{ModelKind, ModelParams, SettingTables};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn is_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn models_params_and_errors_cross_threads() {
        is_send_sync::<TrainedModel>();
        is_send_sync::<als::AlsParams>();
        is_send_sync::<als::ValidAlsParams>();
        is_send_sync::<FitError>();
        is_send_sync::<hyper::ParamsError>();
        is_send_sync::<crate::Error>();
        is_send_sync::<EpochReport>();
        is_send_sync::<fm::FmParams>();
        is_send_sync::<fm::ValidFmParams>();
        is_send_sync::<fm::FmFitError>();
        is_send_sync::<fm::FmEpochReport>();
    }
}
