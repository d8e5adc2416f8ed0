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

use super::app::{AppState, Screen};
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
    super::footer::render(app, frame, footer);
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

/// The first row to draw of a list `rows` lines high, so the highlight stays in sight:
/// the list scrolls once the highlight passes the bottom, keeping it on the last line.
/// Stateless, so any key that moves the highlight (PgDn, `G`, a filter) scrolls too.
pub fn scroll_offset(selected: usize, rows: usize) -> usize {
    (selected + 1).saturating_sub(rows.max(1))
}

/// The rows of a bordered table with a one-line header in `area`: inside the border,
/// under the header.
pub fn table_rows(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3)).max(1)
}

/// Records that a bordered table with a one-line header drew its rows in `table`,
/// starting with row `first`, so a click there selects one.
pub fn clickable_rows(app: &AppState, table: Rect, first: usize) {
    let area = Rect {
        x: table.x + 1,
        y: table.y + 2,
        width: table.width.saturating_sub(2),
        height: table.height.saturating_sub(3),
    };
    clickable_area(app, area, first);
}

/// Records that the rows of a table start at row `first` in the top line of `area` (its
/// rows alone, inside any border and under any header), one per line.
pub fn clickable_area(app: &AppState, area: Rect, first: usize) {
    app.rows_drawn
        .borrow_mut()
        .push(crate::tui::app::RowsDrawn { area, first });
}

/// A table's place when its filter hides every row: the panel keeps its title, and the
/// text names the filter and how to change it, so the table never just looks empty.
pub fn no_match(
    frame: &mut Frame<'_>,
    area: Rect,
    filter: &crate::tui::filter::TableFilter,
    noun: &str,
    title: &str,
) {
    frame.render_widget(
        Paragraph::new(filter.no_match(noun))
            .style(theme::muted())
            .block(panel(title)),
        area,
    );
}

/// A bordered block with a title.
pub fn panel(title: &str) -> Block<'_> {
    Block::bordered().title(Span::styled(format!(" {title} "), theme::title()))
}
