//! The Inspect screen: one customer's purchases beside what we suggest, and why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

use crate::recommend::Scored;
use crate::tui::app::AppState;
use crate::tui::screens::inspect::InspectState;
use crate::tui::screens::inspect::reason;
use crate::tui::screens::inspect::truth::Truth;
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
    // The purchases and first day come from the loaded data, when it has the customer.
    let in_data = |id: &str| match &app.data {
        crate::tui::screens::data::DataState::Ready { people, .. } => {
            people.customers.iter().find(|c| c.id == id)
        }
        _ => None,
    };
    let who = match s.customer_line(s.customer_id().and_then(in_data)) {
        Some(line) => line,
        None if s.query.is_empty() => "no customer".to_owned(),
        None if s.searched_newcomer().is_some() => s
            .searched_newcomer()
            .map(|c| super::newcomer::newcomer_line(c, in_data(&c.id)))
            .unwrap_or_default(),
        None => format!("customer {} is new to the model: cold-start list", s.query),
    };
    let cursor = if s.searching { "▏" } else { "" };
    let line = Line::from(vec![
        Span::styled("search: ", theme::title()),
        Span::raw(format!("{}{cursor}", s.query)),
        // "1 matches" beside the one customer shown says nothing: the room goes to them.
        Span::styled(
            if s.matches.len() == 1 && s.customer == s.matches.first().copied() {
                "   ".to_owned()
            } else {
                format!("   {} matches   ", s.matches.len())
            },
            theme::muted(),
        ),
        Span::raw(who),
    ]);
    frame.render_widget(
        Paragraph::new(line).block(panel(&format!("Inspect · run {}", s.run_label))),
        search,
    );
    if let Some(audience) = &s.audience {
        if let Some((table, first)) = super::audience::view::render(s, audience, frame, body) {
            crate::tui::views::clickable_rows(app, table, first);
        }
        return;
    }
    if s.demo {
        render_demo(s, frame, body);
        return;
    }
    // Under 100 columns the list takes more of the width and the history drops its
    // dates, so both keep readable descriptions.
    let narrow = body.width < 100;
    let split = if narrow { 38 } else { 45 };
    let [left, recs] = Layout::horizontal([
        Constraint::Percentage(split),
        Constraint::Percentage(100 - split),
    ])
    .areas(body);
    let truth_height = s
        .truth
        .as_ref()
        .map_or(0, |t| (t.bought.len() + 3).min(11) as u16);
    let [history, truth] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(truth_height)]).areas(left);
    if let Some(t) = &s.truth {
        render_truth(s, t, frame, truth);
    }
    if s.picking() {
        super::pick::render(s, frame, history);
    } else {
        render_history(s, narrow, frame, history);
    }
    let (list, first) = render_list(s, narrow, frame, recs);
    if s.audience.is_none() && !s.picking() {
        crate::tui::views::clickable_rows(app, list, first);
    }
}

fn render_history(s: &InspectState, narrow: bool, frame: &mut Frame<'_>, history: Rect) {
    // A long history scrolls (PgDn / PgUp) and its title counts what is shown.
    let room = history.height.saturating_sub(3) as usize;
    let offset = s.history_offset.min(s.history.len().saturating_sub(1));
    let shown_to = (offset + room).min(s.history.len());
    // A newcomer's purchases come from the data, not from what the model learnt.
    let label = if s.searched_newcomer().is_some() {
        "Bought (in the data)"
    } else {
        "Bought (training)"
    };
    let history_title = if s.history.len() > room {
        // The count is what matters: the longest title that fits keeps it.
        let count = format!("{}-{shown_to} of {}", offset + 1, s.history.len());
        let fits = usize::from(history.width.saturating_sub(4));
        [
            format!("{label} · {count} · PgDn PgUp scroll"),
            format!("{label} · {count}"),
            format!("Bought · {count}"),
        ]
        .into_iter()
        .find(|t| t.chars().count() <= fits)
        .unwrap_or(count)
    } else {
        label.to_owned()
    };
    let rows: Vec<Row<'_>> = s
        .history
        .iter()
        .skip(offset)
        .take(room.max(1))
        .map(|&(i, v, when)| {
            let mut cells = vec![s.item_id(i).to_owned(), s.description(i).to_owned()];
            if !narrow {
                cells.push(
                    when.map(crate::data::timestamps::format_day)
                        .unwrap_or_default(),
                );
            }
            cells.push(format!("{v}"));
            Row::new(cells)
        })
        .collect();
    let id_width = if narrow { 7 } else { 9 };
    let (widths, header) = if narrow {
        (
            vec![
                Constraint::Length(id_width),
                Constraint::Min(10),
                Constraint::Length(5),
            ],
            vec!["item", "description", "value"],
        )
    } else {
        (
            vec![
                Constraint::Length(id_width),
                Constraint::Min(10),
                Constraint::Length(10),
                Constraint::Length(5),
            ],
            vec!["item", "description", "last", "value"],
        )
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme::title()))
            .block(panel(&history_title)),
        history,
    );
}

