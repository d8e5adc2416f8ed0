//! From what a person typed to ranked hits.
//!
//! The text is split on whitespace into pieces ("hanging", "heart", "85123A"); each
//! piece is cut into terms by the same analyzers as the documents and becomes one
//! clause that matches a document when any of these hold:
//!
//! - the id is the piece (`85123a`), or starts with it when the piece has a digit or is
//!   the whole query (`178` → 17850, 17841…);
//! - the text has one of the piece's words, exactly or within a typo: one edit for words
//!   of 4 to 7 characters, two from 8 (`hart` → heart, `chirstmas` → christmas);
//! - for the last word typed, the text has a word starting with it (`hea` → heart), so
//!   results make sense while a query is being typed.
//!
//! Ranking is lexicographic, built into one score: every matched piece adds
//! [`MATCHED_PIECE_SCORE`], far more than the rest can add, so documents matching more
//! pieces come first; then BM25 of the exact words plus a bonus for an id match; then
//! popularity (buyers or lines) breaks exact ties. Typos and prefixes find documents but
//! add nothing to BM25, so an exact spelling outranks a near one. The text field has no
//! length norms (see [`super::schema`]), so BM25 weighs the matched words by rarity and
//! documents with the same matched words tie, leaving the order to popularity: "hanging
//! heart" lists the hanging hearts most customers bought first.
//!
//! Nothing goes through tantivy's query parser: `"`, `(`, `AND`, `*` or `title:x` are
//! plain characters here, and no input can make a search fail.

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocAddress, DocId, Score, SegmentReader, TantivyDocument, Term};

use super::SearchError;
use super::index::{Catalogue, SearchIndex};
use super::schema::{Fields, POPULARITY_FIELD, id_analyzer, terms, words_analyzer};

/// Score of one matched piece; far above what BM25 and bonuses of all pieces can add
/// (at most [`MAX_PIECES`] × ([`MAX_WORDS_PER_PIECE`] × ~25 + [`ID_EXACT_BONUS`])).
const MATCHED_PIECE_SCORE: Score = 10_000.0;
/// An exact id match ranks above description matches of as many pieces.
const ID_EXACT_BONUS: Score = 100.0;
/// An id prefix match ranks above typo-only matches of as many pieces.
const ID_PREFIX_BONUS: Score = 10.0;
/// Pieces beyond this are ignored: nobody types more, and it bounds the query's cost.
const MAX_PIECES: usize = 8;
/// Words of one piece beyond this are ignored ("a-b-c-d-e-…" pasted as one piece).
const MAX_WORDS_PER_PIECE: usize = 4;
/// The shortest last word that also matches as a prefix; shorter ones match too much.
const MIN_PREFIX_CHARS: usize = 3;

/// A product found by [`SearchIndex::products`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductHit {
    /// The stock code.
    pub id: String,
    pub description: String,
    /// Distinct customers who bought it.
    pub buyers: u32,
    /// How many pieces of the query it matched.
    pub matched_words: u32,
    /// The ranking score: matched pieces, then BM25 and id bonuses; higher is better.
    pub score: f32,
}

/// A customer found by [`SearchIndex::customers`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerHit {
    /// The customer id.
    pub id: String,
    /// The customer's main country, empty when unknown.
    pub country: String,
    /// Kept lines of this customer.
    pub lines: u32,
    /// Latest purchase, unix seconds on the data's clock.
    pub last_purchase: i64,
    /// How many pieces of the query it matched.
    pub matched_words: u32,
    /// The ranking score: matched pieces, then BM25 and id bonuses; higher is better.
    pub score: f32,
}

/// One stored document of a hit, before it is typed as a product or a customer.
struct RawHit {
    id: String,
    text: String,
    popularity: u32,
    last_purchase: i64,
    matched_words: u32,
    score: Score,
}

impl SearchIndex {
    /// Products whose stock code or description matches `query`, best first, at most
    /// `limit`. Fails only for an empty query (or a broken index).
    pub fn products(&self, query: &str, limit: usize) -> Result<Vec<ProductHit>, SearchError> {
        Ok(search(&self.products, query, limit)?
            .into_iter()
            .map(|h| ProductHit {
                id: h.id,
                description: h.text,
                buyers: h.popularity,
                matched_words: h.matched_words,
                score: h.score,
            })
            .collect())
    }

    /// Customers whose id or country matches `query`, best first, at most `limit`.
    /// Fails only for an empty query (or a broken index).
    pub fn customers(&self, query: &str, limit: usize) -> Result<Vec<CustomerHit>, SearchError> {
        Ok(search(&self.customers, query, limit)?
            .into_iter()
            .map(|h| CustomerHit {
                id: h.id,
                country: h.text,
                lines: h.popularity,
                last_purchase: h.last_purchase,
                matched_words: h.matched_words,
                score: h.score,
            })
            .collect())
    }
}

