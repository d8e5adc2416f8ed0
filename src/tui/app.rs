//! The TUI's state and the one function that changes it.
//!
//! [`AppState::update`] takes an [`AppEvent`] and returns the [`Command`]s the runtime must
//! carry out (start a job, cancel one, quit). It does no I/O, so tests drive it with plain
//! events, fake job progress included, and no terminal.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, MouseEventKind};

use super::action::KeyMap;
use super::event::AppEvent;
use super::filter::TableFilter;
use super::inspect::InspectState;
use super::products::ProductsView;
use super::runs::RunsState;
use super::tune::TuneForm;
use crate::data::LoadProgress;
use crate::data::profile::Profile;
use crate::experiment::TrainSpec;
use crate::jobs::profiling::ProductCount;
use crate::jobs::{JobEvent, JobId};
use crate::workspace::Workspace;

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Data,
    Tune,
    Train,
    Runs,
    Inspect,
    Export,
}

impl Screen {
    pub const ALL: [Screen; 6] = [
        Screen::Data,
        Screen::Tune,
        Screen::Train,
        Screen::Runs,
        Screen::Inspect,
        Screen::Export,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Data => "Data",
            Screen::Tune => "Tune",
            Screen::Train => "Train",
            Screen::Runs => "Runs",
            Screen::Inspect => "Inspect",
            Screen::Export => "Export",
        }
    }
}

/// What the runtime must do after an update.
#[derive(Debug, Clone)]
pub enum Command {
    Profile {
        id: JobId,
    },
    Train {
        id: JobId,
        spec: Box<TrainSpec>,
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
    /// Make the run's customers and products searchable.
    IndexRun {
        id: JobId,
        run: Arc<crate::store::Run>,
    },
    RefreshRuns,
}

/// The Data screen.
#[derive(Debug, Clone, Default)]
pub enum DataState {
    #[default]
    Idle,
    Loading {
        job: JobId,
        /// The loader's last report, once it sent one.
        progress: Option<LoadProgress>,
    },
    Ready {
        profile: Box<Profile>,
        monthly_lines: Vec<(String, u64)>,
        item_popularity: Vec<u64>,
        /// Every product, most bought first.
        products: Vec<ProductCount>,
    },
    Failed {
        message: String,
    },
}

/// How a training job is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    Running,
    Finished { precision: Option<(f64, f64)> },
    Failed(String),
    Cancelled,
}

/// A training job as the Train screen shows it.
#[derive(Debug, Clone)]
pub struct TrainJob {
    pub id: JobId,
    pub label: String,
    pub status: JobStatus,
    pub stage: String,
    /// `(iteration, loss)` per sweep.
    pub history: Vec<(usize, f64)>,
    pub planned: usize,
    pub elapsed: Duration,
    pub dir: PathBuf,
    /// `(epoch, value)` of the validation metric, for models that report one (FM).
    pub validation: Vec<(usize, f64)>,
    /// The validation metric's name.
    pub metric: &'static str,
}

impl TrainJob {
    /// Seconds left at the current pace, once a sweep is done.
    pub fn eta(&self) -> Option<Duration> {
        let done = self.history.len();
        (self.status == JobStatus::Running && done > 0 && self.planned > done).then(|| {
            self.elapsed
                .mul_f64((self.planned - done) as f64 / done as f64)
        })
    }
}

/// Everything the TUI shows.
pub struct AppState {
    pub screen: Screen,
    pub workspace: Workspace,
    pub data: DataState,
    pub tune: TuneForm,
    pub jobs: Vec<TrainJob>,
    /// Index into `jobs` of the highlighted job.
    pub selected_job: usize,
    /// The Train table's `/` filter.
    pub jobs_filter: TableFilter,
    /// The Data screen's product list: filter and highlight.
    pub products: ProductsView,
    pub runs: RunsState,
    pub inspect: InspectState,
    pub export: super::export::ExportState,
    pub status: String,
    pub show_help: bool,
    pub should_quit: bool,
    /// Key bindings from the settings file.
    pub keymap: KeyMap,
    /// The `:` palette's text while it is open.
    pub palette: Option<String>,
    /// Text to put on the clipboard (the UI loop sends it with OSC 52).
    pub clipboard: Option<String>,
    next_id: JobId,
    pub(super) loading_run: Option<JobId>,
}

