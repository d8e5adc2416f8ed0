//! The Data screen: source, mapping, cleaning, the products, the matrix, its long tail and
//! its months; while the data loads, a gauge of the loader's progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph, Row, Sparkline, Table};

use crate::data::DropReason;
use crate::format::thousands;
use crate::jobs::profiling::ProductCount;
use crate::tui::action::Action;
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
                Line::from(format!(
                    "press {} to pick another data file (Tab completes paths), or edit [data] in the workspace file and press {}",
                    app.keymap.label(Action::OpenFile),
                    app.keymap.label(Action::Reload)
                )),
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
            people,
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
            match app.products.list {
                super::DataList::Products => render_products(app, products, frame, product_list),
                _ => super::people_view::render(app, people, frame, product_list),
            }
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
            render_tail(item_popularity, frame, tail);
            // The highlighted product's months, while the products list is shown.
            let highlighted = (app.products.list == super::DataList::Products)
                .then(|| app.products.visible(products))
                .and_then(|v| v.get(app.products.selected).map(|&i| &products[i]));
            let partial = partial_months(monthly_lines, profile.date_range.as_ref());
            let all: Vec<u64> = monthly_lines.iter().map(|(_, n)| *n).collect();
            let span = month_span(monthly_lines);
            match highlighted.filter(|p| p.monthly.len() == monthly_lines.len()) {
                // Room for both: the log's months above the product's own.
                Some(p) if months.height >= 16 => {
                    let [whole, own] =
                        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                            .areas(months);
                    let title = format!("Lines kept per month, {span}{}", partial.note());
                    render_months(monthly_lines, &all, &partial, &title, frame, whole);
                    let own_counts: Vec<u64> = p.monthly.iter().map(|&n| u64::from(n)).collect();
                    render_months(
                        monthly_lines,
                        &own_counts,
                        &partial,
                        &product_title(p),
                        frame,
                        own,
                    );
                }
                Some(p) => {
                    let own_counts: Vec<u64> = p.monthly.iter().map(|&n| u64::from(n)).collect();
                    let title = format!("{}{}", product_title(p), partial.note());
                    render_months(monthly_lines, &own_counts, &partial, &title, frame, months);
                }
                None => {
                    let title = format!("Lines kept per month, {span}{}", partial.note());
                    render_months(monthly_lines, &all, &partial, &title, frame, months);
                }
            }
        }
    }
}

fn product_title(p: &ProductCount) -> String {
    let name = if p.description.is_empty() {
        p.id.clone()
    } else {
        format!("{} {}", p.id, p.description)
    };
    format!("{name}: lines per month (↑↓ another product)")
}

/// `Dec 2010 – Dec 2011`, from `("2010-12", _)` keys.
fn month_span(months: &[(String, u64)]) -> String {
    let name = |key: &str| -> String {
        let m: usize = key.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
        format!("{} {}", MONTHS[(m - 1).min(11)], key.get(..4).unwrap_or(""))
    };
    match (months.first(), months.last()) {
        (Some(a), Some(b)) if a.0 != b.0 => format!("{} – {}", name(&a.0), name(&b.0)),
        (Some(a), _) => name(&a.0),
        _ => String::new(),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Whether the first and last months are cut by the log's date range, so their bars are
/// not read as a slump.
struct Partial {
    first: bool,
    last: bool,
}

impl Partial {
    fn note(&self) -> &'static str {
        if self.first || self.last {
            " · * partial month"
        } else {
            ""
        }
    }
}

fn partial_months(months: &[(String, u64)], range: Option<&(String, String)>) -> Partial {
    let day = |s: &str| -> Option<u32> { s.get(8..10)?.parse().ok() };
    let Some((from, to)) = range else {
        return Partial {
            first: false,
            last: false,
        };
    };
    let last_day = |key: &str| -> u32 {
        let y: i32 = key.get(..4).and_then(|y| y.parse().ok()).unwrap_or(2000);
        let m: u32 = key.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
        let next = if m == 12 {
            chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)
        } else {
            chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)
        };
        next.and_then(|d| d.pred_opt())
            .map_or(31, |d| chrono::Datelike::day(&d))
    };
    Partial {
        first: day(from).is_some_and(|d| d > 1) && !months.is_empty(),
        last: months
            .last()
            .zip(day(to))
            .is_some_and(|((key, _), d)| d < last_day(key)),
    }
}

