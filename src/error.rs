//! The crate-wide error, wrapping each domain's own error enum.

use crate::config::ConfigError;
use crate::data::LoadError;
use crate::models::als::FitError;
use crate::models::hyper::ParamsError;
use crate::store::StoreError;

/// Any error latent's library can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    /// True when the input (a file, a value, a configuration) is at fault rather than
    /// latent or the machine; the CLI exits with code 2 for these.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Load(e) => load_is_input(e),
            Error::Config(_) | Error::Params(_) => true,
            Error::Fit(e) => matches!(e, FitError::Diverged { .. }),
            Error::Store(e) => !matches!(e, StoreError::Io { .. }),
        }
    }
}

fn load_is_input(e: &LoadError) -> bool {
    !matches!(e, LoadError::Io { .. } | LoadError::Write { .. })
}

/// Whether `err` (any error in a chain) is one of latent's, and if so whether the input is
/// at fault; `None` for foreign errors.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Option<bool> {
    if let Some(e) = err.downcast_ref::<Error>() {
        return Some(e.is_input_error());
    }
    if let Some(e) = err.downcast_ref::<LoadError>() {
        return Some(load_is_input(e));
    }
    if err.is::<ConfigError>() || err.is::<ParamsError>() {
        return Some(true);
    }
    if let Some(e) = err.downcast_ref::<FitError>() {
        return Some(matches!(e, FitError::Diverged { .. }));
    }
    err.downcast_ref::<StoreError>()
        .map(|e| !matches!(e, StoreError::Io { .. }))
}

/// `Result` with latent's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
