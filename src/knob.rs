//! The settings a message asks the user to change.
//!
//! A library message names what to change in plain words ("choose a longer validation
//! window") and carries a [`Knob`] for the setting. Each edge then says where that
//! setting lives in its own words: the CLI names its flag, the workbench its field or
//! key. A flag means nothing to someone in the workbench, and a key binding means nothing
//! in a script, so neither belongs in the library's sentence.

/// A setting a message asks the user to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knob {
    /// The weight that blends a customer's own products back into the list.
    Rebuy,
    /// Whether a date that does not parse stops the load or skips its line.
    StrictDates,
    /// Where a backtest's first model is trained and how many days each step scores.
    BacktestWindow,
    /// The days before the hold-out that a search scores its trials on.
    ValidationDays,
    /// The last days of the log held out to evaluate on.
    TestLastDays,
    /// Whether an export may replace the one already at its destination.
    Overwrite,
}

impl Knob {
    /// The setting's key in `workspace.toml`, which both edges read.
    pub fn workspace_key(self) -> Option<&'static str> {
        match self {
            Knob::Rebuy => Some("[overrides] rebuy"),
            Knob::StrictDates => Some("[data] strict_dates"),
            Knob::BacktestWindow | Knob::ValidationDays | Knob::TestLastDays | Knob::Overwrite => {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settings_kept_in_the_workspace_file_name_a_key() {
        assert_eq!(
            Knob::StrictDates.workspace_key(),
            Some("[data] strict_dates")
        );
        assert_eq!(Knob::ValidationDays.workspace_key(), None);
    }
}