impl AppState {
    /// A fresh state for `workspace`; the returned commands load its data and runs.
    pub fn new(workspace: Workspace) -> (Self, Vec<Command>) {
        let tune = TuneForm::from_config(&workspace.config);
        let mut app = Self {
            screen: Screen::Data,
            workspace,
            data: DataState::Idle,
            tune,
            jobs: Vec::new(),
            selected_job: 0,
            jobs_filter: TableFilter::default(),
            products: ProductsView::default(),
            runs: RunsState::default(),
            inspect: InspectState::default(),
            export: super::export::ExportState::default(),
            status: String::new(),
            show_help: false,
            should_quit: false,
            keymap: KeyMap::default(),
            palette: None,
            clipboard: None,
            next_id: 1,
            loading_run: None,
        };
        let mut commands = app.reload_data();
        commands.push(Command::RefreshRuns);
        (app, commands)
    }

    /// Loads the data again (the first load, `r` on Data, and the palette's `reload`,
    /// `open` and `retention`): cancels the load still running, if any, so its thread
    /// stops instead of finishing unseen next to the new one, and starts a new load.
    pub(crate) fn reload_data(&mut self) -> Vec<Command> {
        let mut commands = Vec::new();
        if let DataState::Loading { job, .. } = self.data {
            commands.push(Command::Cancel(job));
        }
        let id = self.next_job_id();
        self.data = DataState::Loading {
            job: id,
            progress: None,
        };
        commands.push(Command::Profile { id });
        commands
    }

    pub(crate) fn next_job_id(&mut self) -> JobId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// True while any training job runs.
    pub fn is_training(&self) -> bool {
        self.jobs.iter().any(|j| j.status == JobStatus::Running)
    }

    /// Applies one event.
    pub fn update(&mut self, event: AppEvent) -> Vec<Command> {
        match event {
            AppEvent::Key(key) => self.on_key(key),
            AppEvent::Mouse(m) => {
                match m.kind {
                    MouseEventKind::ScrollDown => self.move_in_screen(1),
                    MouseEventKind::ScrollUp => self.move_in_screen(-1),
                    MouseEventKind::Down(_) if m.row == 0 => {
                        // A click on the tab bar: tabs are laid out as " n Title " pieces.
                        let mut x = 0u16;
                        for s in Screen::ALL {
                            let width = s.title().len() as u16 + 5;
                            if m.column < x + width {
                                self.screen = s;
                                break;
                            }
                            x += width;
                        }
                    }
                    _ => {}
                }
                Vec::new()
            }
            AppEvent::Resize(..) | AppEvent::Tick => Vec::new(),
            AppEvent::Job(e) => self.on_job(e),
        }
    }

