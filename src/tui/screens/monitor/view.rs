//! Drawing the Monitor screen: the verdict first, the figures beside the popularity tiers
//! as bars, then the products rising (and falling), or the backtest's precision by model
//! age once one has run.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, Paragraph, Row, Table, Wrap,
};

use crate::monitor::backtest::Backtest;
use crate::monitor::report::{Divergence, Mover};
use crate::monitor::{Action, MonitorReport};
use crate::tui::app::AppState;
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let m = &app.monitor;
    let Some(report) = &m.report else {
        render_intro(app, frame, area);
        return;
    };
    let [head, middle, bottom] = Layout::vertical([
        Constraint::Length(4),
        Constraint::Length(13),
        Constraint::Min(6),
    ])
    .areas(area);
    render_verdict(report, frame, head);
    let [figures, tiers] =
        Layout::horizontal([Constraint::Length(62), Constraint::Min(20)]).areas(middle);
    render_figures(report, frame, figures);
    render_tiers(&report.data.popularity, frame, tiers);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    render_movers(
        "Rising since the run's window",
        &report.data.rising,
        frame,
        left,
    );
    match &m.backtest {
        Some(b) => render_backtest(b, frame, right),
        None => render_movers("Falling", &report.data.falling, frame, right),
    }
}

fn render_intro(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let m = &app.monitor;
    let [text, chart] = Layout::vertical([Constraint::Length(8), Constraint::Min(6)]).areas(area);
    let mut lines = vec![
        Line::from("d  what drifted in the workspace's data since the open run's window:"),
        Line::from("   new buyers and products, popularity, countries, baskets, and the lists"),
        Line::from(
            "b  how often to retrain: never, incremental updates, or a retrain every 30 days",
        ),
        Line::from("u  fold the newer lines into the open run's model: a new run that names it"),
    ];
    if m.drift_job.is_some() || m.backtest_job.is_some() {
        lines.push(Line::styled("measuring on a worker…", theme::muted()));
    }
    if let Some(e) = &m.error {
        lines.push(Line::styled(e.as_str(), theme::error()));
    }
    let title = match &app.inspect.run {
        Some(_) => format!("Monitor · run {}", app.inspect.run_label),
        None => {
            "Monitor · no run open (drift needs one; the backtest uses Tune's model)".to_owned()
        }
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel(&title)),
        text,
    );
    if let Some(b) = &m.backtest {
        render_backtest(b, frame, chart);
    }
}

fn render_verdict(r: &MonitorReport, frame: &mut Frame<'_>, area: Rect) {
    let style = match r.verdict.action {
        Action::Retrain => theme::error(),
        Action::Watch => theme::title(),
        Action::Stable => Style::new().fg(theme::good()),
    };
    let w = |s: &crate::monitor::report::WindowSummary| {
        format!(
            "{} .. {} ({} lines)",
            s.first.as_deref().unwrap_or("?"),
            s.last.as_deref().unwrap_or("?"),
            s.lines
        )
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(r.verdict.sentence.as_str(), style),
            Span::styled("  · u folds the newer lines into the model", theme::muted()),
        ]),
        Line::styled(
            format!(
                "trained on {} · newer {}",
                w(&r.data.reference),
                w(&r.data.newer)
            ),
            theme::muted(),
        ),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .block(panel(&format!("Monitor · run {} ({})", r.run, r.model))),
        area,
    );
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn divergence(name: &str, d: &Divergence) -> Row<'static> {
    Row::new(vec![
        name.to_owned(),
        format!("PSI {:.3}", d.psi),
        d.band.name().to_owned(),
        format!("JS {:.3}", d.js),
    ])
}