/// The recommendations, their explanation and the similar products.
/// The list, its explanation and similar products; returns where the list's rows are
/// and the first one drawn, for clicks.
fn render_list(s: &InspectState, narrow: bool, frame: &mut Frame<'_>, recs: Rect) -> (Rect, usize) {
    let id_width = if narrow { 7 } else { 9 };
    // A short terminal (80x24) keeps the whole list and its explanation; the similar
    // products need the room of a taller one.
    let similar_height = if recs.height >= 24 { 7 } else { 0 };
    let [list, because, similar] = Layout::vertical([
        Constraint::Min(4),
        Constraint::Length(5),
        Constraint::Length(similar_height),
    ])
    .areas(recs);
    // The reason column is as wide as the longest reason shown when that leaves the
    // description at least 10 columns; else every reason takes its short label, whole
    // words either way, and the explanation's title gives the highlighted one in full.
    let longest = s
        .recommendations
        .iter()
        .map(|r| reason::full(r).chars().count())
        .max()
        .unwrap_or(3) as u16;
    let fixed = 3 + id_width + 7 + 1 + 5 + 2;
    let room = list.width.saturating_sub(fixed + 10);
    let (why_width, why_text): (u16, fn(&Scored) -> &'static str) = if longest <= room {
        (longest.max(3), reason::full)
    } else {
        (reason::SHORT_WIDTH, reason::short)
    };
    // `:top 100` makes a list longer than the panel: it scrolls with the highlight and
    // the title counts what shows.
    let height = crate::tui::views::table_rows(list);
    let offset = crate::tui::views::scroll_offset(s.selected, height);
    let total = s.recommendations.len();
    let shown = if total > height {
        format!(
            "{}-{} of {total} · ",
            offset + 1,
            (offset + height).min(total)
        )
    } else {
        String::new()
    };
    let rows: Vec<Row<'_>> = s
        .recommendations
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(rank, r)| {
            let style = if rank == s.selected {
                theme::selected()
            } else {
                Style::new()
            };
            let bought = s.truth.as_ref().is_some_and(|t| t.has(r.item));
            Row::new(vec![
                format!("{}", rank + 1),
                s.item_id(r.item).to_owned(),
                s.description(r.item).to_owned(),
                s.score_text(r),
                why_text(r).to_owned(),
                if bought { "✓" } else { "" }.to_owned(),
            ])
            .style(style)
        })
        .collect();
    let widths = [
        Constraint::Length(3),
        Constraint::Length(id_width),
        Constraint::Min(10),
        Constraint::Length(7),
        Constraint::Length(why_width),
        Constraint::Length(1),
    ];
    let header = Row::new(vec![
        "#",
        "item",
        "description",
        s.score_label(),
        "why",
        "✓",
    ])
    .style(theme::title());
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(panel(&format!(
                "Recommended · {shown}{} · x toggles popular",
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
    let why = s.recommendations.get(s.selected).map_or("", reason::full);
    let title = if s.because.as_ref().is_some_and(|e| !e.terms.is_empty()) {
        format!("Why ({why}): the largest terms of the score")
    } else {
        format!("Why: {why} · because they bought")
    };
    frame.render_widget(Paragraph::new(lines).block(panel(&title)), because);
    if similar.height == 0 {
        return (list, offset);
    }
    let rows: Vec<Row<'_>> = s
        .similar
        .iter()
        .map(|r| {
            Row::new(vec![
                s.item_id(r.item).to_owned(),
                s.description(r.item).to_owned(),
                format!("{:>10.2}", r.score),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(9),
        Constraint::Min(10),
        Constraint::Length(10),
    ];
    let header = Row::new(vec!["item", "description", "similarity"]).style(theme::title());
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(panel("Similar to the highlighted product")),
        similar,
    );
    (list, offset)
}

/// What the customer bought after the cut-off, suggested products marked.
fn render_truth(s: &InspectState, t: &Truth, frame: &mut Frame<'_>, area: Rect) {
    let shown: Vec<u32> = s.recommendations.iter().map(|r| r.item).collect();
    // Suggested purchases first: the hits are the story.
    let mut bought = t.bought.clone();
    bought.sort_by_key(|i| !shown.contains(i));
    let mut lines: Vec<Line<'_>> = bought
        .iter()
        .map(|&i| {
            let suggested = shown.contains(&i);
            let again = t.rebought.binary_search(&i).is_ok();
            Line::from(vec![
                Span::styled(if suggested { "✓ " } else { "  " }, theme::key()),
                Span::raw(display(s, i)),
                Span::styled(if again { "  (again)" } else { "" }, theme::muted()),
            ])
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            format!("nothing new bought {}", t.period),
            theme::muted(),
        ));
    }
    if !t.bought.is_empty() {
        lines.insert(
            0,
            Line::styled(
                t.short_summary(&shown),
                Style::new().add_modifier(Modifier::BOLD),
            ),
        );
    }
    frame.render_widget(
        Paragraph::new(lines).block(panel("Bought after the cut-off")),
        area,
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
    // The suggestions and the summary always show; what they bought takes the rest of
    // the screen (at least 2 lines), and a screen with room to spare spaces the
    // suggestions out, so a tall terminal is filled rather than left blank.
    let truth_lines = if s.truth.is_some() { 2 } else { 0 };
    let fixed = 2 + 6 + s.recommendations.len() + truth_lines;
    let room = (area.height as usize).saturating_sub(fixed).max(2);
    let bought = if s.history.len() <= room {
        s.history.len()
    } else {
        room - 1
    };
    let spare = room.saturating_sub(s.history.len());
    let spaced = !s.recommendations.is_empty() && spare >= s.recommendations.len();
    for &(i, _, _) in s.history.iter().take(bought) {
        lines.push(Line::from(format!("   • {}", display(s, i))));
    }
    if s.history.len() > bought {
        lines.push(Line::styled(
            format!("   … and {} more", s.history.len() - bought),
            theme::muted(),
        ));
    }
    lines.push(Line::from(""));
    lines.push(Line::styled("We suggest", bold));
    // The whole list, so the summary's "of these 10" is the list the customer gets.
    let shown: Vec<u32> = s.recommendations.iter().map(|r| r.item).collect();
    for (rank, r) in s.recommendations.iter().enumerate() {
        let bought = s.truth.as_ref().is_some_and(|t| t.has(r.item));
        let why = s
            .sentences
            .get(rank)
            .map_or_else(|| reason::full(r).to_owned(), Clone::clone);
        // The mark goes first: a long sentence may run past the edge, the mark never does.
        lines.push(Line::from(vec![
            Span::styled(format!("{:>4}. ", rank + 1), theme::key()),
            Span::styled(
                match (&s.truth, bought) {
                    (None, _) => "",
                    (Some(_), true) => "✓ bought  ",
                    (Some(_), false) => "          ",
                },
                theme::title(),
            ),
            Span::raw(display(s, r.item)),
            Span::styled(format!("   {why}"), theme::muted()),
        ]));
        if spaced {
            lines.push(Line::from(""));
        }
    }
    if let Some(t) = &s.truth {
        lines.push(Line::from(""));
        lines.push(Line::styled(t.summary(&shown), bold));
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