    fn on_job(&mut self, event: JobEvent) -> Vec<Command> {
        let id = event.id();
        if let DataState::Loading { job, progress } = &mut self.data
            && *job == id
        {
            match event {
                JobEvent::Loading { progress: p, .. } => *progress = Some(p),
                JobEvent::Profiled {
                    profile,
                    monthly_lines,
                    item_popularity,
                    products,
                    ..
                } => {
                    self.products.clamp(&products);
                    self.data = DataState::Ready {
                        profile,
                        monthly_lines,
                        item_popularity,
                        products,
                    };
                }
                JobEvent::Failed { message, .. } => {
                    self.status = format!("data: {message}");
                    self.data = DataState::Failed { message };
                }
                _ => {}
            }
            return Vec::new();
        }
        if self.export.job == Some(id) {
            match event {
                JobEvent::Stage { message, .. } => self.export.log.push(message),
                JobEvent::Exported {
                    destination,
                    manifest,
                    ..
                } => {
                    self.export.job = None;
                    self.status =
                        format!("exported {} files to {destination}", manifest.files.len());
                    self.export.result = Some((destination, manifest));
                }
                JobEvent::Failed { message, .. } => {
                    self.export.job = None;
                    self.status = format!("export failed: {message}");
                    self.export.error = Some(message);
                }
                _ => {}
            }
            return Vec::new();
        }
        if self.runs.comparing == Some(id) {
            self.runs.comparing = None;
            match event {
                JobEvent::Compared { a, b, diff, .. } => {
                    self.status = format!("{a} compared with {b}");
                    self.runs.comparison = Some(super::runs::Comparison { a, b, diff });
                }
                JobEvent::Failed { message, .. } => {
                    self.status = format!("cannot compare: {message}");
                }
                _ => {}
            }
            return Vec::new();
        }
        if self.inspect.index_job == Some(id) {
            match event {
                JobEvent::SearchReady { index, .. } => self.inspect.set_index(index),
                JobEvent::Failed { message, .. } => self.status = message,
                _ => {}
            }
            return Vec::new();
        }
        if self.loading_run == Some(id) {
            match event {
                JobEvent::RunLoaded { run, dir, .. } => {
                    self.loading_run = None;
                    let label = dir
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    self.screen = Screen::Inspect;
                    return self.open_in_inspect(Arc::new(*run), label);
                }
                JobEvent::Failed { message, .. } => {
                    self.loading_run = None;
                    self.status = format!("cannot open run: {message}");
                }
                _ => {}
            }
            return Vec::new();
        }
        let Some(job) = self.jobs.iter_mut().find(|j| j.id == id) else {
            return Vec::new();
        };
        match event {
            JobEvent::Started { label, .. } => job.label = label,
            JobEvent::Stage { message, .. } => job.stage = message,
            JobEvent::Progress {
                iteration,
                of,
                loss,
                elapsed,
                validation,
                ..
            } => {
                job.planned = of;
                job.elapsed = elapsed;
                job.history.push((iteration, loss));
                job.stage = format!("iteration {iteration}/{of}");
                if let Some((metric, value)) = validation {
                    job.metric = metric;
                    job.validation.push((iteration, value));
                    job.stage =
                        format!("iteration {iteration}/{of}, validation {metric} {value:.4}");
                }
            }
            JobEvent::Finished { run, dir, .. } => {
                job.status = JobStatus::Finished {
                    precision: run
                        .metrics
                        .as_ref()
                        .map(|m| (m.model.precision, m.baseline.precision)),
                };
                job.stage = "finished".into();
                self.status = format!("run saved to {}", dir.display());
                let label = dir
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                let mut commands = self.open_in_inspect(Arc::new(*run), label);
                commands.push(Command::RefreshRuns);
                return commands;
            }
            JobEvent::Failed { message, .. } => {
                self.status = format!("training failed: {message}");
                job.status = JobStatus::Failed(message);
            }
            JobEvent::Cancelled { .. } => {
                job.status = JobStatus::Cancelled;
                job.stage = "cancelled".into();
                self.status = format!("job {id} cancelled");
            }
            JobEvent::Loading { .. }
            | JobEvent::Profiled { .. }
            | JobEvent::RunLoaded { .. }
            | JobEvent::SearchReady { .. }
            | JobEvent::Compared { .. }
            | JobEvent::Exported { .. } => {}
        }
        Vec::new()
    }

