//! Writing transactions back to CSV or Parquet, atomically.
//!
//! Split files use latent's canonical headers (`user_id, item_id, quantity, timestamp,
//! price, rating, invoice, description, country`), which the loader recognises without a
//! mapping, so `latent data split` output feeds `latent train` as it is. Files are
//! written to a temporary name in the target folder and renamed into place, so a reader
//! never sees half a file and an existing file survives a failed write.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::LoadError;
use super::mapping::Role;
use super::reader::FileFormat;
use super::transactions::{FeatureColumn, Transactions};

/// Writes `t` to `path`, as Parquet when the extension says so and CSV otherwise.
pub fn write_transactions(t: &Transactions, path: &Path) -> Result<(), LoadError> {
    let mut frame = to_frame(t).map_err(|e| write_error(path, &e.to_string()))?;
    let format = FileFormat::detect(path, b"");
    write_atomically(path, |file| match format {
        FileFormat::Parquet => ParquetWriter::new(file).finish(&mut frame).map(|_| ()),
        FileFormat::Csv => CsvWriter::new(file).include_header(true).finish(&mut frame),
    })
}

/// Writes through `body` into a temporary file next to `path`, then renames it over `path`.
pub fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<&mut std::fs::File>) -> PolarsResult<()>,
) -> Result<(), LoadError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".latent-").suffix(".tmp");
    // Temporary files are private (0600) by default; the result is an ordinary file, so
    // it gets the ordinary mode, narrowed by the umask as any file would be.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| write_error(path, &e.to_string()))?;
    {
        let mut writer = BufWriter::new(tmp.as_file_mut());
        body(&mut writer).map_err(|e| write_error(path, &e.to_string()))?;
        writer
            .flush()
            .map_err(|e| write_error(path, &e.to_string()))?;
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| write_error(path, &e.to_string()))?;
    tmp.persist(path)
        .map_err(|e| write_error(path, &e.error.to_string()))?;
    Ok(())
}

/// Refuses outputs that would overwrite the data file being read or each other.
///
/// `outputs` pairs each output with the option that named it (`--train-out`). Paths are
/// compared once canonicalised, so `./train.csv` and `data/../train.csv` meet, and an
/// output that does not exist yet is canonicalised through its folder. Two existing paths
/// are also compared by device and inode, which catches hard links.
pub fn check_distinct_outputs(input: &Path, outputs: &[(&str, &Path)]) -> Result<(), LoadError> {
    let input_id = FileId::of(input);
    for (k, &(flag, path)) in outputs.iter().enumerate() {
        let id = FileId::of(path);
        if id.same_as(&input_id) {
            return Err(LoadError::OutputClash {
                input: Some(input.to_owned()),
                first: String::new(),
                second: flag.to_owned(),
                path: path.to_owned(),
            });
        }
        if let Some(&(earlier, _)) = outputs[..k]
            .iter()
            .find(|(_, other)| FileId::of(other).same_as(&id))
        {
            return Err(LoadError::OutputClash {
                input: None,
                first: earlier.to_owned(),
                second: flag.to_owned(),
                path: path.to_owned(),
            });
        }
    }
    Ok(())
}

/// What identifies a file: its canonical path, and its device and inode when it exists.
struct FileId {
    path: PathBuf,
    inode: Option<(u64, u64)>,
}

impl FileId {
    fn of(path: &Path) -> Self {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| {
            // Not there yet: its folder is, or the write fails later with its own message.
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let parent = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_owned());
            path.file_name()
                .map_or_else(|| parent.clone(), |name| parent.join(name))
        });
        Self {
            path: canonical,
            inode: inode(path),
        }
    }

    fn same_as(&self, other: &FileId) -> bool {
        self.path == other.path || (self.inode.is_some() && self.inode == other.inode)
    }
}

#[cfg(unix)]
fn inode(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &Path) -> Option<(u64, u64)> {
    None
}

fn write_error(path: &Path, message: &str) -> LoadError {
    LoadError::Write {
        path: path.to_owned(),
        message: message.to_owned(),
    }
}

fn names(ids: &super::ids::IdMap, codes: &[u32]) -> Vec<Option<String>> {
    codes
        .iter()
        .map(|&c| (c != u32::MAX).then(|| ids.name(c).to_owned()))
        .collect()
}

fn feature(f: &FeatureColumn) -> Column {
    Column::new(f.name.as_str().into(), names(&f.values, &f.codes))
}

/// The lines of `t` as a polars frame with canonical column names.
pub fn to_frame(t: &Transactions) -> PolarsResult<DataFrame> {
    let h = Role::canonical_header;
    let mut columns = vec![
        Column::new(
            h(Role::User).into(),
            t.user.iter().map(|&u| t.users.name(u)).collect::<Vec<_>>(),
        ),
        Column::new(
            h(Role::Item).into(),
            t.item.iter().map(|&i| t.items.name(i)).collect::<Vec<_>>(),
        ),
    ];
    if t.has.quantity {
        columns.push(Column::new(h(Role::Quantity).into(), t.quantity.clone()));
    }
    if t.has.timestamp {
        let ms: Vec<i64> = t.timestamp.iter().map(|s| s * 1000).collect();
        let column = Column::new(h(Role::Timestamp).into(), ms)
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?;
        columns.push(column);
    }
    if t.has.price {
        columns.push(Column::new(h(Role::Price).into(), t.price.clone()));
    }
    if t.has.rating {
        columns.push(Column::new(h(Role::Rating).into(), t.rating.clone()));
    }
    if t.has.invoice {
        columns.push(Column::new(
            h(Role::Invoice).into(),
            names(&t.invoices, &t.invoice),
        ));
    }
    if t.has.description {
        columns.push(Column::new(
            h(Role::Description).into(),
            names(&t.descriptions, &t.description),
        ));
    }
    if t.has.country {
        columns.push(Column::new(
            h(Role::Country).into(),
            names(&t.countries, &t.country),
        ));
    }
    let taken: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    for f in t.user_features.iter().chain(&t.item_features) {
        if !taken.contains(&f.name) {
            columns.push(feature(f));
        }
    }
    DataFrame::new(t.len(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_may_not_overwrite_the_input_or_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.csv");
        std::fs::write(&data, "user,item\na,x\n").unwrap();
        let train = dir.path().join("train.csv");
        let test = dir.path().join("test.csv");
        assert!(
            check_distinct_outputs(&data, &[("--train-out", &train), ("--test-out", &test)])
                .is_ok()
        );

        // The same file by another spelling, and through a hard link.
        let sneaky = dir.path().join("sub").join("..").join("data.csv");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let err = check_distinct_outputs(&data, &[("--train-out", &sneaky)]).unwrap_err();
        assert!(
            matches!(&err, LoadError::OutputClash { input: Some(_), .. }),
            "{err}"
        );
        assert!(err.to_string().contains("--train-out"), "{err}");
        let link = dir.path().join("link.csv");
        std::fs::hard_link(&data, &link).unwrap();
        assert!(check_distinct_outputs(&data, &[("--test-out", &link)]).is_err());

        // Two outputs on one file that does not exist yet.
        let again = dir.path().join(".").join("train.csv");
        let err = check_distinct_outputs(&data, &[("--train-out", &train), ("--test-out", &again)])
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("--train-out and --test-out are the same file"),
            "{message}"
        );
    }
}
