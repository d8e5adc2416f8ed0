//! The workbench's state and the router that changes it.
//!
//! [`AppState::update`] takes an [`AppEvent`] and returns the [`Command`]s the runtime must
//! carry out (start a job, cancel one, quit). It does no I/O — reading a folder, listing
//! runs and writing a file are jobs too — so tests drive it with plain events, fake job
//! progress included, and no terminal.
//!
//! Each screen's state, updates and view live in [`super::screens`]; this file holds what
//! the screens share (the status line, the palette, job ids) and hands each key
//! (`keys.rs`) and each job event (here) to the screen it belongs to.

use std::path::PathBuf;

use ratatui::crossterm::event::MouseEventKind;

use super::action::KeyMap;
pub use super::command::Command;
use super::event::AppEvent;
use super::filter::TableFilter;
use super::palette::FileHints;
pub use super::screens::data::DataState;
use super::screens::data::ProductsView;
use super::screens::export::ExportState;
use super::screens::inspect::InspectState;
use super::screens::runs::RunsState;
pub use super::screens::train::{JobStatus, TrainJob, TrialOrder};
use super::screens::tune::form::TuneForm;
pub use super::status::{Level, Status};
use crate::jobs::{JobEvent, JobId};
use crate::workspace::Workspace;

/// A table's rows as the last frame drew them: the rows' area (below the header) and
/// the index of the first row shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowsDrawn {
    pub area: ratatui::layout::Rect,
    pub first: usize,
}

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Data,
    Tune,
    Train,
    Runs,
    Inspect,
    Export,
    Evaluate,
    Monitor,
}

impl Screen {
    pub const ALL: [Screen; 8] = [
        Screen::Data,
        Screen::Tune,
        Screen::Train,
        Screen::Runs,
        Screen::Inspect,
        Screen::Export,
        Screen::Evaluate,
        Screen::Monitor,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Data => "Data",
            Screen::Tune => "Tune",
            Screen::Train => "Train",
            Screen::Runs => "Runs",
            Screen::Inspect => "Inspect",
            Screen::Export => "Export",
            Screen::Evaluate => "Evaluate",
            Screen::Monitor => "Monitor",
        }
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
    /// How a tune job's trials table is ordered (`s` on the Train screen).
    pub trial_order: TrialOrder,
    /// The Data screen's product list: filter and highlight.
    pub products: ProductsView,
    pub runs: RunsState,
    pub inspect: InspectState,
    /// The Evaluate screen's view of the run open in Inspect.
    pub evaluate: crate::tui::screens::evaluate::EvaluateState,
    pub export: ExportState,
    /// The Monitor screen: drift since the open run, and the retrain backtest.
    pub monitor: crate::tui::screens::monitor::MonitorState,
    pub status: Status,
    pub show_help: bool,
    /// Where the last frame drew the screen's table rows (a click selects one).
    pub rows_drawn: std::cell::RefCell<Vec<RowsDrawn>>,
    /// The help page's filter (after `/`) and scroll.
    pub help: super::help::HelpPage,
    /// A `g` was typed: a second one jumps to the first row (`gg`, as in vim and less).
    pub pending_g: bool,
    pub should_quit: bool,
    /// Key bindings from the settings file.
    pub keymap: KeyMap,
    /// The `:` palette's text while it is open.
    pub palette: Option<String>,
    /// The folder listing behind the palette's `open` hints.
    pub palette_files: FileHints,
    /// Workspaces opened lately, newest first (read once at start).
    pub recent: Vec<PathBuf>,
    /// Text to put on the clipboard (the UI loop sends it with OSC 52).
    pub clipboard: Option<String>,
    /// `workspace.toml` as last read: `r` on Data takes from the file only what changed
    /// in it since, so values set in this session (the window, Tune edits) are kept.
    pub(super) workspace_file: crate::config::WorkspaceConfig,
    /// The job reading `workspace.toml` again, while it runs.
    pub(super) rereading: Option<JobId>,
    /// The palette's `save` in flight.
    pub(super) saving: Option<JobId>,
    next_id: JobId,
    next_internal: JobId,
}

