//! Reading a CSV or Parquet file into polars frames of the mapped columns.
//!
//! Only the columns the mapping needs are parsed (a projection), so a wide export costs
//! no more than its useful part. A CSV is parsed in chunks of whole records found by the
//! sniffing pass, on a second thread while the caller cleans the previous chunk, so memory
//! stays a fraction of the file size and both cores work. CSV columns are read as text:
//! the cleaning step owns the conversion of every cell, which is how it can name the line
//! of a bad value.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use super::LoadError;
use super::csv_sniff::{self, CsvLayout};
use super::mapping::{DataSpec, MappingProblem, ResolvedColumns, resolve};
use super::progress::{CountingReader, Tracker};

/// The two file kinds latent reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Parquet,
}

impl FileFormat {
    /// Where data row `row` (0-based in the file) stands, for messages: the line of a CSV
    /// (header on line 1) or the 1-based row of a Parquet file.
    pub fn location(self, row: usize) -> String {
        match self {
            FileFormat::Csv => format!("line {}", row + 2),
            FileFormat::Parquet => format!("row {}", row + 1),
        }
    }

    /// Decides by extension, then by the Parquet magic bytes.
    pub fn detect(path: &Path, first_bytes: &[u8]) -> FileFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if matches!(ext.as_str(), "parquet" | "pq" | "parq") || first_bytes.starts_with(b"PAR1") {
            FileFormat::Parquet
        } else {
            FileFormat::Csv
        }
    }
}

/// The mapped columns of a run of rows of one file, untouched apart from projection.
pub struct RawTable {
    /// The file read.
    pub path: PathBuf,
    /// How it was read.
    pub format: FileFormat,
    /// `(header index, column)` for every needed column.
    pub columns: Vec<(usize, Column)>,
    /// Rows in this table.
    pub rows: usize,
    /// Index in the file of this table's first row.
    pub first_row: usize,
}

impl RawTable {
    /// The column at `header_index`, if it was read.
    pub fn column(&self, header_index: usize) -> Option<&Column> {
        self.columns
            .iter()
            .find(|(i, _)| *i == header_index)
            .map(|(_, c)| c)
    }

    /// This table cut into tables of at most `rows_per_part` rows, in order; the columns
    /// are shared, not copied, so cleaning can report progress between parts for free.
    pub fn into_parts(self, rows_per_part: usize) -> Vec<RawTable> {
        let per = rows_per_part.max(1);
        if self.rows <= per {
            return vec![self];
        }
        (0..self.rows)
            .step_by(per)
            .map(|start| {
                let len = per.min(self.rows - start);
                RawTable {
                    path: self.path.clone(),
                    format: self.format,
                    columns: self
                        .columns
                        .iter()
                        .map(|(i, c)| (*i, c.slice(start as i64, len)))
                        .collect(),
                    rows: len,
                    first_row: self.first_row + start,
                }
            })
            .collect()
    }

    /// Where row `row` (0-based within this table) stands in the file, for messages: the
    /// line of a CSV (header on line 1) or the 1-based row of a Parquet file.
    pub fn location(&self, row: usize) -> String {
        self.format.location(self.first_row + row)
    }
}

/// An opened, checked data file whose mapping is resolved.
pub struct Source {
    pub path: PathBuf,
    pub format: FileFormat,
    /// Every column name in the file.
    pub header: Vec<String>,
    /// Which header column plays which role.
    pub resolved: ResolvedColumns,
    /// Data rows in the file: the records of a CSV, the rows of a Parquet file.
    pub rows: usize,
    csv: Option<CsvLayout>,
}

/// Opens `path`, checks its structure and matches `spec`'s mapping against its header.
pub fn open(path: &Path, spec: &DataSpec) -> Result<Source, LoadError> {
    let mut ignore = |_| std::ops::ControlFlow::Continue(());
    open_with_progress(path, spec, &mut Tracker::new(&mut ignore, false))
}

/// Bytes of the CSV checking pass between two progress reports.
const CHECK_REPORT_BYTES: u64 = 4 * 1024 * 1024;

