//! From scores to recommendation lists.
//!
//! [`topk`] picks the best `k` products per customer, leaving out what they already
//! bought; it is shared by the CLI, evaluation, export and the server, so every path ranks
//! the same way. [`similar`] finds a product's neighbours in the model's item space.
//! [`rules`] are the business overrides (exclude, include, boost, cold start), compiled
//! against a run and applied by [`engine`] with the segment and date facts of [`catalog`];
//! [`rebuy`] blends a customer's own products back in when lists may show them.

pub mod catalog;
pub mod engine;
pub mod rebuy;
pub mod rules;
pub mod similar;
pub mod topk;

pub use catalog::Catalog;
pub use engine::audience::{AudienceError, AudienceMember};
pub use engine::{Customer, Engine, Explanation, RunView};
pub use rebuy::{SeenPolicy, WithRebuy};
pub use rules::{BoostRule, ColdStartPolicy, IncludeRule, Overrides, PopularCut};
pub use similar::similar_items;
pub use topk::{Reason, Scored, capped_top, recommend_all, top_k};
