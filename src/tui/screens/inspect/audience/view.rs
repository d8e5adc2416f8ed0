//! Drawing the audience table: the customers most likely to buy a product, the rules it
//! was drawn with, and how such a list did on the hold-out beside the most active
//! customers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, Wrap};

use super::AudienceView;
use crate::tui::screens::inspect::InspectState;
use crate::tui::theme;
use crate::tui::views::panel;

/// Draws the audience; gives back the table's area and its first drawn row, so a click
/// there selects a customer.
pub fn render(
    s: &InspectState,
    a: &AudienceView,
    frame: &mut Frame<'_>,
    area: Rect,
) -> Option<(Rect, usize)> {
    let Some(run) = &s.run else { return None };
    let product = match s.description(a.product) {
        "" => s.item_id(a.product).to_owned(),
        d => format!("{d} ({})", s.item_id(a.product)),
    };
    let Some(campaign) = &a.campaign else {
        frame.render_widget(
            Paragraph::new(format!(
                "scoring every customer for {product}… (Esc goes back)"
            ))
            .block(panel("Audience")),
            area,
        );
        return None;
    };
    let [table_area, check] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(4)]).areas(area);
    let shown = a.visible(run);
    let height = crate::tui::views::table_rows(table_area);
    let offset = crate::tui::views::scroll_offset(a.selected, height);
    let rows: Vec<Row<'_>> = shown
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(pos, &i)| {
            let m = &campaign.members[i];
            let row = Row::new(vec![
                (i + 1).to_string(),
                run.users.name(m.user).to_owned(),
                run.catalog
                    .user_segment_name(m.user)
                    .unwrap_or("")
                    .to_owned(),
                run.train.row_nnz(m.user as usize).to_string(),
                last_purchase(run, m.user),
                format!("{:.4}", m.score),
                m.rank.to_string(),
            ]);
            if pos == a.selected {
                row.style(theme::selected())
            } else {
                row
            }
        })
        .collect();
    let widths = [
        Constraint::Length(5),
        Constraint::Length(10),
        Constraint::Length(20),
        Constraint::Length(9),
        Constraint::Length(14),
        Constraint::Length(8),
        Constraint::Length(13),
    ];
    let header = Row::new(vec![
        "#",
        "customer",
        "country",
        "products",
        "last purchase",
        "score",
        "in their list",
    ])
    .style(theme::title());
    let sorted = match a.sort {
        super::AudienceSort::Score => String::new(),
        other => format!(" · by {}", other.name()),
    };
    let title = format!(
        "Audience for {product} · {} of {} customers{sorted}{} · {}",
        shown.len(),
        campaign.members.len(),
        a.filter.title_suffix(),
        a.rules,
    );
    if shown.is_empty() && !a.filter.title_suffix().is_empty() {
        crate::tui::views::no_match(frame, table_area, &a.filter, "customer", &title);
    } else {
        frame.render_widget(
            Table::new(rows, widths).header(header).block(panel(&title)),
            table_area,
        );
    }
    let (text, style) = match &campaign.report {
        Some(r) => {
            let line = r.sentence(&run.meta.holdout);
            if campaign.below_baseline() {
                (format!("✗ {}. {line}", r.warning()), theme::error())
            } else {
                (line, theme::muted())
            }
        }
        None => (
            "the run kept no hold-out: train with one to check such lists against what customers bought".to_owned(),
            theme::muted(),
        ),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text, style))
            .wrap(Wrap { trim: true })
            .block(panel("Checked on the hold-out")),
        check,
    );
    Some((table_area, offset))
}

/// The day of the customer's last purchase in training, when the run kept dates.
fn last_purchase(run: &crate::store::Run, user: u32) -> String {
    let indptr = run.train.indptr();
    let (from, to) = (indptr[user as usize], indptr[user as usize + 1]);
    run.train_times
        .as_ref()
        .and_then(|t| t.get(from..to))
        .and_then(|t| {
            t.iter()
                .copied()
                .filter(|&x| x != crate::recommend::Catalog::NO_DATE)
                .max()
        })
        .map(crate::data::timestamps::format_day)
        .unwrap_or_default()
}
