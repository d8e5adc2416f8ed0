//! Reading a CSV or Parquet file into a polars frame of the mapped columns.
//!
//! Only the columns the mapping needs are parsed (a projection), so a wide export costs
//! no more than its useful part. CSV columns are all read as text: the cleaning step owns
//! the conversion of every cell, which is how it can name the line of a bad value.

use std::fs::File;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use super::LoadError;
use super::csv_sniff;
use super::mapping::{DataSpec, MappingProblem, ResolvedColumns, resolve};

/// The two file kinds latent reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Parquet,
}

impl FileFormat {
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

/// The mapped columns of one file, untouched apart from projection.
pub struct RawTable {
    /// The file read.
    pub path: PathBuf,
    /// How it was read.
    pub format: FileFormat,
    /// Every column name in the file.
    pub header: Vec<String>,
    /// Which header column plays which role.
    pub resolved: ResolvedColumns,
    /// `(header index, column)` for every needed column.
    pub columns: Vec<(usize, Column)>,
    /// Rows in the frame.
    pub rows: usize,
}

impl RawTable {
    /// The column at `header_index`, if it was read.
    pub fn column(&self, header_index: usize) -> Option<&Column> {
        self.columns
            .iter()
            .find(|(i, _)| *i == header_index)
            .map(|(_, c)| c)
    }

    /// Where row `row` (0-based) stands in the file, for messages: the line of a CSV
    /// (header on line 1) or the 1-based row of a Parquet file.
    pub fn location(&self, row: usize) -> String {
        match self.format {
            FileFormat::Csv => format!("line {}", row + 2),
            FileFormat::Parquet => format!("row {}", row + 1),
        }
    }
}

/// Reads the columns `mapping` needs from `path`.
pub fn read_table(path: &Path, mapping: &DataSpec) -> Result<RawTable, LoadError> {
    let metadata = std::fs::metadata(path).map_err(|source| io_error(path, &source))?;
    if metadata.is_dir() {
        return Err(LoadError::Io {
            path: path.to_owned(),
            message: "is a directory, expected a CSV or Parquet file".into(),
        });
    }
    if metadata.len() == 0 {
        return Err(LoadError::Empty {
            path: path.to_owned(),
        });
    }
    let mut magic = [0u8; 4];
    {
        use std::io::Read;
        let mut f = File::open(path).map_err(|source| io_error(path, &source))?;
        let n = f
            .read(&mut magic)
            .map_err(|source| io_error(path, &source))?;
        if n < 4 {
            magic = [0; 4];
        }
    }
    match FileFormat::detect(path, &magic) {
        FileFormat::Csv => read_csv(path, mapping),
        FileFormat::Parquet => read_parquet(path, mapping),
    }
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

fn mapping_error(path: &Path, header: &[String], problem: MappingProblem) -> LoadError {
    match problem {
        MappingProblem::ConfiguredMissing { key, column } => LoadError::MissingColumn {
            path: path.to_owned(),
            key,
            column: Some(column),
            found: header.to_vec(),
        },
        MappingProblem::Unrecognised { key } => LoadError::MissingColumn {
            path: path.to_owned(),
            key: key.to_owned(),
            column: None,
            found: header.to_vec(),
        },
    }
}

fn read_csv(path: &Path, mapping: &DataSpec) -> Result<RawTable, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| io_error(path, &source))?;
    let layout = csv_sniff::inspect(path, &bytes)?;
    let resolved =
        resolve(mapping, &layout.header).map_err(|p| mapping_error(path, &layout.header, p))?;
    let needed = resolved.needed_indices();
    let body = &bytes[layout.bom_len..];
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_projection(Some(Arc::new(needed.clone())))
        .with_rechunk(false)
        .map_parse_options(|o| {
            o.with_separator(layout.delimiter)
                .with_quote_char(Some(b'"'))
                .with_missing_is_null(true)
                .with_truncate_ragged_lines(false)
        })
        .into_reader_with_file_handle(Cursor::new(body))
        .finish()
        .map_err(|e| LoadError::Csv {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    let rows = frame.height();
    let columns = needed.into_iter().zip(frame.into_columns()).collect();
    Ok(RawTable {
        path: path.to_owned(),
        format: FileFormat::Csv,
        header: layout.header,
        resolved,
        columns,
        rows,
    })
}

fn read_parquet(path: &Path, mapping: &DataSpec) -> Result<RawTable, LoadError> {
    let parquet_error = |e: PolarsError| LoadError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let file = File::open(path).map_err(|source| io_error(path, &source))?;
    let mut reader = ParquetReader::new(file);
    let schema = reader.schema().map_err(parquet_error)?;
    let header: Vec<String> = schema.iter_names().map(ToString::to_string).collect();
    let resolved = resolve(mapping, &header).map_err(|p| mapping_error(path, &header, p))?;
    let needed = resolved.needed_indices();
    let names: Vec<String> = needed.iter().map(|&i| header[i].clone()).collect();
    let mut frame = reader
        .with_columns(Some(names.clone()))
        .finish()
        .map_err(parquet_error)?;
    let rows = frame.height();
    if rows == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_owned(),
            columns: header,
        });
    }
    let mut columns = Vec::with_capacity(needed.len());
    for (index, name) in needed.into_iter().zip(names) {
        let column = frame.drop_in_place(&name).map_err(parquet_error)?;
        columns.push((index, column));
    }
    Ok(RawTable {
        path: path.to_owned(),
        format: FileFormat::Parquet,
        header,
        resolved,
        columns,
        rows,
    })
}
