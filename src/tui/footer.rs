//! The footer: the status line, and the keys of the screen as far as they fit.
//!
//! The keys come in the order that matters for the screen. When they do not all fit, the
//! arrows go first (every table moves with them, and `?` lists them), then whatever is
//! left that does not fit, and "? help" becomes "? more keys": a key is never cut in half.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::action::Action;
use super::app::{AppState, Level, Screen};
use super::theme;

/// The keys of the current screen: `(key, what it does)`, as the user's keymap has them.
pub fn screen_keys(app: &AppState) -> Vec<(String, &'static str)> {
    let k = |actions: &[Action]| {
        actions
            .iter()
            .map(|&a| app.keymap.label(a))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let fixed = |key: &str| key.to_owned();
    let mut keys = match app.screen {
        _ if app.is_filtering() => vec![(fixed("type"), "filter"), (fixed("Enter"), "done")],
        Screen::Data => vec![
            (k(&[Action::Reload]), "reload"),
            (k(&[Action::OpenFile]), "open file"),
            (k(&[Action::Window]), "window"),
            (k(&[Action::Search]), "filter"),
            (fixed("↑↓"), "product"),
        ],
        Screen::Tune if app.tune.editing.is_some() => {
            vec![(fixed("Enter"), "accept"), (fixed("Esc"), "discard")]
        }
        Screen::Tune => vec![
            (fixed("↑↓"), "field"),
            (fixed("Enter"), "edit"),
            (fixed("←→"), "choose"),
            (k(&[Action::Train]), "train"),
            (k(&[Action::Sweep]), "sweep"),
            (k(&[Action::NextPreset]), "preset"),
        ],
        Screen::Export if app.export.editing.is_some() => {
            vec![
                (fixed("type"), "folder or s3://bucket/prefix"),
                (fixed("Enter"), "accept"),
                (fixed("Esc"), "discard"),
            ]
        }
        Screen::Export => vec![
            (fixed("↑↓"), "row"),
            (format!("{} Enter", k(&[Action::ExportRow])), "toggle/edit"),
            (k(&[Action::Export]), "export"),
            (k(&[Action::Search]), "filter files"),
            (k(&[Action::Refit]), "refit on all data"),
        ],
        Screen::Train => vec![
            (fixed("↑↓"), "job"),
            (fixed("Enter"), "open its run"),
            (k(&[Action::Search]), "filter"),
            (k(&[Action::Cancel]), "cancel job"),
            (k(&[Action::Train]), "train again"),
        ],
        Screen::Runs => vec![
            (fixed("↑↓"), "run"),
            (fixed("Enter"), "inspect"),
            (k(&[Action::Search]), "filter"),
            (k(&[Action::Sort]), "sort"),
            (k(&[Action::Mark]), "mark"),
            (k(&[Action::Compare]), "compare"),
            (k(&[Action::Delete, Action::Archive]), "delete/archive"),
            (k(&[Action::Reload]), "refresh"),
        ],
        Screen::Inspect if app.inspect.searching => {
            vec![(fixed("type"), "customer id"), (fixed("Enter"), "done")]
        }
        Screen::Monitor => vec![
            (k(&[Action::Drift]), "drift since the run"),
            (k(&[Action::Backtest]), "retrain backtest"),
            (k(&[Action::Update]), "update with newer data"),
        ],
        Screen::Evaluate => vec![
            (k(&[Action::Impact]), "rules impact"),
            (fixed(":save FILE"), "save the tables"),
        ],
        Screen::Inspect if app.inspect.audience.is_some() => vec![
            (fixed("↑↓"), "customer"),
            (fixed("Enter"), "open"),
            (k(&[Action::Search]), "filter"),
            (fixed(":save FILE"), "save"),
            (fixed("Esc"), "back"),
        ],
        Screen::Inspect => vec![
            (k(&[Action::Search]), "search"),
            (
                k(&[Action::NextCustomer, Action::PreviousCustomer]),
                "customer",
            ),
            (k(&[Action::Demo]), "demo"),
            (fixed("↑↓"), "item"),
            (k(&[Action::HidePopular]), "hide popular"),
            (k(&[Action::Rebuys]), "re-buys"),
            (k(&[Action::NewProducts]), "new in"),
            (
                k(&[Action::Exclude, Action::ClearExclusions]),
                "exclude/clear",
            ),
            (k(&[Action::ColdStart]), "cold start"),
            (k(&[Action::Audience]), "audience"),
            (k(&[Action::Impact]), "rules impact"),
        ],
    };
    keys.extend([
        (fixed("1-8 Tab"), "screens"),
        (fixed("PgUp PgDn"), PAGE_KEYS),
        (fixed("gg G"), JUMP_KEYS),
        (k(&[Action::Palette]), "command palette"),
        (k(&[Action::CopyRow, Action::CopyTable]), "copy row/table"),
        (k(&[Action::Help]), "help"),
        (k(&[Action::Quit]), "quit"),
    ]);
    keys
}

/// Draws the status line and, below it, the keys (or the palette's hints while it is open).
pub fn render(app: &AppState, frame: &mut Frame<'_>, area: Rect) {
    let [status, keys] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let style = match app.status.level {
        Level::Error => theme::error(),
        Level::Info => theme::muted(),
    };
    if let Some(text) = &app.palette {
        frame.render_widget(
            Line::from(vec![
                Span::styled(":", theme::key()),
                Span::raw(format!("{text}▏")),
            ]),
            status,
        );
        let runs = app.runs.all.iter().map(|r| r.id.as_str());
        let mut hints = crate::tui::palette::hints(text, &app.palette_files, runs);
        hints.splice(0..0, crate::tui::palette::run_command_hint(text));
        let line = if hints.is_empty() {
            "no matching command · Esc closes".to_owned()
        } else {
            hints.join("  ·  ")
        };
        frame.render_widget(Paragraph::new(line).style(theme::muted()), keys);
        return;
    }
    frame.render_widget(
        Paragraph::new(app.status.text.as_str()).style(style),
        status,
    );
    let own: Vec<(String, &str)> = screen_keys(app)
        .into_iter()
        // Paging, the screens and the copy are conventions every screen shares: the help
        // lists them, and the footer keeps its room for the screen's own keys.
        .filter(|(_, what)| !COMMON.contains(what))
        .collect();
    let help = app.keymap.key(Action::Help).to_string();
    let palette = app.keymap.key(Action::Palette).to_string();
    let quit = app.keymap.key(Action::Quit).to_string();
    let mut spans = Vec::new();
    for (k, what) in fit(&own, [&help, &palette, &quit], usize::from(keys.width)) {
        spans.push(Span::styled(k, theme::key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Line::from(spans), keys);
}

/// What every screen shares: listed by `?`, left out of the footer.
const COMMON: [&str; 7] = [
    "help",
    "command palette",
    "quit",
    "screens",
    "copy row/table",
    PAGE_KEYS,
    JUMP_KEYS,
];

/// The `(key, what)` pairs of `own` that fit `width` columns beside the help, palette and
/// quit keys (`tail`), in their order; arrows are left out first, and "more keys" says
/// that `?` lists the rest.
fn fit<'a>(
    own: &'a [(String, &'a str)],
    tail: [&'a str; 3],
    width: usize,
) -> Vec<(&'a str, &'a str)> {
    let cost = |k: &str, what: &str| k.chars().count() + what.chars().count() + 3;
    let all: usize = own.iter().map(|(k, w)| cost(k, w)).sum();
    let [help, palette, quit] = tail;
    let whole = [(help, "help"), (palette, "command"), (quit, "quit")];
    let whole_cost: usize = whole.iter().map(|(k, w)| cost(k, w)).sum();
    if all + whole_cost <= width {
        let mut out: Vec<(&str, &str)> = own.iter().map(|(k, w)| (k.as_str(), *w)).collect();
        out.extend(whole);
        return out;
    }
    let short = [(help, "more keys"), (palette, "command"), (quit, "quit")];
    let mut room = width.saturating_sub(short.iter().map(|(k, w)| cost(k, w)).sum());
    let mut out = Vec::new();
    for (k, what) in own {
        if k.starts_with('↑') || k.starts_with('←') {
            continue;
        }
        let c = cost(k, what);
        if c <= room {
            room -= c;
            out.push((k.as_str(), *what));
        }
    }
    out.extend(short);
    out
}

const PAGE_KEYS: &str = "a page of rows";
const JUMP_KEYS: &str = "first / last row (Home End)";

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(pairs: &[(&str, &'static str)]) -> Vec<(String, &'static str)> {
        pairs.iter().map(|&(k, w)| (k.to_owned(), w)).collect()
    }

    fn text(shown: &[(&str, &str)]) -> String {
        shown
            .iter()
            .map(|(k, w)| [*k, " ", *w, "  "].concat())
            .collect()
    }

    #[test]
    fn all_keys_show_when_they_fit() {
        let own = keys(&[("↑↓", "run"), ("Enter", "inspect"), ("s", "sort")]);
        let shown = fit(&own, ["?", ":", "q"], 120);
        assert_eq!(
            text(&shown),
            "↑↓ run  Enter inspect  s sort  ? help  : command  q quit  "
        );
    }

    #[test]
    fn a_narrow_footer_drops_the_arrows_first_and_skips_what_does_not_fit() {
        let own = keys(&[
            ("/", "search"),
            ("↑↓", "item"),
            ("x", "hide popular and the rest of a long label"),
            ("d", "demo"),
        ]);
        let shown = fit(&own, ["?", ":", "q"], 60);
        let line = text(&shown);
        assert_eq!(
            line, "/ search  d demo  ? more keys  : command  q quit  ",
            "the long key is skipped whole, the short one after it kept"
        );
        assert!(line.chars().count() <= 60);
    }

    #[test]
    fn the_footer_never_runs_past_its_width() {
        let own = keys(&[("a", "one"), ("b", "two"), ("c", "three"), ("d", "four")]);
        for width in 30..80 {
            let line = text(&fit(&own, ["?", ":", "q"], width));
            assert!(
                line.trim_end().chars().count() <= width.max(38),
                "{width}: {line}"
            );
        }
    }
}
