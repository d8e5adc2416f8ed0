//! Background work: loading, profiling and training off the UI thread.
//!
//! A job runs on its own thread and reports through a sink of owned [`JobEvent`]s; it
//! never touches UI state. Each job owns a [`CancelToken`] that it checks at every stage
//! and ALS sweep, and it stops as soon as the sink reports that nobody listens any more.
//! The TUI adapts the sink to its event channel; tests collect events in a vector.

pub mod analysing;
pub mod cancel;
pub mod exporting;
pub mod files;
pub mod indexing;
pub mod profiling;
pub mod sweeping;
pub mod training;
pub mod tuning;

use std::path::PathBuf;
use std::time::Duration;

pub use cancel::CancelToken;

use crate::data::profile::Profile;
use crate::store::Run;

/// Identifies one job, so late messages of a replaced job can be ignored.
pub type JobId = u64;

/// Where a job sends its events; returns false once the receiver is gone.
pub type Sink = Box<dyn Fn(JobEvent) -> bool + Send>;

/// Small, owned messages from a job.
#[derive(Debug, Clone)]
pub enum JobEvent {
    Started {
        id: JobId,
        label: String,
    },
    /// A stage finished (loading, matrix) without epoch data.
    Stage {
        id: JobId,
        message: String,
    },
    /// One training sweep.
    Progress {
        id: JobId,
        iteration: usize,
        of: usize,
        loss: f64,
        elapsed: Duration,
        /// The validation metric's name and value, for models that have one (FM).
        validation: Option<(&'static str, f64)>,
    },
    /// A tune finished a trial.
    Trial {
        id: JobId,
        trial: Box<crate::store::TrialRecord>,
    },
    /// How far loading the data has come.
    Loading {
        id: JobId,
        progress: crate::data::LoadProgress,
    },
    /// A data profile is ready.
    Profiled {
        id: JobId,
        profile: Box<Profile>,
        monthly_lines: Vec<(String, u64)>,
        item_popularity: Vec<u64>,
        /// Every product with its buyers, most bought first.
        products: Vec<profiling::ProductCount>,
        /// Every customer and country.
        people: Box<profiling::people::People>,
    },
    /// Training finished; the run was saved to `dir`.
    Finished {
        id: JobId,
        run: Box<Run>,
        dir: PathBuf,
    },
    /// A run's customers and products are searchable.
    SearchReady {
        id: JobId,
        index: std::sync::Arc<crate::search::SearchIndex>,
    },
    /// An export finished.
    Exported {
        id: JobId,
        destination: String,
        manifest: Box<crate::export::Manifest>,
    },
    /// Two runs compared.
    Compared {
        id: JobId,
        a: String,
        b: String,
        diff: Box<crate::workspace::compare::RunDiff>,
    },
    /// A campaign list is ready.
    Audience {
        id: JobId,
        campaign: Box<crate::eval::audience::Campaign>,
    },
    /// A customer the model never saw, looked up in the run's data (`None`: not there).
    CustomerLooked {
        id: JobId,
        wanted: String,
        found: Box<Option<crate::experiment::customer_lookup::DataCustomer>>,
    },
    /// Drift since a run's window was measured.
    Drifted {
        id: JobId,
        report: Box<crate::monitor::MonitorReport>,
    },
    /// A retrain-cadence backtest finished.
    Backtested {
        id: JobId,
        backtest: Box<crate::monitor::backtest::Backtest>,
    },
    /// The rules in force were measured on the run's hold-out.
    Impact {
        id: JobId,
        /// The rules measured.
        rules: Box<crate::recommend::Overrides>,
        impact: Box<crate::eval::RulesImpact>,
    },
    /// A saved run was loaded for inspection.
    RunLoaded {
        id: JobId,
        run: Box<Run>,
        dir: PathBuf,
    },
    Failed {
        id: JobId,
        message: String,
        /// The setting the message asks the user to change, for the workbench to say
        /// where it lives (the message itself names no flag or key).
        knob: Option<crate::knob::Knob>,
    },
    Cancelled {
        id: JobId,
    },
    /// The workspace's runs, newest first.
    RunsListed {
        id: JobId,
        runs: Vec<crate::workspace::RunSummary>,
    },
    /// A folder's data files and subfolders, for the palette's `open` hints.
    FilesListed {
        id: JobId,
        /// The folder as it was asked for (empty: the working folder).
        dir: String,
        /// `(name, is a folder)`, sorted.
        entries: Vec<(String, bool)>,
    },
    /// A run deleted, or archived to `archived_to`.
    RunRemoved {
        id: JobId,
        run: String,
        archived_to: Option<PathBuf>,
    },
    /// `workspace.toml` read again.
    WorkspaceRead {
        id: JobId,
        config: Box<crate::config::WorkspaceConfig>,
    },
    /// A text file written.
    Saved {
        id: JobId,
        path: PathBuf,
        lines: usize,
    },
}

impl JobEvent {
    /// A failure told by `err`'s whole chain, with the setting it asks the user to change
    /// (the error's own `knob()`).
    pub fn failed(
        id: JobId,
        err: &(dyn std::error::Error + 'static),
        knob: Option<crate::knob::Knob>,
    ) -> Self {
        JobEvent::Failed {
            id,
            message: crate::experiment::chain_text(err),
            knob,
        }
    }

    /// The job this event belongs to.
    pub fn id(&self) -> JobId {
        match self {
            JobEvent::Started { id, .. }
            | JobEvent::Stage { id, .. }
            | JobEvent::Progress { id, .. }
            | JobEvent::Trial { id, .. }
            | JobEvent::Loading { id, .. }
            | JobEvent::Profiled { id, .. }
            | JobEvent::Finished { id, .. }
            | JobEvent::RunLoaded { id, .. }
            | JobEvent::SearchReady { id, .. }
            | JobEvent::Compared { id, .. }
            | JobEvent::Audience { id, .. }
            | JobEvent::Impact { id, .. }
            | JobEvent::Drifted { id, .. }
            | JobEvent::Backtested { id, .. }
            | JobEvent::CustomerLooked { id, .. }
            | JobEvent::Exported { id, .. }
            | JobEvent::RunsListed { id, .. }
            | JobEvent::FilesListed { id, .. }
            | JobEvent::Saved { id, .. }
            | JobEvent::WorkspaceRead { id, .. }
            | JobEvent::RunRemoved { id, .. }
            | JobEvent::Failed { id, .. }
            | JobEvent::Cancelled { id } => *id,
        }
    }
}

/// Runs `work` once on its own thread and sends what it returns: the shape of every job
/// that does one piece of I/O and has no progress to report.
pub fn spawn_once(
    kind: &str,
    id: JobId,
    sink: Sink,
    work: impl FnOnce() -> JobEvent + Send + 'static,
) -> std::io::Result<JobHandle> {
    let thread = std::thread::Builder::new()
        .name(format!("latent-{kind}-{id}"))
        .spawn(move || {
            sink(work());
        })?;
    Ok(JobHandle::new(id, CancelToken::new(), thread))
}

/// Loads the run in `dir` in the background.
pub fn spawn_load_run(id: JobId, dir: PathBuf, sink: Sink) -> std::io::Result<JobHandle> {
    spawn_once("load-run", id, sink, move || match Run::load(&dir) {
        Ok(run) => JobEvent::RunLoaded {
            id,
            run: Box::new(run),
            dir,
        },
        Err(e) => JobEvent::Failed {
            id,
            knob: None,
            message: e.to_string(),
        },
    })
}

/// Loads runs `a` and `b` and compares them in the background.
pub fn spawn_compare(id: JobId, a: PathBuf, b: PathBuf, sink: Sink) -> std::io::Result<JobHandle> {
    spawn_once("compare", id, sink, move || {
        let name = |p: &PathBuf| {
            p.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        };
        let loaded = Run::load(&a).and_then(|ra| Ok((ra, Run::load(&b)?)));
        let compared = loaded.map_err(|e| e.to_string()).and_then(|(ra, rb)| {
            crate::workspace::compare::diff_lenient(&ra, &rb, 10, 300).map_err(|e| e.to_string())
        });
        match compared {
            Ok(diff) => JobEvent::Compared {
                id,
                a: name(&a),
                b: name(&b),
                diff: Box::new(diff),
            },
            Err(message) => JobEvent::Failed {
                id,
                message,
                knob: None,
            },
        }
    })
}

/// A running job: its id, its cancel switch and its thread.
pub struct JobHandle {
    pub id: JobId,
    pub cancel: CancelToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JobHandle {
    /// Wraps a spawned thread.
    pub fn new(id: JobId, cancel: CancelToken, thread: std::thread::JoinHandle<()>) -> Self {
        Self {
            id,
            cancel,
            thread: Some(thread),
        }
    }

    /// True while the thread runs.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Cancels and waits up to `timeout` for the thread to end; true when it ended.
    pub fn cancel_and_join(&mut self, timeout: Duration) -> bool {
        self.cancel.cancel();
        let deadline = std::time::Instant::now() + timeout;
        while self.is_running() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        match self.thread.take() {
            Some(t) if t.is_finished() => t.join().is_ok(),
            Some(t) => {
                // Still busy inside a step that cannot be interrupted: leave it detached; it
                // stops at its next check.
                self.thread = Some(t);
                false
            }
            None => true,
        }
    }
}