fn render_figures(r: &MonitorReport, frame: &mut Frame<'_>, area: Rect) {
    let d = &r.data;
    let l = &r.recommendations;
    let mut rows = vec![divergence("popularity", &d.popularity)];
    if let Some(c) = &d.country {
        rows.push(divergence("country mix", c));
    }
    rows.push(divergence("basket size", &d.basket.sizes));
    let plain = |a: &str, b: String| Row::new(vec![a.to_owned(), b, String::new(), String::new()]);
    rows.extend([
        plain(
            "new buyers",
            format!("{} of customers", pct(d.new_buyer_share)),
        ),
        plain(
            "new products",
            format!("{} of lines", pct(d.new_product_line_share)),
        ),
        plain(
            "basket mean",
            format!(
                "{:.1} -> {:.1} lines",
                d.basket.reference_mean, d.basket.newer_mean
            ),
        ),
        plain("list coverage", pct(l.catalogue_coverage)),
        plain("unsold slots", pct(l.not_sold_share)),
        plain(
            "rec. popularity",
            format!(
                "{} (bought {})",
                pct(l.avg_recommended_popularity),
                pct(l.avg_bought_popularity)
            ),
        ),
        plain("unseen buyers", pct(l.customers_unknown_share)),
    ]);
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(16),
                Constraint::Length(22),
                Constraint::Length(10),
                Constraint::Length(9),
            ],
        )
        .block(panel("Drift")),
        area,
    );
}

fn render_tiers(d: &Divergence, frame: &mut Frame<'_>, area: Rect) {
    let groups: Vec<BarGroup<'_>> = d
        .labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            let bar = |v: f64, style: Style| {
                Bar::default()
                    .value((v * 1000.0).round() as u64)
                    .text_value(String::new())
                    .style(style)
            };
            BarGroup::default()
                .label(Line::from(label.trim_start_matches("tier ").to_owned()))
                .bars(&[
                    bar(d.reference[i], theme::muted()),
                    bar(d.newer[i], Style::new().fg(theme::accent())),
                ])
        })
        .collect();
    let mut chart = BarChart::default()
        .block(panel("Share of lines per popularity tier: trained, newer"))
        .bar_width(2)
        .bar_gap(0)
        .group_gap(1);
    for g in groups {
        chart = chart.data(g);
    }
    frame.render_widget(chart, area);
}

fn render_movers(title: &str, movers: &[Mover], frame: &mut Frame<'_>, area: Rect) {
    let rows: Vec<Row<'_>> = movers
        .iter()
        .map(|m| {
            Row::new(vec![
                m.item_id.clone(),
                m.description.clone().unwrap_or_default(),
                format!(
                    "{:.2} -> {:.2} %",
                    m.reference_share * 100.0,
                    m.newer_share * 100.0
                ),
            ])
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(8),
                Constraint::Min(12),
                Constraint::Length(16),
            ],
        )
        .block(panel(title)),
        area,
    );
}

fn render_backtest(b: &Backtest, frame: &mut Frame<'_>, area: Rect) {
    let series = |f: fn(&crate::monitor::backtest::Step) -> f64| -> Vec<(f64, f64)> {
        b.steps
            .iter()
            .map(|s| (s.model_age_days as f64, f(s)))
            .collect()
    };
    let (never, update, retrain, popular) = (
        series(|s| s.never),
        series(|s| s.update),
        series(|s| s.retrain),
        series(|s| s.popularity),
    );
    let hi = b
        .steps
        .iter()
        .flat_map(|s| [s.never, s.update, s.retrain, s.popularity])
        .fold(0.0f64, f64::max)
        .max(1e-6)
        * 1.1;
    let age = b.steps.last().map_or(1, |s| s.model_age_days.max(1)) as f64;
    let title = format!(
        "precision@{} by model age (days), every {} days",
        b.k, b.every_days
    );
    let widget = Chart::new(vec![
        Dataset::default()
            .name("retrain")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::accent()))
            .data(&retrain),
        Dataset::default()
            .name("update")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(Style::new().fg(theme::good()))
            .data(&update),
        Dataset::default()
            .name("never")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme::error())
            .data(&never),
        Dataset::default()
            .name("popularity")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme::muted())
            .data(&popular),
    ])
    .block(panel(&title))
    .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 1)))
    .x_axis(
        Axis::default()
            .bounds([0.0, age])
            .labels([Line::from("0"), Line::from(format!("{age:.0}"))]),
    )
    .y_axis(
        Axis::default()
            .bounds([0.0, hi])
            .labels([Line::from("0"), Line::from(format!("{hi:.3}"))]),
    );
    frame.render_widget(widget, area);
}
