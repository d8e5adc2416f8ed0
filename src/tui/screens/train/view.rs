//! The Train screen: jobs with their progress, ETA and live loss chart.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Chart, Dataset, Gauge, GraphType, Paragraph, Row, Table, TableState};

use crate::tui::app::{AppState, JobStatus, TrainJob, TrialOrder};
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
    let wide = area.width >= 100;
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
            let mut cells = vec![format!("#{}", j.id), j.label.clone()];
            if wide {
                cells.push(j.settings.clone());
            }
            cells.extend([format!("{:.1}s", j.elapsed.as_secs_f64()), j.status_text()]);
            Row::new(cells).style(style)
        })
        .collect();
    // From 100 columns the table names each job's settings; a narrower one keeps the
    // status whole, and the highlighted job's settings title its progress panel.
    let (header, widths) = if wide {
        (
            vec!["job", "model", "settings", "time", "status"],
            vec![
                Constraint::Length(4),
                Constraint::Length(12),
                Constraint::Percentage(40),
                Constraint::Length(7),
                Constraint::Min(10),
            ],
        )
    } else {
        (
            vec!["job", "model", "time", "status"],
            vec![
                Constraint::Length(4),
                Constraint::Length(12),
                Constraint::Length(7),
                Constraint::Min(10),
            ],
        )
    };
    let header = Row::new(header).style(theme::title());
    let filter = app.jobs_filter.title_suffix();
    let title = if filter.is_empty() {
        "Jobs".to_owned()
    } else {
        format!("Jobs · {} of {}{filter}", shown.len(), app.jobs.len())
    };
    if shown.is_empty() {
        crate::tui::views::no_match(frame, list, &app.jobs_filter, "job", &title);
        return;
    }
    // Scrolled so the highlighted job stays in view however many jobs there are.
    let mut table_state =
        TableState::default().with_selected(shown.iter().position(|&i| i == app.selected_job));
    frame.render_stateful_widget(
        Table::new(rows, widths).header(header).block(panel(&title)),
        list,
        &mut table_state,
    );
    crate::tui::views::clickable_rows(app, list, table_state.offset());
    let Some(job) = app.selected_visible_job() else {
        return;
    };
    if job.label.starts_with("tune") {
        render_trials(app, job, frame, detail);
        return;
    }
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
    let title = if job.settings.is_empty() {
        format!("Progress · job {}", job.id)
    } else {
        format!("Progress · job {} · {}", job.id, job.settings)
    };
    frame.render_widget(
        Gauge::default()
            .block(panel(&title))
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
    let dataset = Dataset::default()
        .marker(Marker::Braille)
        .graph_type(GraphType::Line)
        .style(Style::new().fg(theme::accent()))
        .data(&points);
    let (x_axis, y_axis) = axes(&points, x_max);
    let widget = Chart::new(vec![dataset])
        .block(panel(title))
        .x_axis(x_axis)
        .y_axis(y_axis);
    frame.render_widget(widget, area);
}

/// Axes for `points` over `1..=x_max`: the values' range with a little room, labelled.
fn axes(points: &[(f64, f64)], x_max: f64) -> (Axis<'static>, Axis<'static>) {
    let (lo, hi) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
            (lo.min(v), hi.max(v))
        });
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 1e-3).max(1e-12);
    let x = Axis::default()
        .bounds([1.0, x_max])
        .labels([Line::from("1"), Line::from(format!("{}", x_max as usize))]);
    let y = Axis::default().bounds([lo - pad, hi + pad]).labels([
        Line::from(format!("{:.4}", lo - pad)),
        Line::from(format!("{:.4}", hi + pad)),
    ]);
    (x, y)
}

/// A tune's detail: the best so far, each trial's validation metric with the best-so-far
/// line, and the trials table in the chosen order.
fn render_trials(app: &AppState, job: &TrainJob, frame: &mut Frame<'_>, area: Rect) {
    let lower_is_better = job.metric == "rmse";
    let metric = if job.metric.is_empty() {
        "metric"
    } else {
        job.metric
    };
    let [summary, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(4)]).areas(area);
    let ordered = job.ordered_trials(TrialOrder::Best, lower_is_better);
    let best = ordered.first().filter(|t| t.validation.is_some());
    let headline = match best {
        Some(b) => format!(
            "{} trials · best {metric} {:.4}: trial {} ({}) · {}",
            job.trials.len(),
            b.validation.unwrap_or(f64::NAN),
            b.trial,
            b.model.name(),
            job.stage
        ),
        None => job.stage.clone(),
    };
    frame.render_widget(
        Paragraph::new(headline).block(panel(&format!(
            "Search · job {} · {} · on the validation window; the test period is scored once, by the chosen model",
            job.id, job.settings
        ))),
        summary,
    );
    let [chart, table] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
    let (points, best_line) = job.trial_series(lower_is_better);
    let title = format!("Validation {metric} per trial · best so far");
    if points.is_empty() {
        frame.render_widget(
            Paragraph::new(job.stage.as_str()).block(panel(&title)),
            chart,
        );
    } else {
        let (x_axis, y_axis) = axes(&points, job.trials.len().max(2) as f64);
        let widget = Chart::new(vec![
            Dataset::default()
                .name("trial")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(Style::new().fg(theme::accent()))
                .data(&points),
            Dataset::default()
                .name("best")
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(theme::good()))
                .data(&best_line),
        ])
        .block(panel(&title))
        .x_axis(x_axis)
        .y_axis(y_axis);
        frame.render_widget(widget, chart);
    }
    let best_trial = best.map(|b| b.trial);
    let rows: Vec<Row<'_>> = job
        .ordered_trials(app.trial_order, lower_is_better)
        .into_iter()
        .map(|t| {
            let settings: Vec<String> =
                t.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let value = match (&t.validation, &t.error) {
                (Some(v), _) => format!("{v:.4}"),
                (None, Some(e)) => e.clone(),
                (None, None) => "-".to_owned(),
            };
            let style = if Some(t.trial) == best_trial {
                Style::new().fg(theme::good())
            } else if t.validation.is_none() {
                theme::error()
            } else {
                Style::new()
            };
            Row::new(vec![
                t.trial.to_string(),
                t.model.name().to_owned(),
                value,
                format!("{:.2}", t.seconds),
                settings.join(" "),
            ])
            .style(style)
        })
        .collect();
    let header = Row::new(vec!["#", "model", metric, "s", "settings"]).style(theme::title());
    let widths = [
        Constraint::Length(4),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    let title = format!("Trials · {} (s sorts)", app.trial_order.label());
    frame.render_widget(
        Table::new(rows, widths).header(header).block(panel(&title)),
        table,
    );
}