impl AppState {
    /// A fresh state for `workspace`; the returned commands load its data and runs.
    pub fn new(workspace: Workspace) -> (Self, Vec<Command>) {
        let tune = TuneForm::from_config(&workspace.config);
        let workspace_file = workspace.config.clone();
        let mut app = Self {
            screen: Screen::Data,
            workspace,
            data: DataState::Idle,
            tune,
            jobs: Vec::new(),
            selected_job: 0,
            jobs_filter: TableFilter::default(),
            trial_order: TrialOrder::Tried,
            products: ProductsView::default(),
            runs: RunsState::default(),
            inspect: InspectState::default(),
            evaluate: crate::tui::screens::evaluate::EvaluateState::default(),
            export: ExportState::default(),
            monitor: crate::tui::screens::monitor::MonitorState::default(),
            status: Status::default(),
            show_help: false,
            rows_drawn: std::cell::RefCell::default(),
            help: super::help::HelpPage::default(),
            pending_g: false,
            should_quit: false,
            keymap: KeyMap::default(),
            palette: None,
            palette_files: FileHints::default(),
            recent: Vec::new(),
            clipboard: None,
            saving: None,
            workspace_file,
            rereading: None,
            next_id: 1,
            next_internal: 1 << 48,
        };
        let mut commands = app.reload_data();
        commands.extend(app.refresh_runs());
        (app, commands)
    }

    /// The id of a training job (train, sweep, tune, refit): its number shows on the Train
    /// screen, so they count 1, 2, 3 as the user starts them.
    pub(crate) fn next_job_id(&mut self) -> JobId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The id of every other job (loading data, opening, indexing, comparing, exporting
    /// runs, listing, writing), from a range of its own so the training jobs' numbers stay
    /// 1, 2, 3.
    pub(crate) fn next_internal_id(&mut self) -> JobId {
        let id = self.next_internal;
        self.next_internal += 1;
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
                    // Rows under the palette or the help are not what the user sees.
                    MouseEventKind::Down(_) if self.palette.is_none() && !self.show_help => {
                        self.click_row(m.column, m.row);
                    }
                    _ => {}
                }
                Vec::new()
            }
            AppEvent::Resize(..) | AppEvent::Tick => Vec::new(),
            AppEvent::Job(e) => self.on_job(e),
        }
    }

    /// Hands a job's event to the part of the workbench that started the job; each
    /// handler gives back the events that are not its own.
    fn on_job(&mut self, event: JobEvent) -> Vec<Command> {
        type Handler = fn(&mut AppState, JobEvent) -> Result<Vec<Command>, JobEvent>;
        const HANDLERS: [Handler; 15] = [
            AppState::on_data_job,
            AppState::on_workspace_read,
            AppState::on_export_job,
            AppState::on_compare_job,
            AppState::on_runs_listed,
            AppState::on_run_removed,
            AppState::on_run_loaded,
            AppState::on_index_job,
            AppState::on_audience_job,
            AppState::on_customer_looked,
            AppState::on_impact_job,
            AppState::on_monitor_job,
            AppState::on_palette_job,
            AppState::on_save_job,
            AppState::on_train_job,
        ];
        let mut event = super::knob_words::in_workbench_words(self, event);
        for handle in HANDLERS {
            match handle(self, event) {
                Ok(commands) => return commands,
                Err(unclaimed) => event = unclaimed,
            }
        }
        Vec::new()
    }

    /// Asks for the run list again (start, `r` on Runs, after a run finishes).
    pub(crate) fn refresh_runs(&mut self) -> Vec<Command> {
        let id = self.next_internal_id();
        self.runs.listing = Some(id);
        vec![Command::ListRuns { id }]
    }
}