/// [`open`], reporting the CSV checking pass (a read of every byte) to `tracker`.
pub(crate) fn open_with_progress(
    path: &Path,
    spec: &DataSpec,
    tracker: &mut Tracker<'_>,
) -> Result<Source, LoadError> {
    let metadata = std::fs::metadata(path).map_err(|e| metadata_error(path, &e))?;
    check_regular_file(path, metadata.file_type())?;
    if metadata.len() == 0 {
        return Err(LoadError::Empty {
            path: path.to_owned(),
        });
    }
    let mut file = File::open(path).map_err(|e| io_error(path, &e))?;
    let mut magic = [0u8; 4];
    let n = file.read(&mut magic).map_err(|e| io_error(path, &e))?;
    match FileFormat::detect(path, &magic[..n]) {
        FileFormat::Csv => {
            file.seek(SeekFrom::Start(0))
                .map_err(|e| io_error(path, &e))?;
            let counted = CountingReader {
                inner: file,
                tracker: &mut *tracker,
                total: metadata.len(),
                read: 0,
                reported: 0,
                every: CHECK_REPORT_BYTES,
            };
            let layout = match csv_sniff::inspect(path, counted) {
                Err(_) if tracker.is_cancelled() => return Err(LoadError::Cancelled),
                other => other?,
            };
            check_unique_header(path, &layout.header)?;
            let resolved = resolve(spec, &layout.header)
                .map_err(|p| mapping_error(path, &layout.header, p))?;
            Ok(Source {
                path: path.to_owned(),
                format: FileFormat::Csv,
                header: layout.header.clone(),
                resolved,
                rows: layout.records,
                csv: Some(layout),
            })
        }
        FileFormat::Parquet => {
            let mut reader = ParquetReader::new(file);
            let schema = reader.schema().map_err(|e| schema_error(path, &e))?;
            let header: Vec<String> = schema.iter_names().map(ToString::to_string).collect();
            check_unique_header(path, &header)?;
            let resolved = resolve(spec, &header).map_err(|p| mapping_error(path, &header, p))?;
            check_flat_columns(path, &schema, &resolved)?;
            let rows = reader.num_rows().map_err(|e| parquet_error(path, &e))?;
            Ok(Source {
                path: path.to_owned(),
                format: FileFormat::Parquet,
                header,
                resolved,
                rows,
                csv: None,
            })
        }
    }
}

impl Source {
    /// Parses the file chunk by chunk, handing each to `consume` in file order.
    pub fn for_each_chunk(
        &self,
        consume: &mut dyn FnMut(RawTable) -> Result<(), LoadError>,
    ) -> Result<(), LoadError> {
        match &self.csv {
            Some(layout) => self.csv_chunks(layout, consume),
            None => consume(self.read_parquet()?),
        }
    }

    fn csv_chunks(
        &self,
        layout: &CsvLayout,
        consume: &mut dyn FnMut(RawTable) -> Result<(), LoadError>,
    ) -> Result<(), LoadError> {
        let needed = self.resolved.needed_indices();
        std::thread::scope(|scope| {
            // One chunk parsed ahead while the caller cleans the current one.
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<RawTable, LoadError>>(1);
            scope.spawn(move || {
                let mut file = match File::open(&self.path) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = tx.send(Err(io_error(&self.path, &e)));
                        return;
                    }
                };
                let mut buf = Vec::new();
                for chunk in &layout.chunks {
                    let table =
                        self.parse_csv_chunk(&mut file, &mut buf, layout.delimiter, chunk, &needed);
                    let failed = table.is_err();
                    if tx.send(table).is_err() || failed {
                        return;
                    }
                }
            });
            for table in rx {
                consume(table?)?;
            }
            Ok(())
        })
    }

    fn parse_csv_chunk(
        &self,
        file: &mut File,
        buf: &mut Vec<u8>,
        delimiter: u8,
        chunk: &csv_sniff::CsvChunk,
        needed: &[usize],
    ) -> Result<RawTable, LoadError> {
        buf.resize((chunk.end - chunk.start) as usize, 0);
        file.seek(SeekFrom::Start(chunk.start))
            .and_then(|_| file.read_exact(buf))
            .map_err(|e| io_error(&self.path, &e))?;
        let frame = CsvReadOptions::default()
            .with_has_header(false)
            .with_infer_schema_length(Some(0))
            .with_projection(Some(Arc::new(needed.to_vec())))
            .with_rechunk(false)
            .map_parse_options(|o| {
                o.with_separator(delimiter)
                    .with_quote_char(Some(b'"'))
                    .with_missing_is_null(true)
                    .with_truncate_ragged_lines(false)
            })
            .into_reader_with_file_handle(Cursor::new(buf.as_slice()))
            .finish()
            .map_err(|e| LoadError::Csv {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
        let rows = frame.height();
        let columns = needed.iter().copied().zip(frame.into_columns()).collect();
        Ok(RawTable {
            path: self.path.clone(),
            format: FileFormat::Csv,
            columns,
            rows,
            first_row: chunk.first_record,
        })
    }

    fn read_parquet(&self) -> Result<RawTable, LoadError> {
        let path = &self.path;
        let file = File::open(path).map_err(|e| io_error(path, &e))?;
        let needed = self.resolved.needed_indices();
        let names: Vec<String> = needed.iter().map(|&i| self.header[i].clone()).collect();
        let mut frame = ParquetReader::new(file)
            .with_columns(Some(names.clone()))
            .finish()
            .map_err(|e| parquet_error(path, &e))?;
        let rows = frame.height();
        if rows == 0 {
            return Err(LoadError::HeaderOnly {
                path: path.clone(),
                columns: self.header.clone(),
            });
        }
        let mut columns = Vec::with_capacity(needed.len());
        for (index, name) in needed.into_iter().zip(names) {
            columns.push((
                index,
                frame
                    .drop_in_place(&name)
                    .map_err(|e| parquet_error(path, &e))?,
            ));
        }
        Ok(RawTable {
            path: path.clone(),
            format: FileFormat::Parquet,
            columns,
            rows,
            first_row: 0,
        })
    }
}

fn parquet_error(path: &Path, e: &PolarsError) -> LoadError {
    LoadError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// A Parquet schema polars refuses; a repeated column name gets the same message as in
/// a CSV, not the "truncated?" hint of a damaged file.
fn schema_error(path: &Path, e: &PolarsError) -> LoadError {
    if let PolarsError::Duplicate(message) = e {
        // polars says: column with name 'x' has more than one occurrence
        let column = message.split('\'').nth(1);
        if let Some(column) = column.filter(|c| !c.is_empty()) {
            return LoadError::DuplicateColumn {
                path: path.to_owned(),
                column: column.to_owned(),
            };
        }
    }
    parquet_error(path, e)
}

fn io_error(path: &Path, source: &std::io::Error) -> LoadError {
    if source.kind() == std::io::ErrorKind::NotFound {
        LoadError::NotFound {
            path: path.to_owned(),
        }
    } else {
        LoadError::Io {
            path: path.to_owned(),
            message: source.to_string(),
        }
    }
}

/// Why `metadata` failed, with a dangling or looping symbolic link told apart from a
/// missing file: the link is there, so "not found" would send the analyst looking for
/// the wrong thing.
fn metadata_error(path: &Path, source: &std::io::Error) -> LoadError {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        let message = if source.kind() == std::io::ErrorKind::NotFound {
            "its target does not exist".to_owned()
        } else {
            source.to_string()
        };
        return LoadError::BadLink {
            path: path.to_owned(),
            message,
        };
    }
    io_error(path, source)
}

/// Refuses anything but a regular file (after following links): the loader reads a file
/// twice (a checking pass, then the parse), which a directory, a FIFO or a device cannot
/// give; a FIFO used to read as an empty file.
fn check_regular_file(path: &Path, kind: std::fs::FileType) -> Result<(), LoadError> {
    if kind.is_file() {
        return Ok(());
    }
    let (kind, advice) = if kind.is_dir() {
        (
            "a directory",
            "give the CSV or Parquet file inside it, e.g. 'folder/data.csv'",
        )
    } else {
        (
            special_kind(kind),
            "latent reads its data file twice, so save the data to a file first",
        )
    };
    Err(LoadError::NotAFile {
        path: path.to_owned(),
        kind,
        advice,
    })
}

#[cfg(unix)]
fn special_kind(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: std::fs::FileType) -> &'static str {
    "a special file"
}

