//! The Runs screen: every run of the workspace with its key settings and metrics.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Paragraph, Row, Table};

use super::panel;
use crate::store::RunState;
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
        "status",
    ])
    .style(theme::title());
    let rows: Vec<Row<'_>> = app
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = |k: &str| r.param(k);
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
            } else if r.state == RunState::Finished {
                Style::new()
            } else {
                theme::muted()
            };
            Row::new(vec![
                r.id.clone(),
                r.model.clone(),
                p("als_rank"),
                p("reg_param"),
                p("max_iter"),
                precision,
                base,
                lift,
                r.meta
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |m| format!("{:.2}s", m.train_seconds)),
                r.state.name().to_owned(),
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
        Constraint::Length(11),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(panel("Runs (Enter inspects)")),
        area,
    );
}
