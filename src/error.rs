//! The crate-wide error, wrapping each domain's own error enum.

use crate::config::ConfigError;
use crate::data::LoadError;
use crate::models::FitError;
use crate::models::hyper::ParamsError;
use crate::search::SearchError;
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
    #[error(transparent)]
    Search(#[from] SearchError),
}

impl Error {
    /// The setting this error asks the user to change; each edge names where it lives.
    pub fn knob(&self) -> Option<crate::knob::Knob> {
        match self {
            Error::Load(e) => e.knob(),
            _ => None,
        }
    }

    /// True when the input (a file, a value, a configuration) is at fault rather than
    /// latent or the machine; the CLI exits with code 2 for these.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Load(e) => e.is_input_error(),
            Error::Config(_) | Error::Params(_) => true,
            Error::Fit(e) => e.is_input_error(),
            Error::Store(e) => e.is_input_error(),
            // When the data behind a search index failed, that failure decides.
            Error::Search(e) => e.is_input_error().unwrap_or_else(|| {
                std::error::Error::source(e)
                    .and_then(classify)
                    .unwrap_or(false)
            }),
        }
    }
}

/// Whether `err` is one of the library's domain errors, and if so whether the input is at
/// fault; `None` for any other error. The CLI adds the errors of the layers above.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Option<bool> {
    if let Some(e) = err.downcast_ref::<Error>() {
        return Some(e.is_input_error());
    }
    if let Some(e) = err.downcast_ref::<LoadError>() {
        return Some(e.is_input_error());
    }
    if err.is::<ConfigError>() || err.is::<ParamsError>() {
        return Some(true);
    }
    if let Some(e) = err.downcast_ref::<SearchError>() {
        // `None` (the data failed to load): the load error further down the chain decides.
        return e.is_input_error();
    }
    if let Some(e) = err.downcast_ref::<crate::models::fm::FmFitError>() {
        return Some(e.is_input_error());
    }
    if let Some(e) = err.downcast_ref::<FitError>() {
        return Some(e.is_input_error());
    }
    err.downcast_ref::<StoreError>()
        .map(StoreError::is_input_error)
}

/// `Result` with latent's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_load_is_not_bad_input_but_a_bad_file_is() {
        assert!(!Error::Load(LoadError::Cancelled).is_input_error());
        assert_eq!(classify(&LoadError::Cancelled), Some(false));
        let missing = LoadError::MissingColumn {
            path: "x.csv".into(),
            key: "timestamp".into(),
            column: Some("InvoiceDate".into()),
            found: vec!["a".into()],
        };
        assert!(Error::Load(missing).is_input_error());
    }
}
