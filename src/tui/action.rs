//! What a key asks the workbench to do, and which key asks it on which screen.
//!
//! Every key of the workbench that types a character names an [`Action`]; the keymap maps
//! `(screen, character)` to it. `config.toml`'s `[keys]` table moves one action to another
//! key on every screen it works on and nothing else: remapping `previous_customer` leaves
//! Tune's `p` (the next preset) alone. The palette accepts the same names.

use std::collections::BTreeMap;

use super::app::Screen;

/// A thing the user can ask for by key or by palette name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Palette,
    Down,
    Up,
    CopyRow,
    CopyTable,
    Search,
    Train,
    Sweep,
    AutoTune,
    NextPreset,
    Left,
    Right,
    Cancel,
    Compare,
    Reload,
    Sort,
    Mark,
    OpenFile,
    Window,
    NextList,
    ExportRow,
    Export,
    NextCustomer,
    PreviousCustomer,
    Demo,
    HidePopular,
    Rebuys,
    NewProducts,
    ColdStart,
    Exclude,
    ClearExclusions,
    Audience,
    Impact,
    Drift,
    Backtest,
    Update,
    Refit,
    Delete,
    Archive,
}

const EVERY: &[Screen] = &Screen::ALL;

/// Each action: its name in `config.toml` and the palette, its default key, the screens
/// it works on, and what it does in words (the palette's hint).
pub const BINDINGS: &[(Action, &str, char, &[Screen], &str)] = &[
    (Action::Quit, "quit", 'q', EVERY, "leave latent"),
    (Action::Help, "help", '?', EVERY, "the keys of this screen"),
    (
        Action::Palette,
        "palette",
        ':',
        EVERY,
        "the command palette",
    ),
    (Action::Down, "down", 'j', EVERY, "the next row"),
    (Action::Up, "up", 'k', EVERY, "the previous row"),
    (
        Action::CopyRow,
        "copy_row",
        'y',
        EVERY,
        "copy the highlighted row",
    ),
    (
        Action::CopyTable,
        "copy_table",
        'Y',
        EVERY,
        "copy the table",
    ),
    (
        Action::Search,
        "search",
        '/',
        &[
            Screen::Data,
            Screen::Train,
            Screen::Runs,
            Screen::Inspect,
            Screen::Export,
        ],
        "filter the table (Inspect: find a customer)",
    ),
    (
        Action::Train,
        "train",
        't',
        &[Screen::Tune, Screen::Train],
        "train the form's model",
    ),
    (
        Action::Sweep,
        "sweep",
        'S',
        &[Screen::Tune],
        "sweep rank and reg_param",
    ),
    (
        Action::AutoTune,
        "tune",
        'a',
        &[Screen::Tune],
        "search models and settings for 60 s, test the best once",
    ),
    (
        Action::NextPreset,
        "next_preset",
        'p',
        &[Screen::Tune],
        "the next preset",
    ),
    (
        Action::Left,
        "left",
        'h',
        &[Screen::Tune],
        "the previous choice",
    ),
    (
        Action::Right,
        "right",
        'l',
        &[Screen::Tune],
        "the next choice",
    ),
    (
        Action::Cancel,
        "cancel",
        'c',
        &[Screen::Train],
        "cancel the highlighted job",
    ),
    (
        Action::Compare,
        "compare",
        'c',
        &[Screen::Runs],
        "compare with the marked run",
    ),
    (
        Action::Reload,
        "reload",
        'r',
        &[Screen::Data, Screen::Runs],
        "read again",
    ),
    (
        Action::Sort,
        "sort",
        's',
        &[
            Screen::Data,
            Screen::Runs,
            Screen::Train,
            Screen::Inspect,
            Screen::Export,
        ],
        "sort the table by its next column",
    ),
    (
        Action::Mark,
        "mark",
        ' ',
        &[Screen::Runs],
        "mark a run to compare",
    ),
    (
        Action::OpenFile,
        "open_file",
        'o',
        &[Screen::Data],
        "open another data file",
    ),
    (
        Action::Window,
        "window",
        'w',
        &[Screen::Data],
        "change the retention window",
    ),
    (
        Action::NextList,
        "next_list",
        'v',
        &[Screen::Data],
        "the next list: products, customers, countries",
    ),
    (
        Action::ExportRow,
        "export_row",
        ' ',
        &[Screen::Export],
        "export the highlighted format",
    ),
    (
        Action::Export,
        "export",
        'e',
        &[Screen::Export],
        "export every chosen format",
    ),
    (
        Action::NextCustomer,
        "next_customer",
        'n',
        &[Screen::Inspect],
        "the next customer",
    ),
    (
        Action::PreviousCustomer,
        "previous_customer",
        'p',
        &[Screen::Inspect],
        "the previous customer",
    ),
    (
        Action::Demo,
        "demo",
        'd',
        &[Screen::Inspect],
        "the demo view",
    ),
    (
        Action::HidePopular,
        "hide_popular",
        'x',
        &[Screen::Inspect],
        "hide the best-sellers",
    ),
    (
        Action::Rebuys,
        "rebuys",
        'r',
        &[Screen::Inspect],
        "show bought products, blended back in (re-buys)",
    ),
    (
        Action::NewProducts,
        "new_products",
        'w',
        &[Screen::Inspect],
        "include new products",
    ),
    (
        Action::ColdStart,
        "cold_start",
        'c',
        &[Screen::Inspect],
        "the next cold-start policy",
    ),
    (
        Action::Exclude,
        "exclude",
        'e',
        &[Screen::Inspect],
        "exclude the highlighted product",
    ),
    (
        Action::ClearExclusions,
        "clear_exclusions",
        'E',
        &[Screen::Inspect],
        "clear the exclusions",
    ),
    (
        Action::Audience,
        "audience",
        'a',
        &[Screen::Inspect],
        "the customers most likely to buy the highlighted product",
    ),
    (
        Action::Impact,
        "impact",
        'i',
        &[Screen::Inspect, Screen::Evaluate],
        "measure what the rules in force cost on the hold-out",
    ),
    (
        Action::Drift,
        "drift",
        'd',
        &[Screen::Monitor],
        "what drifted in the data since the open run's window",
    ),
    (
        Action::Backtest,
        "backtest",
        'b',
        &[Screen::Monitor],
        "backtest never retraining, incremental updates and a retrain every 30 days",
    ),
    (
        Action::Update,
        "update",
        'u',
        &[Screen::Monitor],
        "update the open run's model with newer data (a new run that names it)",
    ),
    (
        Action::Refit,
        "refit",
        'R',
        &[Screen::Export, Screen::Runs],
        "refit the open run on all its data for production",
    ),
    (
        Action::Delete,
        "delete",
        'D',
        &[Screen::Runs],
        "delete the highlighted run (Enter confirms)",
    ),
    (
        Action::Archive,
        "archive",
        'A',
        &[Screen::Runs],
        "move the highlighted run to the archive folder",
    ),
];

