//! Where the workbench changes each setting a library message asks for: the message
//! says what to change, this names the screen, the field or the key (as the user's
//! keymap has it) that does it, never a command-line flag.

use super::action::Action;
use super::app::AppState;
use crate::eval::EvalReport;
use crate::jobs::JobEvent;
use crate::knob::Knob;

/// Where `knob` is changed in the workbench.
pub fn where_in_workbench(app: &AppState, knob: Knob) -> String {
    let key = |action| app.keymap.label(action);
    match knob {
        Knob::Rebuy => format!(
            "{} on Inspect blends them in; {} on Tune searches the blend",
            key(Action::Rebuys),
            key(Action::AutoTune)
        ),
        Knob::StrictDates => format!(
            "strict_dates = false in [data] of workspace.toml, then {} on Data",
            key(Action::Reload)
        ),
        Knob::BacktestWindow => format!(
            "Monitor's backtest steps 30 days at a time: open a log that spans more days ({} on Data)",
            key(Action::OpenFile)
        ),
        Knob::ValidationDays => {
            "Tune's \"hold out last days\": a search validates on as many days before them"
                .to_owned()
        }
        Knob::TestLastDays => "Tune's \"hold out last days\"".to_owned(),
        Knob::Overwrite => "tick overwrite on this form, or change the destination".to_owned(),
    }
}

/// Why the model `r` measured should not be deployed as it is, with where the workbench
/// changes the setting that would help; `None` when it does at least as well as its
/// baselines.
pub fn below_baseline(app: &AppState, r: &EvalReport) -> Option<String> {
    let why = r.below_baseline()?;
    Some(match r.remedy() {
        Some(knob) => format!("{why} ({})", where_in_workbench(app, knob)),
        None => why,
    })
}

/// A failure whose message asks for a setting, with where the workbench changes it
/// added; every screen then shows the message as it comes.
pub fn in_workbench_words(app: &AppState, event: JobEvent) -> JobEvent {
    match event {
        JobEvent::Failed {
            id,
            message,
            knob: Some(knob),
        } => JobEvent::Failed {
            id,
            message: format!("{message} ({})", where_in_workbench(app, knob)),
            knob: None,
        },
        other => other,
    }
}
