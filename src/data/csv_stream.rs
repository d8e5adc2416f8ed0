//! One streaming pass over a delimited file: split records, check them, keep the fields
//! the mapping needs.
//!
//! The file is read in blocks of about [`BATCH_BYTES`]; each block is cut after its last
//! complete record (the rest is carried into the next block), checked as UTF-8 in one
//! call, and split into records. Every record's field count is checked against the
//! header, and the fields the mapping needs are kept as byte ranges into the block, so a
//! [`CsvBatch`] hands the cleaner `&str` cells without copying a single field. Only a
//! quoted field with doubled quotes (`"LETTER ""E"""`) is unescaped, into a small side
//! buffer.
//!
//! This replaces a checking pass over the whole file followed by a polars parse of the
//! same bytes: the file is read once, and memory is a few blocks whatever its size. A
//! record without quotes (nearly all of them) is found with one `memchr` for its line end
//! and one for a quote; the quote-aware scanner, which follows the same rules as the
//! sniffer in [`super::csv_sniff`], runs only on records that have a quote.
//!
//! Faults keep the messages of the old checking pass: a byte that is not UTF-8 and a
//! record with the wrong number of fields are named by their physical line, and the
//! first fault in file order wins.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use memchr::{memchr, memchr_iter, memchr3_iter};

use super::LoadError;

/// Bytes read per block; a batch holds the whole records of one block.
pub const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Marks a span that points into [`CsvBatch::unescaped`] rather than the block text.
const UNESCAPED: u32 = 1 << 31;

/// Marks a missing (empty) field.
const MISSING: u32 = u32::MAX;

/// The longest record read: longer means a quote left open (the rest of the file would
/// be one field), which is refused by its line rather than read into memory.
const MAX_RECORD: usize = 64 * 1024 * 1024;

/// The whole records of one block, with the needed fields of each.
#[derive(Debug, Default)]
pub struct CsvBatch {
    text: String,
    unescaped: String,
    /// `width` spans per record, in the order of the needed columns.
    spans: Vec<[u32; 2]>,
    /// Physical line (1-based) where each record starts.
    lines: Vec<usize>,
    width: usize,
    /// Per needed field: its place among the number fields, if it is one.
    number_slots: Vec<Option<usize>>,
    /// Per record, per number field: its value, read on the parsing thread; NaN when
    /// the cleaner is to read the text itself (missing, quoted, not a number).
    numbers: Vec<f64>,
}

impl CsvBatch {
    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The physical line (1-based) where record `r` starts.
    pub fn line(&self, r: usize) -> usize {
        self.lines[r]
    }

    /// Needed field `j` of record `r` as a number, when it is a number field whose text
    /// was read as a number.
    pub fn number(&self, r: usize, j: usize) -> Option<f64> {
        let k = self.number_slots.get(j).copied().flatten()?;
        let width = self.numbers.len() / self.len().max(1);
        let x = *self.numbers.get(r * width + k)?;
        (!x.is_nan()).then_some(x)
    }

    /// Needed field `j` of record `r`, `None` when empty.
    pub fn field(&self, r: usize, j: usize) -> Option<&str> {
        let [start, end] = self.spans[r * self.width + j];
        if start == MISSING {
            return None;
        }
        if start & UNESCAPED != 0 {
            self.unescaped
                .get((start & !UNESCAPED) as usize..end as usize)
        } else {
            self.text.get(start as usize..end as usize)
        }
    }
}

/// A delimited file read block by block into [`CsvBatch`]es.
pub struct CsvStream<R> {
    path: PathBuf,
    reader: R,
    delimiter: u8,
    /// Header position → slot among the needed fields.
    slots: Vec<Option<usize>>,
    width: usize,
    /// Needed slot → place among the number fields.
    number_slots: Vec<Option<usize>>,
    numbers_width: usize,
    /// Field count of the header, once read.
    expected: Option<usize>,
    /// Bytes read but not yet handed out (the start of an incomplete record).
    carry: Vec<u8>,
    /// Physical line of `carry[0]`.
    line: usize,
    /// Physical line just after the records split last.
    next_line: usize,
    at_eof: bool,
    records: usize,
    bytes_read: u64,
    /// Reused by both scanners: field bounds of the current record.
    bounds: Vec<(usize, usize)>,
    /// Time spent in reads from the file.
    read_time: Duration,
    /// [`MAX_RECORD`], smaller in tests.
    max_record: usize,
}

