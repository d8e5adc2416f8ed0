//! Looking at a delimited text file before polars parses it.
//!
//! Analysts export transaction logs from spreadsheets, ERPs and R or pandas scripts, so the
//! same table arrives with `,` `;` tab or `|` between fields, a UTF-8 byte order mark,
//! CRLF line ends and `"doubled ""quotes"""`. This module finds the delimiter and the
//! header, and checks every record for the two faults polars would report without a line
//! number (bytes that are not UTF-8) or would silently paper over (rows with fewer fields
//! than the header are padded with nulls). One pass over the bytes does both.

use std::io::{BufReader, Read};
use std::path::Path;

use super::LoadError;

/// The delimiters latent recognises, in order of preference when counts tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_RECORDS: usize = 50;

/// A byte range of whole records, parsed on its own so a large file is never held whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvChunk {
    /// First byte (the start of a record).
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Index of the chunk's first data record in the file.
    pub first_record: usize,
}

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
    /// The data records in chunks of about [`CHUNK_BYTES`].
    pub chunks: Vec<CsvChunk>,
}

/// Target size of one parsed chunk.
pub const CHUNK_BYTES: u64 = 48 * 1024 * 1024;

/// Finds the delimiter and header of the delimited text in `reader`, then checks every
/// record in one streaming pass and cuts the data into chunks of whole records.
///
/// `path` only names the file in errors.
pub fn inspect(path: &Path, reader: impl Read) -> Result<CsvLayout, LoadError> {
    inspect_in_chunks(path, reader, CHUNK_BYTES)
}

fn read_error(path: &Path, e: &std::io::Error) -> LoadError {
    LoadError::Io {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// [`inspect`] with a chosen chunk size.
pub fn inspect_in_chunks(
    path: &Path,
    reader: impl Read,
    chunk_bytes: u64,
) -> Result<CsvLayout, LoadError> {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| read_error(path, &e))?;
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
    let mut scan = Scan::new(path, delimiter, chunk_bytes, bom_len as u64);
    scan.feed(&head[bom_len..])?;
    let mut block = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut block).map_err(|e| read_error(path, &e))?;
        if n == 0 {
            break;
        }
        scan.feed(&block[..n])?;
    }
    scan.finish()?;
    if !scan.saw_content {
        return Err(LoadError::Empty {
            path: path.to_owned(),
        });
    }
    let header: Vec<String> = first_record_fields(sniff, delimiter)
        .into_iter()
        .map(|f| f.trim().to_owned())
        .collect();
    if scan.records == 0 {
        return Err(LoadError::HeaderOnly {
            path: path.to_owned(),
            columns: header,
        });
    }
    Ok(CsvLayout {
        delimiter,
        bom_len,
        header,
        records: scan.records,
        chunks: scan.chunks,
    })
}

/// The state of the one streaming pass: UTF-8 check, field counts, chunk boundaries.
struct Scan<'p> {
    path: &'p Path,
    scanner: RecordScanner,
    chunk_bytes: u64,
    /// Absolute offset of the next byte fed.
    offset: u64,
    line: usize,
    record_start_line: usize,
    expected: Option<usize>,
    records: usize,
    chunks: Vec<CsvChunk>,
    chunk_start: u64,
    chunk_first_record: usize,
    /// An incomplete UTF-8 sequence at the end of the previous block.
    pending: Vec<u8>,
    saw_content: bool,
}

impl<'p> Scan<'p> {
    fn new(path: &'p Path, delimiter: u8, chunk_bytes: u64, start: u64) -> Self {
        Self {
            path,
            scanner: RecordScanner::new(delimiter),
            chunk_bytes,
            offset: start,
            line: 1,
            record_start_line: 1,
            expected: None,
            records: 0,
            chunks: Vec::new(),
            chunk_start: start,
            chunk_first_record: 0,
            pending: Vec::new(),
            saw_content: false,
        }
    }

    fn not_utf8(&self, block: &[u8], valid: usize) -> LoadError {
        let line = self.line + block[..valid].iter().filter(|&&b| b == b'\n').count();
        LoadError::NotUtf8 {
            path: self.path.to_owned(),
            line,
            byte: block.get(valid).copied().unwrap_or(0),
        }
    }

