//! The Runs screen: every run of the workspace with its key settings and metrics; below
//! it, a comparison of two runs or the chart of the highlighted run's sweep.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Chart, Dataset, GraphType, Paragraph, Row, Table,
};

use crate::eval::Metric;
use crate::eval::bootstrap::Verdict;
use crate::store::RunState;
use crate::tui::app::AppState;
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let runs = &app.runs;
    if runs.all.is_empty() {
        let text = format!(
            "no runs in {} yet: train one from the Tune screen (t)",
            app.workspace.runs_dir().display()
        );
        frame.render_widget(Paragraph::new(text).block(panel("Runs")), area);
        return;
    }
    let sweep = runs.sweep_of_selected();
    let across = metric_across_runs(app);
    let detail_height = if runs.comparison.is_some() || sweep.is_some() || across.len() >= 2 {
        (area.height / 2).max(8)
    } else {
        0
    };
    let [table_area, detail] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(detail_height)]).areas(area);
    render_table(app, frame, table_area);
    if let Some(c) = &runs.comparison {
        render_comparison(c, frame, detail);
    } else if let Some(chart) = sweep {
        render_sweep(&chart.id, &chart.metric, &chart.trials, frame, detail);
    } else if across.len() >= 2 {
        render_across(runs.metric, &across, frame, detail);
    }
}

/// `(value, 95 % low, high)` of the chosen metric for the shown runs that have it, oldest
/// first (left to right).
fn metric_across_runs(app: &AppState) -> Vec<(f64, f64, f64)> {
    let runs = &app.runs;
    let mut points: Vec<(i64, f64, f64, f64)> = runs
        .visible()
        .iter()
        .filter_map(|&i| {
            let r = &runs.all[i];
            let m = r.metrics.as_ref()?;
            let value = m.model.get(runs.metric);
            let iv = m
                .intervals
                .as_ref()
                .and_then(|iv| iv.model.get(runs.metric));
            let (low, high) = iv.map_or((value, value), |iv| (iv.low, iv.high));
            Some((r.created_unix, value, low, high))
        })
        .collect();
    points.sort_by_key(|p| p.0);
    points.into_iter().map(|(_, v, l, h)| (v, l, h)).collect()
}

/// The chosen metric across runs, each with its interval as a whisker.
fn render_across(metric: Metric, points: &[(f64, f64, f64)], frame: &mut Frame<'_>, area: Rect) {
    let values: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| ((i + 1) as f64, p.0))
        .collect();
    let whiskers: Vec<Vec<(f64, f64)>> = points
        .iter()
        .enumerate()
        .map(|(i, p)| vec![((i + 1) as f64, p.1), ((i + 1) as f64, p.2)])
        .collect();
    let lo = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = points.iter().map(|p| p.2).fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.1).max(1e-6);
    let mut datasets: Vec<Dataset<'_>> = whiskers
        .iter()
        .map(|w| {
            Dataset::default()
                .marker(ratatui::symbols::Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme::muted())
                .data(w)
        })
        .collect();
    datasets.push(
        Dataset::default()
            .marker(ratatui::symbols::Marker::Dot)
            .graph_type(GraphType::Scatter)
            .style(Style::new().fg(theme::accent()))
            .data(&values),
    );
    let n = points.len() as f64;
    let title = format!(
        "{} across runs, oldest first · 95 % whiskers · :metric NAME changes it",
        metric.name()
    );
    let chart = Chart::new(datasets)
        .block(panel(&title))
        .x_axis(
            Axis::default()
                .bounds([0.5, n + 0.5])
                .labels([Line::from("1"), Line::from(format!("{}", points.len()))]),
        )
        .y_axis(Axis::default().bounds([lo - pad, hi + pad]).labels([
            Line::from(format!("{:.4}", lo - pad)),
            Line::from(format!("{:.4}", hi + pad)),
        ]));
    frame.render_widget(chart, area);
}

/// Widths of the run table's columns after the id, and the spaces between columns.
/// From this width on, the table adds two more metrics and the hold-out, and shows more
/// settings: a wide terminal compares runs without opening them.
const WIDE: u16 = 170;
const NARROW: u16 = 110;