fn search(catalogue: &Catalogue, text: &str, limit: usize) -> Result<Vec<RawHit>, SearchError> {
    if text.trim().is_empty() {
        return Err(SearchError::EmptyQuery);
    }
    let Some(query) = build_query(catalogue.fields, text) else {
        return Ok(Vec::new());
    };
    let searcher = catalogue.searcher();
    // TopDocs reserves room for twice its limit, and refuses 0.
    let limit = limit.min(usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX));
    if limit == 0 {
        return Ok(Vec::new());
    }
    let collector = TopDocs::with_limit(limit).tweak_score(|segment: &SegmentReader| {
        let popularity = segment.fast_fields().u64(POPULARITY_FIELD).ok();
        move |doc: DocId, score: Score| {
            let popularity = popularity.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
            (score, popularity)
        }
    });
    let top: Vec<((Score, u64), DocAddress)> = searcher.search(&query, &collector)?;
    let fields = catalogue.fields;
    top.into_iter()
        .map(|((score, _), address)| {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text_of = |f| {
                doc.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            Ok(RawHit {
                id: text_of(fields.id),
                text: text_of(fields.text),
                popularity: doc
                    .get_first(fields.popularity)
                    .and_then(|v| v.as_u64())
                    .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)),
                last_purchase: doc
                    .get_first(fields.last_purchase)
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0),
                matched_words: (score / MATCHED_PIECE_SCORE).floor() as u32,
                score,
            })
        })
        .collect()
}

