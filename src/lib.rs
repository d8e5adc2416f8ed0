//! latent: a terminal workbench for recommender experimentation.
//!
//! Data flows one way: [`data`] loads and cleans transaction logs into an interaction
//! matrix; models, evaluation and recommendation build on it; [`cli`] is the edge that
//! people and scripts drive. Nothing below the edge prints or knows about terminals.
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod cli;
pub mod config;
pub mod data;
pub mod error;
pub mod eval;
pub mod experiment;
pub mod export;
pub mod format;
pub mod jobs;
pub mod knob;
pub mod models;
pub mod monitor;
pub mod paths;
pub mod recommend;
pub mod rng;
pub mod search;
pub mod serve;
pub mod store;
pub mod sweep;
pub mod tui;
pub mod tune;
pub mod workspace;

pub use error::{Error, Result};
