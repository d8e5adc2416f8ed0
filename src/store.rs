//! Saving and loading trained runs.
//!
//! A run directory holds everything needed to recommend, evaluate and export without the
//! original data: the resolved configuration, id maps, the training matrix (for "already
//! bought" exclusions), the model's arrays as `.npy` files, metrics and a log. It is
//! written to a temporary sibling folder and renamed into place, so a crash never leaves a
//! half-written run that loads.

pub mod npy;
pub mod run_dir;

pub use run_dir::{FORMAT_VERSION, Run, RunMeta, StoreError};
