//! From scores to recommendation lists.
//!
//! [`topk`] picks the best `k` products per customer, leaving out what they already
//! bought; it is shared by the CLI, evaluation, export and the server, so every path ranks
//! the same way. [`similar`] finds a product's neighbours in the model's item space.

pub mod similar;
pub mod topk;

pub use similar::similar_items;
pub use topk::{Reason, Scored, recommend_all, top_k};
