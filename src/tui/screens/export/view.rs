//! The Export screen: formats, destination (a folder or S3), progress, and what was
//! written with sizes and checksums.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table};

use crate::export::Format;
use crate::tui::app::AppState;
use crate::tui::theme;
use crate::tui::views::panel;

fn format_help(f: Format) -> &'static str {
    match f {
        Format::Bundle => "latent's own: what `latent serve` loads (manifest, factors, ids)",
        Format::Spark => "ALSModel directory for pyspark's ALSModel.load",
        Format::Implicit => ".npz for implicit's AlternatingLeastSquares.load",
        Format::Recs => "top-N for every customer with the rules, Parquet + CSV",
        Format::RecsPartitioned => "the same as a lake table: run_id=/country= Parquet",
        Format::Sagemaker => "model.tar.gz as SageMaker stores training output",
        Format::SparkJob => "PySpark script + job.json that redo the run on Spark",
    }
}

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let e = &app.export;
    let refit_key = app.keymap.label(crate::tui::action::Action::Refit);
    let warning = app
        .inspect
        .run
        .as_deref()
        .and_then(|r| super::refit::holdout_warning(r, &refit_key));
    let [form, warning_area, result] = Layout::vertical([
        Constraint::Length(12),
        Constraint::Length(if warning.is_some() { 3 } else { 0 }),
        Constraint::Min(3),
    ])
    .areas(area);
    if let Some(w) = warning {
        frame.render_widget(
            Paragraph::new(Line::styled(format!("⚠ {w}"), theme::error()))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            warning_area,
        );
    }
    let run = if app.inspect.run.is_some() {
        format!("run {}", app.inspect.run_label)
    } else {
        "no run open: train one or open one on the Runs screen".to_owned()
    };
    // The title names the run exported, its model and hold-out: no doubt which run goes.
    let title = match &app.inspect.run {
        Some(r) => format!(
            "Export · run {} · {} · hold-out {} (Space toggles, Enter edits, e exports)",
            app.inspect.run_label,
            r.meta.model.name(),
            if super::refit::held_out(r) {
                r.meta.holdout.as_str()
            } else {
                "none"
            }
        ),
        None => "Export (Space toggles, Enter edits, e exports)".to_owned(),
    };
    let mut rows: Vec<Row<'_>> = Format::ALL
        .iter()
        .zip(e.formats)
        .map(|(f, on)| {
            Row::new(vec![
                format!("[{}] {}", if on { "x" } else { " " }, f.name()),
                format_help(*f).to_owned(),
            ])
        })
        .collect();
    let destination = match &e.editing {
        Some(text) => format!("{text}▏"),
        None if e.destination.is_empty() => format!("{} (default)", app.default_destination()),
        None => e.destination.clone(),
    };
    rows.push(Row::new(vec!["destination".to_owned(), destination]));
    rows.push(Row::new(vec![
        format!("[{}] overwrite", if e.overwrite { "x" } else { " " }),
        "replace an existing export (the old one is kept until the new one is complete)".into(),
    ]));
    rows.push(Row::new(vec![
        if e.job.is_some() {
            "exporting…".to_owned()
        } else {
            "▶ export".to_owned()
        },
        if app.inspect.run.is_some() {
            format!("{run}, with the rules shown on Inspect")
        } else {
            run
        },
    ]));
    let rows: Vec<Row<'_>> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            if i == e.selected {
                r.style(theme::selected())
            } else {
                r.style(Style::new())
            }
        })
        .collect();
    frame.render_widget(
        Table::new(rows, [Constraint::Length(20), Constraint::Min(10)]).block(panel(&title)),
        form,
    );
    if let Some((dest, manifest)) = &e.result {
        let total: u64 = manifest.files.iter().map(|f| f.size).sum();
        let shown = e.visible_files();
        let filter = e.files_filter.title_suffix();
        let count = if filter.is_empty() {
            manifest.files.len().to_string()
        } else {
            format!("{} of {}", shown.len(), manifest.files.len())
        };
        let rows: Vec<Row<'_>> = shown
            .iter()
            .map(|f| {
                Row::new(vec![
                    f.path.clone(),
                    crate::format::thousands(f.size as usize),
                    f.sha256.chars().take(16).collect::<String>(),
                ])
            })
            .collect();
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Min(20),
                    Constraint::Length(14),
                    Constraint::Length(17),
                ],
            )
            .header(Row::new(vec!["file", "bytes", "sha256"]).style(theme::title()))
            .block(panel(&format!(
                "Exported to {dest}: {count} files, {} bytes, manifest.json last{filter}",
                crate::format::thousands(total as usize),
            ))),
            result,
        );
        return;
    }
    let mut lines: Vec<Line<'_>> = e.log.iter().map(|l| Line::from(l.as_str())).collect();
    if let Some(err) = &e.error {
        lines.push(Line::styled(err.as_str(), theme::error()));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "choose formats and a destination (a folder or s3://bucket/prefix), then press e",
            theme::muted(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).block(panel("Progress")), result);
}
