//! The layout of a search catalogue and how its text is cut into terms.
//!
//! Products and customers share one layout, so one query builder serves both: an `id`
//! (stock code or customer id) matched whole or by its beginning, a `text` (description
//! or country) matched word by word, and a `popularity` (buyers or lines) that orders
//! equally good matches. Queries must be cut into terms exactly as the documents were,
//! which is why the analyzers live here and are registered on every opened index under
//! names of their own.

use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
    TokenizerManager,
};

/// Bumped whenever the layout or the analyzers change, so stored indexes are rebuilt.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Analyzer for descriptions and countries: words of letters and digits, lowercased,
/// accents folded ("Café" finds "cafe").
pub(crate) const WORDS: &str = "latent_words";
/// Analyzer for ids: the whole id, lowercased ("85123a" finds "85123A").
pub(crate) const ID: &str = "latent_id";

/// Longer words are dropped rather than indexed: no description word is this long, and
/// it bounds the cost of a fuzzy automaton built from a pasted query.
pub(crate) const MAX_WORD_BYTES: usize = 40;
/// Longer ids are dropped; real stock codes and customer ids are far shorter.
pub(crate) const MAX_ID_BYTES: usize = 64;

const ID_FIELD: &str = "id";
const TEXT_FIELD: &str = "text";
/// The fast field the ranking reads for its last tie-break.
pub(crate) const POPULARITY_FIELD: &str = "popularity";
const LAST_PURCHASE_FIELD: &str = "last_purchase";

/// The fields of a catalogue, resolved once per opened index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    /// Stock code or customer id, indexed whole.
    pub id: Field,
    /// Description or country, indexed word by word with frequencies for BM25 (without
    /// length norms: a short description is not more relevant than a long one).
    pub text: Field,
    /// Buyers of a product or lines of a customer: stored and fast, for tie-breaks.
    pub popularity: Field,
    /// A customer's latest purchase (unix seconds); 0 for products.
    pub last_purchase: Field,
}

impl Fields {
    /// The fields of an opened index, or an error when it was built with another layout.
    pub fn of(schema: &Schema) -> tantivy::Result<Self> {
        Ok(Self {
            id: schema.get_field(ID_FIELD)?,
            text: schema.get_field(TEXT_FIELD)?,
            popularity: schema.get_field(POPULARITY_FIELD)?,
            last_purchase: schema.get_field(LAST_PURCHASE_FIELD)?,
        })
    }
}

/// The catalogue layout.
pub(crate) fn catalogue_schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field(
        ID_FIELD,
        TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ID)
                .set_index_option(IndexRecordOption::Basic)
                .set_fieldnorms(false),
        ),
    );
    builder.add_text_field(
        TEXT_FIELD,
        TextOptions::default().set_stored().set_indexing_options(
            // No length norms: BM25 would rank "HANGING HEART BONHEUR" (53 buyers) above
            // "WHITE HANGING HEART T-LIGHT HOLDER" (856) only for being shorter. Without
            // them BM25 weighs words by rarity, and popularity orders equal matches.
            TextFieldIndexing::default()
                .set_tokenizer(WORDS)
                .set_index_option(IndexRecordOption::WithFreqs)
                .set_fieldnorms(false),
        ),
    );
    builder.add_u64_field(POPULARITY_FIELD, FAST | STORED);
    builder.add_i64_field(LAST_PURCHASE_FIELD, STORED);
    builder.build()
}

/// The analyzers an index of this layout needs, under the names the schema uses.
pub(crate) fn tokenizers() -> TokenizerManager {
    let manager = TokenizerManager::default();
    manager.register(WORDS, words_analyzer());
    manager.register(ID, id_analyzer());
    manager
}

pub(crate) fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_WORD_BYTES))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub(crate) fn id_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_ID_BYTES))
        .filter(LowerCaser)
        .build()
}

/// The terms `analyzer` cuts `text` into, in order.
pub(crate) fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// Builds tantivy's shared Levenshtein automaton builders now, when an index opens,
/// rather than inside the first typo-tolerant search (tens of milliseconds for two edits).
pub(crate) fn warm_up() {
    let mut builder = tantivy::schema::Schema::builder();
    let field = builder.add_text_field("warm_up", tantivy::schema::TEXT);
    let term = tantivy::Term::from_field_text(field, "warmup");
    for (distance, transpositions) in [(0, false), (1, true), (2, true)] {
        // The result is discarded: building the automaton is the point.
        let _ =
            tantivy::query::FuzzyTermQuery::new(term.clone(), distance, transpositions).automaton();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_folded_and_split_on_punctuation() {
        let words = terms(&mut words_analyzer(), "WHITE T-LIGHT Café, 12 pc");
        assert_eq!(words, ["white", "t", "light", "cafe", "12", "pc"]);
    }

    #[test]
    fn ids_stay_whole_and_overlong_ones_are_dropped() {
        assert_eq!(terms(&mut id_analyzer(), "85123A"), ["85123a"]);
        assert_eq!(terms(&mut id_analyzer(), "gift_0001_10"), ["gift_0001_10"]);
        assert!(terms(&mut id_analyzer(), &"9".repeat(500)).is_empty());
        assert!(terms(&mut words_analyzer(), &"x".repeat(500)).is_empty());
    }

    #[test]
    fn the_layout_resolves_its_own_fields() {
        assert!(Fields::of(&catalogue_schema()).is_ok());
        assert!(Fields::of(&Schema::builder().build()).is_err());
    }
}