impl<R: Read> CsvStream<R> {
    /// A stream over `reader`, positioned just after any byte order mark, keeping the
    /// header columns `needed` (sorted), of which those in `numbers` are also read as
    /// numbers. `path` only names the file in errors.
    pub fn new(
        path: &Path,
        reader: R,
        delimiter: u8,
        header_len: usize,
        needed: &[usize],
        numbers: &[usize],
    ) -> Self {
        let mut slots = vec![None; header_len.max(needed.iter().max().map_or(0, |m| m + 1))];
        for (slot, &i) in needed.iter().enumerate() {
            slots[i] = Some(slot);
        }
        let mut number_slots = vec![None; needed.len()];
        let mut numbers_width = 0;
        for (slot, i) in needed.iter().enumerate() {
            if numbers.contains(i) {
                number_slots[slot] = Some(numbers_width);
                numbers_width += 1;
            }
        }
        Self {
            path: path.to_owned(),
            reader,
            delimiter,
            slots,
            width: needed.len(),
            number_slots,
            numbers_width,
            expected: None,
            carry: Vec::new(),
            line: 1,
            next_line: 1,
            at_eof: false,
            records: 0,
            bytes_read: 0,
            bounds: Vec::new(),
            read_time: Duration::ZERO,
            max_record: MAX_RECORD,
        }
    }

    /// Data records handed out so far.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Time spent reading from the file so far (the rest of [`Self::next_batch`] is
    /// splitting and checking).
    pub fn read_time(&self) -> Duration {
        self.read_time
    }

    /// Bytes read from the file so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The next batch of records; `None` once the file is done.
    pub fn next_batch(&mut self) -> Result<Option<CsvBatch>, LoadError> {
        loop {
            if self.at_eof && self.carry.is_empty() {
                return Ok(None);
            }
            self.fill()?;
            let mut batch = CsvBatch {
                width: self.width,
                number_slots: self.number_slots.clone(),
                ..CsvBatch::default()
            };
            let mut unescaped = Vec::new();
            let consumed = self.split(&mut batch, &mut unescaped)?;
            let rest = self.carry.split_off(consumed);
            let block = std::mem::replace(&mut self.carry, rest);
            if block.is_empty() && batch.is_empty() {
                if self.carry.len() > self.max_record {
                    return Err(LoadError::Csv {
                        path: self.path.clone(),
                        message: format!(
                            "line {}: a record longer than {} MiB; is a quote left open?",
                            self.line,
                            self.max_record >> 20
                        ),
                    });
                }
                // One record longer than the block: read on.
                continue;
            }
            batch.text = String::from_utf8(block).map_err(|e| {
                let valid = e.utf8_error().valid_up_to();
                self.not_utf8(e.as_bytes(), valid)
            })?;
            self.line = self.next_line;
            // Unescaping removes ASCII quotes from checked text, so this cannot fail.
            batch.unescaped = String::from_utf8(unescaped).map_err(|e| LoadError::Csv {
                path: self.path.clone(),
                message: e.to_string(),
            })?;
            self.records += batch.len();
            if batch.is_empty() {
                continue;
            }
            return Ok(Some(batch));
        }
    }