/// Names older `config.toml` files use, and the actions they move.
const ALIASES: &[(&str, &[Action])] = &[("cancel_or_compare", &[Action::Cancel, Action::Compare])];

impl Action {
    /// The action's name in `config.toml` and the palette.
    pub fn name(self) -> &'static str {
        BINDINGS.iter().find(|b| b.0 == self).map_or("", |b| b.1)
    }

    /// The action named `name` (`hide_popular`; `hide-popular` too).
    pub fn parse(name: &str) -> Option<Self> {
        let name = name.replace('-', "_");
        BINDINGS.iter().find(|b| b.1 == name).map(|b| b.0)
    }
}

/// `(screen, character) → action`, from the defaults and `config.toml`'s `[keys]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    keys: BTreeMap<(usize, char), Action>,
    /// Each action's key (for the help and footers).
    shown: BTreeMap<Action, char>,
}

impl Default for KeyMap {
    fn default() -> Self {
        Self::new(&BTreeMap::new()).unwrap_or_else(|_| Self {
            keys: BTreeMap::new(),
            shown: BTreeMap::new(),
        })
    }
}

impl KeyMap {
    /// The map with `keys` (action → key) applied. Unknown actions, keys longer than one
    /// character, and two actions on one key of one screen are errors naming them.
    pub fn new(keys: &BTreeMap<String, String>) -> Result<Self, String> {
        let mut shown: BTreeMap<Action, char> = BINDINGS.iter().map(|b| (b.0, b.2)).collect();
        for (name, key) in keys {
            let actions: Vec<Action> = match Action::parse(name) {
                Some(a) => vec![a],
                None => match ALIASES.iter().find(|(alias, _)| alias == name) {
                    Some((_, actions)) => actions.to_vec(),
                    None => {
                        let names: Vec<&str> = BINDINGS.iter().map(|b| b.1).collect();
                        let hint = crate::models::hyper::nearest(name, &names)
                            .map_or_else(String::new, |n| format!(" (did you mean '{n}'?)"));
                        return Err(format!("[keys] unknown action '{name}'{hint}"));
                    }
                },
            };
            let mut chars = key.chars();
            let (Some(k), None) = (chars.next(), chars.next()) else {
                return Err(format!(
                    "[keys] {name} = '{key}': a key is one character, e.g. \"Q\""
                ));
            };
            for a in actions {
                shown.insert(a, k);
            }
        }
        let mut map: BTreeMap<(usize, char), Action> = BTreeMap::new();
        for &(action, name, _, screens, _) in BINDINGS {
            let key = shown[&action];
            for screen in screens {
                let at = Screen::ALL.iter().position(|s| s == screen).unwrap_or(0);
                if let Some(other) = map.insert((at, key), action) {
                    return Err(format!(
                        "[keys] '{key}' would be both {} and {name} on the {} screen: give one of them another key",
                        other.name(),
                        screen.title()
                    ));
                }
            }
        }
        Ok(Self { keys: map, shown })
    }