fn render_table(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let runs = &app.runs;
    let wide = area.width >= WIDE;
    let metric = runs.metric;
    let extra: Vec<Metric> = if wide {
        [Metric::Ndcg, Metric::Recall, Metric::Precision]
            .into_iter()
            .filter(|m| *m != metric)
            .take(2)
            .collect()
    } else {
        Vec::new()
    };
    // Under NARROW the settings and the baseline's value go (lift keeps the comparison),
    // so the run's id and status stay whole at 80 columns.
    let narrow = area.width < NARROW;
    let (settings_width, settings_count) = if wide { (40, 6) } else { (18, 3) };
    // model, [settings], the metric, [popularity], lift, [more metrics, hold-out], fit,
    // status.
    let mut widths: Vec<u16> = if narrow {
        vec![10, 14, 6]
    } else {
        vec![12, settings_width, 14, 10, 6]
    };
    widths.extend(extra.iter().map(|_| 9));
    if wide {
        widths.push(14);
    }
    widths.extend([7, 12]);
    // The id takes what the other columns leave, at least 16, and is cut from the left.
    let others: u16 = widths.iter().sum::<u16>() + widths.len() as u16;
    let id_width = usize::from(area.width.saturating_sub(2 + others).max(16));
    // The list length the runs were measured at, when they share one.
    let ks: std::collections::BTreeSet<usize> = runs
        .all
        .iter()
        .filter_map(|r| Some(r.metrics.as_ref()?.k))
        .collect();
    let label = |m: Metric| match (ks.len(), ks.first(), m) {
        (1, Some(k), Metric::Precision) => format!("P@{k}"),
        (1, Some(k), m) => m.label(*k),
        (_, _, Metric::Precision) => "P@k".to_owned(),
        (_, _, m) => m.label(0).replace("@0", "@k"),
    };
    let precision = label(metric);
    let mut names: Vec<String> = vec!["run".to_owned(), "model".to_owned()];
    if !narrow {
        names.push("settings".to_owned());
    }
    names.push(precision.clone());
    if !narrow {
        names.push("popularity".to_owned());
    }
    names.push("lift".to_owned());
    names.extend(extra.iter().map(|&m| label(m)));
    if wide {
        names.push("hold-out".to_owned());
    }
    names.extend(["fit".to_owned(), "status".to_owned()]);
    let header = Row::new(names).style(theme::title());
    let visible = runs.visible();
    // A long session's runs scroll with the highlight; only the rows that fit are built.
    let height = crate::tui::views::table_rows(area);
    let offset = crate::tui::views::scroll_offset(runs.selected, height);
    let rows: Vec<Row<'_>> = visible
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let r = &runs.all[i];
            let (precision, base, lift) = match &r.metrics {
                Some(m) => {
                    let (value, baseline) = (m.model.get(metric), m.baseline.get(metric));
                    (
                        match m.intervals.as_ref().and_then(|iv| iv.model.get(metric)) {
                            Some(iv) => format!("{value:.4} ±{:.4}", iv.half_width()),
                            None => format!("{value:.4}"),
                        },
                        format!("{baseline:.4}"),
                        if baseline == 0.0 {
                            "-".to_owned()
                        } else {
                            format!("{:+.0}%", (value / baseline - 1.0) * 100.0)
                        },
                    )
                }
                None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            };
            let below = r
                .metrics
                .as_ref()
                .is_some_and(crate::eval::EvalReport::is_below_baseline);
            let style = if pos == runs.selected {
                theme::selected()
            } else if below {
                // A model worse than its baseline is never shown as if it were fine.
                theme::error()
            } else if r.state == RunState::Finished {
                Style::new()
            } else {
                theme::muted()
            };
            let mark = if runs.marked.as_deref() == Some(r.id.as_str()) {
                "● "
            } else {
                ""
            };
            let best = r
                .meta
                .as_ref()
                .and_then(|m| m.sweep.as_ref())
                .is_some_and(|t| t.best);
            let mut cells = vec![
                format!(
                    "{mark}{}",
                    crate::format::shorten_left(
                        &r.id,
                        id_width.saturating_sub(mark.chars().count())
                    )
                ),
                r.model.clone(),
            ];
            if !narrow {
                cells.push(r.settings(settings_count));
            }
            cells.push(precision);
            if !narrow {
                cells.push(base);
            }
            cells.push(lift);
            cells.extend(extra.iter().map(|&m| {
                r.metrics
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |e| format!("{:.4}", e.model.get(m)))
            }));
            if wide {
                cells.push(
                    r.meta
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |m| m.holdout.clone()),
                );
            }
            cells.extend([
                r.meta
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |m| format!("{:.2}s", m.train_seconds)),
                if below {
                    "✗ below base".to_owned()
                } else {
                    format!("{}{}", r.state.name(), if best { " ★" } else { "" })
                },
            ]);
            Row::new(cells).style(style)
        })
        .collect();
    let widths: Vec<Constraint> = std::iter::once(Constraint::Min(16))
        .chain(widths.iter().map(|&w| Constraint::Length(w)))
        .collect();
    let filter = runs.filter.title_suffix();
    let title = format!(
        "Runs · {} of {} · sorted by {}{filter}",
        visible.len(),
        runs.all.len(),
        runs.sort.name(runs.metric)
    );
    if visible.is_empty() && !runs.all.is_empty() {
        crate::tui::views::no_match(frame, area, &runs.filter, "run", &title);
        return;
    }
    crate::tui::views::clickable_rows(app, area, offset);
    let mut block = panel(&title);
    // Without a settings column, the highlighted run's settings (and the run a refit or
    // an update stands on) sit on the table's bottom border.
    if narrow && let Some(r) = visible.get(runs.selected).map(|&i| &runs.all[i]) {
        block = block.title_bottom(format!(" {} ", r.settings(3)));
    }
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn render_comparison(c: &crate::tui::screens::runs::Comparison, frame: &mut Frame<'_>, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let mut lines: Vec<Line<'_>> = Vec::new();
    if c.diff.settings.is_empty() {
        lines.push(Line::styled("same settings", theme::muted()));
    }
    for s in &c.diff.settings {
        lines.push(Line::from(format!("{}: {} → {}", s.key, s.a, s.b)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(format!(
        "top-{}: overlap {:.0}%, identical lists {:.0}% ({} customers)",
        c.diff.k,
        c.diff.mean_overlap * 100.0,
        c.diff.identical * 100.0,
        c.diff.customers
    )));
    if let Some(scored) = &c.diff.scored {
        lines.push(Line::from(format!(
            "metrics: paired bootstrap on {} customers both runs evaluated",
            scored.shared
        )));
        if let Some(note) = &scored.note {
            lines.push(Line::styled(note.clone(), theme::muted()));
        }
    } else if let Some(why) = &c.diff.unpaired {
        lines.push(Line::styled(
            format!("metrics as stored, not paired: {why}"),
            theme::error(),
        ));
    } else {
        lines.push(Line::styled(
            "metrics as stored: retrain a run for intervals and verdicts",
            theme::muted(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(panel(&format!("{} → {}", c.a, c.b))),
        left,
    );
    let rows: Vec<Row<'_>> = c
        .diff
        .metrics
        .iter()
        .map(|m| {
            let spread = match (m.ci_low, m.ci_high) {
                (Some(l), Some(h)) => format!("±{:.4}", (h - l) / 2.0),
                _ => String::new(),
            };
            let (verdict, style) = match m.verdict {
                Some(Verdict::BBetter) => ("B better", theme::title()),
                Some(Verdict::ABetter) => ("A better", theme::error()),
                Some(Verdict::NoDifference) => ("no difference", theme::muted()),
                None => ("", Style::new()),
            };
            Row::new(vec![
                m.metric.clone(),
                format!("{:.4}", m.a),
                format!("{:.4}", m.b),
                format!("{:+.4}", m.delta),
                spread,
                verdict.to_owned(),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Min(12),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(13),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(vec!["metric", "a", "b", "b − a", "95 %", "verdict"])
                    .style(theme::title()),
            )
            .block(panel("Metrics (Esc closes)")),
        right,
    );
}

fn render_sweep(
    id: &str,
    metric: &str,
    trials: &[(usize, f64, bool)],
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let top = trials
        .iter()
        .map(|t| t.1)
        .filter(|v| v.is_finite())
        .fold(0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let bars: Vec<Bar<'_>> = trials
        .iter()
        .map(|&(trial, value, best)| {
            let v = if value.is_finite() { value } else { 0.0 };
            let bar = Bar::default()
                .value((v / top * 1000.0) as u64)
                .text_value(format!("{v:.3}"))
                .label(Line::from(format!("t{trial}")));
            if best { bar.style(theme::title()) } else { bar }
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .block(panel(&format!(
                "Sweep {id}: validation {metric} per trial (best highlighted)"
            )))
            .data(BarGroup::default().bars(&bars))
            .bar_width(6)
            .bar_gap(1),
        area,
    );
}
