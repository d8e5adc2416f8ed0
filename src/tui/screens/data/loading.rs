//! The Data screen while the data loads: a gauge of the whole load, and the phases with
//! the one under way and its counts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use crate::data::reader::FileFormat;
use crate::data::{LoadPhase, LoadProgress};
use crate::format::thousands;
use crate::tui::app::AppState;
use crate::tui::theme;
use crate::tui::views::panel;

/// Draws the loading panel from the loader's last report (`None` before the first).
pub fn render(app: &AppState, progress: Option<&LoadProgress>, frame: &mut Frame<'_>, area: Rect) {
    let block = panel("Loading");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [text, _, gauge, _, phases] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new("loading and cleaning in the background; the other screens stay usable"),
        text,
    );
    let (ratio, label) = match progress {
        None => (0.0, "starting".to_owned()),
        Some(p) => (
            p.fraction.clamp(0.0, 1.0),
            format!("{:.0} % · {}", p.fraction * 100.0, p.phase.label()),
        ),
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(label)
            .use_unicode(true)
            .gauge_style(Style::new().fg(theme::accent())),
        gauge,
    );
    // A Parquet file has no checking pass; its extension says so before any report.
    let is_csv = app
        .workspace
        .config
        .data
        .path
        .as_deref()
        .is_none_or(|p| FileFormat::detect(p, &[]) == FileFormat::Csv);
    let lines: Vec<Line<'_>> = LoadPhase::ALL
        .iter()
        .filter(|&&phase| phase != LoadPhase::Checking || is_csv)
        .map(|&phase| phase_line(phase, progress))
        .collect();
    frame.render_widget(Paragraph::new(lines), phases);
}

/// ` ✓ phase` when done, ` ▸ phase  counts` under way, `   phase` to come.
fn phase_line(phase: LoadPhase, progress: Option<&LoadProgress>) -> Line<'static> {
    let current = progress.map(|p| p.phase);
    match current {
        Some(c) if phase < c => Line::from(vec![
            Span::styled(" ✓ ", theme::key()),
            Span::raw(phase.label()),
        ]),
        Some(c) if phase == c => Line::from(vec![
            Span::styled(" ▸ ", theme::key()),
            Span::styled(phase.label(), theme::title()),
            Span::raw(progress.map(counts).unwrap_or_default()),
        ]),
        _ => Line::styled(format!("   {}", phase.label()), theme::muted()),
    }
}

/// `   12.0 of 148.3 MiB` or `   65,536 of 541,909 rows`; nothing for one-step phases.
fn counts(p: &LoadProgress) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    match p.phase {
        LoadPhase::Checking => format!(
            "   {:.1} of {:.1} MiB",
            p.done as f64 / MIB,
            p.total as f64 / MIB
        ),
        LoadPhase::Reading => format!(
            "   {} of {} rows",
            thousands(p.done as usize),
            thousands(p.total as usize)
        ),
        LoadPhase::Cleaning | LoadPhase::Matrix => String::new(),
    }
}
