//! Drawing the Evaluate screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Row, Table};

use crate::eval::EvalReport;
use crate::tui::app::AppState;
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let Some(run) = &app.inspect.run else {
        frame.render_widget(
            Paragraph::new(
                "no run open: open one on the Runs screen (Enter) or train one (Tune, t)",
            )
            .block(panel("Evaluate")),
            area,
        );
        return;
    };
    let Some(report) = &run.metrics else {
        frame.render_widget(
            Paragraph::new(format!(
                "run {} was not evaluated: train with a hold-out ({})",
                app.inspect.run_label,
                crate::tui::knob_words::where_in_workbench(app, crate::knob::Knob::TestLastDays)
            ))
            .block(panel("Evaluate")),
            area,
        );
        return;
    };
    let [metrics_column, _] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    let warning = warning_lines(app, report, metrics_column.width.saturating_sub(2));
    // Borders, the header, a row per metric, and the below-baseline warning's lines.
    let rows = 3 + report.metric_rows().len() as u16 + warning.len() as u16;
    let impact_rows = app
        .evaluate
        .impact
        .as_ref()
        .map_or(0, |(_, i)| i.changes.len() as u16 + 3);
    let [top, impact, segments] = Layout::vertical([
        Constraint::Length(rows),
        Constraint::Length(impact_rows),
        Constraint::Min(4),
    ])
    .areas(area);
    let [metrics, chart] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    render_metrics(app, report, warning, frame, metrics);
    render_curve(app, report, frame, chart);
    if let Some((rules, i)) = &app.evaluate.impact {
        render_impact(app, rules, i, frame, impact);
    }
    render_segments(report, frame, segments);
}

