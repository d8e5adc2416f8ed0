//! The Data screen: source, mapping, cleaning, the products, the matrix, its long tail and
//! its months; while the data loads, a gauge of the loader's progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Row, Sparkline, Table};

use crate::data::DropReason;
use crate::format::thousands;
use crate::jobs::profiling::ProductCount;
use crate::tui::app::{AppState, DataState};
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let [source, rest] = Layout::vertical([Constraint::Length(4), Constraint::Min(0)]).areas(area);
    let data = &app.workspace.config.data;
    // While a file loads, it is the one shown: `:open` changes the workspace's file only
    // once the new one has loaded.
    let loading = match &app.data {
        DataState::Loading { path, .. } => Some(path),
        _ => None,
    };
    let path = loading.or(data.path.as_ref()).map_or_else(
        || "(no [data] path in workspace.toml)".to_owned(),
        |p| p.display().to_string(),
    );
    let mapping = [
        ("user", &data.user),
        ("item", &data.item),
        ("qty", &data.quantity),
        ("date", &data.timestamp),
        ("price", &data.price),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("auto")))
    .collect::<Vec<_>>()
    .join("  ");
    let window = match (
        &app.workspace.config.interactions.retention_date,
        app.workspace.config.interactions.retention_days,
    ) {
        (d, Some(days)) => format!(
            "retention: {days} days up to {}",
            d.as_deref().unwrap_or("the last day")
        ),
        (_, None) => "retention: all days".to_owned(),
    } + match app.data {
        DataState::Ready { .. } => "  (w edits)",
        _ => "",
    };
    let lines = vec![
        Line::from(format!("file: {path}")),
        // The window first: it is what changes, and a narrow terminal cuts the end.
        Line::from(format!(
            "{window}  ranking={}  {mapping}",
            app.workspace.config.interactions.ranking_type.name()
        )),
    ];
    frame.render_widget(Paragraph::new(lines).block(panel("Source")), source);
    match &app.data {
        DataState::Idle => frame.render_widget(
            Paragraph::new("no data loaded; press r to load").block(panel("Data")),
            rest,
        ),
        DataState::Loading { progress, .. } => {
            super::loading::render(app, progress.as_ref(), frame, rest);
        }
        DataState::Failed { message } => {
            let text = vec![
                Line::styled(message.clone(), theme::error()),
                Line::from(""),
                Line::from(
                    "press o to pick another data file (Tab completes paths), or edit [data] in the workspace file and press r",
                ),
            ];
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(ratatui::widgets::Wrap { trim: true })
                    .block(panel("Data")),
                rest,
            );
        }
        DataState::Ready {
            profile,
            monthly_lines,
            item_popularity,
            products,
        } => {
            // Wide terminals give the product list room for its descriptions.
            let left_width = (rest.width * 2 / 5).max(42);
            let [left, right] =
                Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)])
                    .areas(rest);
            let c = &profile.cleaning;
            let mut rows = vec![
                Row::new(vec!["rows read".to_owned(), thousands(c.rows_read)]),
                Row::new(vec!["rows kept".to_owned(), thousands(c.rows_kept)]),
            ];
            for reason in DropReason::ALL {
                let n = c.dropped_for(reason);
                if n > 0 {
                    rows.push(Row::new(vec![
                        format!("- {}", reason.label()),
                        thousands(n),
                    ]));
                }
            }
            rows.push(Row::new(vec![
                "missing descriptions".to_owned(),
                thousands(c.missing_descriptions),
            ]));
            let [cleaning, product_list] = Layout::vertical([
                Constraint::Length(rows.len() as u16 + 2),
                Constraint::Min(4),
            ])
            .areas(left);
            frame.render_widget(
                Table::new(rows, [Constraint::Length(28), Constraint::Length(10)])
                    .block(panel("Cleaning")),
                cleaning,
            );
            render_products(app, products, frame, product_list);
            let [stats, tail, months] = Layout::vertical([
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Min(4),
            ])
            .areas(right);
            let range = profile
                .date_range
                .as_ref()
                .map_or_else(String::new, |(a, b)| format!("{a} .. {b}"));
            let text = vec![
                Line::from(format!(
                    "{} customers × {} products, {} pairs",
                    thousands(profile.users),
                    thousands(profile.items),
                    thousands(profile.nnz)
                )),
                Line::from(format!(
                    "density {:.3} %   {range}",
                    profile.density * 100.0
                )),
                Line::from(format!(
                    "pairs per customer: median {} p90 {}   per product: median {} p90 {}",
                    profile.interactions_per_user.median,
                    profile.interactions_per_user.p90,
                    profile.interactions_per_item.median,
                    profile.interactions_per_item.p90
                )),
                Line::from(format!(
                    "top 1 % of products hold {:.1} % of pairs, top 10 % hold {:.1} %",
                    profile.top_1pct_item_share * 100.0,
                    profile.top_10pct_item_share * 100.0
                )),
            ];
            frame.render_widget(Paragraph::new(text).block(panel("Matrix")), stats);
            let width = tail.width.saturating_sub(2).max(1) as usize;
            let binned = bin(item_popularity, width);
            frame.render_widget(
                Sparkline::default()
                    .data(&binned)
                    .block(panel("Long tail: buyers per product, most popular first")),
                tail,
            );
            let bars: Vec<Bar<'_>> = monthly_lines
                .iter()
                .map(|(m, n)| {
                    Bar::default()
                        .value(*n)
                        .label(Line::from(m[5..].to_owned()))
                })
                .collect();
            let bar_width = ((months.width.saturating_sub(2) as usize / monthly_lines.len().max(1))
                .saturating_sub(1))
            .clamp(1, 7) as u16;
            frame.render_widget(
                BarChart::default()
                    .data(BarGroup::default().bars(&bars))
                    .bar_width(bar_width)
                    .bar_gap(1)
                    .block(panel("Lines kept per month")),
                months,
            );
        }
    }
}