/// The query for `text`, or `None` when no piece yields a term (only overlong words).
fn build_query(fields: Fields, text: &str) -> Option<Box<dyn Query>> {
    let pieces: Vec<&str> = text.split_whitespace().take(MAX_PIECES).collect();
    let is_single = pieces.len() == 1;
    let mut words = words_analyzer();
    let mut ids = id_analyzer();
    let clauses: Vec<(Occur, Box<dyn Query>)> = pieces
        .iter()
        .enumerate()
        .filter_map(|(i, piece)| {
            let id = terms(&mut ids, piece).into_iter().next();
            let mut piece_words = terms(&mut words, piece);
            piece_words.truncate(MAX_WORDS_PER_PIECE);
            let is_last = i + 1 == pieces.len();
            let id_prefix = is_single || piece.chars().any(|c| c.is_ascii_digit());
            piece_query(fields, id.as_deref(), id_prefix, &piece_words, is_last)
        })
        .map(|q| (Occur::Should, q))
        .collect();
    if clauses.is_empty() {
        None
    } else {
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// One piece's clause: it must match (worth [`MATCHED_PIECE_SCORE`]); BM25 of its exact
/// words and the id bonuses add to the score when they match too.
fn piece_query(
    fields: Fields,
    id: Option<&str>,
    id_prefix: bool,
    words: &[String],
    is_last: bool,
) -> Option<Box<dyn Query>> {
    let mut matchers: Vec<Box<dyn Query>> = Vec::new();
    let mut scorers: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(id) = id {
        let term = Term::from_field_text(fields.id, id);
        matchers.push(Box::new(TermQuery::new(
            term.clone(),
            IndexRecordOption::Basic,
        )));
        scorers.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::Basic)),
                ID_EXACT_BONUS,
            )),
        ));
        if id_prefix {
            let prefix = FuzzyTermQuery::new_prefix(term, 0, false);
            matchers.push(Box::new(prefix.clone()));
            scorers.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(prefix), ID_PREFIX_BONUS)),
            ));
        }
    }
    for (i, word) in words.iter().enumerate() {
        let term = Term::from_field_text(fields.text, word);
        let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        matchers.push(Box::new(exact.clone()));
        scorers.push((Occur::Should, Box::new(exact)));
        let chars = word.chars().count();
        let distance = typo_distance(chars);
        if distance > 0 {
            matchers.push(Box::new(FuzzyTermQuery::new(term.clone(), distance, true)));
        }
        if is_last && i + 1 == words.len() && chars >= MIN_PREFIX_CHARS {
            matchers.push(Box::new(FuzzyTermQuery::new_prefix(term, 0, false)));
        }
    }
    if matchers.is_empty() {
        return None;
    }
    let matched =
        ConstScoreQuery::new(Box::new(BooleanQuery::union(matchers)), MATCHED_PIECE_SCORE);
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(matched))];
    clauses.extend(scorers);
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// Edits forgiven in a word of `chars` characters: none below 4, where one edit turns a
/// word into too many others ("bag" → bar, box, bat).
fn typo_distance(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::search::{CustomerDoc, ProductDoc};

    fn product(id: &str, description: &str, buyers: u32) -> ProductDoc {
        ProductDoc {
            id: id.into(),
            description: description.into(),
            buyers,
        }
    }

    fn customer(id: &str, country: &str, lines: u32) -> CustomerDoc {
        CustomerDoc {
            id: id.into(),
            country: country.into(),
            lines,
            last_purchase: 1_323_000_000,
        }
    }

    /// A slice of Online Retail's catalogue and customers, built once for all tests.
    fn index() -> &'static SearchIndex {
        static INDEX: std::sync::OnceLock<SearchIndex> = std::sync::OnceLock::new();
        INDEX.get_or_init(build)
    }

    fn build() -> SearchIndex {
        let products = [
            product("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 856),
            product("85123a", "CREAM HANGING HEART T-LIGHT HOLDER", 9),
            product("85123B", "RED HANGING HEART T-LIGHT HOLDER", 40),
            product("22423", "REGENCY CAKESTAND 3 TIER", 881),
            product("21733", "RED HANGING HEART T-LIGHT HOLDER", 350),
            product("84879", "ASSORTED COLOUR BIRD ORNAMENT", 680),
            product("22086", "PAPER CHAIN KIT 50'S CHRISTMAS", 640),
            product("22960", "JAM MAKING SET WITH JARS", 500),
            product("21034", "REX CASH+CARRY JUMBO SHOPPER", 180),
            product("47566", "PARTY BUNTING", 700),
            product("20725", "LUNCH BAG RED RETROSPOT", 530),
            product("22720", "SET OF 3 CAKE TINS PANTRY DESIGN", 640),
            product("POST", "POSTAGE", 330),
            product("90000", "HEART OF WICKER SMALL", 300),
            product("90001", "HEART OF WICKER LARGE", 310),
            product("23001", "PARTS BOX", 900),
        ];
        let customers = [
            customer("17850", "United Kingdom", 297),
            customer("17841", "United Kingdom", 7800),
            customer("12346", "United Kingdom", 1),
            customer("12347", "Iceland", 182),
            customer("12427", "Germany", 31),
            customer("12471", "Germany", 460),
            customer("12413", "France", 40),
            customer("17851", "", 3),
        ];
        SearchIndex::build_in_ram(&products, &customers).unwrap()
    }

    fn product_ids(index: &SearchIndex, query: &str) -> Vec<String> {
        index
            .products(query, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    fn customer_ids(index: &SearchIndex, query: &str) -> Vec<String> {
        index
            .customers(query, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    }

    #[test]
    fn a_typo_in_a_word_still_finds_it() {
        let index = index();
        let hits = index.products("hart", 10).unwrap();
        assert!(!hits.is_empty());
        assert!(
            hits.iter().all(|h| h.description.contains("HEART")),
            "{hits:?}"
        );
        assert_eq!(hits[0].id, "85123A", "most bought HEART first");
        // One edit (a swap counts as one) in words of 4 to 7 letters.
        assert_eq!(product_ids(index, "paty")[0], "47566");
        assert_eq!(product_ids(index, "lucnh")[0], "20725");
        // Two edits from 8 letters: a substitution and an insertion, two insertions.
        assert_eq!(product_ids(index, "ornamemtt")[0], "84879");
        assert_eq!(product_ids(index, "chrisstmass")[0], "22086");
        // But not two edits in a shorter word.
        assert!(product_ids(index, "lnuhc").is_empty());
    }

    #[test]
    fn short_words_are_not_fuzzy() {
        // "bog" is one edit from "bag", but words under 4 letters match only exactly.
        assert_eq!(product_ids(index(), "bag"), ["20725"]);
        assert!(product_ids(index(), "bog").is_empty());
    }

    #[test]
    fn an_exact_spelling_outranks_a_typo_match() {
        // PARTS BOX is one edit from "party" and more bought, yet PARTY BUNTING comes first.
        assert_eq!(product_ids(index(), "party"), ["47566", "23001"]);
    }

    #[test]
    fn documents_matching_more_words_come_first_then_bm25_then_buyers() {
        let hits = index().products("red hanging heart", 10).unwrap();
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        // Both RED HANGING HEART holders match all three words; their descriptions are
        // identical, so the one with more buyers comes first.
        assert_eq!(ids[..2], ["21733", "85123B"]);
        assert_eq!(hits[0].matched_words, 3);
        assert_eq!(hits[0].score, hits[1].score);
        // Then the other hanging hearts (two words), then HEART OF WICKER (one word),
        // then LUNCH BAG RED RETROSPOT (one word, "red").
        assert!(hits[2..].iter().all(|h| h.matched_words < 3), "{hits:?}");
        let wicker = ids.iter().position(|&id| id == "90001").unwrap();
        let white = ids.iter().position(|&id| id == "85123A").unwrap();
        assert!(white < wicker, "{ids:?}");
        assert!(
            hits.windows(2).all(|w| w[0].score >= w[1].score),
            "{hits:?}"
        );
    }

    #[test]
    fn stock_codes_match_whole_or_by_prefix_case_insensitively() {
        let index = index();
        // Exact, case folded: 85123A and 85123a are two products and both match.
        assert_eq!(product_ids(index, "85123A"), ["85123A", "85123a"]);
        // Prefix: every 85123*, most bought first.
        assert_eq!(product_ids(index, "8512"), ["85123A", "85123B", "85123a"]);
        assert_eq!(product_ids(index, "post"), ["POST"]);
        // A code mixed with words: the code matches as one of the words.
        assert_eq!(product_ids(index, "22423 cakestand")[0], "22423");
    }

    #[test]
    fn the_last_word_matches_as_a_prefix_while_typing() {
        let ids = product_ids(index(), "hanging hea");
        assert_eq!(ids[0], "85123A", "{ids:?}");
        assert!(product_ids(index(), "jumb").contains(&"21034".to_owned()));
    }

    #[test]
    fn customers_by_id_prefix_exact_id_first() {
        let index = index();
        let ids = customer_ids(index, "178");
        assert_eq!(ids, ["17841", "17850", "17851"], "most lines first");
        assert_eq!(customer_ids(index, "1785"), ["17850", "17851"]);
        assert_eq!(customer_ids(index, "17850"), ["17850"]);
        assert!(customer_ids(index, "99").is_empty());
        let hit = &index.customers("17850", 1).unwrap()[0];
        assert_eq!(
            (hit.country.as_str(), hit.lines, hit.last_purchase),
            ("United Kingdom", 297, 1_323_000_000)
        );
    }

    #[test]
    fn customers_by_country_words_with_typos() {
        let index = index();
        assert_eq!(customer_ids(index, "germany"), ["12471", "12427"]);
        assert_eq!(customer_ids(index, "Germny"), ["12471", "12427"]);
        assert_eq!(customer_ids(index, "KINGDOM")[0], "17841");
        // An id and a country: the customer matching both first.
        assert_eq!(customer_ids(index, "12427 germany")[0], "12427");
    }

    #[test]
    fn an_empty_query_is_an_error_that_says_so() {
        let index = index();
        for query in ["", "   ", "\t\n"] {
            assert!(matches!(
                index.products(query, 10),
                Err(SearchError::EmptyQuery)
            ));
            assert!(matches!(
                index.customers(query, 10),
                Err(SearchError::EmptyQuery)
            ));
        }
    }

    #[test]
    fn limits_are_respected_at_both_ends() {
        let index = index();
        assert!(index.products("heart", 0).unwrap().is_empty());
        assert_eq!(index.products("heart", 2).unwrap().len(), 2);
        assert_eq!(index.products("heart", usize::MAX).unwrap().len(), 6);
    }

    #[test]
    fn query_syntax_is_plain_text() {
        let index = index();
        let long = "heart ".repeat(100);
        for query in [
            "\"",
            "(",
            ")",
            "AND",
            "OR",
            "NOT",
            "*",
            "?",
            "title:x",
            "text:heart",
            "id:85123A",
            "+heart -red",
            "heart~2",
            "[a TO z]",
            "\\",
            "'",
            "héart",
            "心",
            "🎄 christmas",
            "\u{0}",
            "a\u{301}",
            long.as_str(),
            &"x".repeat(500),
            &"9".repeat(500),
        ] {
            assert!(index.products(query, 5).is_ok(), "{query:?}");
            assert!(index.customers(query, 5).is_ok(), "{query:?}");
        }
        // Operators are words like any other: "+heart" is the word heart.
        assert!(!product_ids(index, "+heart -red").is_empty());
        assert_eq!(product_ids(index, "text:cakestand")[0], "22423");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn no_text_makes_a_search_fail(query in any::<String>(), limit in 0_usize..20) {
            let index = index();
            let products = index.products(&query, limit);
            let customers = index.customers(&query, limit);
            if query.trim().is_empty() {
                prop_assert!(matches!(products, Err(SearchError::EmptyQuery)));
                prop_assert!(matches!(customers, Err(SearchError::EmptyQuery)));
            } else {
                let products = products.unwrap();
                prop_assert!(products.len() <= limit);
                prop_assert!(products.windows(2).all(|w| w[0].score >= w[1].score));
                prop_assert!(customers.unwrap().len() <= limit);
            }
        }
    }

    #[test]
    fn typo_distance_grows_with_word_length() {
        assert_eq!([1, 3, 4, 7, 8, 20].map(typo_distance), [0, 0, 1, 1, 2, 2]);
    }
}