/// What the rules measured with `i` cost or gain, metric by metric, with the paired
/// interval and its verdict; a verdict that costs is in the error colour.
fn render_impact(
    app: &AppState,
    rules: &crate::recommend::Overrides,
    i: &crate::eval::RulesImpact,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let rows: Vec<Row<'_>> = i
        .changes
        .iter()
        .map(|m| {
            let verdict = crate::eval::impact::rules_verdict(m.verdict);
            let style = match m.verdict {
                Some(crate::eval::bootstrap::Verdict::ABetter) => theme::error(),
                Some(crate::eval::bootstrap::Verdict::BBetter) => theme::key(),
                _ => Style::new(),
            };
            Row::new(vec![
                m.metric.clone(),
                format!("{:.4}", m.a),
                format!("{:.4}", m.b),
                format!("{:+.4}", m.delta),
                spread(m.ci_low, m.ci_high),
                verdict.to_owned(),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Min(14),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Length(24),
    ];
    let stale = if *rules == app.inspect.rules {
        ""
    } else {
        " · Inspect's rules changed since: i measures them"
    };
    let title = format!(
        "Rules impact · {} · {} customers{stale}",
        crate::tui::screens::inspect::rules_summary(rules),
        i.users
    );
    let header =
        Row::new(vec!["", "without", "with", "change", "95 %", "verdict"]).style(theme::title());
    frame.render_widget(
        Table::new(rows, widths).header(header).block(panel(&title)),
        area,
    );
}

fn spread(low: Option<f64>, high: Option<f64>) -> String {
    match (low, high) {
        (Some(l), Some(h)) => format!("±{:.4}", (h - l) / 2.0),
        _ => String::new(),
    }
}

fn render_metrics(
    app: &AppState,
    r: &EvalReport,
    warning: Vec<String>,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let rows: Vec<Row<'_>> = r
        .metric_rows()
        .into_iter()
        .map(|m| {
            Row::new(vec![
                m.metric.clone(),
                format!("{:.4}", m.value),
                spread(m.ci_low, m.ci_high),
                format!("{:.4}", m.baseline),
                spread(m.baseline_ci_low, m.baseline_ci_high),
            ])
        })
        .collect();
    let widths = [
        Constraint::Min(14),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(8),
    ];
    let title = format!(
        "Evaluate · run {} · {} customers · 95 % intervals",
        app.inspect.run_label, r.users
    );
    let table = Table::new(rows, widths).header(
        Row::new(vec![r.model_name.as_str(), "", "", "popularity", ""]).style(theme::title()),
    );
    let block = panel(&title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [table_area, warning_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(warning.len() as u16)])
            .areas(inner);
    frame.render_widget(table, table_area);
    let warning: Vec<Line<'_>> = warning.into_iter().map(Line::from).collect();
    frame.render_widget(Paragraph::new(warning).style(theme::error()), warning_area);
}

/// A model below its baseline says so under the metrics, in full and in the error
/// colour, with where the workbench changes the setting that would help: the sentence
/// in lines of `width`, so the panel is laid out tall enough for all of it.
fn warning_lines(app: &AppState, r: &EvalReport, width: u16) -> Vec<String> {
    let Some(why) = crate::tui::knob_words::below_baseline(app, r) else {
        return Vec::new();
    };
    let text = format!("✗ {why}");
    crate::tui::wrap::wrap(&text, usize::from(width.max(10)))
}

fn render_curve(app: &AppState, r: &EvalReport, frame: &mut Frame<'_>, area: Rect) {
    let curve = &app.evaluate.curve;
    if curve.is_empty() {
        frame.render_widget(
            Paragraph::new("the run kept no evaluated lists: retrain it to chart precision@k")
                .block(panel("precision@k")),
            area,
        );
        return;
    }
    let model: Vec<(f64, f64)> = curve.iter().map(|&(k, m, _)| (k as f64, m)).collect();
    let base: Vec<(f64, f64)> = curve.iter().map(|&(k, _, b)| (k as f64, b)).collect();
    let hi = curve
        .iter()
        .map(|&(_, m, b)| m.max(b))
        .fold(0.0f64, f64::max)
        .max(1e-6)
        * 1.1;
    let k_max = curve.len() as f64;
    let title = format!("precision@k, k = 1..{}", curve.len());
    let widget = Chart::new(vec![
        Dataset::default()
            .name(r.model_name.clone())
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::accent()))
            .data(&model),
        Dataset::default()
            .name("popularity")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme::muted())
            .data(&base),
    ])
    .block(panel(&title))
    .x_axis(
        Axis::default()
            .bounds([1.0, k_max])
            .labels([Line::from("1"), Line::from(format!("{}", curve.len()))]),
    )
    .y_axis(
        Axis::default()
            .bounds([0.0, hi])
            .labels([Line::from("0"), Line::from(format!("{hi:.3}"))]),
    );
    frame.render_widget(widget, area);
}

fn render_segments(r: &EvalReport, frame: &mut Frame<'_>, area: Rect) {
    let cell = |m: Option<&crate::eval::MetricRow>| {
        m.map_or_else(String::new, |m| {
            format!("{:.3} {}", m.value, spread(m.ci_low, m.ci_high))
        })
    };
    let rows: Vec<Row<'_>> = r
        .segments
        .iter()
        .map(|s| {
            let precision = s.metrics.first();
            Row::new(vec![
                s.kind.clone(),
                s.name.clone(),
                s.customers.to_string(),
                cell(precision),
                precision.map_or_else(String::new, |m| format!("{:.3}", m.baseline)),
                cell(s.metrics.get(1)),
                cell(s.metrics.get(3)),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(10),
        Constraint::Min(16),
        Constraint::Length(9),
        Constraint::Length(15),
        Constraint::Length(10),
        Constraint::Length(15),
        Constraint::Length(15),
    ];
    let header = Row::new(vec![
        "segment".to_owned(),
        String::new(),
        "customers".to_owned(),
        format!("precision@{}", r.k),
        "popularity".to_owned(),
        format!("recall@{}", r.k),
        format!("ndcg@{}", r.k),
    ])
    .style(theme::title());
    frame.render_widget(
        Table::new(rows, widths).header(header).block(panel(
            "Segments · y copies the tables · :save FILE writes them · i measures the Inspect rules",
        )),
        area,
    );
}
