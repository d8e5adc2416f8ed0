//! From a key to a change of the workbench's state: text boxes take their keys first,
//! then the keymap turns a character into an [`Action`] for the current screen, and the
//! rest (Enter, arrows, Tab, digits) move between screens and rows.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::app::{AppState, Command, DataState, Screen, Status};

/// Rows a page key moves.
const PAGE: isize = 10;
/// A move past either end: every table clamps it to its first or last row.
const JUMP: isize = 1 << 30;

impl AppState {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.should_quit = true;
            return Vec::new();
        }
        if self.show_help {
            if self.help_key(key) {
                return Vec::new();
            }
            // Any other key closes the help; one that means something else then does
            // it, so the help never swallows the next key.
            self.close_help();
            if matches!(key.code, KeyCode::Esc | KeyCode::Char('?' | 'q')) {
                return Vec::new();
            }
        }
        if self.tune.editing.is_some() && self.screen == Screen::Tune {
            return self.edit_field(key);
        }
        if self.inspect.searching && self.screen == Screen::Inspect {
            return self.edit_search(key);
        }
        if self.is_filtering() {
            self.edit_filter(key);
            return Vec::new();
        }
        if self.palette.is_some() {
            return self.edit_palette(key);
        }
        if self.export.editing.is_some() && self.screen == Screen::Export {
            return self.edit_destination(key);
        }
        let pending_g = std::mem::take(&mut self.pending_g);
        if let KeyCode::Char(c) = key.code
            && let Some(action) = self.keymap.action(self.screen, c)
        {
            return self.act(action);
        }
        // Jumps, as in less, vim and k9s: gg / Home to the first row, G / End to the last,
        // PgUp / PgDn a page (Inspect's pages scroll the history instead).
        let jump = match key.code {
            KeyCode::Char('g') if pending_g => Some(-JUMP),
            KeyCode::Char('g') => {
                self.pending_g = true;
                return Vec::new();
            }
            KeyCode::Char('G') | KeyCode::End => Some(JUMP),
            KeyCode::Home => Some(-JUMP),
            KeyCode::PageDown if !self.pages_its_own() => Some(PAGE),
            KeyCode::PageUp if !self.pages_its_own() => Some(-PAGE),
            _ => None,
        };
        if let Some(delta) = jump {
            self.move_in_screen(delta);
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc if self.screen == Screen::Runs && self.runs.comparison.is_some() => {
                self.runs.comparison = None;
            }
            KeyCode::Esc if self.screen == Screen::Inspect && self.inspect.audience.is_some() => {
                self.inspect.audience = None;
            }
            KeyCode::Esc => self.screen = Screen::Data,
            KeyCode::Tab => self.cycle_screen(1),
            KeyCode::BackTab => self.cycle_screen(-1),
            KeyCode::Char(c @ '1'..='8') => self.screen = Screen::ALL[c as usize - '1' as usize],
            KeyCode::Down => self.move_in_screen(1),
            KeyCode::Up => self.move_in_screen(-1),
            code => return self.screen_key(code),
        }
        Vec::new()
    }

    fn cycle_screen(&mut self, delta: isize) {
        let at = Screen::ALL
            .iter()
            .position(|s| *s == self.screen)
            .unwrap_or(0) as isize;
        self.screen = Screen::ALL[(at + delta).rem_euclid(Screen::ALL.len() as isize) as usize];
    }

    /// A click on a table row selects it, as ↑↓ would (Enter then drills into it).
    pub(super) fn click_row(&mut self, column: u16, row: u16) {
        let hit = self.rows_drawn.borrow().iter().find_map(|d| {
            let a = d.area;
            let inside =
                column >= a.x && column < a.x + a.width && row >= a.y && row < a.y + a.height;
            inside.then(|| d.first + usize::from(row - a.y))
        });
        if let Some(index) = hit {
            self.move_in_screen(-JUMP);
            if index > 0 {
                self.move_in_screen(index as isize);
            }
        }
    }

    /// True where PgDn / PgUp scroll a second list rather than move the highlight:
    /// Inspect's history, and Export's files once an export has written some.
    fn pages_its_own(&self) -> bool {
        match self.screen {
            Screen::Inspect => true,
            Screen::Export => self.export.result.is_some(),
            _ => false,
        }
    }

    pub(super) fn move_in_screen(&mut self, delta: isize) {
        match self.screen {
            Screen::Tune => self.tune.move_cursor(delta),
            Screen::Train => self.step_job(delta),
            Screen::Runs => self.runs.step(delta),
            Screen::Inspect => match (&mut self.inspect.audience, &self.inspect.run) {
                (Some(a), Some(run)) => a.step(run, delta),
                _ => self.inspect.move_selection(delta),
            },
            Screen::Export => self.export.step(delta),
            Screen::Evaluate | Screen::Monitor => {}
            Screen::Data => {
                if let DataState::Ready {
                    products, people, ..
                } = &self.data
                {
                    self.products.step_in(products, people, delta);
                }
            }
        }
    }

    /// The keys that are not characters, per screen: Enter and the arrows.
    fn screen_key(&mut self, code: KeyCode) -> Vec<Command> {
        match (self.screen, code) {
            (Screen::Tune, KeyCode::Enter) => self.tune.activate(0),
            (Screen::Tune, KeyCode::Left) => self.tune.activate(-1),
            (Screen::Tune, KeyCode::Right) => self.tune.activate(1),
            (Screen::Runs, KeyCode::Enter) => return self.open_selected_run(),
            (Screen::Train, KeyCode::Enter) => return self.open_selected_job_run(),
            (Screen::Export, KeyCode::Enter) => return self.export_row(),
            (Screen::Inspect, KeyCode::Enter) => return self.drill_into_inspect(),
            (Screen::Data, KeyCode::Enter) => return self.drill_into_data(),
            (Screen::Inspect, KeyCode::PageDown) => self.inspect.scroll_history(10),
            (Screen::Inspect, KeyCode::PageUp) => self.inspect.scroll_history(-10),
            (Screen::Export, KeyCode::PageDown) => self.export.scroll_files(PAGE),
            (Screen::Export, KeyCode::PageUp) => self.export.scroll_files(-PAGE),
            (Screen::Inspect, KeyCode::Right) => self.inspect.step_customer(1),
            (Screen::Inspect, KeyCode::Left) => self.inspect.step_customer(-1),
            _ => {}
        }
        Vec::new()
    }

    /// Does what `action` asks, on the current screen where that matters; keys and the
    /// palette both end here.
    pub fn act(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help => self.show_help = true,
            Action::Palette => return self.open_palette(String::new()),
            Action::Down => self.move_in_screen(1),
            Action::Up => self.move_in_screen(-1),
            Action::CopyRow => self.copy(true),
            Action::CopyTable => self.copy(false),
            Action::Search if self.screen == Screen::Inspect && self.inspect.audience.is_none() => {
                self.inspect.searching = true;
            }
            Action::Search => {
                self.start_filter();
            }
            Action::Train => return self.start_training(),
            Action::Sweep => return self.start_sweep(),
            Action::AutoTune => return self.start_tune(),
            Action::NextPreset => self.next_preset(),
            Action::Left => self.tune.activate(-1),
            Action::Right => self.tune.activate(1),
            Action::Cancel => return self.cancel_selected_job(),
            Action::Compare => return self.compare_runs(),
            Action::Reload if self.screen == Screen::Runs => return self.refresh_runs(),
            Action::Reload => return self.reread_workspace(),
            Action::NextList => {
                self.products.list = self.products.list.next();
                self.products.selected = 0;
                self.status = Status::info(format!(
                    "showing {} (v: the next list)",
                    self.products.list.name()
                ));
            }
            Action::Sort => self.sort_screen(),
            Action::Mark => self.mark_run(),
            Action::OpenFile => {
                // The palette's file picker, starting in the folder of the current file.
                let start = self
                    .workspace
                    .config
                    .data
                    .path
                    .as_deref()
                    .and_then(std::path::Path::parent)
                    .map(|p| p.display().to_string())
                    .filter(|p| !p.is_empty())
                    .map(|p| format!("{p}/"))
                    .unwrap_or_default();
                return self.open_palette(format!("open {start}"));
            }
            Action::Window => {
                let i = &self.workspace.config.interactions;
                let line = format!(
                    "retention {} {}",
                    i.retention_date.clone().unwrap_or_default(),
                    i.retention_days.map(|d| d.to_string()).unwrap_or_default()
                );
                return self.open_palette(line);
            }
            Action::ExportRow => return self.export_row(),
            Action::Export => return self.start_export(),
            Action::NextCustomer => self.inspect.step_customer(1),
            Action::PreviousCustomer => self.inspect.step_customer(-1),
            Action::Demo => {
                if let Some(note) = self.inspect.toggle_demo() {
                    self.status = Status::info(note);
                }
            }
            Action::HidePopular => {
                self.status = Status::info(self.inspect.toggle_exclude_popular());
            }
            Action::Rebuys => self.status = Status::info(self.inspect.toggle_rebuys()),
            Action::NewProducts => {
                self.status = Status::info(self.inspect.toggle_include_new());
            }
            Action::ColdStart => self.status = Status::info(self.inspect.cycle_cold_start()),
            Action::Exclude => self.status = Status::info(self.inspect.exclude_highlighted()),
            Action::ClearExclusions => {
                self.status = Status::info(self.inspect.clear_exclusions());
            }
            Action::Audience => return self.start_audience(),
            Action::Impact => return self.start_impact(),
            Action::Drift => return self.start_drift(),
            Action::Backtest => return self.start_backtest(),
            Action::Update => return self.prompt_update(),
            Action::Refit => return self.start_refit(),
            Action::Delete => return self.ask_delete(),
            Action::Archive => return self.archive_selected(),
        }
        Vec::new()
    }
}