/// Every product with its buyers, filtered by `/` and scrolled to the highlight.
fn render_products(app: &AppState, products: &[ProductCount], frame: &mut Frame<'_>, area: Rect) {
    let view = &app.products;
    let shown = view.visible(products);
    // Only the rows that fit are built (a log has thousands of products and this runs
    // every frame), scrolled so the highlight is the last row once it passes the bottom.
    let height = usize::from(area.height.saturating_sub(3)).max(1);
    let offset = (view.selected + 1).saturating_sub(height);
    let rows: Vec<Row<'_>> = shown
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let p = &products[i];
            let row = Row::new(vec![
                p.id.clone(),
                p.description.clone(),
                thousands(p.buyers as usize),
            ]);
            if pos == view.selected {
                row.style(theme::selected())
            } else {
                row
            }
        })
        .collect();
    let filter = view.filter.title_suffix();
    let title = if filter.is_empty() {
        format!("Products · {}", thousands(products.len()))
    } else {
        format!(
            "Products · {} of {}{filter}",
            thousands(shown.len()),
            thousands(products.len())
        )
    };
    let widths = [
        Constraint::Length(8),
        Constraint::Min(10),
        Constraint::Length(6),
    ];
    if shown.is_empty() && !products.is_empty() {
        frame.render_widget(
            Paragraph::new(view.filter.no_match("product"))
                .style(theme::muted())
                .block(panel(&title)),
            area,
        );
        return;
    }
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(vec!["item", "description", "buyers"]).style(theme::title()))
            .block(panel(&title)),
        area,
    );
}

/// Averages `values` into `bins` buckets.
fn bin(values: &[u64], bins: usize) -> Vec<u64> {
    if values.is_empty() {
        return Vec::new();
    }
    let per = values.len().div_ceil(bins).max(1);
    values
        .chunks(per)
        .map(|c| c.iter().sum::<u64>() / c.len() as u64)
        .collect()
}
