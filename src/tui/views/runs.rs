//! The Runs screen: every run of the workspace with its key settings and metrics.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Row, Table};

use super::panel;
use crate::tui::app::AppState;
use crate::tui::theme;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    if app.runs.is_empty() {
        let text = format!(
            "no runs in {} yet: train one from the Tune screen (t)",
            app.workspace.runs_dir().display()
        );
        frame.render_widget(Paragraph::new(text).block(panel("Runs")), area);
        return;
    }
    let header = Row::new(vec![
        "run",
        "model",
        "rank",
        "reg",
        "iter",
        "P@k",
        "popularity",
        "lift",
        "fit",
    ])
    .style(theme::title());
    let rows: Vec<Row<'_>> = app
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = |k: &str| {
                r.meta
                    .params
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| "-".to_owned())
            };
            let (precision, base, lift) = match &r.metrics {
                Some(m) => (
                    format!("{:.4}", m.model.precision),
                    format!("{:.4}", m.baseline.precision),
                    format!("{:+.0}%", m.precision_lift() * 100.0),
                ),
                None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            };
            let style = if i == app.selected_run {
                theme::selected()
            } else {
                Style::new()
            };
            Row::new(vec![
                r.id.clone(),
                r.meta.model.name().to_owned(),
                p("als_rank"),
                p("reg_param"),
                p("max_iter"),
                precision,
                base,
                lift,
                format!("{:.2}s", r.meta.train_seconds),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Min(16),
        Constraint::Length(12),
        Constraint::Length(5),
        Constraint::Length(6),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(6),
        Constraint::Length(7),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(panel("Runs (Enter inspects)")),
        area,
    );
}
