//! Drawing: a function of the state and nothing else.
//!
//! [`render`] lays out the tab bar, the current screen (drawn by its module in
//! [`super::screens`]), the footer with the status line and the keys, and the help
//! overlay. Views only read [`AppState`]: no locks, no files (the palette's file hints
//! come from a listing a job made).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::action::Action;
use super::app::{AppState, Level, Screen};
use super::theme;

/// The smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Draws the whole UI.
pub fn render(app: &AppState, frame: &mut Frame<'_>) {
    app.rows_drawn.borrow_mut().clear();
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "enlarge the terminal: latent needs {MIN_WIDTH}x{MIN_HEIGHT}, this one is {}x{}",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [tabs, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(2),
    ])
    .areas(area);
    render_tabs(app, frame, tabs);
    super::screens::render(app, frame, body);
    render_footer(app, frame, footer);
    if app.show_help {
        super::help::render(app, frame, area);
    }
}

fn render_tabs(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let mut spans = Vec::new();
    // Eight tabs fit 80 columns only without their padding.
    let compact = area.width < 100;
    for (i, s) in Screen::ALL.iter().enumerate() {
        let text = if compact {
            format!("{} {}", i + 1, s.title())
        } else {
            format!(" {} {} ", i + 1, s.title())
        };
        spans.push(if *s == app.screen {
            Span::styled(text, theme::selected())
        } else {
            Span::raw(text)
        });
        spans.push(Span::raw(" "));
    }
    let name = app
        .workspace
        .config
        .name
        .clone()
        .unwrap_or_else(|| app.workspace.root.display().to_string());
    spans.push(Span::styled(format!(" latent · {name}"), theme::muted()));
    if app.is_training() {
        spans.push(Span::styled(" · training", theme::title()));
    }
    frame.render_widget(Line::from(spans), area);
}

