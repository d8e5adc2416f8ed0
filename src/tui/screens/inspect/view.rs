//! The Inspect screen: one customer's purchases beside what we suggest, and why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

use crate::tui::app::AppState;
use crate::tui::screens::inspect::InspectState;
use crate::tui::theme;
use crate::tui::views::panel;

pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let s = &app.inspect;
    if s.run.is_none() {
        frame.render_widget(
            Paragraph::new(
                "no run open: train one (Tune, t) or pick one on the Runs screen (Enter)",
            )
            .block(panel("Inspect")),
            area,
        );
        return;
    }
    let [search, body] = Layout::vertical([Constraint::Length(3), Constraint::Min(4)]).areas(area);
    let who = match s.customer_id() {
        Some(id) => format!("customer {id}  ({} purchases)", s.history.len()),
        None if s.query.is_empty() => "no customer".to_owned(),
        None => format!("customer {} is new to the model: cold-start list", s.query),
    };
    let cursor = if s.searching { "▏" } else { "" };
    let line = Line::from(vec![
        Span::styled("search: ", theme::title()),
        Span::raw(format!("{}{cursor}", s.query)),
        Span::styled(format!("   {} matches   ", s.matches.len()), theme::muted()),
        Span::raw(who),
    ]);
    frame.render_widget(
        Paragraph::new(line).block(panel(&format!("Inspect · run {}", s.run_label))),
        search,
    );
    if s.demo {
        render_demo(s, frame, body);
        return;
    }
    let [history, recs] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
    let rows: Vec<Row<'_>> = s
        .history
        .iter()
        .map(|&(i, v, when)| {
            Row::new(vec![
                s.item_id(i).to_owned(),
                s.description(i).to_owned(),
                when.map(crate::data::timestamps::format_day)
                    .unwrap_or_default(),
                format!("{v}"),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(9),
        Constraint::Min(10),
        Constraint::Length(10),
        Constraint::Length(5),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(vec!["item", "description", "last", "value"]).style(theme::title()))
            .block(panel("Bought (training)")),
        history,
    );
    // A short terminal (80x24) keeps the whole list and its explanation; the similar
    // products need the room of a taller one.
    let similar_height = if recs.height >= 24 { 7 } else { 0 };
    let [list, because, similar] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(5),
        Constraint::Length(similar_height),
    ])
    .areas(recs);
    let rows: Vec<Row<'_>> = s
        .recommendations
        .iter()
        .enumerate()
        .map(|(rank, r)| {
            let style = if rank == s.selected {
                theme::selected()
            } else {
                Style::new()
            };
            Row::new(vec![
                format!("{}", rank + 1),
                s.item_id(r.item).to_owned(),
                s.description(r.item).to_owned(),
                format!("{:.3}", r.score),
                InspectState::reason_text(r).to_owned(),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(3),
        Constraint::Length(9),
        Constraint::Min(10),
        Constraint::Length(7),
        Constraint::Length(12),
    ];
    let header = Row::new(vec!["#", "item", "description", "score", "why"]).style(theme::title());
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(panel(&format!(
                "Recommended · {} · x toggles popular",
                s.rules_summary()
            ))),
        list,
    );
    let lines: Vec<Line<'_>> = match &s.because {
        Some(e) => e
            .parts
            .iter()
            .map(|&(j, c)| {
                Line::from(vec![
                    Span::styled(format!("{c:+.3} "), theme::key()),
                    Span::raw(display(s, j)),
                ])
            })
            .chain(e.terms.iter().take(3).map(|(t, c)| {
                Line::from(vec![
                    Span::styled(format!("{c:+.3} "), theme::key()),
                    Span::raw(t.clone()),
                ])
            }))
            .collect(),
        None => vec![Line::styled(
            "no per-purchase explanation for this model or customer",
            theme::muted(),
        )],
    };
    frame.render_widget(
        Paragraph::new(lines).block(panel(
            if s.because.as_ref().is_some_and(|e| !e.terms.is_empty()) {
                "Why: the largest terms of the score"
            } else {
                "Because they bought"
            },
        )),
        because,
    );
    if similar.height == 0 {
        return;
    }
    let rows: Vec<Row<'_>> = s
        .similar
        .iter()
        .map(|r| {
            Row::new(vec![
                s.item_id(r.item).to_owned(),
                s.description(r.item).to_owned(),
                format!("{:.2}", r.score),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(9),
        Constraint::Min(10),
        Constraint::Length(6),
    ];
    frame.render_widget(
        Table::new(rows, widths).block(panel("Similar to the highlighted product")),
        similar,
    );
}

/// The business demo: big, clean, one customer's story.
fn render_demo(s: &InspectState, frame: &mut Frame<'_>, area: Rect) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Line::styled(
            format!("Customer {}", s.customer_id().unwrap_or("(new)")),
            theme::title(),
        ),
        Line::from(""),
    ];
    lines.push(Line::styled("They bought", bold));
    for &(i, _, _) in s.history.iter().take(6) {
        lines.push(Line::from(format!("   • {}", display(s, i))));
    }
    if s.history.len() > 6 {
        lines.push(Line::styled(
            format!("   … and {} more", s.history.len() - 6),
            theme::muted(),
        ));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("We suggest", bold));
    for (rank, r) in s.recommendations.iter().take(8).enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("   {}. ", rank + 1), theme::key()),
            Span::raw(display(s, r.item)),
            Span::styled(
                format!("   ({})", InspectState::reason_text(r)),
                theme::muted(),
            ),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(panel("Demo · n / p step through customers · d back")),
        area,
    );
}

fn display(s: &InspectState, item: u32) -> String {
    let d = s.description(item);
    if d.is_empty() {
        s.item_id(item).to_owned()
    } else {
        format!("{d} ({})", s.item_id(item))
    }
}
