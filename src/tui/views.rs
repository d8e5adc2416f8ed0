//! Drawing: a function of the state (and, for the palette's `open` hints, of a directory).
//!
//! [`render`] lays out the tab bar, the current screen, the footer with its keys and the
//! help overlay. Views only read [`AppState`] and take no locks; their one I/O is the
//! command palette's hints, which list a directory for `open PATH` (`palette::hints`).

mod data;
mod export;
mod inspect;
mod loading;
mod runs;
mod train;
mod tune;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{AppState, Screen};
use super::theme;

/// The smallest terminal the screens are laid out for.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// Draws the whole UI.
pub fn render(app: &AppState, frame: &mut Frame<'_>) {
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
    match app.screen {
        Screen::Data => data::render(app, frame, body),
        Screen::Tune => tune::render(app, frame, body),
        Screen::Train => train::render(app, frame, body),
        Screen::Runs => runs::render(app, frame, body),
        Screen::Inspect => inspect::render(app, frame, body),
        Screen::Export => export::render(app, frame, body),
    }
    render_footer(app, frame, footer);
    if app.show_help {
        render_help(app, frame, area);
    }
}

fn render_tabs(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let mut spans = Vec::new();
    for (i, s) in Screen::ALL.iter().enumerate() {
        let text = format!(" {} {} ", i + 1, s.title());
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

/// The keys of the current screen: `(key, what it does)`.
pub fn screen_keys(app: &AppState) -> Vec<(&'static str, &'static str)> {
    let mut keys = match app.screen {
        _ if app.is_filtering() => vec![("type", "filter"), ("Enter", "done")],
        Screen::Data => vec![
            ("r", "reload"),
            ("o", "open file"),
            ("w", "window"),
            ("/", "filter"),
            ("↑↓", "product"),
        ],
        Screen::Tune if app.tune.editing.is_some() => vec![("Enter", "accept"), ("Esc", "discard")],
        Screen::Tune => vec![
            ("↑↓", "field"),
            ("Enter", "edit"),
            ("←→", "choose"),
            ("t", "train"),
            ("S", "sweep"),
            ("p", "preset"),
        ],
        Screen::Export if app.export.editing.is_some() => {
            vec![
                ("type", "folder or s3://bucket/prefix"),
                ("Enter", "accept"),
                ("Esc", "discard"),
            ]
        }
        Screen::Export => vec![
            ("↑↓", "row"),
            ("Space Enter", "toggle/edit"),
            ("e", "export"),
            ("/", "filter files"),
        ],
        Screen::Train => vec![
            ("↑↓", "job"),
            ("/", "filter"),
            ("c", "cancel job"),
            ("t", "train again"),
        ],
        Screen::Runs => vec![
            ("↑↓", "run"),
            ("Enter", "inspect"),
            ("/", "filter"),
            ("s", "sort"),
            ("Space", "mark"),
            ("c", "compare"),
            ("r", "refresh"),
        ],
        Screen::Inspect if app.inspect.searching => {
            vec![("type", "customer id"), ("Enter", "done")]
        }
        Screen::Inspect => vec![
            ("/", "search"),
            ("n p", "customer"),
            ("↑↓", "item"),
            ("x", "hide popular"),
            ("w", "new in"),
            ("e E", "exclude/clear"),
            ("c", "cold start"),
            ("d", "demo"),
        ],
    };
    keys.extend([
        ("1-6 Tab", "screens"),
        (":", "command palette"),
        ("y Y", "copy row/table"),
        ("?", "help"),
        ("q", "quit"),
    ]);
    keys
}

fn render_footer(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let [status, keys] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let style = if app.status.contains("failed")
        || app.status.contains("cannot")
        || app.status.starts_with("fix")
    {
        theme::error()
    } else {
        theme::muted()
    };
    if let Some(text) = &app.palette {
        frame.render_widget(
            Line::from(vec![
                Span::styled(":", theme::key()),
                Span::raw(format!("{text}▏")),
            ]),
            status,
        );
        let hints = crate::tui::palette::hints(text);
        let line = if hints.is_empty() {
            "no matching command · Esc closes".to_owned()
        } else {
            hints.join("  ·  ")
        };
        frame.render_widget(Paragraph::new(line).style(theme::muted()), keys);
        return;
    }
    frame.render_widget(Paragraph::new(app.status.as_str()).style(style), status);
    // The screen's own keys as far as they fit; "? help" and "q quit" always show, and
    // the help overlay lists everything.
    let tail = [("?", "help"), (":", "command"), ("q", "quit")];
    let width = |k: &str, what: &str| k.chars().count() + what.chars().count() + 3;
    let tail_width: usize = tail.iter().map(|(k, w)| width(k, w)).sum();
    let mut room = usize::from(keys.width).saturating_sub(tail_width);
    let mut spans = Vec::new();
    for (k, what) in screen_keys(app)
        .into_iter()
        .filter(|(k, _)| !matches!(*k, "?" | "q" | ":"))
    {
        let w = width(k, what);
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

fn render_help(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let keys = screen_keys(app);
    let height = (keys.len() as u16 + 4).min(area.height);
    let width = 50.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines = vec![Line::styled(
        format!("{} screen", app.screen.title()),
        theme::title(),
    )];
    for (k, what) in keys {
        lines.push(Line::from(vec![
            Span::styled(format!("{k:>10}  "), theme::key()),
            Span::raw(what),
        ]));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" keys (? or Esc to close) ")),
        popup,
    );
}

/// A bordered block with a title.
pub fn panel(title: &str) -> Block<'_> {
    Block::bordered().title(Span::styled(format!(" {title} "), theme::title()))
}