    pub(super) fn compare_runs(&mut self) -> Vec<Command> {
        let Some(marked) = self.runs.marked.clone() else {
            self.status = "mark a run with Space first, then highlight another and press c".into();
            return Vec::new();
        };
        let find = |id: &str| {
            self.runs
                .all
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.dir.clone())
        };
        let (Some(a), Some(b)) = (
            find(&marked),
            self.runs.selected_run().map(|r| r.dir.clone()),
        ) else {
            return Vec::new();
        };
        if a == b {
            self.status = "highlight a different run than the marked one".into();
            return Vec::new();
        }
        let id = self.next_job_id();
        self.runs.comparing = Some(id);
        self.status = "comparing runs…".into();
        vec![Command::CompareRuns { id, a, b }]
    }

    pub(super) fn edit_palette(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(text) = self.palette.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => self.palette = None,
            KeyCode::Enter => {
                let line = self.palette.take().unwrap_or_default();
                match super::palette::run(self, &line) {
                    Ok(commands) => return commands,
                    Err(message) => self.status = message,
                }
            }
            KeyCode::Tab => {
                // Completes to the first hint (a command name or a file).
                if let Some(first) = super::palette::hints(text).first() {
                    let done = first.split(" — ").next().unwrap_or(first);
                    if text.starts_with("open ") {
                        *text = format!("open {done}");
                    } else if let Some(name) = done.split(['|', ' ']).next() {
                        *text = format!("{name} ");
                    }
                }
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !c.is_control() => text.push(c),
            _ => {}
        }
        Vec::new()
    }

    /// Copies the current table (or its highlighted row) to the clipboard.
    pub fn copy(&mut self, row_only: bool) {
        let got = if row_only {
            super::clipboard::row(self)
        } else {
            super::clipboard::table(self)
        };
        match got {
            Some((what, text)) => {
                self.status = format!(
                    "copied {} {what} line(s) to the clipboard (OSC 52); :save FILE writes them to a file",
                    text.lines().count().saturating_sub(1)
                );
                self.clipboard = Some(text);
            }
            None => self.status = "nothing to copy on this screen".into(),
        }
    }

    /// Shows `run` in Inspect and starts indexing it for search.
    fn open_in_inspect(&mut self, run: Arc<crate::store::Run>, label: String) -> Vec<Command> {
        self.inspect.set_run(Arc::clone(&run), label);
        let id = self.next_job_id();
        self.inspect.index_job = Some(id);
        vec![Command::IndexRun { id, run }]
    }

    /// The destination an empty field stands for.
    pub fn default_destination(&self) -> String {
        let run = if self.inspect.run_label.is_empty() {
            "run"
        } else {
            self.inspect.run_label.as_str()
        };
        self.workspace
            .root
            .join("exports")
            .join(run)
            .display()
            .to_string()
    }

    pub(super) fn export_row(&mut self) -> Vec<Command> {
        let n = crate::export::Format::ALL.len();
        match self.export.selected {
            i if i < n => self.export.formats[i] = !self.export.formats[i],
            i if i == n => self.export.editing = Some(self.export.destination.clone()),
            i if i == n + 1 => self.export.overwrite = !self.export.overwrite,
            _ => return self.start_export(),
        }
        Vec::new()
    }

    pub(super) fn edit_destination(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(text) = self.export.editing.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Enter => {
                self.export.destination = text.trim().to_owned();
                self.export.editing = None;
            }
            KeyCode::Esc => self.export.editing = None,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !c.is_control() => text.push(c),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn start_export(&mut self) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            self.status = "no run open: train one, or open one on the Runs screen".into();
            return Vec::new();
        };
        if self.export.job.is_some() {
            self.status = "an export is already running".into();
            return Vec::new();
        }
        let formats = self.export.chosen();
        if formats.is_empty() {
            self.status = "choose at least one format (Space)".into();
            return Vec::new();
        }
        let destination = if self.export.destination.is_empty() {
            self.default_destination()
        } else {
            self.export.destination.clone()
        };
        let opts = crate::export::ExportOptions {
            formats,
            rules: self.inspect.rules.clone(),
            top_k: self.inspect.top,
            overwrite: self.export.overwrite,
        };
        let id = self.next_job_id();
        self.export.job = Some(id);
        self.export.log.clear();
        self.export.result = None;
        self.export.error = None;
        self.status = format!("exporting to {destination}");
        vec![Command::Export {
            id,
            run,
            run_id: self.inspect.run_label.clone(),
            destination,
            opts: Box::new(opts),
        }]
    }

    pub(super) fn start_sweep(&mut self) -> Vec<Command> {
        let base = match self.tune.train_spec(&self.workspace.config) {
            Ok(spec) => spec,
            Err(message) => {
                self.status = format!("fix the form first: {message}");
                return Vec::new();
            }
        };
        if base.model.sweep_keys().is_empty() {
            self.status = "sweeps vary rank and reg_param: choose an ALS model".into();
            return Vec::new();
        }
        let configurations = self.tune.sweep_grid();
        let spec = crate::sweep::SweepSpec {
            base,
            configurations,
            metric: crate::sweep::Metric::Ndcg,
            validation_days: 30,
            parallel: 1,
        };
        let id = self.next_job_id();
        self.jobs.push(TrainJob {
            id,
            label: "sweep".into(),
            status: JobStatus::Running,
            stage: "queued".into(),
            history: Vec::new(),
            planned: spec.configurations.len(),
            elapsed: Duration::ZERO,
            dir: self.workspace.runs_dir(),
            validation: Vec::new(),
            metric: "",
        });
        self.selected_job = self.jobs.len() - 1;
        self.screen = Screen::Train;
        self.status = format!(
            "sweep of {} configurations around rank {} and reg_param {} (job {id}); validation NDCG per trial is charted",
            spec.configurations.len(),
            self.tune.value("als_rank"),
            self.tune.value("reg_param")
        );
        vec![Command::Sweep {
            id,
            spec: Box::new(spec),
        }]
    }

    pub(super) fn start_training(&mut self) -> Vec<Command> {
        match self.tune.train_spec(&self.workspace.config) {
            Err(message) => {
                self.status = format!("fix the form first: {message}");
                self.screen = Screen::Tune;
                Vec::new()
            }
            Ok(spec) => {
                let id = self.next_job_id();
                let dir = self.workspace.new_run_dir(spec.model.name());
                self.jobs.push(TrainJob {
                    id,
                    label: spec.model.name().to_owned(),
                    status: JobStatus::Running,
                    stage: "queued".into(),
                    history: Vec::new(),
                    planned: 0,
                    elapsed: Duration::ZERO,
                    dir: dir.clone(),
                    validation: Vec::new(),
                    metric: "",
                });
                self.selected_job = self.jobs.len() - 1;
                self.screen = Screen::Train;
                self.status = format!("training {} (job {id})", spec.model.name());
                vec![Command::Train {
                    id,
                    spec: Box::new(spec),
                    dir,
                }]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorkspaceConfig;

    fn app() -> (AppState, JobId) {
        let config = WorkspaceConfig::parse(
            "name = \"t\"\n[data]\npath = \"sample-data/online_retail_sample.csv\"\n",
        )
        .unwrap();
        let (app, commands) = AppState::new(Workspace {
            root: PathBuf::from("/nonexistent/ws"),
            config_path: PathBuf::from("/nonexistent/ws/workspace.toml"),
            config,
        });
        let [Command::Profile { id }, Command::RefreshRuns] = commands.as_slice() else {
            panic!("the first load cancels nothing: {commands:?}")
        };
        (app, *id)
    }

    fn key(app: &mut AppState, code: KeyCode) -> Vec<Command> {
        app.update(AppEvent::Key(KeyEvent::new(
            code,
            ratatui::crossterm::event::KeyModifiers::NONE,
        )))
    }

    fn palette(app: &mut AppState, line: &str) -> Vec<Command> {
        key(app, KeyCode::Char(':'));
        for c in line.chars() {
            key(app, KeyCode::Char(c));
        }
        key(app, KeyCode::Enter)
    }

    /// `[Cancel(old), Profile { new }]`: the new load's id, after checking the old one is
    /// cancelled and the data waits for the new one.
    fn replaced(app: &AppState, commands: &[Command], old: JobId) -> JobId {
        let [Command::Cancel(cancelled), Command::Profile { id }] = commands else {
            panic!("the running load is cancelled, then a new one starts: {commands:?}")
        };
        assert_eq!(*cancelled, old);
        assert_ne!(*id, old);
        assert!(matches!(app.data, DataState::Loading { job, .. } if job == *id));
        *id
    }

    #[test]
    fn reloading_cancels_the_load_still_running() {
        let (mut app, first) = app();
        assert_eq!(app.screen, Screen::Data);
        let commands = key(&mut app, KeyCode::Char('r'));
        let second = replaced(&app, &commands, first);
        let commands = palette(&mut app, "reload");
        let third = replaced(&app, &commands, second);
        let commands = palette(&mut app, "open sample-data/online_retail_sample.csv");
        let fourth = replaced(&app, &commands, third);
        let commands = palette(&mut app, "retention 20111209 90");
        let fifth = replaced(&app, &commands, fourth);

        // The cancelled loads' last words change nothing.
        app.update(AppEvent::Job(JobEvent::Cancelled { id: fourth }));
        app.update(AppEvent::Job(JobEvent::Failed {
            id: first,
            message: "stale".into(),
        }));
        assert!(matches!(app.data, DataState::Loading { job, .. } if job == fifth));
        assert!(app.status.is_empty(), "{}", app.status);

        // Once a load ended there is nothing to cancel.
        app.update(AppEvent::Job(JobEvent::Failed {
            id: fifth,
            message: "gone".into(),
        }));
        let commands = key(&mut app, KeyCode::Char('r'));
        assert!(
            matches!(commands.as_slice(), [Command::Profile { id }] if *id > fifth),
            "{commands:?}"
        );
    }
}
