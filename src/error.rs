//! The crate-wide error, wrapping each domain's own error enum.

use crate::config::ConfigError;
use crate::data::LoadError;

/// Any error latent's library can return.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl Error {
    /// True when the input (a file, a value, a configuration) is at fault rather than
    /// latent or the machine; the CLI exits with code 2 for these.
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Load(LoadError::Io { .. } | LoadError::Write { .. }) => false,
            Error::Load(_) | Error::Config(_) => true,
        }
    }
}

/// `Result` with latent's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
