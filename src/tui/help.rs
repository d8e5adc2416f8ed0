//! The `?` page: this screen's keys, what its columns mean and how each metric is
//! computed, filterable with `/` as you type. Any other key closes it and then does what
//! it means, so the help never swallows the next key.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{AppState, Screen};
use super::footer::screen_keys;
use super::line_edit::{LineEdit, edit_line};
use super::theme;

/// The page's filter: the text, and whether it is still being typed.
#[derive(Debug, Clone, Default)]
pub struct HelpFilter {
    pub text: String,
    pub typing: bool,
}

/// One line of the page: its section, the term (a key, a column, a metric) and what it
/// means.
pub struct HelpLine {
    pub section: &'static str,
    pub term: String,
    pub text: String,
}

/// What each screen's columns mean.
fn columns(screen: Screen) -> &'static [(&'static str, &'static str)] {
    match screen {
        Screen::Data => &[
            (
                "buyers",
                "customers who bought the product in the kept lines",
            ),
            ("lines", "kept transaction lines naming the product"),
            (
                "rows kept",
                "lines left after every cleaning rule and the window",
            ),
            ("long tail", "buyers per product, most bought first"),
            ("* month", "a month the log's first or last day cuts short"),
        ],
        Screen::Runs => &[
            (
                "run",
                "the run's folder, cut from the left so -t05 / -best stay",
            ),
            (
                "P@k",
                "the chosen metric on the hold-out, ± its 95 % interval",
            ),
            ("popularity", "the same metric for the best-seller baseline"),
            (
                "lift",
                "the run against the baseline; ✗ below base is flagged",
            ),
            ("fit", "seconds the model's fit took"),
            ("hold-out", "the evaluation split (wide terminals)"),
        ],
        Screen::Inspect => &[
            ("score", "the model's score, or buyers for a best seller"),
            (
                "why",
                "model score, boosted, re-buy, forced, or a cold-start policy",
            ),
            (
                "value",
                "the customer's interaction strength (the ranking type)",
            ),
            ("✓", "bought after the cut-off (runs with a hold-out)"),
        ],
        Screen::Train => &[
            ("status", "running, done with P@k, cancelled or failed"),
            ("last loss", "the training loss of the last iteration"),
        ],
        Screen::Evaluate | Screen::Monitor => &[
            (
                "PSI",
                "population stability: < 0.1 stable, 0.1-0.25 moderate, > 0.25 shift",
            ),
            (
                "JS",
                "Jensen-Shannon divergence of the two distributions, 0 to 1",
            ),
        ],
        Screen::Tune | Screen::Export => &[],
    }
}

/// How the metrics are computed, for the screens that show them.
const METRICS: [(&str, &str); 11] = [
    (
        "precision@k",
        "share of the k suggested products the customer bought",
    ),
    (
        "recall@k",
        "share of what the customer bought that was suggested",
    ),
    ("map@k", "precision averaged at each hit's rank"),
    (
        "ndcg@k",
        "hits weighted by 1/log2(rank+1), against the best order",
    ),
    ("hit_rate@k", "customers with at least one hit"),
    ("mrr", "1 / the rank of the first hit"),
    ("coverage", "share of the catalogue suggested to anyone"),
    ("novelty", "mean -log2 popularity of the suggestions"),
    ("popularity_bias", "mean popularity of the suggestions"),
    (
        "gini",
        "how unevenly suggestions spread over products (0 even)",
    ),
    (
        "personalisation",
        "1 - mean overlap of two customers' lists",
    ),
];

/// Every line of `app`'s page, before filtering.
pub fn lines(app: &AppState) -> Vec<HelpLine> {
    let mut out: Vec<HelpLine> = screen_keys(app)
        .into_iter()
        .map(|(k, what)| HelpLine {
            section: "keys",
            term: k,
            text: what.to_owned(),
        })
        .collect();
    out.push(HelpLine {
        section: "keys",
        term: "/".to_owned(),
        text: "(on this page) filter it as you type".to_owned(),
    });
    out.extend(columns(app.screen).iter().map(|(t, d)| HelpLine {
        section: "columns",
        term: (*t).to_owned(),
        text: (*d).to_owned(),
    }));
    if matches!(
        app.screen,
        Screen::Runs | Screen::Evaluate | Screen::Train | Screen::Inspect
    ) {
        out.extend(METRICS.iter().map(|(t, d)| HelpLine {
            section: "metrics",
            term: (*t).to_owned(),
            text: (*d).to_owned(),
        }));
    }
    out
}

/// The lines matching `filter` (any word, in the term or the text, any case).
pub fn filtered(app: &AppState) -> Vec<HelpLine> {
    let filter = app
        .help_filter
        .as_ref()
        .map_or_else(String::new, |f| f.text.to_lowercase());
    lines(app)
        .into_iter()
        .filter(|l| {
            filter.is_empty()
                || l.term.to_lowercase().contains(&filter)
                || l.text.to_lowercase().contains(&filter)
        })
        .collect()
}

impl AppState {
    /// A key while the help is open. Returns true when the key was the page's own.
    pub(crate) fn help_key(&mut self, key: KeyEvent) -> bool {
        use ratatui::crossterm::event::KeyCode;
        if let Some(filter) = self.help_filter.as_mut().filter(|f| f.typing) {
            match edit_line(&mut filter.text, key) {
                LineEdit::Changed => return true,
                LineEdit::Submit => {
                    filter.typing = false;
                    return true;
                }
                LineEdit::Cancel => {
                    self.close_help();
                    return true;
                }
                LineEdit::Ignored => {}
            }
        }
        if key.code == KeyCode::Char('/') {
            self.help_filter = Some(HelpFilter {
                text: String::new(),
                typing: true,
            });
            return true;
        }
        false
    }

    pub(crate) fn close_help(&mut self) {
        self.show_help = false;
        self.help_filter = None;
    }
}

/// The page, centred over the screen.
pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let shown = filtered(app);
    let width = 78.min(area.width);
    let height = (shown.len() as u16 + 8).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let mut lines = vec![Line::styled(
        format!("{} screen", app.screen.title()),
        theme::title(),
    )];
    if let Some(f) = &app.help_filter {
        let cursor = if f.typing { "▏" } else { "" };
        lines.push(Line::from(vec![
            Span::styled("filter: ", theme::title()),
            Span::raw(format!("{}{cursor}", f.text)),
        ]));
    }
    let mut section = "";
    for l in &shown {
        if l.section != section {
            section = l.section;
            lines.push(Line::styled(section, theme::muted()));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{:>16}  ", l.term), theme::key()),
            Span::raw(l.text.clone()),
        ]));
    }
    if shown.is_empty() {
        lines.push(Line::styled("nothing matches the filter", theme::muted()));
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" help (/ filters · ? or Esc closes) ")),
        popup,
    );
}