    /// The action of `key` on `screen`, if any.
    pub fn action(&self, screen: Screen, key: char) -> Option<Action> {
        let at = Screen::ALL.iter().position(|s| *s == screen)?;
        self.keys.get(&(at, key)).copied()
    }

    /// The key that asks for `action`.
    pub fn key(&self, action: Action) -> char {
        self.shown.get(&action).copied().unwrap_or(' ')
    }

    /// The action's key as a message names it: `Space` for the space bar.
    pub fn label(&self, action: Action) -> String {
        match self.key(action) {
            ' ' => "Space".to_owned(),
            c => c.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remapped(pairs: &[(&str, &str)]) -> Result<KeyMap, String> {
        KeyMap::new(
            &pairs
                .iter()
                .map(|(a, k)| ((*a).to_owned(), (*k).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn the_defaults_give_each_screen_one_action_per_key() {
        let map = KeyMap::default();
        assert_eq!(map.action(Screen::Tune, 'p'), Some(Action::NextPreset));
        assert_eq!(
            map.action(Screen::Inspect, 'p'),
            Some(Action::PreviousCustomer)
        );
        assert_eq!(map.action(Screen::Data, 'w'), Some(Action::Window));
        assert_eq!(map.action(Screen::Inspect, 'w'), Some(Action::NewProducts));
        assert_eq!(map.action(Screen::Train, 'c'), Some(Action::Cancel));
        assert_eq!(map.action(Screen::Runs, 'c'), Some(Action::Compare));
        assert_eq!(map.action(Screen::Data, 'c'), None);
        for &(action, name, _, _, _) in BINDINGS {
            assert_eq!(Action::parse(name), Some(action));
            assert_eq!(action.name(), name);
        }
    }

    #[test]
    fn remapping_an_action_moves_that_action_alone() {
        let map = remapped(&[("previous_customer", "b")]).unwrap();
        assert_eq!(
            map.action(Screen::Inspect, 'b'),
            Some(Action::PreviousCustomer)
        );
        assert_eq!(
            map.action(Screen::Inspect, 'p'),
            None,
            "its old key is free there"
        );
        assert_eq!(
            map.action(Screen::Tune, 'p'),
            Some(Action::NextPreset),
            "Tune keeps p"
        );
        assert_eq!(map.key(Action::PreviousCustomer), 'b');
        // The old name of cancel and compare moves both, and Inspect's cold start stays.
        let map = remapped(&[("cancel_or_compare", "C")]).unwrap();
        assert_eq!(map.action(Screen::Train, 'C'), Some(Action::Cancel));
        assert_eq!(map.action(Screen::Runs, 'C'), Some(Action::Compare));
        assert_eq!(map.action(Screen::Inspect, 'c'), Some(Action::ColdStart));
        // Swapping two keys is fine; a clash on one screen is named.
        let map = remapped(&[("quit", "x"), ("hide_popular", "q")]).unwrap();
        assert_eq!(map.action(Screen::Inspect, 'x'), Some(Action::Quit));
        assert_eq!(map.action(Screen::Inspect, 'q'), Some(Action::HidePopular));
        let err = remapped(&[("quit", "x")]).unwrap_err();
        assert!(
            err.contains("hide_popular") && err.contains("Inspect"),
            "{err}"
        );
        let err = remapped(&[("quti", "Q")]).unwrap_err();
        assert!(err.contains("did you mean 'quit'"), "{err}");
        let err = remapped(&[("quit", "ctrl-q")]).unwrap_err();
        assert!(err.contains("one character"), "{err}");
    }
}
