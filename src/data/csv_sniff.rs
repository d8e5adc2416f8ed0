//! Looking at a delimited text file before reading its records.
//!
//! Analysts export transaction logs from spreadsheets, ERPs and R or pandas scripts, so the
//! same table arrives with `,` `;` tab or `|` between fields, a UTF-8 byte order mark,
//! CRLF line ends and `"doubled ""quotes"""`. This module finds the delimiter and the
//! header from the first 64 KiB; [`super::csv_stream`] then checks every record as it
//! reads it.

use std::io::Read;
use std::path::Path;

use super::LoadError;

/// The delimiters latent recognises, in order of preference when counts tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_RECORDS: usize = 50;

/// What the first block of a delimited file tells: its delimiter and header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvHead {
    /// Field separator.
    pub delimiter: u8,
    /// Length of a UTF-8 byte order mark at the start of the file (0 or 3).
    pub bom_len: usize,
    /// Column names from the first record, trimmed, BOM removed.
    pub header: Vec<String>,
}

/// Finds the delimiter and header of the delimited text in `reader` from its first
/// 64 KiB; the records themselves are checked as they are read (see
/// [`super::csv_stream`]).
///
/// `path` only names the file in errors.
pub fn sniff(path: &Path, reader: impl Read) -> Result<CsvHead, LoadError> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    reader
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| LoadError::Io {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    let bom_len = if head.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let sniff = &head[bom_len..];
    let Some(delimiter) = detect_delimiter(sniff) else {
        let exhausted = head.len() < SNIFF_BYTES;
        if exhausted && sniff.iter().all(u8::is_ascii_whitespace) {
            return Err(LoadError::Empty {
                path: path.to_owned(),
            });
        }
        return Err(LoadError::UnknownDelimiter {
            path: path.to_owned(),
            first_line: first_line(sniff),
        });
    };
    let header = first_record_fields(sniff, delimiter)
        .into_iter()
        .map(|f| f.trim().to_owned())
        .collect();
    Ok(CsvHead {
        delimiter,
        bom_len,
        header,
    })
}

fn first_line(head: &[u8]) -> String {
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = String::from_utf8_lossy(&head[..end]);
    line.trim_end().chars().take(120).collect()
}

/// Picks the delimiter whose field count is the same on every sampled record and largest.
fn detect_delimiter(head: &[u8]) -> Option<u8> {
    let mut best: Option<(u8, usize, usize)> = None;
    for &delimiter in &DELIMITERS {
        let counts = record_field_counts(head, delimiter, SNIFF_RECORDS);
        let Some(&header_fields) = counts.first() else {
            continue;
        };
        if header_fields < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == header_fields).count();
        let better = match best {
            None => true,
            Some((_, best_consistent, best_fields)) => {
                (consistent, header_fields) > (best_consistent, best_fields)
            }
        };
        if better {
            best = Some((delimiter, consistent, header_fields));
        }
    }
    best.map(|(d, _, _)| d)
}

/// Field counts of the first `limit` complete records (the last, maybe cut, is dropped).
fn record_field_counts(head: &[u8], delimiter: u8, limit: usize) -> Vec<usize> {
    let mut counts = Vec::new();
    let mut scanner = RecordScanner::new(delimiter);
    for &b in head {
        if let Some(fields) = scanner.push(b) {
            if fields > 0 {
                counts.push(fields);
            }
            if counts.len() >= limit {
                break;
            }
        }
    }
    counts
}

fn first_record_fields(head: &[u8], delimiter: u8) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = Vec::new();
    let mut in_quotes = false;
    let mut i = 0;
    while i < head.len() {
        let b = head[i];
        if in_quotes {
            if b == b'"' {
                if head.get(i + 1) == Some(&b'"') {
                    field.push(b'"');
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(b);
            }
        } else if b == b'"' {
            in_quotes = true;
        } else if b == delimiter {
            fields.push(String::from_utf8_lossy(&field).into_owned());
            field.clear();
        } else if b == b'\n' {
            break;
        } else if b != b'\r' {
            field.push(b);
        }
        i += 1;
    }
    fields.push(String::from_utf8_lossy(&field).into_owned());
    fields
}

/// A byte-at-a-time RFC 4180 record splitter that only counts fields.
struct RecordScanner {
    delimiter: u8,
    in_quotes: bool,
    fields: usize,
    has_content: bool,
}

impl RecordScanner {
    fn new(delimiter: u8) -> Self {
        Self {
            delimiter,
            in_quotes: false,
            fields: 1,
            has_content: false,
        }
    }

    /// Feeds one byte; returns the field count when a record ends (0 for a blank line).
    fn push(&mut self, b: u8) -> Option<usize> {
        if b == b'"' {
            // A doubled quote inside quotes toggles twice, leaving the state unchanged.
            self.in_quotes = !self.in_quotes;
            self.has_content = true;
            return None;
        }
        if self.in_quotes {
            return None;
        }
        if b == self.delimiter {
            self.fields += 1;
            self.has_content = true;
        } else if b == b'\n' {
            let fields = if self.has_content { self.fields } else { 0 };
            self.fields = 1;
            self.has_content = false;
            return Some(fields);
        } else if b != b'\r' && (b != b' ' || self.has_content) {
            self.has_content = true;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &[u8]) -> Result<CsvHead, LoadError> {
        sniff(Path::new("t.csv"), text)
    }

    #[test]
    fn detects_each_delimiter() {
        for d in DELIMITERS {
            let sep = char::from(d);
            let text = format!("a{sep}b{sep}c\n1{sep}2{sep}3\n4{sep}5{sep}6\n");
            let h = head(text.as_bytes()).unwrap();
            assert_eq!(h.delimiter, d);
            assert_eq!(h.header, ["a", "b", "c"]);
        }
    }

    #[test]
    fn quotes_crlf_and_bom() {
        let text = b"\xef\xbb\xbfInvoiceNo;Description;Qty\r\n1;\"LETTER \"\"E\"\"; KEY\";2\r\n2;plain;3\r\n";
        let h = head(text).unwrap();
        assert_eq!(h.delimiter, b';');
        assert_eq!(h.bom_len, 3);
        assert_eq!(h.header, ["InvoiceNo", "Description", "Qty"]);
    }

    #[test]
    fn commas_inside_quotes_do_not_fool_detection() {
        let text = b"a;b\n\"x, y, z\";1\n\"p, q\";2\n";
        assert_eq!(head(text).unwrap().delimiter, b';');
    }

    #[test]
    fn empty_files_and_unknown_delimiters_are_named() {
        assert!(matches!(head(b""), Err(LoadError::Empty { .. })));
        assert!(matches!(head(b"  \n\n"), Err(LoadError::Empty { .. })));
        assert!(matches!(
            head(b"a b c\n1 2 3\n"),
            Err(LoadError::UnknownDelimiter { .. })
        ));
    }
}
