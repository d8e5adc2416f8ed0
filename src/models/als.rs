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
mod update;

pub use fold_in::UserSystem;
pub use model::AlsModel;
pub use params::{AlsParams, Convention, SolverKind, ValidAlsParams};
pub use solver::{EpochReport, FitError};

use crate::models::hyper::Setting;
use crate::models::tuning::{Dimension, Range};

/// What the Tune form offers of ALS (implicit and explicit).
/// Where `latent tune` moves implicit ALS.
pub const SEARCH: &[Dimension] = &[
    Dimension::new("als_rank", Range::LogInt(16, 192)),
    Dimension::new("reg_param", Range::Log(1e-3, 1.0)),
    Dimension::new("alpha", Range::Log(0.1, 40.0)),
    Dimension::new("max_iter", Range::Int(5, 30)),
    Dimension::new("convention", Range::Choice(&["spark", "implicit"])),
];

/// Where `latent tune` moves explicit ALS: ratings want fewer factors and more shrinkage.
pub const SEARCH_EXPLICIT: &[Dimension] = &[
    Dimension::new("als_rank", Range::LogInt(4, 64)),
    Dimension::new("reg_param", Range::Log(0.01, 1.0)),
    Dimension::new("max_iter", Range::Int(5, 25)),
];

pub const SETTINGS: &[Setting] = &[
    Setting::text(
        "als_rank",
        "rank (als_rank)",
        "latent factors, 1..=512; more fit finer tastes, cost more",
    ),
    Setting::text(
        "reg_param",
        "reg_param",
        "L2 regularisation, ≥ 0; raise it when the model overfits",
    ),
    Setting::text(
        "max_iter",
        "iterations (max_iter)",
        "alternating sweeps, 1..=1000",
    ),
    Setting::text("alpha", "alpha", "confidence scale of purchases, > 0"),
    Setting::text(
        "reg_exponent",
        "frequency scaling (ν)",
        "λ of a row with n purchases is reg_param·nᵛ, 0..=2; empty: the convention's (spark 1, implicit 0)",
    ),
    Setting::choice(
        "convention",
        "convention",
        "spark: 1 + alpha·r and λ·n (the seed system); implicit: alpha·r and λ",
        &["spark", "implicit"],
    ),
    Setting::text(
        "cg_steps",
        "CG steps",
        "conjugate-gradient steps per row and sweep, 1..=50",
    ),
];
