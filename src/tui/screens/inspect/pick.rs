//! A search that matches several customers lists them to pick from, as a file picker
//! would: while typing, ↑↓ move through the matches (the list on the right follows the
//! highlighted one) and Enter opens it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Row, Table};

use super::InspectState;
use crate::tui::theme;
use crate::tui::views::panel;

impl InspectState {
    /// Whether the pick list is up: typing, with more than one match.
    pub fn picking(&self) -> bool {
        self.searching && self.matches.len() > 1
    }

    /// Moves the highlight through the matches by `delta` (wrapping) and shows that
    /// customer.
    pub fn step_pick(&mut self, delta: isize) {
        if self.matches.is_empty() {
            return;
        }
        let n = self.matches.len() as isize;
        self.pick = (self.pick as isize + delta).rem_euclid(n) as usize;
        self.show(Some(self.matches[self.pick]));
    }
}

/// The matches, one row each (id, country, products bought), scrolled to the highlight.
pub fn render(s: &InspectState, frame: &mut Frame<'_>, area: Rect) {
    let Some(run) = &s.run else { return };
    let room = crate::tui::views::table_rows(area);
    let offset = crate::tui::views::scroll_offset(s.pick, room);
    let rows: Vec<Row<'_>> = s
        .matches
        .iter()
        .enumerate()
        .skip(offset)
        .take(room)
        .map(|(n, &u)| {
            let bought = run.train.row_nnz(u as usize);
            let style = if n == s.pick {
                theme::selected()
            } else {
                Style::new()
            };
            Row::new(vec![
                run.users.name(u).to_owned(),
                run.catalog
                    .user_segment_name(u)
                    .unwrap_or_default()
                    .to_owned(),
                format!("{bought} product{}", if bought == 1 { "" } else { "s" }),
            ])
            .style(style)
        })
        .collect();
    let more = if s.matches.len() >= 200 { "+" } else { "" };
    let title = format!(
        "{}{more} customers match · ↑↓ pick · Enter opens",
        s.matches.len()
    );
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(10),
                Constraint::Min(8),
                Constraint::Length(12),
            ],
        )
        .header(Row::new(vec!["customer", "country", "bought"]).style(theme::title()))
        .block(panel(&title)),
        area,
    );
}
