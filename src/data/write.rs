//! Writing transactions back to CSV or Parquet, atomically.
//!
//! Split files use latent's canonical headers (`user_id, item_id, quantity, timestamp,
//! price, rating, invoice, description, country`), which the loader recognises without a
//! mapping, so `latent data split` output feeds `latent train` as it is. Files are
//! written to a temporary name in the target folder and renamed into place, so a reader
//! never sees half a file and an existing file survives a failed write.

use std::io::{BufWriter, Write};
use std::path::Path;

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
