//! Opening a CSV or Parquet file, and reading a Parquet file into polars columns.
//!
//! Only the columns the mapping needs are read (a projection), so a wide export costs
//! no more than its useful part. A CSV is only sniffed here (delimiter, header); its
//! records are read, checked and split in one streaming pass by [`super::csv_stream`],
//! as text: the cleaning step owns the conversion of every cell, which is how it can
//! name the line of a bad value.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::LoadError;
use super::csv_sniff::{self, CsvHead};
use super::csv_stream::CsvStream;
use super::mapping::{DataSpec, MappingProblem, ResolvedColumns, Role, resolve};

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
    /// Rows of a Parquet file; 0 for a CSV, whose records are counted as they are read.
    pub rows: usize,
    /// Size of the file in bytes.
    pub bytes: u64,
    csv: Option<CsvHead>,
}

/// Opens `path`, sniffs its kind (and a CSV's delimiter and header, or a Parquet file's
/// schema) and matches `spec`'s mapping against its header. A CSV's records are checked
/// as they are read, by `Source::csv_stream`.
pub fn open(path: &Path, spec: &DataSpec) -> Result<Source, LoadError> {
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
            let head = csv_sniff::sniff(path, file)?;
            check_unique_header(path, &head.header)?;
            let resolved =
                resolve(spec, &head.header).map_err(|p| mapping_error(path, &head.header, p))?;
            Ok(Source {
                path: path.to_owned(),
                format: FileFormat::Csv,
                header: head.header.clone(),
                resolved,
                rows: 0,
                bytes: metadata.len(),
                csv: Some(head),
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
                bytes: metadata.len(),
                csv: None,
            })
        }
    }
}

impl Source {
    /// The one-pass record stream over a CSV, after its byte order mark; `None` for a
    /// Parquet file.
    pub(crate) fn csv_stream(&self) -> Option<Result<CsvStream<File>, LoadError>> {
        let head = self.csv.as_ref()?;
        let open = || -> Result<CsvStream<File>, LoadError> {
            let mut file = File::open(&self.path).map_err(|e| io_error(&self.path, &e))?;
            file.seek(SeekFrom::Start(head.bom_len as u64))
                .map_err(|e| io_error(&self.path, &e))?;
            Ok(CsvStream::new(
                &self.path,
                file,
                head.delimiter,
                head.header.len(),
                &self.resolved.needed_indices(),
                &[Role::Quantity, Role::Price, Role::Rating]
                    .iter()
                    .filter_map(|&r| self.resolved.index(r))
                    .collect::<Vec<_>>(),
            ))
        };
        Some(open())
    }

    /// Reads a Parquet file's mapped columns as one table.
    pub(crate) fn parquet_table(&self) -> Result<RawTable, LoadError> {
        self.read_parquet()
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
