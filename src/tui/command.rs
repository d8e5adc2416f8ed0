//! What the workbench asks its runtime to do: every piece of work that touches a file,
//! a folder or the cores. The router returns these; the runtime (`tui.rs`) starts a job
//! for each, and tests run them through the same runtime or answer them by hand.

use std::path::PathBuf;
use std::sync::Arc;

use crate::data::LoadSpec;
use crate::experiment::TrainSpec;
use crate::jobs::JobId;

/// What the runtime must do after an update: every piece of work that touches a file, a
/// folder or the cores, each answered by [`JobEvent`](crate::jobs::JobEvent)s carrying the command's id.
#[derive(Debug, Clone)]
pub enum Command {
    /// Load, clean and profile `path` for the Data screen.
    Profile {
        id: JobId,
        path: PathBuf,
        spec: Box<LoadSpec>,
    },
    Train {
        id: JobId,
        spec: Box<TrainSpec>,
        /// The proposed run folder; the runtime claims the next free name if it is taken.
        dir: PathBuf,
    },
    /// Fold newer lines into a run's model, as a new run that names it (`latent update`).
    Update {
        id: JobId,
        request: Box<crate::experiment::update::UpdateRequest>,
        /// The proposed run folder, claimed as a training's is.
        dir: PathBuf,
    },
    Cancel(JobId),
    LoadRun {
        id: JobId,
        dir: PathBuf,
    },
    /// Run a hyperparameter sweep in the workspace.
    Sweep {
        id: JobId,
        spec: Box<crate::sweep::SweepSpec>,
    },
    /// Search models and settings within a budget; the chosen run is saved in the
    /// workspace.
    Tune {
        id: JobId,
        spec: Box<crate::tune::TuneSpec>,
    },
    /// Compare two runs (folders).
    CompareRuns {
        id: JobId,
        a: PathBuf,
        b: PathBuf,
    },
    /// Export a run.
    Export {
        id: JobId,
        run: Arc<crate::store::Run>,
        run_id: String,
        destination: String,
        opts: Box<crate::export::ExportOptions>,
    },
    /// Measure drift since `run`'s window in `data`.
    Drift {
        id: JobId,
        run: Arc<crate::store::Run>,
        label: String,
        data: PathBuf,
    },
    /// Backtest retrain cadences.
    Backtest {
        id: JobId,
        spec: Box<crate::monitor::backtest::BacktestSpec>,
    },
    /// List the customers most likely to buy `items`, with `rules` applied.
    Audience {
        id: JobId,
        run: Arc<crate::store::Run>,
        rules: Arc<crate::recommend::engine::CompiledRules>,
        items: Vec<u32>,
        top: usize,
    },
    /// Look a customer the model never saw up in the run's data.
    LookupCustomer {
        id: JobId,
        run: Arc<crate::store::Run>,
        customer: String,
    },
    /// Measure what `rules` cost or gain on the run's hold-out.
    Impact {
        id: JobId,
        run: Arc<crate::store::Run>,
        rules: Box<crate::recommend::Overrides>,
    },
    /// Make the run's customers and products searchable.
    IndexRun {
        id: JobId,
        run: Arc<crate::store::Run>,
    },
    /// Read the workspace's run folders for the Runs screen.
    ListRuns {
        id: JobId,
    },
    /// List a folder for the palette's `open` hints.
    ListFiles {
        id: JobId,
        dir: String,
    },
    /// Delete a run of `workspace`, or archive it.
    RemoveRun {
        id: JobId,
        workspace: Box<crate::workspace::Workspace>,
        run: String,
        archive: bool,
    },
    /// Read `workspace.toml` again.
    ReadWorkspace {
        id: JobId,
        path: PathBuf,
    },
    /// Write `text` to `path` atomically (the palette's `save`).
    SaveText {
        id: JobId,
        path: PathBuf,
        text: String,
    },
}

impl Command {
    /// The id of a job that uses the cores to train (a training, an update, a sweep or a
    /// tune): these run one at a time, the others wait in the runtime's queue.
    pub fn training_id(&self) -> Option<JobId> {
        match self {
            Command::Train { id, .. }
            | Command::Update { id, .. }
            | Command::Sweep { id, .. }
            | Command::Tune { id, .. } => Some(*id),
            _ => None,
        }
    }
}
