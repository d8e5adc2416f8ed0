//! Product and customer search: find a product by stock code or a few words of its
//! description, a customer by the first digits of their id or their country.
//!
//! The loaded data becomes two small catalogues of documents ([`docs`]): one per product
//! (stock code, description, how many customers bought it) and one per customer (id,
//! country, how many lines they bought, when they last bought). Each catalogue is a
//! tantivy index (`schema`) kept in the workspace folder and rebuilt only when the data
//! file or its loading configuration changes (`persist`), so a search never pays for
//! reading the data again.
//!
//! Queries are built from the user's text token by token (`query`) instead of through a
//! query language: analysts type stock codes, half-words and typos, never `AND` or
//! `field:value`, and nothing they type can make a query fail.

pub mod docs;
mod index;
mod persist;
mod query;
mod schema;

use std::path::PathBuf;

pub use docs::{CustomerDoc, ProductDoc, docs_from_transactions};
pub use index::SearchIndex;
pub use persist::fingerprint;
pub use query::{CustomerHit, ProductHit};

/// Why a search or an index build failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query has nothing to look for; the caller should ask for words instead.
    #[error(
        "empty search query: give words from a description (e.g. 'hanging heart'), a stock code (e.g. '85123A'), a customer id or its first digits (e.g. '178') or a country"
    )]
    EmptyQuery,
    /// The documents to index could not be produced (usually the data failed to load).
    #[error("cannot read the data to index")]
    Docs(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A file or folder of the persisted index could not be read or written.
    #[error("search index '{path}': {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The index folder holds something that is not a latent search index; latent will
    /// not delete it to make room.
    #[error(
        "'{path}' exists but is not a latent search index (it has no 'fingerprint' file); move it away and search again"
    )]
    NotAnIndex { path: PathBuf },
    /// tantivy failed (a corrupt or unreadable index, or out of memory).
    #[error("search engine: {0}")]
    Engine(#[from] tantivy::TantivyError),
}

impl SearchError {
    /// `Some(true)` when the user's input is at fault, `Some(false)` when the machine or
    /// latent is, `None` when the cause further down the error chain decides (the data
    /// that failed to load).
    pub fn is_input_error(&self) -> Option<bool> {
        match self {
            SearchError::EmptyQuery | SearchError::NotAnIndex { .. } => Some(true),
            SearchError::Docs(_) => None,
            SearchError::Io { .. } | SearchError::Engine(_) => Some(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_types_cross_threads() {
        fn autotraits<T: Send + Sync + 'static>() {}
        autotraits::<SearchIndex>();
        autotraits::<SearchError>();
        autotraits::<ProductHit>();
        autotraits::<CustomerHit>();
    }

    #[test]
    fn empty_query_is_the_users_fault_and_says_what_to_type() {
        let e = SearchError::EmptyQuery;
        assert_eq!(e.is_input_error(), Some(true));
        let message = e.to_string();
        assert!(message.starts_with("empty search query"), "{message}");
        assert!(message.contains("85123A"), "{message}");
    }
}