/// Refuses a header that names a column twice. Mapping finds columns by name, so with
/// two `Quantity` columns the first would silently win; Parquet refuses such files too.
/// Unnamed (blank) columns can never be mapped and may repeat.
fn check_unique_header(path: &Path, header: &[String]) -> Result<(), LoadError> {
    let mut seen = std::collections::HashSet::new();
    match header
        .iter()
        .filter(|name| !name.is_empty())
        .find(|name| !seen.insert(name.as_str()))
    {
        Some(column) => Err(LoadError::DuplicateColumn {
            path: path.to_owned(),
            column: column.clone(),
        }),
        None => Ok(()),
    }
}

/// Refuses a mapped Parquet column of lists or structs, which cannot become one id,
/// number or date per line (the cast to text used to fail as an I/O error).
fn check_flat_columns(
    path: &Path,
    schema: &ArrowSchema,
    resolved: &ResolvedColumns,
) -> Result<(), LoadError> {
    let keys = resolved
        .roles
        .iter()
        .map(|&(role, i)| (role.key().to_owned(), i))
        .chain(
            resolved
                .user_features
                .iter()
                .map(|(n, i)| (format!("user_features '{n}'"), *i)),
        )
        .chain(
            resolved
                .item_features
                .iter()
                .map(|(n, i)| (format!("item_features '{n}'"), *i)),
        );
    for (key, index) in keys {
        let Some((name, field)) = schema.get_at_index(index) else {
            continue;
        };
        let dtype = DataType::from_arrow_field(field);
        if dtype.is_nested() {
            return Err(LoadError::UnsupportedColumn {
                path: path.to_owned(),
                column: name.to_string(),
                key,
                dtype: dtype.to_string(),
            });
        }
    }
    Ok(())
}

fn mapping_error(path: &Path, header: &[String], problem: MappingProblem) -> LoadError {
    let (key, column) = match problem {
        MappingProblem::ConfiguredMissing { key, column } => (key, Some(column)),
        MappingProblem::Unrecognised { key } => (key.to_owned(), None),
        MappingProblem::SharedColumn {
            column,
            first,
            second,
        } => {
            return LoadError::SharedColumn {
                path: path.to_owned(),
                column,
                first: first.to_owned(),
                second: second.to_owned(),
            };
        }
    };
    LoadError::MissingColumn {
        path: path.to_owned(),
        key,
        column,
        found: header.to_vec(),
    }
}
