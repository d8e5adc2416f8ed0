//! The search index: a product catalogue and a customer catalogue, each a tantivy index,
//! built from documents in memory or in a folder and opened for searching.
//!
//! Both catalogues are written by one indexing thread into one segment: a few thousand
//! short documents index in milliseconds, and a single segment keeps searches simple and
//! fast. Readers never reload on their own; an index is rebuilt whole, never updated.

use std::path::Path;

use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument};

use super::SearchError;
use super::docs::{CustomerDoc, ProductDoc};
use super::schema::{Fields, catalogue_schema, tokenizers};

/// tantivy's indexing arena; its minimum is 15 MB and our catalogues need far less.
const WRITER_HEAP_BYTES: usize = 20_000_000;

/// Sub-folders of a persisted index.
pub(crate) const PRODUCTS_DIR: &str = "products";
pub(crate) const CUSTOMERS_DIR: &str = "customers";

/// One opened catalogue: its index, a reader and the resolved fields.
pub(crate) struct Catalogue {
    pub reader: IndexReader,
    pub fields: Fields,
}

impl Catalogue {
    /// Fills the empty `index` with `docs` and opens a reader on it.
    fn fill(index: &Index, docs: impl Iterator<Item = TantivyDocument>) -> tantivy::Result<Self> {
        let mut writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
        for doc in docs {
            writer.add_document(doc)?;
        }
        writer.commit()?;
        // A merge still running when the folder is renamed could write into the old path.
        writer.wait_merging_threads()?;
        Self::open(index)
    }

    /// A reader on an existing index, with latent's analyzers registered for its fields.
    fn open(index: &Index) -> tantivy::Result<Self> {
        let fields = Fields::of(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self { reader, fields })
    }

    fn in_ram(docs: impl Iterator<Item = TantivyDocument>) -> tantivy::Result<Self> {
        let index = Index::builder()
            .schema(catalogue_schema())
            .tokenizers(tokenizers())
            .create_in_ram()?;
        Self::fill(&index, docs)
    }

    fn in_dir(
        dir: &Path,
        docs: impl Iterator<Item = TantivyDocument>,
    ) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let index = Index::builder()
            .schema(catalogue_schema())
            .tokenizers(tokenizers())
            .create_in_dir(dir)?;
        Ok(Self::fill(&index, docs)?)
    }

    fn open_dir(dir: &Path) -> tantivy::Result<Self> {
        let mut index = Index::open_in_dir(dir)?;
        index.set_tokenizers(tokenizers());
        Self::open(&index)
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }
}

/// Product and customer search over one data set.
///
/// Build it with [`SearchIndex::build_in_ram`] for a one-off, or keep it on disk with
/// [`SearchIndex::open_or_build`] so later searches skip reading the data. It is `Send +
/// Sync`: one index can serve every thread, and each search takes its own snapshot.
pub struct SearchIndex {
    pub(crate) products: Catalogue,
    pub(crate) customers: Catalogue,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("products", &self.product_count())
            .field("customers", &self.customer_count())
            .finish()
    }
}

impl SearchIndex {
    /// An index held in memory only; building Online Retail's takes well under a second.
    pub fn build_in_ram(
        products: &[ProductDoc],
        customers: &[CustomerDoc],
    ) -> Result<Self, SearchError> {
        let probe = Fields::of(&catalogue_schema())?;
        let index = Self {
            products: Catalogue::in_ram(products.iter().map(|p| product_doc(probe, p)))?,
            customers: Catalogue::in_ram(customers.iter().map(|c| customer_doc(probe, c)))?,
        };
        super::schema::warm_up();
        Ok(index)
    }

    /// Builds the index into the existing empty folder `dir`.
    pub(crate) fn build_in_dir(
        dir: &Path,
        products: &[ProductDoc],
        customers: &[CustomerDoc],
    ) -> Result<Self, SearchError> {
        let probe = Fields::of(&catalogue_schema())?;
        let index = Self {
            products: Catalogue::in_dir(
                &dir.join(PRODUCTS_DIR),
                products.iter().map(|p| product_doc(probe, p)),
            )?,
            customers: Catalogue::in_dir(
                &dir.join(CUSTOMERS_DIR),
                customers.iter().map(|c| customer_doc(probe, c)),
            )?,
        };
        Ok(index)
    }

    /// Opens the index persisted in `dir`.
    pub(crate) fn open_dir(dir: &Path) -> Result<Self, SearchError> {
        let index = Self {
            products: Catalogue::open_dir(&dir.join(PRODUCTS_DIR))?,
            customers: Catalogue::open_dir(&dir.join(CUSTOMERS_DIR))?,
        };
        super::schema::warm_up();
        Ok(index)
    }

    /// Products in the index.
    pub fn product_count(&self) -> u64 {
        self.products.searcher().num_docs()
    }

    /// Customers in the index.
    pub fn customer_count(&self) -> u64 {
        self.customers.searcher().num_docs()
    }
}

fn product_doc(fields: Fields, p: &ProductDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, &p.id);
    doc.add_text(fields.text, &p.description);
    doc.add_u64(fields.popularity, u64::from(p.buyers));
    doc.add_i64(fields.last_purchase, 0);
    doc
}

fn customer_doc(fields: Fields, c: &CustomerDoc) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(fields.id, &c.id);
    doc.add_text(fields.text, &c.country);
    doc.add_u64(fields.popularity, u64::from(c.lines));
    doc.add_i64(fields.last_purchase, c.last_purchase);
    doc
}
