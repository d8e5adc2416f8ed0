//! Feeding the lines of an opened file to the cleaner, with progress and timings.
//!
//! A CSV is split into records on a second thread ([`super::csv_stream`]) while this one
//! cleans the previous batch, so both cores work and memory holds a few 4 MiB blocks
//! whatever the file's size. A Parquet file is decoded by polars in one go (it is
//! compressed and columnar, so it is small) and cleaned in slices.
//!
//! Each step's time is added to a [`LoadTimings`], which `latent bench load` prints as a
//! phase breakdown: time measured where the work is done, not guessed from the outside.

use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use super::LoadError;
use super::cells::Cell;
use super::cleaner::Cleaner;
use super::csv_stream::CsvBatch;
use super::mapping::Role;
use super::progress::{LoadPhase, ROWS_PER_REPORT, Tracker};
use super::reader::Source;

/// Where the time of one load went, phase by phase.
///
/// The CSV phases overlap: `read` and `split` run on the parsing thread while `clean`
/// runs on the caller's; `wait` is the caller's time waiting for the next batch, so
/// `clean + wait` is the wall time of the streaming part.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoadTimings {
    /// Opening the file: sniffing a CSV's header, or a Parquet file's schema.
    pub open: Duration,
    /// Reading bytes from the file (CSV), or decoding the Parquet columns.
    pub read: Duration,
    /// Splitting CSV records and checking them (UTF-8, field counts); parsing thread.
    pub split: Duration,
    /// Applying the line rules (ids, dates, numbers, drop reasons) to every line.
    pub clean: Duration,
    /// Waiting for the parsing thread; near zero when cleaning is the slower side.
    pub wait: Duration,
    /// The rules that need the whole file: plausible dates, retention window,
    /// duplicates, compaction of the ids.
    pub finish: Duration,
    /// Aggregating lines into the customers × products matrix.
    pub matrix: Duration,
}

/// A batch of records and how far the file has been read when it was cut.
struct Parsed {
    batch: CsvBatch,
    bytes_read: u64,
}

/// Cleans every line of `source` into `cleaner`, reporting rows to `tracker`.
pub(crate) fn feed(
    source: &Source,
    cleaner: &mut Cleaner,
    tracker: &mut Tracker<'_>,
    timings: &mut LoadTimings,
) -> Result<(), LoadError> {
    match source.csv_stream() {
        Some(stream) => feed_csv(source, stream?, cleaner, tracker, timings),
        None => feed_parquet(source, cleaner, tracker, timings),
    }
}

fn go_on(flow: std::ops::ControlFlow<()>) -> Result<(), LoadError> {
    if flow.is_break() {
        Err(LoadError::Cancelled)
    } else {
        Ok(())
    }
}

fn feed_csv(
    source: &Source,
    mut stream: super::csv_stream::CsvStream<std::fs::File>,
    cleaner: &mut Cleaner,
    tracker: &mut Tracker<'_>,
    timings: &mut LoadTimings,
) -> Result<(), LoadError> {
    let needed = source.resolved.needed_indices();
    let slot_of = |index: usize| needed.iter().position(|&i| i == index);
    let role_slots: Vec<Option<usize>> = Role::ALL
        .iter()
        .map(|&r| source.resolved.index(r).and_then(slot_of))
        .collect();
    let feature_slots = |list: &[(String, usize)]| -> Vec<usize> {
        list.iter().filter_map(|(_, i)| slot_of(*i)).collect()
    };
    let user_slots = feature_slots(&source.resolved.user_features);
    let item_slots = feature_slots(&source.resolved.item_features);
    go_on(tracker.report(LoadPhase::Reading, 0, 1))?;
    let mut done = 0u64;
    let (split_time, read_time) = std::thread::scope(|scope| {
        // Two batches parsed ahead at most: memory stays a few blocks.
        let (tx, rx) = sync_channel::<Result<Parsed, LoadError>>(2);
        let parser = scope.spawn(move || {
            let mut busy = Duration::ZERO;
            loop {
                let started = Instant::now();
                let next = stream.next_batch();
                busy += started.elapsed();
                let message = match next {
                    Ok(Some(batch)) => Ok(Parsed {
                        batch,
                        bytes_read: stream.bytes_read(),
                    }),
                    Ok(None) => break,
                    Err(e) => Err(e),
                };
                let failed = message.is_err();
                if tx.send(message).is_err() || failed {
                    break;
                }
            }
            (busy, stream.read_time())
        });
        let mut waited = Instant::now();
        for message in rx {
            timings.wait += waited.elapsed();
            let Parsed { batch, bytes_read } = message?;
            let started = Instant::now();
            let mut cells = [Cell::Missing; Role::ALL.len()];
            let mut user_cells = Vec::with_capacity(user_slots.len());
            let mut item_cells = Vec::with_capacity(item_slots.len());
            for r in 0..batch.len() {
                let cell = |slot: usize| match (batch.field(r, slot), batch.number(r, slot)) {
                    (Some(text), Some(x)) => Cell::Number(x, text),
                    (Some(text), None) => Cell::Text(text),
                    (None, _) => Cell::Missing,
                };
                for (c, slot) in cells.iter_mut().zip(&role_slots) {
                    *c = slot.map_or(Cell::Missing, cell);
                }
                user_cells.clear();
                user_cells.extend(user_slots.iter().map(|&s| cell(s)));
                item_cells.clear();
                item_cells.extend(item_slots.iter().map(|&s| cell(s)));
                // Line 2 is data row 0, as FileFormat::location counts.
                let file_row = batch.line(r).saturating_sub(2);
                cleaner.push_line(file_row, &cells, &user_cells, &item_cells)?;
            }
            timings.clean += started.elapsed();
            // The row count is known at the end only: estimate it from the bytes read.
            let estimate = ((done + batch.len() as u64) as f64 * source.bytes as f64
                / bytes_read.max(1) as f64) as u64;
            if done == 0 {
                // A few percent over the estimate, so the columns are allocated once.
                cleaner.reserve((estimate + estimate / 32) as usize);
            }
            done += batch.len() as u64;
            go_on(tracker.report(LoadPhase::Reading, done, estimate.max(done + 1)))?;
            waited = Instant::now();
        }
        // The parser stops at its first error, which the loop above has returned.
        Ok::<_, LoadError>(parser.join().unwrap_or_default())
    })?;
    timings.split += split_time.saturating_sub(read_time);
    timings.read += read_time;
    if done == 0 {
        return Err(LoadError::HeaderOnly {
            path: source.path.clone(),
            columns: source.header.clone(),
        });
    }
    go_on(tracker.report(LoadPhase::Reading, done, done))
}

fn feed_parquet(
    source: &Source,
    cleaner: &mut Cleaner,
    tracker: &mut Tracker<'_>,
    timings: &mut LoadTimings,
) -> Result<(), LoadError> {
    let total = source.rows as u64;
    go_on(tracker.report(LoadPhase::Reading, 0, total))?;
    let started = Instant::now();
    let table = source.parquet_table()?;
    timings.read += started.elapsed();
    let started = Instant::now();
    let mut done = 0u64;
    // Slices of the table are cleaned one by one so the gauge moves.
    for part in table.into_parts(ROWS_PER_REPORT) {
        cleaner.push(&part)?;
        done += part.rows as u64;
        go_on(tracker.report(LoadPhase::Reading, done, total.max(done)))?;
    }
    timings.clean += started.elapsed();
    Ok(())
}