/// The keys of the current screen: `(key, what it does)`, as the user's keymap has them.
pub fn screen_keys(app: &AppState) -> Vec<(String, &'static str)> {
    let k = |actions: &[Action]| {
        actions
            .iter()
            .map(|&a| app.keymap.label(a))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let fixed = |key: &str| key.to_owned();
    let mut keys = match app.screen {
        _ if app.is_filtering() => vec![(fixed("type"), "filter"), (fixed("Enter"), "done")],
        Screen::Data => vec![
            (k(&[Action::Reload]), "reload"),
            (k(&[Action::OpenFile]), "open file"),
            (k(&[Action::Window]), "window"),
            (k(&[Action::Search]), "filter"),
            (fixed("↑↓"), "product"),
        ],
        Screen::Tune if app.tune.editing.is_some() => {
            vec![(fixed("Enter"), "accept"), (fixed("Esc"), "discard")]
        }
        Screen::Tune => vec![
            (fixed("↑↓"), "field"),
            (fixed("Enter"), "edit"),
            (fixed("←→"), "choose"),
            (k(&[Action::Train]), "train"),
            (k(&[Action::Sweep]), "sweep"),
            (k(&[Action::NextPreset]), "preset"),
        ],
        Screen::Export if app.export.editing.is_some() => {
            vec![
                (fixed("type"), "folder or s3://bucket/prefix"),
                (fixed("Enter"), "accept"),
                (fixed("Esc"), "discard"),
            ]
        }
        Screen::Export => vec![
            (fixed("↑↓"), "row"),
            (format!("{} Enter", k(&[Action::ExportRow])), "toggle/edit"),
            (k(&[Action::Export]), "export"),
            (k(&[Action::Search]), "filter files"),
            (k(&[Action::Refit]), "refit on all data"),
        ],
        Screen::Train => vec![
            (fixed("↑↓"), "job"),
            (k(&[Action::Search]), "filter"),
            (k(&[Action::Cancel]), "cancel job"),
            (k(&[Action::Train]), "train again"),
        ],
        Screen::Runs => vec![
            (fixed("↑↓"), "run"),
            (fixed("Enter"), "inspect"),
            (k(&[Action::Search]), "filter"),
            (k(&[Action::Sort]), "sort"),
            (k(&[Action::Mark]), "mark"),
            (k(&[Action::Compare]), "compare"),
            (k(&[Action::Delete, Action::Archive]), "delete/archive"),
            (k(&[Action::Reload]), "refresh"),
        ],
        Screen::Inspect if app.inspect.searching => {
            vec![(fixed("type"), "customer id"), (fixed("Enter"), "done")]
        }
        Screen::Monitor => vec![
            (k(&[Action::Drift]), "drift since the run"),
            (k(&[Action::Backtest]), "retrain backtest"),
            (k(&[Action::Update]), "update with newer data"),
        ],
        Screen::Evaluate => vec![
            (k(&[Action::Impact]), "rules impact"),
            (fixed(":save FILE"), "save the tables"),
        ],
        Screen::Inspect if app.inspect.audience.is_some() => vec![
            (fixed("↑↓"), "customer"),
            (fixed("Enter"), "open"),
            (k(&[Action::Search]), "filter"),
            (fixed(":save FILE"), "save"),
            (fixed("Esc"), "back"),
        ],
        Screen::Inspect => vec![
            (k(&[Action::Search]), "search"),
            (
                k(&[Action::NextCustomer, Action::PreviousCustomer]),
                "customer",
            ),
            (fixed("↑↓"), "item"),
            (k(&[Action::HidePopular]), "hide popular"),
            (k(&[Action::Rebuys]), "re-buys"),
            (k(&[Action::NewProducts]), "new in"),
            (
                k(&[Action::Exclude, Action::ClearExclusions]),
                "exclude/clear",
            ),
            (k(&[Action::ColdStart]), "cold start"),
            (k(&[Action::Audience]), "audience"),
            (k(&[Action::Impact]), "rules impact"),
            (k(&[Action::Demo]), "demo"),
        ],
    };
    keys.extend([
        (fixed("1-8 Tab"), "screens"),
        (fixed("PgUp PgDn"), PAGE_KEYS),
        (fixed("gg G"), JUMP_KEYS),
        (k(&[Action::Palette]), "command palette"),
        (k(&[Action::CopyRow, Action::CopyTable]), "copy row/table"),
        (k(&[Action::Help]), "help"),
        (k(&[Action::Quit]), "quit"),
    ]);
    keys
}

fn render_footer(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let [status, keys] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let style = match app.status.level {
        Level::Error => theme::error(),
        Level::Info => theme::muted(),
    };
    if let Some(text) = &app.palette {
        frame.render_widget(
            Line::from(vec![
                Span::styled(":", theme::key()),
                Span::raw(format!("{text}▏")),
            ]),
            status,
        );
        let hints = crate::tui::palette::hints(text, &app.palette_files);
        let line = if hints.is_empty() {
            "no matching command · Esc closes".to_owned()
        } else {
            hints.join("  ·  ")
        };
        frame.render_widget(Paragraph::new(line).style(theme::muted()), keys);
        return;
    }
    frame.render_widget(
        Paragraph::new(app.status.text.as_str()).style(style),
        status,
    );
    // The screen's own keys as far as they fit; "? help" and "q quit" always show, and
    // the help overlay lists everything.
    let tail = [
        (app.keymap.key(Action::Help).to_string(), "help"),
        (app.keymap.key(Action::Palette).to_string(), "command"),
        (app.keymap.key(Action::Quit).to_string(), "quit"),
    ];
    let width = |k: &str, what: &str| k.chars().count() + what.chars().count() + 3;
    let tail_width: usize = tail.iter().map(|(k, w)| width(k, w)).sum();
    let mut room = usize::from(keys.width).saturating_sub(tail_width);
    let mut spans = Vec::new();
    for (k, what) in screen_keys(app)
        .into_iter()
        // Paging is a convention every table shares: the help lists it, the footer
        // keeps its room for the screen's own keys.
        .filter(|(_, what)| {
            !matches!(
                *what,
                "help" | "command palette" | "quit" | PAGE_KEYS | JUMP_KEYS
            )
        })
    {
        let w = width(&k, what);
        if w > room {
            break;
        }
        room -= w;
        spans.push(Span::styled(k, theme::key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    for (k, what) in tail {
        spans.push(Span::styled(k, theme::key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Line::from(spans), keys);
}

const PAGE_KEYS: &str = "a page of rows";
const JUMP_KEYS: &str = "first / last row (Home End)";

/// Records that a bordered table with a one-line header drew its rows in `table`,
/// starting with row `first`, so a click there selects one.
pub fn clickable_rows(app: &AppState, table: Rect, first: usize) {
    let area = Rect {
        x: table.x + 1,
        y: table.y + 2,
        width: table.width.saturating_sub(2),
        height: table.height.saturating_sub(3),
    };
    app.rows_drawn
        .borrow_mut()
        .push(crate::tui::app::RowsDrawn { area, first });
}

/// A bordered block with a title.
pub fn panel(title: &str) -> Block<'_> {
    Block::bordered().title(Span::styled(format!(" {title} "), theme::title()))
}
