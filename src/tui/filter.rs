//! The `/` filter every table shares, as in VisiData and k9s: `/` starts typing, each key
//! narrows the table at once, Enter or Esc hands the keys back and leaves the filter in
//! place (clear it by deleting the text).
//!
//! One implementation serves the Runs, Train, Data and Export tables ([`TableFilter`]);
//! its typing is the workbench's one line editor ([`super::line_edit`]).

use ratatui::crossterm::event::KeyEvent;

use super::app::{AppState, Screen};
use super::line_edit::{LineEdit, edit_line};

/// A table's filter: the text rows must contain, and whether it has the keyboard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableFilter {
    pub text: String,
    /// True while keys go to the filter.
    pub editing: bool,
}

impl TableFilter {
    /// Hands the keyboard to the filter (the `/` key).
    pub fn start(&mut self) {
        self.editing = true;
    }

    /// Applies a key typed while editing.
    pub fn edit(&mut self, key: KeyEvent) -> LineEdit {
        let edit = edit_line(&mut self.text, key);
        if edit.is_done() {
            self.editing = false;
        }
        edit
    }

    /// A matcher for the current text, built once per listing.
    pub fn matcher(&self) -> Matcher {
        Matcher {
            needle: self.text.trim().to_lowercase(),
        }
    }

    /// What a table says when its filter hides every row, rather than looking empty
    /// (`what` names the rows: "product", "run").
    pub fn no_match(&self, what: &str) -> String {
        format!(
            "no {what} matches '{}': / and Backspace edit the filter",
            self.text.trim()
        )
    }

    /// ` · filter: TEXT` for a table title (with a cursor while typing), or nothing when
    /// there is no filter.
    pub fn title_suffix(&self) -> String {
        if self.editing || !self.text.is_empty() {
            let cursor = if self.editing { "▏" } else { "" };
            format!(" · filter: {}{cursor}", self.text)
        } else {
            String::new()
        }
    }
}

/// Case-insensitive substring matching of a filter's text.
#[derive(Debug, Clone)]
pub struct Matcher {
    needle: String,
}

impl Matcher {
    /// True when the filter is empty or any of `fields` contains its text, ignoring case.
    pub fn matches<'a>(&self, fields: impl IntoIterator<Item = &'a str>) -> bool {
        self.needle.is_empty()
            || fields
                .into_iter()
                .any(|f| f.to_lowercase().contains(&self.needle))
    }
}

impl AppState {
    /// The filter of the current screen's table, if it has one.
    pub fn screen_filter(&self) -> Option<&TableFilter> {
        match self.screen {
            Screen::Runs => Some(&self.runs.filter),
            Screen::Train => Some(&self.jobs_filter),
            Screen::Data => Some(self.products.filter()),
            Screen::Export => Some(&self.export.files_filter),
            Screen::Inspect => self.inspect.audience.as_ref().map(|a| &a.filter),
            Screen::Tune | Screen::Evaluate | Screen::Monitor => None,
        }
    }

    fn screen_filter_mut(&mut self) -> Option<&mut TableFilter> {
        match self.screen {
            Screen::Runs => Some(&mut self.runs.filter),
            Screen::Train => Some(&mut self.jobs_filter),
            Screen::Data => Some(self.products.filter_mut()),
            Screen::Export => Some(&mut self.export.files_filter),
            Screen::Inspect => self.inspect.audience.as_mut().map(|a| &mut a.filter),
            Screen::Tune | Screen::Evaluate | Screen::Monitor => None,
        }
    }

    /// True while the current screen's filter has the keyboard.
    pub fn is_filtering(&self) -> bool {
        self.screen_filter().is_some_and(|f| f.editing)
    }

    /// Starts typing the current screen's filter; false when the screen has none.
    pub(crate) fn start_filter(&mut self) -> bool {
        self.screen_filter_mut().map(TableFilter::start).is_some()
    }

    /// Applies a key to the current screen's filter and keeps the highlight on a row
    /// that is still shown.
    pub(crate) fn edit_filter(&mut self, key: KeyEvent) {
        if let Some(filter) = self.screen_filter_mut() {
            filter.edit(key);
        }
        self.clamp_filtered();
    }

    /// Sets the current screen's filter (the palette's `filter TEXT`); on a screen
    /// without a table it filters the run table and shows it.
    pub(crate) fn set_filter(&mut self, text: String) {
        if self.screen_filter().is_none() {
            self.screen = Screen::Runs;
        }
        if let Some(filter) = self.screen_filter_mut() {
            filter.text = text;
        }
        self.clamp_filtered();
    }

    fn clamp_filtered(&mut self) {
        match self.screen {
            Screen::Runs => self.runs.clamp(),
            Screen::Train => self.clamp_job_selection(),
            Screen::Data => {
                if let super::app::DataState::Ready {
                    products, people, ..
                } = &self.data
                {
                    let n = self.products.shown_len(products, people);
                    self.products.selected = self.products.selected.min(n.saturating_sub(1));
                }
            }
            Screen::Inspect => {
                if let (Some(a), Some(run)) = (&mut self.inspect.audience, &self.inspect.run) {
                    a.clamp(run);
                }
            }
            // A new filter shows its files from the first.
            Screen::Export => self.export.files_offset = 0,
            Screen::Tune | Screen::Evaluate | Screen::Monitor => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_backspace_and_enter() {
        let mut f = TableFilter::default();
        f.start();
        assert_eq!(f.edit(press(KeyCode::Char('a'))), LineEdit::Changed);
        assert_eq!(f.edit(press(KeyCode::Char('b'))), LineEdit::Changed);
        assert_eq!(f.edit(press(KeyCode::Backspace)), LineEdit::Changed);
        assert_eq!(f.edit(press(KeyCode::Down)), LineEdit::Ignored);
        assert_eq!(f.title_suffix(), " · filter: a▏");
        assert_eq!(f.edit(press(KeyCode::Enter)), LineEdit::Submit);
        assert!(!f.editing);
        assert_eq!(f.title_suffix(), " · filter: a");
        f.text.clear();
        assert_eq!(f.title_suffix(), "");
    }

    #[test]
    fn matching_ignores_case_and_an_empty_filter_matches_all() {
        let mut f = TableFilter::default();
        assert!(f.matcher().matches(["anything"]));
        assert!(f.matcher().matches([]));
        f.text = " Lunch ".into();
        let m = f.matcher();
        assert!(m.matches(["20725", "LUNCH BAG RED RETROSPOT"]));
        assert!(!m.matches(["22423", "REGENCY CAKESTAND 3 TIER"]));
    }
}