    /// Reads until the carry holds a block's worth of bytes or the file ends.
    fn fill(&mut self) -> Result<(), LoadError> {
        if self.at_eof {
            return Ok(());
        }
        // Growing by at least the carry keeps a long record's rescans linear in its size.
        let want = self.carry.len() + BATCH_BYTES.max(self.carry.len());
        let started = Instant::now();
        let before = self.carry.len();
        let mut filled = before;
        self.carry.resize(want, 0);
        while !self.at_eof && filled < want {
            match self.reader.read(&mut self.carry[filled..]) {
                Ok(0) => self.at_eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(LoadError::Io {
                        path: self.path.clone(),
                        message: e.to_string(),
                    });
                }
            }
        }
        self.bytes_read += (filled - before) as u64;
        self.carry.truncate(filled);
        self.read_time += started.elapsed();
        Ok(())
    }

    /// Splits the complete records at the start of the carry into `batch`; returns the
    /// bytes they take.
    fn split(&mut self, batch: &mut CsvBatch, unescaped: &mut Vec<u8>) -> Result<usize, LoadError> {
        let buf = std::mem::take(&mut self.carry);
        let result = self.split_records(&buf, batch, unescaped);
        self.carry = buf;
        result
    }

    fn split_records(
        &mut self,
        buf: &[u8],
        batch: &mut CsvBatch,
        unescaped: &mut Vec<u8>,
    ) -> Result<usize, LoadError> {
        let delimiter = self.delimiter;
        let mut line = self.line;
        // The record being split starts at `pos`; its current field at `field_start`.
        let mut pos = 0;
        let mut field_start = 0;
        self.bounds.clear();
        // One SIMD search for the three bytes that matter, across records: the cost is
        // per field, not per byte. A quote hands the record to the quote-aware scanner.
        let mut base = 0;
        let mut hits = memchr3_iter(delimiter, b'\n', b'"', buf);
        loop {
            let Some(hit) = hits.next().map(|i| base + i) else {
                if self.at_eof && pos < buf.len() {
                    let end = trim_cr(buf, field_start, buf.len());
                    self.bounds.push((field_start - pos, end - pos));
                    let record = &buf[pos..];
                    self.end_record(buf, pos, record, line, batch, unescaped, false)?;
                    pos = buf.len();
                }
                break;
            };
            match buf[hit] {
                b'"' => {
                    let Some(len) = self.quoted_fields(&buf[pos..]) else {
                        break;
                    };
                    let record = &buf[pos..pos + len];
                    self.end_record(buf, pos, record, line, batch, unescaped, true)?;
                    // A quoted field may hold line breaks.
                    line += 1 + memchr_iter(b'\n', record).count();
                    pos = (pos + len + 1).min(buf.len());
                    base = pos;
                    hits = memchr3_iter(delimiter, b'\n', b'"', &buf[pos..]);
                }
                b'\n' => {
                    let end = trim_cr(buf, field_start, hit);
                    self.bounds.push((field_start - pos, end - pos));
                    let record = &buf[pos..hit];
                    self.end_record(buf, pos, record, line, batch, unescaped, false)?;
                    line += 1;
                    pos = hit + 1;
                }
                _ => {
                    self.bounds.push((field_start - pos, hit - pos));
                    field_start = hit + 1;
                    continue;
                }
            }
            field_start = pos;
            self.bounds.clear();
        }
        self.next_line = line;
        Ok(pos)
    }

    /// Checks the record at `pos` of the block, whose field bounds are in `self.bounds`,
    /// and keeps its needed fields.
    #[allow(clippy::too_many_arguments)]
    fn end_record(
        &mut self,
        buf: &[u8],
        pos: usize,
        record: &[u8],
        line: usize,
        batch: &mut CsvBatch,
        unescaped: &mut Vec<u8>,
        quoted: bool,
    ) -> Result<(), LoadError> {
        let fields = self.bounds.len();
        if fields == 1 && record.iter().all(|&b| b == b' ' || b == b'\r') {
            return Ok(()); // a blank line
        }
        match self.expected {
            None => self.expected = Some(fields),
            Some(expected) if fields != expected => {
                return Err(self.ragged(buf, pos + record.len(), line, expected, fields));
            }
            Some(_) => {
                self.keep(record, pos, batch, unescaped, quoted);
                batch.lines.push(line);
            }
        }
        Ok(())
    }

    /// Field bounds of a record with quotes, by the sniffer's rules (a quote toggles
    /// quoting anywhere, so a doubled quote inside quotes toggles twice); returns where
    /// the record ends (its `\n`, or the end of the file), or `None` when it is cut off
    /// by the end of the block.
    fn quoted_fields(&mut self, rest: &[u8]) -> Option<usize> {
        self.bounds.clear();
        let mut in_quotes = false;
        let mut start = 0;
        let mut i = 0;
        while i < rest.len() {
            let b = rest[i];
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if !in_quotes {
                if b == self.delimiter {
                    self.bounds.push((start, i));
                    start = i + 1;
                } else if b == b'\n' {
                    let end = if i > start && rest[i - 1] == b'\r' {
                        i - 1
                    } else {
                        i
                    };
                    self.bounds.push((start, end));
                    return Some(i);
                }
            }
            i += 1;
        }
        if !self.at_eof {
            return None;
        }
        self.bounds.push((start, rest.len()));
        Some(rest.len())
    }

    /// Stores the needed fields of the record at `offset` of the block.
    fn keep(
        &self,
        record: &[u8],
        offset: usize,
        batch: &mut CsvBatch,
        unescaped: &mut Vec<u8>,
        quoted: bool,
    ) {
        let first = batch.spans.len();
        batch.spans.resize(first + self.width, [MISSING, MISSING]);
        let first_number = batch.numbers.len();
        batch
            .numbers
            .resize(first_number + self.numbers_width, f64::NAN);
        for (column, &(start, end)) in self.bounds.iter().enumerate() {
            let Some(Some(slot)) = self.slots.get(column) else {
                continue;
            };
            if !quoted {
                if end > start {
                    batch.spans[first + slot] = [(offset + start) as u32, (offset + end) as u32];
                    if let Some(k) = self.number_slots[*slot] {
                        // Read here, on the parsing thread, to spare the cleaner's.
                        let number = std::str::from_utf8(&record[start..end])
                            .ok()
                            .and_then(|t| super::values::parse_number(t).ok().flatten());
                        batch.numbers[first_number + k] = number.unwrap_or(f64::NAN);
                    }
                }
                continue;
            }
            let field = &record[start..end];
            let span = match field_value(field) {
                Value::Missing => [MISSING, MISSING],
                Value::Inner(a, b) => [(offset + start + a) as u32, (offset + start + b) as u32],
                Value::Unescape => {
                    let from = unescaped.len();
                    unescape(field, unescaped);
                    [from as u32 | UNESCAPED, unescaped.len() as u32]
                }
            };
            batch.spans[first + slot] = span;
        }
    }

    fn ragged(
        &self,
        buf: &[u8],
        end: usize,
        line: usize,
        expected: usize,
        found: usize,
    ) -> LoadError {
        // A bad byte earlier in the file is the first fault, as in a checking pass.
        if let Err(e) = std::str::from_utf8(&buf[..end]) {
            return self.not_utf8(buf, e.valid_up_to());
        }
        LoadError::Ragged {
            path: self.path.clone(),
            line,
            expected,
            found,
        }
    }

    fn not_utf8(&self, block: &[u8], valid: usize) -> LoadError {
        LoadError::NotUtf8 {
            path: self.path.clone(),
            line: self.line + block[..valid].iter().filter(|&&b| b == b'\n').count(),
            byte: block.get(valid).copied().unwrap_or(0),
        }
    }
}