    fn check_utf8(&mut self, block: &[u8]) -> Result<(), LoadError> {
        let mut rest = block;
        if !self.pending.is_empty() {
            // Complete the sequence cut at the previous block's end.
            let need = utf8_len(self.pending[0])
                .saturating_sub(self.pending.len())
                .min(rest.len());
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(&rest[..need]);
            match std::str::from_utf8(&joined) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() && need == rest.len() => {
                    self.pending = joined;
                    return Ok(());
                }
                Err(_) => return Err(self.not_utf8(block, 0)),
            }
            rest = &rest[need..];
        }
        if let Err(e) = std::str::from_utf8(rest) {
            if e.error_len().is_none() {
                self.pending = rest[e.valid_up_to()..].to_vec();
            } else {
                let at = block.len() - rest.len() + e.valid_up_to();
                return Err(self.not_utf8(block, at));
            }
        }
        Ok(())
    }

    fn feed(&mut self, block: &[u8]) -> Result<(), LoadError> {
        self.check_utf8(block)?;
        for &b in block {
            self.offset += 1;
            if !b.is_ascii_whitespace() {
                self.saw_content = true;
            }
            if let Some(fields) = self.scanner.push(b) {
                self.end_record(fields)?;
            }
            if b == b'\n' {
                self.line += 1;
                if !self.scanner.in_quotes {
                    self.record_start_line = self.line;
                }
            }
        }
        Ok(())
    }

    fn end_record(&mut self, fields: usize) -> Result<(), LoadError> {
        if fields == 0 {
            return Ok(());
        }
        match self.expected {
            None => {
                self.expected = Some(fields);
                self.chunk_start = self.offset;
            }
            Some(expected) if fields != expected => {
                return Err(LoadError::Ragged {
                    path: self.path.to_owned(),
                    line: self.record_start_line,
                    expected,
                    found: fields,
                });
            }
            Some(_) => {
                self.records += 1;
                if self.offset - self.chunk_start >= self.chunk_bytes {
                    self.chunks.push(CsvChunk {
                        start: self.chunk_start,
                        end: self.offset,
                        first_record: self.chunk_first_record,
                    });
                    self.chunk_start = self.offset;
                    self.chunk_first_record = self.records;
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), LoadError> {
        if !self.pending.is_empty() {
            let tail = std::mem::take(&mut self.pending);
            return Err(self.not_utf8(&tail, 0));
        }
        if let Some(fields) = self.scanner.finish() {
            self.end_record(fields)?;
        }
        if self.records > self.chunk_first_record {
            self.chunks.push(CsvChunk {
                start: self.chunk_start,
                end: self.offset,
                first_record: self.chunk_first_record,
            });
        }
        Ok(())
    }
}

/// Length of the UTF-8 sequence a lead byte starts.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
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

    fn finish(&mut self) -> Option<usize> {
        let fields = self.has_content.then_some(self.fields);
        self.fields = 1;
        self.has_content = false;
        fields
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
    fn chunks_cover_every_record_at_record_boundaries() {
        let text = b"a,b\n1,\"x\ny\"\n2,z\n3,w\n4,v";
        let l = inspect_in_chunks(Path::new("t.csv"), &text[..], 6).unwrap();
        assert_eq!(l.records, 4);
        let starts: Vec<u64> = l.chunks.iter().map(|c| c.start).collect();
        assert_eq!(starts[0], 4, "data starts after the header");
        for w in l.chunks.windows(2) {
            assert_eq!(w[0].end, w[1].start);
            assert_eq!(text[w[1].start as usize - 1], b'\n');
        }
        assert_eq!(l.chunks.last().unwrap().end, text.len() as u64);
        assert_eq!(
            l.chunks.iter().map(|c| c.first_record).collect::<Vec<_>>(),
            [0, 1, 3]
        );
    }

    #[test]
    fn utf8_sequences_split_across_reads_are_fine() {
        // A reader that returns one byte at a time splits every multi-byte character.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.0.is_empty() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[0];
                self.0 = &self.0[1..];
                Ok(1)
            }
        }
        let mut text = b"a,b\n".to_vec();
        for _ in 0..20_000 {
            text.extend_from_slice("CAFÉ,£5\n".as_bytes());
        }
        let l = inspect(Path::new("t.csv"), OneByte(&text)).unwrap();
        assert_eq!(l.records, 20_000);
    }

    #[test]
    fn blank_lines_and_missing_final_newline() {
        let l = layout(b"a,b\n\n1,2\n\n3,4").unwrap();
        assert_eq!(l.records, 2);
    }
}
