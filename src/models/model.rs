//! The one trait every fitted model implements, and the fitted model every consumer holds.
//!
//! [`Recommender`] is scoring; [`Model`] adds what the rest of latent asks of a model:
//! its history for the run record, its arrays for the store, a pair score for `predict`
//! and evaluation, product neighbours for `similar`, and fold-in and explanations for
//! new customers (with the work done once per set of rules kept as [`Prepared`]). Every capability but scoring and saving has a default
//! meaning "this model cannot", so the CLI, the workbench, evaluation, export and serve
//! work for a new model as soon as it implements the trait, and say so where it cannot.

use std::any::Any;
use std::sync::Arc;

use super::arrays::ArrayWriter;
use super::fit::EpochReport;
use super::{ModelKind, Recommender};

/// What the shop knows of a customer the model never saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NewCustomerFacts<'a> {
    /// Products bought (model indices, sorted).
    pub history: &'a [u32],
    /// Their segment: the column (`Country`) and its value (`France`).
    pub segment: Option<(&'a str, &'a str)>,
}

/// The customer an explanation is for.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A customer of the training data, with their training history (items, values).
    Known {
        user: u32,
        history: (&'a [u32], &'a [f32]),
    },
    /// A customer the model never saw.
    New(NewCustomerFacts<'a>),
}

impl Subject<'_> {
    /// The customer's purchases and their values; a new customer's each count once.
    pub fn purchases(&self) -> (Vec<u32>, Vec<f32>) {
        match self {
            Subject::Known { history, .. } => (history.0.to_vec(), history.1.to_vec()),
            Subject::New(facts) => (facts.history.to_vec(), vec![1.0; facts.history.len()]),
        }
    }
}

/// Why a model scored a product as it did, largest share first.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelExplanation {
    /// The score being explained.
    pub score: f32,
    /// Each purchase's share, `(item, share)`, for models whose score sums over purchases.
    pub parts: Vec<(u32, f32)>,
    /// Named terms, `(label, value)`, for models whose score sums over features.
    pub terms: Vec<(String, f32)>,
    /// How the shares were found: `als-solve`, `item-knn`, `fm-terms`.
    pub method: &'static str,
}

/// What a model computes once per set of rules (ALS's `YᵀY`, an FM's fold-in prior)
/// and is handed back with every new customer and explanation. Owned, so compiled rules
/// can keep it beside the run for as long as a screen lives.
#[derive(Clone, Default)]
pub struct Prepared(Option<Arc<dyn Any + Send + Sync>>);

impl Prepared {
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self(Some(Arc::new(value)))
    }

    /// What the model prepared, if it is a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.as_deref()?.downcast_ref()
    }
}

/// Cloning, comparing and downcasting a boxed model; implemented for every model that is
/// `Clone + PartialEq`, so a model never writes these by hand.
pub trait ModelBox {
    fn clone_box(&self) -> Box<dyn Model>;
    fn as_any(&self) -> &dyn Any;
    fn same_as(&self, other: &dyn Model) -> bool;
}

impl<T: Model + Clone + PartialEq + 'static> ModelBox for T {
    fn clone_box(&self) -> Box<dyn Model> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn same_as(&self, other: &dyn Model) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
}

/// A fitted model: what top-k, evaluation, export, the store and serving need of it.
pub trait Model: Recommender + ModelBox + std::fmt::Debug {
    /// One report per training pass, for the run's loss chart; empty once loaded.
    fn history(&self) -> Vec<EpochReport> {
        Vec::new()
    }

    /// Writes the fitted arrays; [`super::registry::load`] reads them back.
    fn save(&self, out: &mut dyn ArrayWriter) -> std::io::Result<()>;

    /// True for the baseline every other model is measured against.
    fn is_baseline(&self) -> bool {
        false
    }

    /// True when [`Model::update`] folds new purchases in (else an update refits).
    fn updates_incrementally(&self) -> bool {
        false
    }

