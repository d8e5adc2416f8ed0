//! Alternating least squares for implicit purchases and explicit ratings.
//!
//! [`params`] names and checks the hyperparameters, [`solver`] is the math, [`model`] the
//! fitted factors that score products.

mod as_model;
pub mod fold_in;
pub mod gram;
pub mod loss;
pub mod model;
pub mod params;
pub mod row_solve;
pub mod solver;

pub use fold_in::UserSystem;
pub use model::AlsModel;
pub use params::{AlsParams, Convention, SolverKind, ValidAlsParams};
pub use solver::{EpochReport, FitError};
