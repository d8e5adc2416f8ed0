//! The terminal workbench.
//!
//! The UI thread owns [`app::AppState`]. Input arrives from a reader thread and job
//! results from worker threads, all on one channel of [`event::AppEvent`]s. After each
//! batch of events (progress floods are drained and coalesced) the state is drawn once by
//! [`views::render`], a pure function of the state. Work that takes time — loading and
//! profiling data, training, opening a run — runs in [`crate::jobs`], never on this
//! thread. Quitting cancels every job and waits briefly for it; the terminal is restored
//! on exit, on error and from the panic hook that `ratatui::try_init` installs.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod command;
pub mod event;
pub mod filter;
mod footer;
pub mod help;
mod keys;
pub mod knob_words;
pub mod line_edit;
pub mod palette;
pub mod screens;
pub mod settings;
mod sort;
pub mod status;
pub mod theme;
pub mod views;
pub mod wrap;

use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use anyhow::Context;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;

use self::app::{AppState, Command};
use self::event::AppEvent;
use crate::jobs::{self, JobEvent, JobHandle, Sink};
use crate::workspace::Workspace;

/// How often the clock ticks when nothing else happens.
const TICK: Duration = Duration::from_millis(250);

/// Starts jobs for the commands the state asks for.
pub struct Runtime {
    tx: Sender<AppEvent>,
    jobs: Vec<JobHandle>,
    /// The workspace's write lock, taken by the first training job and kept until quit.
    lock: Option<crate::workspace::WorkspaceLock>,
    /// The training or sweep job using the cores; others wait in `queue`, so each job
    /// trains as fast alone as it would from the command line.
    training: Option<jobs::JobId>,
    queue: std::collections::VecDeque<Command>,
}

impl Runtime {
    /// A runtime whose jobs report on `tx`.
    pub fn new(tx: Sender<AppEvent>) -> Self {
        Self {
            tx,
            jobs: Vec::new(),
            lock: None,
            training: None,
            queue: std::collections::VecDeque::new(),
        }
    }

    fn sink(&self) -> Sink {
        let tx = self.tx.clone();
        Box::new(move |e| tx.send(AppEvent::Job(e)).is_ok())
    }

    /// Carries out `commands` for `app`.
    pub fn execute(&mut self, app: &mut AppState, commands: Vec<Command>) {
        self.jobs.retain(JobHandle::is_running);
        if self
            .training
            .is_some_and(|t| !self.jobs.iter().any(|j| j.id == t))
        {
            self.training = None;
        }
        let mut commands = commands;
        if self.training.is_none()
            && let Some(next) = self.queue.pop_front()
        {
            commands.insert(0, next);
        }
        for command in commands {
            if let Some(id) = command.training_id() {
                if let Some(busy) = self.training {
                    let _ = self.tx.send(AppEvent::Job(JobEvent::Stage {
                        id,
                        message: format!("queued behind job {busy}"),
                    }));
                    self.queue.push_back(command);
                    continue;
                }
                self.training = Some(id);
            }
            if let Command::Cancel(id) = command
                && self.queued(id)
            {
                self.queue.retain(|c| c.training_id() != Some(id));
                let _ = self.tx.send(AppEvent::Job(JobEvent::Cancelled { id }));
                continue;
            }
            let started = match command {
                Command::Profile { id, path, spec } => {
                    jobs::profiling::spawn_profile(id, path, *spec, self.sink()).map(Some)
                }
                Command::Train { id, spec, dir } => {
                    if !self.take_lock(app, id) {
                        continue;
                    }
                    let dir = claim_free(app, id, dir, spec.model.name());
                    jobs::training::spawn_training(id, *spec, dir, self.sink()).map(Some)
                }
                Command::Update { id, request, dir } => {
                    if !self.take_lock(app, id) {
                        continue;
                    }
                    let name = format!("{}-update", request.parent.meta.model.name());
                    let dir = claim_free(app, id, dir, &name);
                    jobs::training::spawn_update(id, *request, dir, self.sink()).map(Some)
                }
                Command::Sweep { id, spec } => {
                    if !self.take_lock(app, id) {
                        continue;
                    }
                    jobs::sweeping::spawn_sweep(id, app.workspace.clone(), *spec, self.sink())
                        .map(Some)
                }
                Command::Tune { id, spec } => {
                    if !self.take_lock(app, id) {
                        continue;
                    }
                    jobs::tuning::spawn_tune(id, app.workspace.clone(), *spec, self.sink())
                        .map(Some)
                }
                Command::LoadRun { id, dir } => {
                    jobs::spawn_load_run(id, dir, self.sink()).map(Some)
                }
                Command::Export {
                    id,
                    run,
                    run_id,
                    destination,
                    opts,
                } => {
                    jobs::exporting::spawn_export(id, run, run_id, destination, *opts, self.sink())
                        .map(Some)
                }
                Command::Audience {
                    id,
                    run,
                    rules,
                    items,
                    top,
                } => jobs::analysing::spawn_audience(id, run, rules, items, top, self.sink())
                    .map(Some),
                Command::LookupCustomer { id, run, customer } => {
                    jobs::analysing::spawn_customer_lookup(id, run, customer, self.sink()).map(Some)
                }
                Command::Drift {
                    id,
                    run,
                    label,
                    data,
                } => jobs::analysing::spawn_drift(id, run, label, data, self.sink()).map(Some),
                Command::Backtest { id, spec } => {
                    jobs::analysing::spawn_backtest(id, *spec, self.sink()).map(Some)
                }
                Command::Impact { id, run, rules } => {
                    jobs::analysing::spawn_impact(id, run, *rules, self.sink()).map(Some)
                }
                Command::IndexRun { id, run } => {
                    jobs::indexing::spawn_index_run(id, run, self.sink()).map(Some)
                }
                Command::Cancel(id) => {
                    for job in self.jobs.iter().filter(|j| j.id == id) {
                        job.cancel.cancel();
                    }
                    Ok(None)
                }
                Command::ListRuns { id } => {
                    jobs::files::spawn_list_runs(id, app.workspace.clone(), self.sink()).map(Some)
                }
                Command::ListFiles { id, dir } => {
                    jobs::files::spawn_list_files(id, dir, self.sink()).map(Some)
                }
                Command::RemoveRun {
                    id,
                    workspace,
                    run,
                    archive,
                } => {
                    // A delete writes to the workspace as training does: never while a
                    // `latent sweep` in a shell is writing its runs.
                    if !self.take_lock(app, id) {
                        continue;
                    }
                    jobs::files::spawn_remove_run(id, *workspace, run, archive, self.sink())
                        .map(Some)
                }
                Command::ReadWorkspace { id, path } => {
                    jobs::files::spawn_read_workspace(id, path, self.sink()).map(Some)
                }
                Command::SaveText { id, path, text } => {
                    jobs::files::spawn_save_text(id, path, text, self.sink()).map(Some)
                }
                Command::CompareRuns { id, a, b } => {
                    jobs::spawn_compare(id, a, b, self.sink()).map(Some)
                }
            };
            match started {
                Ok(Some(handle)) => self.jobs.push(handle),
                Ok(None) => {}
                Err(e) => {
                    app.status = app::Status::error(format!("cannot start a worker thread: {e}"));
                }
            }
        }
    }