    /// This model refreshed with new purchases without a full refit (see
    /// [`super::fit::UpdateInput`]); `None` when the model has no incremental update, and
    /// is then refit on the combined data.
    fn update(
        &self,
        input: &super::fit::UpdateInput<'_>,
    ) -> Option<Result<TrainedModel, super::fit::FitError>> {
        let _ = input;
        None
    }

    /// The customer and product factor matrices (one row per index, same width) of a
    /// factor model, for sinks that store embeddings; `None` for a model without them.
    fn factors(&self) -> Option<(&ndarray::Array2<f32>, &ndarray::Array2<f32>)> {
        None
    }

    /// True when [`Model::predict_pair`] is a rating (explicit ALS, an FM regressor), so
    /// evaluation reports RMSE and `predict` fills unknown pairs with means.
    fn predicts_ratings(&self) -> bool {
        false
    }

    /// The model's value for one pair; `None` for a side it never saw stands for an
    /// unknown id. `history` is the customer's training row, for models whose score sums
    /// over it. `None` when the model cannot score the pair.
    fn predict_pair(
        &self,
        user: Option<u32>,
        item: Option<u32>,
        history: (&[u32], &[f32]),
    ) -> Option<f32> {
        let _ = (user, item, history);
        None
    }

    /// How close every product is to `item` (cosine; NaN for no relation); `None` when
    /// the model has no notion of product similarity or no such product.
    fn similar_scores(&self, item: u32) -> Option<Vec<f32>> {
        let _ = item;
        None
    }

    /// The once-per-rules work [`Model::fold_in`] and [`Model::explain`] need; `fold_in`
    /// says whether the rules fold new customers in.
    fn prepare(&self, fold_in: bool) -> Prepared {
        let _ = fold_in;
        Prepared::default()
    }

    /// Writes scores for a new customer from what is known of them; `false` when the model
    /// cannot fold them in (the rules then fall back to popularity).
    fn fold_in(
        &self,
        prepared: &Prepared,
        facts: NewCustomerFacts<'_>,
        scores: &mut [f32],
    ) -> bool {
        let _ = (prepared, facts, scores);
        false
    }

    /// Why `who`'s score for `item` is what it is; `None` when the model cannot say.
    fn explain(
        &self,
        prepared: &Prepared,
        who: Subject<'_>,
        item: u32,
    ) -> Option<ModelExplanation> {
        let _ = (prepared, who, item);
        None
    }
}

/// A fitted model of any kind.
#[derive(Debug)]
pub struct TrainedModel(Box<dyn Model>);

impl TrainedModel {
    pub fn new(model: impl Model + 'static) -> Self {
        Self(Box::new(model))
    }

    /// The model as the trait every consumer uses.
    pub fn as_recommender(&self) -> &dyn Recommender {
        self.0.as_ref()
    }

    /// The model with every capability.
    pub fn model(&self) -> &dyn Model {
        self.0.as_ref()
    }

    /// Which model this is.
    pub fn kind(&self) -> ModelKind {
        self.0.kind()
    }

    /// The model as its own type, for formats that are one model's (Spark's ALSModel).
    pub fn downcast_ref<T: 'static>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }

    /// The predicted rating of a (customer, product) pair, for models that predict
    /// ratings.
    pub fn rating_fn(&self) -> Option<Box<dyn Fn(u32, u32) -> f32 + Sync + '_>> {
        let m = self.model();
        m.predicts_ratings().then(|| {
            Box::new(move |u, i| m.predict_pair(Some(u), Some(i), (&[], &[])).unwrap_or(0.0))
                as Box<dyn Fn(u32, u32) -> f32 + Sync + '_>
        })
    }
}

impl Clone for TrainedModel {
    fn clone(&self) -> Self {
        Self(self.0.clone_box())
    }
}

impl PartialEq for TrainedModel {
    fn eq(&self, other: &Self) -> bool {
        self.0.same_as(other.0.as_ref())
    }
}
