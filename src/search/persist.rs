//! Keeping the index on disk, and knowing when it is stale.
//!
//! A persisted index is a folder with `products/`, `customers/` and a `fingerprint` file
//! naming the data it was built from: the data file's path, size and modification time
//! and a hash of the loading configuration (mapping and cleaning change which products
//! and customers exist). A matching fingerprint opens the folder as it is; anything else
//! rebuilds it.
//!
//! A rebuild writes into a fresh folder beside the target and renames it into place only
//! once complete, `fingerprint` written last. An interrupted build leaves a stray
//! `.index-build-*` folder, never a target that opens with half its documents.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::SearchError;
use super::docs::{CustomerDoc, ProductDoc};
use super::index::SearchIndex;
use super::schema::SCHEMA_VERSION;

const FINGERPRINT_FILE: &str = "fingerprint";

/// What identifies the data an index was built from: the data file's canonical path, size
/// and modification time, and a hash of `load_spec_toml` (the `[data]`, `[cleaning]` and
/// `[interactions]` tables, serialised by the caller).
///
/// Two fingerprints are equal when the index built for one serves the other.
pub fn fingerprint(data_path: &Path, load_spec_toml: &str) -> io::Result<String> {
    let meta = fs::metadata(data_path)?;
    let path = fs::canonicalize(data_path)?;
    let modified_ns = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Ok(format!(
        "data={} size={} modified_ns={modified_ns} load_spec_fnv1a={:016x}",
        path.display(),
        meta.len(),
        fnv1a(load_spec_toml.as_bytes())
    ))
}

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike std's hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The `fingerprint` file's content: the layout version too, so an upgrade rebuilds.
fn stamp(fingerprint: &str) -> String {
    format!("latent search index, schema {SCHEMA_VERSION}\n{fingerprint}\n")
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: path.to_owned(),
        source,
    }
}

impl SearchIndex {
    /// Opens the index persisted in `dir` if it was built for `fingerprint`; otherwise
    /// calls `docs` for the documents, builds the index beside `dir` and renames it into
    /// place. The flag is true when the index was (re)built.
    ///
    /// `dir` must be latent's own index folder or not exist: a folder without a
    /// `fingerprint` file is never deleted, and the call fails instead.
    pub fn open_or_build<E>(
        dir: &Path,
        fingerprint: &str,
        docs: impl FnOnce() -> Result<(Vec<ProductDoc>, Vec<CustomerDoc>), E>,
    ) -> Result<(Self, bool), SearchError>
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let expected = stamp(fingerprint);
        if let Some(index) = open_if_current(dir, &expected) {
            return Ok((index, false));
        }
        refuse_foreign_folder(dir)?;
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io_error(&parent))?;
        let (products, customers) = docs().map_err(|e| SearchError::Docs(e.into()))?;
        let build = tempfile::Builder::new()
            .prefix(".index-build-")
            .tempdir_in(&parent)
            .map_err(io_error(&parent))?;
        let _span = tracing::info_span!("search_index_build", dir = %dir.display()).entered();
        drop(SearchIndex::build_in_dir(
            build.path(),
            &products,
            &customers,
        )?);
        write_synced(&build.path().join(FINGERPRINT_FILE), &expected)?;
        replace_dir(build, dir, &parent)?;
        tracing::info!(
            products = products.len(),
            customers = customers.len(),
            "search index built"
        );
        Ok((SearchIndex::open_dir(dir)?, true))
    }
}

/// The index in `dir` when its fingerprint is `expected` and it opens; a stale, missing
/// or damaged index is `None` (and gets rebuilt).
fn open_if_current(dir: &Path, expected: &str) -> Option<SearchIndex> {
    let stored = fs::read_to_string(dir.join(FINGERPRINT_FILE)).ok()?;
    if stored != expected {
        tracing::info!(dir = %dir.display(), "search index is stale");
        return None;
    }
    match SearchIndex::open_dir(dir) {
        Ok(index) => Some(index),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), "search index does not open, rebuilding: {e}");
            None
        }
    }
}

