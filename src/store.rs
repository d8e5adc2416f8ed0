//! Saving and loading trained runs.
//!
//! A run directory holds everything needed to recommend, evaluate and export without the
//! original data: the resolved configuration, id maps, the training matrix (for "already
//! bought" exclusions), the model's arrays as `.npy` files, metrics and a log. Each file
//! is written atomically and `run.toml` last, with `status.json` saying where the run is
//! ([`writer`]), so a crash never leaves a half-written run that loads, and never touches
//! other runs.

mod dir_arrays;
pub mod files;
mod holdout_files;
pub mod npy;
pub mod run_dir;
pub mod status;
pub mod writer;

pub use run_dir::{FORMAT_VERSION, Run, RunMeta, StoreError, SweepTag, TrialRecord, TuneTag};
pub use status::{RunState, RunStatus};
pub use writer::RunWriter;