/// One bar per month: `Dec'10` where the bars are wide enough, else the month's number
/// (the title carries the years); a partial month's label ends in `*`.
fn render_months(
    months: &[(String, u64)],
    counts: &[u64],
    partial: &Partial,
    title: &str,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let bar_width = ((area.width.saturating_sub(2) as usize / months.len().max(1))
        .saturating_sub(1))
    .clamp(1, 7) as u16;
    let last = months.len().saturating_sub(1);
    let bars: Vec<Bar<'_>> = months
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(n, ((key, _), count))| {
            let m: usize = key.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
            let mut label = if bar_width >= 6 {
                format!(
                    "{}'{}",
                    MONTHS[(m - 1).min(11)],
                    key.get(2..4).unwrap_or("")
                )
            } else {
                format!("{m:02}")
            };
            if (n == 0 && partial.first) || (n == last && partial.last) {
                label.push('*');
            }
            Bar::default().value(*count).label(Line::from(label))
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_width)
            .bar_gap(1)
            .block(panel(title)),
        area,
    );
}

/// Every product with its buyers, filtered by `/` and scrolled to the highlight.
fn render_products(app: &AppState, products: &[ProductCount], frame: &mut Frame<'_>, area: Rect) {
    let view = &app.products;
    let shown = view.visible(products);
    // Only the rows that fit are built (a log has thousands of products and this runs
    // every frame), scrolled so the highlight is the last row once it passes the bottom.
    let height = crate::tui::views::table_rows(area);
    let offset = crate::tui::views::scroll_offset(view.selected, height);
    // The lines column where there is room for it, or when the list is sorted by it.
    let show_lines = area.width >= 60 || view.sort == crate::tui::screens::data::ProductSort::Lines;
    let rows: Vec<Row<'_>> = shown
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let p = &products[i];
            let mut cells = vec![
                p.id.clone(),
                p.description.clone(),
                thousands(p.buyers as usize),
            ];
            if show_lines {
                cells.push(thousands(p.lines as usize));
            }
            let row = Row::new(cells);
            if pos == view.selected {
                row.style(theme::selected())
            } else {
                row
            }
        })
        .collect();
    let filter = view.filter().title_suffix();
    let sorted = match view.sort {
        crate::tui::screens::data::ProductSort::Buyers => String::new(),
        other => format!(" · by {}", other.name()),
    };
    let title = if filter.is_empty() {
        format!("Products · {}{sorted}", thousands(products.len()))
    } else {
        format!(
            "Products · {} of {}{filter}{sorted}",
            thousands(shown.len()),
            thousands(products.len())
        )
    };
    let mut widths = vec![
        Constraint::Length(8),
        Constraint::Min(10),
        Constraint::Length(6),
    ];
    if show_lines {
        widths.push(Constraint::Length(7));
    }
    if shown.is_empty() && !products.is_empty() {
        crate::tui::views::no_match(frame, area, view.filter(), "product", &title);
        return;
    }
    crate::tui::views::clickable_rows(app, area, offset);
    frame.render_widget(
        Table::new(rows, widths)
            .header(
                Row::new(if show_lines {
                    vec!["item", "description", "buyers", "lines"]
                } else {
                    vec!["item", "description", "buyers"]
                })
                .style(theme::title()),
            )
            .block(panel(&title)),
        area,
    );
}

/// Averages `values` into `bins` buckets.
/// Buyers per product, most popular first, with its axis: the most bought product's
/// buyers at the top, the median's, and the product ranks along the bottom.
fn render_tail(popularity: &[u64], frame: &mut Frame<'_>, area: Rect) {
    let block = panel("Long tail: buyers per product, most popular first");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(&top) = popularity.first() else {
        return;
    };
    let label = thousands(top as usize);
    let gutter = label.chars().count() as u16 + 1;
    let [axis, body] =
        Layout::horizontal([Constraint::Length(gutter), Constraint::Min(1)]).areas(inner);
    let [bars, ranks] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(body);
    let median = popularity[popularity.len() / 2];
    let mut axis_lines = vec![Line::from(label)];
    if axis.height >= 3 {
        axis_lines.push(Line::from(""));
    }
    frame.render_widget(Paragraph::new(axis_lines).style(theme::muted()), axis);
    let binned = bin(popularity, bars.width.max(1) as usize);
    frame.render_widget(Sparkline::default().data(&binned).max(top), bars);
    let left = "1";
    let middle = format!("median {} buyers", thousands(median as usize));
    let right = format!("{} products", thousands(popularity.len()));
    let w = ranks.width as usize;
    let used = left.len() + middle.chars().count() + right.chars().count();
    let text = if w > used + 2 {
        let gap = w - used;
        format!(
            "{left}{}{middle}{}{right}",
            " ".repeat(gap / 2),
            " ".repeat(gap - gap / 2)
        )
    } else {
        format!("{left} … {right}")
    };
    frame.render_widget(Paragraph::new(text).style(theme::muted()), ranks);
}

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