fn refuse_foreign_folder(dir: &Path) -> Result<(), SearchError> {
    let Ok(mut entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    let is_empty = entries.next().is_none();
    if is_empty || dir.join(FINGERPRINT_FILE).is_file() {
        Ok(())
    } else {
        Err(SearchError::NotAnIndex {
            path: dir.to_owned(),
        })
    }
}

fn write_synced(path: &Path, text: &str) -> Result<(), SearchError> {
    let mut file = fs::File::create(path).map_err(io_error(path))?;
    file.write_all(text.as_bytes()).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// Moves the finished `build` folder to `dir`, moving a previous `dir` aside first (a
/// folder cannot be renamed over a non-empty one) and deleting it afterwards.
fn replace_dir(build: tempfile::TempDir, dir: &Path, parent: &Path) -> Result<(), SearchError> {
    let old = if dir.exists() {
        let aside = tempfile::Builder::new()
            .prefix(".index-old-")
            .tempdir_in(parent)
            .map_err(io_error(parent))?;
        let target = aside.path().join("index");
        fs::rename(dir, &target).map_err(io_error(dir))?;
        Some(aside)
    } else {
        None
    };
    let built = build.keep();
    if let Err(source) = fs::rename(&built, dir) {
        // Another process may have put its own fresh index there first; ours goes.
        let _ = fs::remove_dir_all(&built);
        if !dir.join(FINGERPRINT_FILE).is_file() {
            return Err(SearchError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    }
    // The old index is deleted when `old` drops.
    drop(old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn docs() -> (Vec<ProductDoc>, Vec<CustomerDoc>) {
        (
            vec![ProductDoc {
                id: "85123A".into(),
                description: "WHITE HANGING HEART T-LIGHT HOLDER".into(),
                buyers: 3,
            }],
            vec![CustomerDoc {
                id: "17850".into(),
                country: "United Kingdom".into(),
                lines: 7,
                last_purchase: 1,
            }],
        )
    }

    /// Opens or builds, counting calls of the document source.
    fn open(dir: &Path, fingerprint: &str, calls: &Cell<u32>) -> (SearchIndex, bool) {
        SearchIndex::open_or_build(dir, fingerprint, || {
            calls.set(calls.get() + 1);
            Ok::<_, io::Error>(docs())
        })
        .unwrap()
    }

    #[test]
    fn a_matching_fingerprint_opens_without_reading_the_data() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("index");
        let calls = Cell::new(0);
        let (index, rebuilt) = open(&dir, "a", &calls);
        assert!(rebuilt);
        assert_eq!(calls.get(), 1);
        assert_eq!(index.products("heart", 5).unwrap()[0].id, "85123A");
        drop(index);

        let (index, rebuilt) = open(&dir, "a", &calls);
        assert!(!rebuilt, "same fingerprint must not rebuild");
        assert_eq!(calls.get(), 1, "documents must not be read again");
        assert_eq!(index.customers("178", 5).unwrap()[0].id, "17850");
    }

    #[test]
    fn a_changed_fingerprint_rebuilds_in_place() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("index");
        let calls = Cell::new(0);
        drop(open(&dir, "a", &calls));
        let (index, rebuilt) = open(&dir, "b", &calls);
        assert!(rebuilt);
        assert_eq!(calls.get(), 2);
        assert_eq!(index.product_count(), 1);
        // No build or old folders are left beside the index.
        let names: Vec<String> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["index"]);
        assert_eq!(
            fs::read_to_string(dir.join(FINGERPRINT_FILE)).unwrap(),
            stamp("b")
        );
    }

    #[test]
    fn a_damaged_index_is_rebuilt_not_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("index");
        let calls = Cell::new(0);
        drop(open(&dir, "a", &calls));
        fs::remove_file(dir.join("products").join("meta.json")).unwrap();
        let (index, rebuilt) = open(&dir, "a", &calls);
        assert!(rebuilt);
        assert_eq!(index.product_count(), 1);
    }

    #[test]
    fn a_folder_without_fingerprint_is_refused_not_deleted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("index");
        let calls = Cell::new(0);
        drop(open(&dir, "a", &calls));
        fs::remove_file(dir.join(FINGERPRINT_FILE)).unwrap();
        // Without its fingerprint the folder is foreign: refused, not deleted.
        let err = SearchIndex::open_or_build(&dir, "a", || Ok::<_, io::Error>(docs())).unwrap_err();
        assert!(matches!(err, SearchError::NotAnIndex { .. }), "{err}");
        assert!(dir.join("products").exists());
    }

    #[test]
    fn a_failing_document_source_leaves_the_old_index() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("index");
        let calls = Cell::new(0);
        drop(open(&dir, "a", &calls));
        let err = SearchIndex::open_or_build(&dir, "b", || {
            Err::<(Vec<ProductDoc>, Vec<CustomerDoc>), _>(io::Error::other("data file gone"))
        })
        .unwrap_err();
        assert!(matches!(err, SearchError::Docs(_)), "{err}");
        assert_eq!(err.is_input_error(), None, "the cause decides");
        let (_, rebuilt) = open(&dir, "a", &calls);
        assert!(!rebuilt, "the previous index is intact");
    }

    #[test]
    fn fingerprint_follows_the_file_and_the_loading_spec() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data.csv");
        fs::write(&data, "a,b\n1,2\n").unwrap();
        let first = fingerprint(&data, "[cleaning]\ndrop_duplicates = true\n").unwrap();
        assert_eq!(
            first,
            fingerprint(&data, "[cleaning]\ndrop_duplicates = true\n").unwrap()
        );
        assert_ne!(
            first,
            fingerprint(&data, "[cleaning]\ndrop_duplicates = false\n").unwrap()
        );
        fs::write(&data, "a,b\n1,2\n3,4\n").unwrap();
        assert_ne!(
            first,
            fingerprint(&data, "[cleaning]\ndrop_duplicates = true\n").unwrap()
        );
        assert!(fingerprint(&tmp.path().join("missing.csv"), "").is_err());
    }

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