    /// True while a job runs or waits in the queue.
    pub fn is_busy(&mut self) -> bool {
        self.jobs.retain(JobHandle::is_running);
        !self.jobs.is_empty() || !self.queue.is_empty()
    }

    fn queued(&self, id: jobs::JobId) -> bool {
        self.queue.iter().any(|c| c.training_id() == Some(id))
    }

    /// Takes the workspace's write lock for the session (once); on failure the job `id`
    /// fails with the holder's name.
    fn take_lock(&mut self, app: &AppState, id: jobs::JobId) -> bool {
        if self.lock.is_some() {
            return true;
        }
        match app.workspace.lock("latent workbench") {
            Ok(lock) => {
                self.lock = Some(lock);
                true
            }
            Err(e) => {
                let _ = self.tx.send(AppEvent::Job(JobEvent::Failed {
                    id,
                    knob: None,
                    message: e.to_string(),
                }));
                false
            }
        }
    }

    /// Cancels every job and waits up to `timeout` for each.
    pub fn shutdown(&mut self, timeout: Duration) {
        for job in &self.jobs {
            job.cancel.cancel();
        }
        for job in &mut self.jobs {
            job.cancel_and_join(timeout);
        }
    }
}

/// Runs the workbench on the workspace at `path` until the user quits.
pub fn run(path: &Path) -> anyhow::Result<()> {
    let workspace =
        Workspace::open(path).with_context(|| format!("opening workspace '{}'", path.display()))?;
    let paths = crate::paths::Paths::discover();
    if let Err(e) = crate::workspace::recent::record(&paths.config_dir, &workspace.root) {
        tracing::warn!("cannot record the recent workspace: {e}");
    }
    let (mut app, commands) = AppState::new(workspace);
    app.recent = crate::workspace::recent::list(&paths.config_dir);
    match settings::Settings::load(&settings::Settings::path()).and_then(|s| {
        theme::set_theme(s.theme);
        settings::KeyMap::new(&s.keys)
    }) {
        Ok(keymap) => app.keymap = keymap,
        Err(message) => app.status = app::Status::error(format!("{message} (defaults used)")),
    }
    let (tx, rx) = mpsc::channel();
    let mut runtime = Runtime::new(tx.clone());
    let mut terminal =
        ratatui::try_init().context("starting the terminal UI (is this a terminal?)")?;
    let _ = execute!(std::io::stdout(), EnableMouseCapture);
    let result = (|| -> anyhow::Result<()> {
        event::spawn_input_thread(tx, TICK)?;
        runtime.execute(&mut app, commands);
        loop {
            terminal.draw(|f| views::render(&app, f))?;
            let first = rx.recv().context("the input thread stopped")?;
            for e in std::iter::once(first).chain(rx.try_iter()) {
                let commands = app.update(e);
                runtime.execute(&mut app, commands);
            }
            if let Some(text) = app.clipboard.take() {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(clipboard::osc52(&text).as_bytes());
                let _ = out.flush();
            }
            if app.should_quit {
                return Ok(());
            }
        }
    })();
    runtime.shutdown(Duration::from_secs(2));
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// The run folder for job `id`: the proposed `dir`, or, when a job that waited in the
/// queue finds it taken by a run started the same second, the next free one for `name`
/// (the job's row follows it).
fn claim_free(
    app: &mut AppState,
    id: jobs::JobId,
    dir: std::path::PathBuf,
    name: &str,
) -> std::path::PathBuf {
    if claim_dir(&dir).is_ok() {
        return dir;
    }
    match app.workspace.claim_run_dir(name) {
        Ok(fresh) => {
            if let Some(job) = app.jobs.iter_mut().find(|j| j.id == id) {
                job.dir.clone_from(&fresh);
            }
            fresh
        }
        // The writer reports why the folder cannot be made.
        Err(_) => dir,
    }
}

/// Makes the proposed run folder `dir`, failing when it exists already (taken by a run
/// started in the same second), so the job can claim another.
fn claim_dir(dir: &Path) -> std::io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::create_dir(dir)
}
