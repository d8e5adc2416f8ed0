//! The Tune screen: the next run's hyperparameters, validated as typed.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::app::AppState;
use crate::tui::screens::tune::form::FieldKind;
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let [form, help] = Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(area);
    let t = &app.tune;
    let lines: Vec<Line<'_>> = t
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| t.applies(f))
        .map(|(i, f)| {
            let value = match (&t.editing, i == t.selected) {
                (Some(text), true) => format!("{text}▏"),
                _ => match f.kind {
                    FieldKind::Choice(_) => format!("‹ {} ›", f.value),
                    FieldKind::Text if f.value.is_empty() => "(empty)".to_owned(),
                    FieldKind::Text => f.value.clone(),
                },
            };
            let label = Span::styled(
                format!("{:<22}", f.label),
                if i == t.selected {
                    theme::selected()
                } else {
                    theme::title()
                },
            );
            let mut spans = vec![label, Span::raw(format!(" {value:<14}"))];
            if let Some(e) = &f.error {
                spans.push(Span::styled(format!(" ✗ {e}"), theme::error()));
            }
            Line::from(spans)
        })
        .collect();
    let title = if t.is_valid() {
        "Hyperparameters (t trains)"
    } else {
        "Hyperparameters (fix the errors to train)"
    };
    frame.render_widget(Paragraph::new(lines).block(panel(title)), form);
    // One line per shown field, under the top border: a click picks a field.
    crate::tui::views::clickable_area(app, form.inner(ratatui::layout::Margin::new(1, 1)), 0);
    let f = &t.fields[t.selected];
    frame.render_widget(
        Paragraph::new(f.help.as_str())
            .wrap(Wrap { trim: true })
            .block(panel(f.key)),
        help,
    );
}
