//! The process's exit code: 2 when the input is at fault (a file, a value, a busy
//! workspace), 1 for anything else. Each layer's errors say which they are
//! (`is_input_error`); this is the one place that reads them all.

use crate::export::s3::S3Error;
use crate::export::{DestinationError, ExportError};
use crate::recommend::AudienceError;
use crate::workspace::LockError;
use crate::workspace::compare::CompareError;
use crate::workspace::remove_run::RemoveRunError;

/// 2 when the input is at fault, 1 otherwise; the first error in the chain that knows
/// decides.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(is_input) = classify(cause) {
            return if is_input { 2 } else { 1 };
        }
    }
    1
}

/// Whether `err` is one of latent's, and if so whether the input is at fault.
fn classify(err: &(dyn std::error::Error + 'static)) -> Option<bool> {
    if let Some(known) = crate::error::classify(err) {
        return Some(known);
    }
    if err.downcast_ref::<CompareError>().is_some()
        || err.downcast_ref::<AudienceError>().is_some()
        || err
            .downcast_ref::<crate::eval::segments::UnknownSegment>()
            .is_some()
    {
        return Some(true);
    }
    if let Some(e) = err.downcast_ref::<crate::experiment::update::UpdateError>() {
        return match e {
            crate::experiment::update::UpdateError::Load(load) => classify(load).or(Some(true)),
            _ => Some(true),
        };
    }
    if let Some(e) = err.downcast_ref::<crate::monitor::backtest::BacktestError>() {
        return match e {
            crate::monitor::backtest::BacktestError::Train(inner) => classify(inner).or(Some(true)),
            _ => Some(true),
        };
    }
    if let Some(e) = err.downcast_ref::<crate::monitor::MonitorError>() {
        return match e {
            crate::monitor::MonitorError::Load(load) => classify(load).or(Some(true)),
            _ => Some(true),
        };
    }
    if let Some(e) = err.downcast_ref::<RemoveRunError>() {
        return Some(!matches!(e, RemoveRunError::Io { .. }));
    }
    if let Some(e) = err.downcast_ref::<LockError>() {
        return Some(e.is_input_error());
    }
    if let Some(e) = err.downcast_ref::<DestinationError>() {
        return Some(e.is_input_error());
    }
    if let Some(e) = err.downcast_ref::<ExportError>() {
        return Some(e.is_input_error());
    }
    err.downcast_ref::<S3Error>().map(S3Error::is_input_error)
}
