//! Where the command line changes each setting a library message asks for: the message
//! says what to change, this says which flag does it.

use crate::knob::Knob;

/// The flags (and the workspace key, where there is one) that change `knob`.
pub fn flags_for(knob: Knob) -> String {
    let flags = match knob {
        Knob::Rebuy => "--rebuy W from 0 to 1, or `latent tune` to choose W",
        Knob::StrictDates => "drop --strict",
        Knob::BacktestWindow => "--from earlier, or a shorter --horizon",
        Knob::ValidationDays => "--validation-days",
        Knob::TestLastDays => "--test-last-days",
        Knob::Overwrite => "--overwrite, or another --to",
    };
    match knob.workspace_key() {
        Some(key) => format!("{flags}; {key} in workspace.toml"),
        None => flags.to_owned(),
    }
}

/// The setting `err` asks the user to change, if it is one of the errors that name one.
/// Like the exit code's classification, the CLI is the one place that knows them all.
fn knob_of(err: &(dyn std::error::Error + 'static)) -> Option<Knob> {
    if let Some(e) = err.downcast_ref::<crate::Error>() {
        return e.knob();
    }
    if let Some(e) = err.downcast_ref::<crate::data::LoadError>() {
        return e.knob();
    }
    if let Some(e) = err.downcast_ref::<crate::monitor::backtest::BacktestError>() {
        return e.knob();
    }
    if let Some(e) = err.downcast_ref::<crate::export::DestinationError>() {
        return e.knob();
    }
    if let Some(e) = err.downcast_ref::<crate::export::ExportError>() {
        return e.knob();
    }
    if let Some(e) = err.downcast_ref::<crate::export::s3::S3Error>() {
        return e.knob();
    }
    err.downcast_ref::<crate::experiment::update::UpdateError>()
        .and_then(crate::experiment::update::UpdateError::knob)
}

/// `message` followed by the flags that change the setting `err`'s chain asks for.
pub fn with_flags(message: String, err: &anyhow::Error) -> String {
    match err.chain().find_map(knob_of) {
        Some(knob) => format!("{message} ({})", flags_for(knob)),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LoadError;

    #[test]
    fn an_error_that_names_a_setting_gets_its_flag_and_others_are_left_alone() {
        let err = anyhow::Error::from(crate::Error::from(LoadError::EmptyValidation {
            window: "2011-02-01 to 2011-02-10".into(),
        }))
        .context("tuning");
        let text = with_flags(format!("{err:#}"), &err);
        assert!(
            text.ends_with("choose a longer validation window (--validation-days)"),
            "{text}"
        );
        let plain = anyhow::anyhow!("no such file");
        assert_eq!(with_flags("no such file".into(), &plain), "no such file");
        assert!(flags_for(Knob::StrictDates).contains("[data] strict_dates"));
    }
}
