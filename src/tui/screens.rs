//! The eight screens of the workbench, one module each.
//!
//! A screen's module holds its state, the updates that change it (as `impl AppState`
//! blocks where an update also touches what screens share: the status line, job ids) and,
//! in `<name>/view.rs`, how it is drawn. Adding a screen means a module here, a
//! [`Screen`] variant, its keys in [`super::action::BINDINGS`] and one line in [`render`].

pub mod data;
pub mod evaluate;
pub mod export;
pub mod inspect;
pub mod monitor;
pub mod runs;
pub mod train;
pub mod tune;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::app::{AppState, Screen};

/// Draws the current screen into `area` (the space between the tabs and the footer).
pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    match app.screen {
        Screen::Data => data::view::render(app, frame, area),
        Screen::Tune => tune::view::render(app, frame, area),
        Screen::Train => train::view::render(app, frame, area),
        Screen::Runs => runs::view::render(app, frame, area),
        Screen::Inspect => inspect::view::render(app, frame, area),
        Screen::Export => export::view::render(app, frame, area),
        Screen::Evaluate => evaluate::view::render(app, frame, area),
        Screen::Monitor => monitor::view::render(app, frame, area),
    }
}
