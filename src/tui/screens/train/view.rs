//! The Train screen: jobs with their progress, ETA and live loss chart.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Chart, Dataset, Gauge, GraphType, Paragraph, Row, Table, TableState};

use crate::tui::app::{AppState, JobStatus};
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    if app.jobs.is_empty() {
        frame.render_widget(
            Paragraph::new("no training yet: set hyperparameters on the Tune screen and press t")
                .block(panel("Jobs")),
            area,
        );
        return;
    }
    let shown = app.visible_jobs();
    let [list, detail] = Layout::vertical([
        Constraint::Length((shown.len().max(1) as u16 + 3).min(8)),
        Constraint::Min(4),
    ])
    .areas(area);
    let rows: Vec<Row<'_>> = shown
        .iter()
        .map(|&i| {
            let j = &app.jobs[i];
            let style = if i == app.selected_job {
                theme::selected()
            } else {
                Style::new()
            };
            let style = match j.status {
                JobStatus::Failed(_) => style.patch(theme::error()),
                JobStatus::Finished { .. } if j.below_baseline() => style.patch(theme::error()),
                JobStatus::Finished { .. } => style.fg(theme::good()),
                _ => style,
            };
            Row::new(vec![
                format!("#{}", j.id),
                j.label.clone(),
                format!("{:.1}s", j.elapsed.as_secs_f64()),
                j.status_text(),
            ])
            .style(style)
        })
        .collect();
    let header = Row::new(vec!["job", "model", "time", "status"]).style(theme::title());
    let widths = [
        Constraint::Length(5),
        Constraint::Percentage(40),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    let filter = app.jobs_filter.title_suffix();
    let title = if filter.is_empty() {
        "Jobs".to_owned()
    } else {
        format!("Jobs · {} of {}{filter}", shown.len(), app.jobs.len())
    };
    // Scrolled so the highlighted job stays in view however many jobs there are.
    let mut table_state =
        TableState::default().with_selected(shown.iter().position(|&i| i == app.selected_job));
    frame.render_stateful_widget(
        Table::new(rows, widths).header(header).block(panel(&title)),
        list,
        &mut table_state,
    );
    let Some(job) = app.selected_visible_job() else {
        return;
    };
    let [gauge, chart] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(detail);
    let done = job.history.len();
    let ratio = if job.planned == 0 {
        0.0
    } else {
        done as f64 / job.planned as f64
    };
    let eta = job
        .eta()
        .map_or_else(String::new, |d| format!("  ETA {:.1}s", d.as_secs_f64()));
    let label = format!("{done}/{} iterations{eta}", job.planned);
    frame.render_widget(
        Gauge::default()
            .block(panel("Progress"))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(label)
            .gauge_style(Style::new().fg(theme::accent())),
        gauge,
    );
    let x_max = job.planned.max(done).max(2) as f64;
    let title = if job.label.starts_with("sweep") {
        "Validation NDCG per trial"
    } else {
        "Training loss per iteration"
    };
    if job.validation.is_empty() {
        line_chart(frame, chart, title, &job.history, x_max, &job.stage);
    } else {
        // Models with a validation split (FM) chart it beside the loss.
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(chart);
        line_chart(frame, left, title, &job.history, x_max, &job.stage);
        let title = format!("Validation {} per epoch", job.metric);
        line_chart(frame, right, &title, &job.validation, x_max, &job.stage);
    }
}

/// A line chart of `(iteration, value)` points in `area`, or `empty` while there are none.
fn line_chart(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    series: &[(usize, f64)],
    x_max: f64,
    empty: &str,
) {
    let points: Vec<(f64, f64)> = series
        .iter()
        .filter(|(_, l)| l.is_finite())
        .map(|&(i, l)| (i as f64, l))
        .collect();
    if points.is_empty() {
        frame.render_widget(Paragraph::new(empty).block(panel(title)), area);
        return;
    }
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, l)| {
            (lo.min(l), hi.max(l))
        });
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 1e-3).max(1e-12);
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(theme::accent()))
        .data(&points);
    let widget = Chart::new(vec![dataset])
        .block(panel(title))
        .x_axis(
            Axis::default()
                .bounds([1.0, x_max])
                .labels([Line::from("1"), Line::from(format!("{}", x_max as usize))]),
        )
        .y_axis(Axis::default().bounds([lo - pad, hi + pad]).labels([
            Line::from(format!("{:.4}", lo - pad)),
            Line::from(format!("{:.4}", hi + pad)),
        ]));
    frame.render_widget(widget, area);
}