/// Where a field ending at `end` (before a line break) ends without a carriage return.
fn trim_cr(buf: &[u8], start: usize, end: usize) -> usize {
    if end > start && buf[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

/// What a field holds, as offsets within it.
enum Value {
    Missing,
    Inner(usize, usize),
    Unescape,
}

fn field_value(field: &[u8]) -> Value {
    if field.is_empty() {
        return Value::Missing;
    }
    if memchr(b'"', field).is_none() {
        return Value::Inner(0, field.len());
    }
    let n = field.len();
    if n >= 2
        && field[0] == b'"'
        && field[n - 1] == b'"'
        && memchr(b'"', &field[1..n - 1]).is_none()
    {
        return if n == 2 {
            Value::Missing
        } else {
            Value::Inner(1, n - 1)
        };
    }
    Value::Unescape
}

/// Appends `field` without its quoting: a quote toggles quoting, and a doubled quote
/// inside quotes stands for one quote.
fn unescape(field: &[u8], out: &mut Vec<u8>) {
    let mut in_quotes = false;
    let mut i = 0;
    while i < field.len() {
        let b = field[i];
        if b == b'"' {
            if in_quotes && field.get(i + 1) == Some(&b'"') {
                out.push(b'"');
                i += 2;
                continue;
            }
            in_quotes = !in_quotes;
        } else {
            out.push(b);
        }
        i += 1;
    }
}

#[cfg(test)]
#[path = "csv_stream_tests.rs"]
mod tests;
