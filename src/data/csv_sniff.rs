//! Looking at a delimited text file before polars parses it.
//!
//! Analysts export transaction logs from spreadsheets, ERPs and R or pandas scripts, so the
//! same table arrives with `,` `;` tab or `|` between fields, a UTF-8 byte order mark,
//! CRLF line ends and `"doubled ""quotes"""`. This module finds the delimiter and the
//! header, and checks every record for the two faults polars would report without a line
//! number (bytes that are not UTF-8) or would silently paper over (rows with fewer fields
//! than the header are padded with nulls). One pass over the bytes does both.

use std::path::Path;

use super::LoadError;

/// The delimiters latent recognises, in order of preference when counts tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_RECORDS: usize = 50;

/// What the sniffing found out about a delimited file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvLayout {
    /// Field separator.
    pub delimiter: u8,
    /// Length of a UTF-8 byte order mark at the start of the file (0 or 3).
    pub bom_len: usize,
    /// Column names from the first record, trimmed, BOM removed.
    pub header: Vec<String>,
    /// Data records in the file (header excluded).
    pub records: usize,
}

/// Finds the delimiter and header of `bytes`, then checks every record.
///
/// `path` only names the file in errors.
pub fn inspect(path: &Path, bytes: &[u8]) -> Result<CsvLayout, LoadError> {
    let bom_len = if bytes.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let body = &bytes[bom_len..];
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(LoadError::Empty {
            path: path.to_owned(),
        });
    }
    if let Err(err) = std::str::from_utf8(body) {
        let offset = err.valid_up_to();
        let line = 1 + body[..offset].iter().filter(|&&b| b == b'\n').count();
        return Err(LoadError::NotUtf8 {
            path: path.to_owned(),
            line,
            byte: body.get(offset).copied().unwrap_or(0),
        });
    }
    let head = &body[..body.len().min(SNIFF_BYTES)];
    let delimiter = detect_delimiter(head).ok_or_else(|| LoadError::UnknownDelimiter {
        path: path.to_owned(),
        first_line: first_line(head),
    })?;
    let header: Vec<String> = first_record_fields(head, delimiter)
        .into_iter()
        .map(|f| f.trim().to_owned())
        .collect();
    let records = check_records(path, body, delimiter, header.len())?;
    if records == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_owned(),
            columns: header,
        });
    }
    Ok(CsvLayout {
        delimiter,
        bom_len,
        header,
        records,
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

/// Counts data records and fails on the first whose field count differs from the header.
fn check_records(
    path: &Path,
    body: &[u8],
    delimiter: u8,
    expected: usize,
) -> Result<usize, LoadError> {
    let mut scanner = RecordScanner::new(delimiter);
    let mut line = 1usize;
    let mut record_start_line = 1usize;
    let mut records = 0usize;
    let mut seen_header = false;
    let mut check = |fields: usize, start_line: usize| -> Result<(), LoadError> {
        if fields == 0 {
            return Ok(());
        }
        if !seen_header {
            seen_header = true;
            return Ok(());
        }
        if fields != expected {
            return Err(LoadError::Ragged {
                path: path.to_owned(),
                line: start_line,
                expected,
                found: fields,
            });
        }
        records += 1;
        Ok(())
    };
    for &b in body {
        if let Some(fields) = scanner.push(b) {
            check(fields, record_start_line)?;
        }
        if b == b'\n' {
            line += 1;
            if !scanner.in_quotes {
                record_start_line = line;
            }
        }
    }
    if let Some(fields) = scanner.finish() {
        check(fields, record_start_line)?;
    }
    Ok(records)
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

    fn finish(&mut self) -> Option<usize> {
        self.has_content.then_some(self.fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(text: &[u8]) -> Result<CsvLayout, LoadError> {
        inspect(Path::new("t.csv"), text)
    }

    #[test]
    fn detects_each_delimiter() {
        for d in DELIMITERS {
            let sep = char::from(d);
            let text = format!("a{sep}b{sep}c\n1{sep}2{sep}3\n4{sep}5{sep}6\n");
            let l = layout(text.as_bytes()).unwrap();
            assert_eq!(l.delimiter, d);
            assert_eq!(l.header, ["a", "b", "c"]);
            assert_eq!(l.records, 2);
        }
    }

    #[test]
    fn quotes_crlf_and_bom() {
        let text = b"\xef\xbb\xbfInvoiceNo;Description;Qty\r\n1;\"LETTER \"\"E\"\"; KEY\";2\r\n2;plain;3\r\n";
        let l = layout(text).unwrap();
        assert_eq!(l.delimiter, b';');
        assert_eq!(l.bom_len, 3);
        assert_eq!(l.header, ["InvoiceNo", "Description", "Qty"]);
        assert_eq!(l.records, 2);
    }

    #[test]
    fn commas_inside_quotes_do_not_fool_detection() {
        let text = b"a;b\n\"x, y, z\";1\n\"p, q\";2\n";
        assert_eq!(layout(text).unwrap().delimiter, b';');
    }

    #[test]
    fn faults_are_named_with_their_line() {
        assert!(matches!(layout(b""), Err(LoadError::Empty { .. })));
        assert!(matches!(layout(b"  \n\n"), Err(LoadError::Empty { .. })));
        assert!(matches!(
            layout(b"a,b,c\n"),
            Err(LoadError::HeaderOnly { .. })
        ));
        assert!(matches!(
            layout(b"a b c\n1 2 3\n"),
            Err(LoadError::UnknownDelimiter { .. })
        ));
        match layout(b"a,b,c\n1,2,3\n4,5\n") {
            Err(LoadError::Ragged {
                line,
                expected,
                found,
                ..
            }) => assert_eq!((line, expected, found), (3, 3, 2)),
            other => panic!("{other:?}"),
        }
        match layout(b"a,b\n1,2\n3,\xff\n") {
            Err(LoadError::NotUtf8 { line, byte, .. }) => assert_eq!((line, byte), (3, 0xff)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn blank_lines_and_missing_final_newline() {
        let l = layout(b"a,b\n\n1,2\n\n3,4").unwrap();
        assert_eq!(l.records, 2);
    }
}
