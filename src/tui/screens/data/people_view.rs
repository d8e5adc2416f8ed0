//! Drawing the Data screen's customers and countries lists (`v`), filtered by `/` and
//! scrolled to the highlight like the products.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Paragraph, Row, Table};

use super::DataList;
use crate::format::thousands;
use crate::jobs::profiling::people::People;
use crate::tui::app::AppState;
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, people: &People, frame: &mut Frame<'_>, area: Rect) {
    let view = &app.products;
    let (shown, total, noun) = match view.list {
        DataList::Countries => (
            view.visible_countries(people),
            people.countries.len(),
            "countries",
        ),
        _ => (
            view.visible_customers(people),
            people.customers.len(),
            "customers",
        ),
    };
    let height = crate::tui::views::table_rows(area);
    let offset = crate::tui::views::scroll_offset(view.selected, height);
    let rows: Vec<Row<'_>> = shown
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let cells = match view.list {
                DataList::Countries => {
                    let c = &people.countries[i];
                    vec![
                        c.name.clone(),
                        thousands(c.customers as usize),
                        thousands(c.lines as usize),
                    ]
                }
                _ => {
                    let c = &people.customers[i];
                    vec![
                        c.id.clone(),
                        c.country.clone(),
                        thousands(c.products as usize),
                        thousands(c.lines as usize),
                    ]
                }
            };
            let row = Row::new(cells);
            if pos == view.selected {
                row.style(theme::selected())
            } else {
                row
            }
        })
        .collect();
    let filter = view.filter().title_suffix();
    let title = if filter.is_empty() {
        format!("{} · {} · v next list", capital(noun), thousands(total))
    } else {
        format!(
            "{} · {} of {}{filter}",
            capital(noun),
            thousands(shown.len()),
            thousands(total)
        )
    };
    if total == 0 {
        let why = format!("no {noun}: the data has no such column");
        frame.render_widget(
            Paragraph::new(why)
                .style(theme::muted())
                .block(panel(&title)),
            area,
        );
        return;
    }
    if shown.is_empty() {
        let one = if noun == "countries" {
            "country"
        } else {
            "customer"
        };
        crate::tui::views::no_match(frame, area, view.filter(), one, &title);
        return;
    }
    let (widths, header) = match view.list {
        DataList::Countries => (
            vec![
                Constraint::Min(12),
                Constraint::Length(9),
                Constraint::Length(9),
            ],
            vec!["country", "customers", "lines"],
        ),
        _ => (
            vec![
                Constraint::Length(9),
                Constraint::Min(8),
                Constraint::Length(8),
                Constraint::Length(7),
            ],
            vec!["customer", "country", "products", "lines"],
        ),
    };
    crate::tui::views::clickable_rows(app, area, offset);
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme::title()))
            .block(panel(&title)),
        area,
    );
}

fn capital(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}
