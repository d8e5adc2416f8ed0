//! The crate-wide error, wrapping each domain's own error enum.

use crate::config::ConfigError;
use crate::data::LoadError;
use crate::models::als::FitError;
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
    FmFit(#[from] crate::models::fm::FmFitError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

impl Error {
    /// True when the input (a file, a value, a configuration) is at fault rather than
    /// latent or the machine; the CLI exits with code 2 for these.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Load(e) => load_is_input(e),
            Error::Config(_) | Error::Params(_) => true,
            Error::Fit(e) => matches!(e, FitError::Diverged { .. }),
            Error::FmFit(e) => fm_is_input(e),
            Error::Store(e) => !matches!(e, StoreError::Io { .. }),
            // When the data behind a search index failed, that failure decides.
            Error::Search(e) => e.is_input_error().unwrap_or_else(|| {
                std::error::Error::source(e)
                    .and_then(classify)
                    .unwrap_or(false)
            }),
        }
    }
}

/// A diverging FM or data it cannot use is the input's fault.
fn fm_is_input(e: &crate::models::fm::FmFitError) -> bool {
    use crate::models::fm::FmFitError as E;
    matches!(e, E::Diverged { .. } | E::BadData(_))
}

fn load_is_input(e: &LoadError) -> bool {
    // A cancelled load is nobody's fault: the user stopped it.
    !matches!(
        e,
        LoadError::Io { .. } | LoadError::Write { .. } | LoadError::Cancelled
    )
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
    if let Some(e) = err.downcast_ref::<SearchError>() {
        // `None` (the data failed to load): the load error further down the chain decides.
        return e.is_input_error();
    }
    if let Some(e) = err.downcast_ref::<crate::models::fm::FmFitError>() {
        return Some(fm_is_input(e));
    }
    if let Some(e) = err.downcast_ref::<FitError>() {
        return Some(matches!(e, FitError::Diverged { .. }));
    }
    if let Some(e) = err.downcast_ref::<crate::workspace::LockError>() {
        // Another process holds the workspace: the user's move, as with bad input.
        return Some(matches!(e, crate::workspace::LockError::Held { .. }));
    }
    if let Some(e) = err.downcast_ref::<crate::export::DestinationError>() {
        return Some(e.is_input_error());
    }
    if let Some(e) = err.downcast_ref::<crate::export::ExportError>() {
        return Some(e.is_input_error());
    }
    if let Some(e) = err.downcast_ref::<crate::export::s3::S3Error>() {
        return Some(e.is_input_error());
    }
    err.downcast_ref::<StoreError>()
        .map(|e| !matches!(e, StoreError::Io { .. }))
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
