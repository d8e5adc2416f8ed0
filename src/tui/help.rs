//! The `?` page: this screen's keys, what its columns mean and how each metric is
//! computed, filterable with `/` as you type. Any other key closes it and then does what
//! it means, so the help never swallows the next key. A page taller than the terminal
//! scrolls: while lines are hidden, ↑↓, PgUp/PgDn and Home/End move it instead.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::app::{AppState, Screen};
use super::footer::screen_keys;
use super::line_edit::{LineEdit, edit_line};
use super::theme;
use super::wrap::wrap;

/// The page's filter: the text, and whether it is still being typed.
#[derive(Debug, Clone, Default)]
pub struct HelpFilter {
    pub text: String,
    pub typing: bool,
}

/// The page's state: its filter, how far it is scrolled, and how many lines the last
/// frame could show (the keys scroll only a page that does not fit).
#[derive(Debug, Default)]
pub struct HelpPage {
    pub filter: Option<HelpFilter>,
    pub scroll: usize,
    /// `(lines shown, lines in all)` of the last frame.
    pub drawn: std::cell::Cell<(usize, usize)>,
}

impl HelpPage {
    /// The last line the page can start at, as the last frame drew it.
    fn max_scroll(&self) -> usize {
        let (shown, all) = self.drawn.get();
        all.saturating_sub(shown)
    }

    /// Moves the page by a key, when it has lines out of sight; true when it did.
    fn scroll_key(&mut self, code: ratatui::crossterm::event::KeyCode) -> bool {
        use ratatui::crossterm::event::KeyCode;
        let max = self.max_scroll();
        if max == 0 {
            return false;
        }
        let page = self.drawn.get().0.max(1);
        self.scroll = match code {
            KeyCode::Down | KeyCode::Char('j') => self.scroll + 1,
            KeyCode::Up | KeyCode::Char('k') => self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll + page,
            KeyCode::PageUp => self.scroll.saturating_sub(page),
            KeyCode::Home => 0,
            KeyCode::End => max,
            _ => return false,
        }
        .min(max);
        true
    }
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
            (
                "products (customers)",
                "distinct products the customer bought (v: customers)",
            ),
            (
                "customers (countries)",
                "customers with kept lines in the country (v: countries)",
            ),
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
                "rating",
                "the rating a rating model predicts the customer would give",
            ),
            (
                "why",
                "model score, boosted, re-buy, forced, or a cold-start policy",
            ),
            (
                "value",
                "the customer's interaction strength (the ranking type)",
            ),
            ("✓", "bought after the cut-off (runs with a hold-out)"),
            (
                "in their list",
                "(audience) where the product comes in that customer's own list",
            ),
            (
                "similarity",
                "(similar products) how alike the two products' buyers are, 0 to 1",
            ),
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
        Screen::Export => &[
            (
                "file / table",
                "what the export wrote, relative to its folder",
            ),
            ("bytes / rows", "the file's size, or a table's rows"),
            (
                "sha256",
                "the start of the file's SHA-256, as manifest.json has it",
            ),
        ],
        Screen::Tune => &[],
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
    // Every action this screen has, not only those the footer lists (Tune's `a`, Data's
    // `v` and `s`, Runs' `R`…), under the user's keys.
    let listed: Vec<String> = out
        .iter()
        .flat_map(|l| l.term.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    for &(action, _, _, screens, what) in super::action::BINDINGS {
        let key = app.keymap.label(action);
        if screens.contains(&app.screen) && !listed.contains(&key) {
            out.push(HelpLine {
                section: "keys",
                term: key,
                text: what.to_owned(),
            });
        }
    }
    if matches!(app.screen, Screen::Data | Screen::Inspect) && !listed.iter().any(|t| t == "Enter")
    {
        out.push(HelpLine {
            section: "keys",
            term: "Enter".to_owned(),
            text: "drill in: a customer opens in Inspect, a country lists its customers, a product lists its audience".to_owned(),
        });
    }
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
        .help
        .filter
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
        if let Some(filter) = self.help.filter.as_mut().filter(|f| f.typing) {
            match edit_line(&mut filter.text, key) {
                LineEdit::Changed => {
                    self.help.scroll = 0;
                    return true;
                }
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
            self.help.filter = Some(HelpFilter {
                text: String::new(),
                typing: true,
            });
            self.help.scroll = 0;
            return true;
        }
        self.help.scroll_key(key.code)
    }

    pub(crate) fn close_help(&mut self) {
        self.show_help = false;
        self.help = HelpPage::default();
    }
}

/// The page, centred over the screen; its lines are wrapped here, under their text with
/// the term's column kept clear, so the page knows how many it has and scrolls exactly.
pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let shown = filtered(app);
    let width = 78.min(area.width);
    let inner = usize::from(width.saturating_sub(2));
    let mut head = vec![Line::styled(
        format!("{} screen", app.screen.title()),
        theme::title(),
    )];
    if let Some(f) = &app.help.filter {
        let cursor = if f.typing { "▏" } else { "" };
        head.push(Line::from(vec![
            Span::styled("filter: ", theme::title()),
            Span::raw(format!("{}{cursor}", f.text)),
        ]));
    }
    let mut body = Vec::new();
    let mut section = "";
    for l in &shown {
        if l.section != section {
            section = l.section;
            body.push(Line::styled(section, theme::muted()));
        }
        let room = inner.saturating_sub(TERM + 2).max(10);
        for (n, part) in wrap(&l.text, room).into_iter().enumerate() {
            let term = if n == 0 { l.term.as_str() } else { "" };
            body.push(Line::from(vec![
                Span::styled(format!("{term:>TERM$}  "), theme::key()),
                Span::raw(part),
            ]));
        }
    }
    if shown.is_empty() {
        body.push(Line::styled("nothing matches the filter", theme::muted()));
    }
    let height = ((head.len() + body.len()) as u16 + 2).min(area.height);
    let rows = usize::from(height.saturating_sub(2)).saturating_sub(head.len());
    app.help.drawn.set((rows, body.len()));
    let scroll = app.help.scroll.min(body.len().saturating_sub(rows));
    let title = if body.len() > rows {
        format!(
            " help · lines {}-{} of {} · ↑↓ PgDn scroll · / filters · Esc closes ",
            scroll + 1,
            (scroll + rows).min(body.len()),
            body.len()
        )
    } else {
        " help (/ filters · ? or Esc closes) ".to_owned()
    };
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    head.extend(body.into_iter().skip(scroll).take(rows));
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(head).block(Block::bordered().title(title)),
        popup,
    );
}

/// The width of the term column.
const TERM: usize = 16;
