//! The Export screen: formats, destination (a folder or S3), progress, and what was
//! written with sizes and checksums.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, Wrap};

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
        Format::Factors => "customer and product factors with their ids, as tables",
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
    let mut rows: Vec<Row<'_>> = super::formats()
        .zip(e.formats)
        .map(|(f, on)| {
            Row::new(vec![
                format!("[{}] {}", if on { "x" } else { " " }, f.name()),
                format_help(f).to_owned(),
            ])
        })
        .collect();
    let destination = match &e.editing {
        Some(text) => format!("{text}▏"),
        None if e.destination.is_empty() => format!("{} (default)", app.default_destination()),
        None => crate::export::destination::shown(&e.destination),
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
        match (&app.inspect.run, database_target(e)) {
            (Some(r), Some(target)) => {
                let tables: Vec<&str> = super::database_formats(r)
                    .iter()
                    .map(|f| f.name())
                    .collect();
                format!(
                    "{run} as tables ({}) into {target}, with Inspect's rules; the format ticks are for folders and S3",
                    tables.join(" + ")
                )
            }
            (Some(_), None) => format!("{run}, with the rules shown on Inspect"),
            (None, _) => run,
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
    // The form has no header: its rows start under the top border.
    crate::tui::views::clickable_area(app, form.inner(ratatui::layout::Margin::new(1, 1)), 0);
    if let Some((dest, manifest)) = &e.result {
        let total: u64 = manifest.files.iter().map(|f| f.size).sum();
        let shown = e.visible_files();
        let filter = e.files_filter.title_suffix();
        let count = if filter.is_empty() {
            manifest.files.len().to_string()
        } else {
            format!("{} of {}", shown.len(), manifest.files.len())
        };
        let tables = manifest.content == "postgresql";
        // A long list scrolls with PgDn / PgUp; the title counts what shows.
        let height = crate::tui::views::table_rows(result);
        let offset = e.files_offset.min(shown.len().saturating_sub(1));
        let scrolled = if shown.len() > height {
            format!(
                " · {}-{} shown, PgDn PgUp",
                offset + 1,
                (offset + height).min(shown.len())
            )
        } else {
            String::new()
        };
        let sorted = match e.files_sort {
            super::FileSort::Written => String::new(),
            other => format!(" · by {}", other.name()),
        };
        let rows: Vec<Row<'_>> = shown
            .iter()
            .skip(offset)
            .take(height)
            .map(|f| {
                Row::new(vec![
                    f.path.clone(),
                    crate::format::thousands(f.rows.unwrap_or(f.size) as usize),
                    f.sha256.chars().take(16).collect::<String>(),
                ])
            })
            .collect();
        let (header, title) = if tables {
            (
                ["table", "rows", "sha256"],
                format!(
                    "Exported to {dest}: {count} tables, swapped in one transaction{sorted}{scrolled}{filter}"
                ),
            )
        } else {
            (
                ["file", "bytes", "sha256"],
                format!(
                    "Exported to {dest}: {count} files, {} bytes, manifest.json last{sorted}{scrolled}{filter}",
                    crate::format::thousands(total as usize),
                ),
            )
        };
        if shown.is_empty() && !filter.is_empty() {
            let noun = if tables { "table" } else { "file" };
            crate::tui::views::no_match(frame, result, &e.files_filter, noun, &title);
            return;
        }
        frame.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Min(20),
                    Constraint::Length(14),
                    Constraint::Length(17),
                ],
            )
            .header(Row::new(header.to_vec()).style(theme::title()))
            .block(panel(&title)),
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
            "choose formats and a destination (a folder, s3://bucket/prefix, or postgresql://user@host:port/db?table=recs for tables), then press e",
            theme::muted(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(panel("Progress")),
        result,
    );
}

/// The database the destination field names (as typed, or being typed), without its
/// password; `None` for a folder or S3.
fn database_target(e: &super::ExportState) -> Option<String> {
    let text = e.editing.as_deref().unwrap_or(&e.destination);
    crate::export::destination::is_database(text).then(|| crate::export::destination::shown(text))
}
