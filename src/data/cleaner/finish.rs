//! The rules of cleaning that need the whole file: plausible dates, the retention
//! window, exact duplicates; then the ids no kept line uses are dropped.

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::Cleaner;
use crate::data::LoadError;
use crate::data::clean::{
    CleaningReport, DropReason, compact_ids, describe_window, resolve_window,
};
use crate::data::mapping::Role;
use crate::data::plausible_dates::{now_seconds, plausible_dates};
use crate::data::timestamps::format_day;
use crate::data::transactions::Transactions;

impl Cleaner {
    /// Applies the window and duplicate removal and returns the kept lines.
    pub fn finish(mut self) -> Result<(Transactions, CleaningReport), LoadError> {
        let mut report = std::mem::take(&mut self.report);
        report.customers_read = self.out.users.len();
        report.items_read = self.out.items.len();
        if self.options.strict_dates && self.bad_dates > 0 {
            return Err(LoadError::BadDates {
                path: self.path.clone(),
                column: self.column_name(Role::Timestamp),
                count: self.bad_dates,
                examples: report.bad_date_examples.clone(),
            });
        }
        let plausible = self
            .has
            .timestamp
            .then(|| plausible_dates(&self.out.timestamp, now_seconds()));
        let believed = |ts: i64| plausible.is_none_or(|p| p.contains(ts));
        report.date_range_read = self
            .out
            .timestamp
            .iter()
            .copied()
            .filter(|&ts| believed(ts))
            .fold(None, |range, ts| match range {
                None => Some((ts, ts)),
                Some((a, b)) => Some((ts.min(a), ts.max(b))),
            });
        let window = if self.has.timestamp {
            resolve_window(&self.options.window, report.date_range_read)?
        } else {
            None
        };
        report.window = window;
        let mut out = std::mem::take(&mut self.out);
        let mut keep = vec![false; out.len()];
        for (row, &ts) in out.timestamp.iter().enumerate() {
            if !believed(ts) {
                self.drop_line(DropReason::ImplausibleDate);
                continue;
            }
            if let Some((start, end)) = window
                && (ts >= end || start.is_some_and(|s| ts < s))
            {
                self.drop_line(DropReason::OutsideWindow);
                continue;
            }
            keep[row] = true;
        }
        let row_hashes = std::mem::take(&mut self.row_hashes);
        if self.spec.drop_duplicates {
            let duplicates = drop_repeats(&row_hashes, &mut keep);
            self.drops[DropReason::Duplicate as usize] += duplicates;
        }
        drop(row_hashes);
        let kept_lines = keep.iter().filter(|&&k| k).count();
        if let Some(p) = plausible {
            let column = self.column_name(Role::Timestamp);
            report
                .drop_examples
                .extend(self.extremes.example(p, &column));
        }
        let dated = out.len() - self.drops[DropReason::ImplausibleDate as usize];
        if kept_lines == 0 && dated > 0 && self.drops[DropReason::OutsideWindow as usize] == dated {
            let (first, last) = report.date_range_read.unwrap_or((0, 0));
            return Err(LoadError::EmptyWindow {
                path: self.path.clone(),
                window: describe_window(window),
                data_range: format!("{} .. {}", format_day(first), format_day(last)),
            });
        }
        if kept_lines < out.len() {
            out.retain_lines(&keep);
        }
        drop(keep);
        let mut kept = out;
        compact_ids(&mut kept);
        report.rows_kept = kept.len();
        report.dropped = DropReason::ALL
            .iter()
            .map(|&r| (r, self.drops[r as usize]))
            .collect();
        report.drop_examples.sort_by_key(|e| e.reason);
        if kept.is_empty() {
            return Err(LoadError::NothingKept {
                path: self.path.clone(),
                report: Box::new(report),
            });
        }
        Ok((kept, report))
    }
}

/// Buckets the duplicate search is cut into, by the top bits of the line hashes: each
/// bucket's set fits in the cache, and the buckets are searched on every core.
const DUPLICATE_BUCKETS: usize = 256;

/// Unmarks in `keep` every kept line whose hash an earlier kept line has; returns how
/// many were unmarked. The same as one pass with one set over all lines, in file order,
/// without that set's cache misses: lines with equal hashes fall in one bucket, and each
/// bucket keeps file order.
fn drop_repeats(hashes: &[u64], keep: &mut [bool]) -> usize {
    let bucket = |h: u64| (h >> (64 - DUPLICATE_BUCKETS.trailing_zeros())) as usize;
    let mut starts = vec![0usize; DUPLICATE_BUCKETS + 1];
    for (&h, _) in hashes.iter().zip(keep.iter()).filter(|(_, k)| **k) {
        starts[bucket(h) + 1] += 1;
    }
    for b in 0..DUPLICATE_BUCKETS {
        starts[b + 1] += starts[b];
    }
    let mut next = starts.clone();
    let mut rows = vec![0u32; starts[DUPLICATE_BUCKETS]];
    for (row, (&h, _)) in hashes
        .iter()
        .zip(keep.iter())
        .enumerate()
        .filter(|(_, (_, k))| **k)
    {
        let b = bucket(h);
        rows[next[b]] = row as u32;
        next[b] += 1;
    }
    let repeats: Vec<Vec<u32>> = starts
        .par_windows(2)
        .map(|w| {
            let rows = &rows[w[0]..w[1]];
            let mut seen = FxHashSet::default();
            seen.reserve(rows.len());
            rows.iter()
                .copied()
                .filter(|&r| !seen.insert(hashes[r as usize]))
                .collect()
        })
        .collect();
    let mut dropped = 0;
    for r in repeats.iter().flatten() {
        keep[*r as usize] = false;
        dropped += 1;
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_after_the_first_kept_line_are_dropped_in_every_bucket() {
        // Hashes spread over the buckets, each on three lines in a row; line 1 is not
        // kept (an earlier rule dropped it), so it is no repeat and line 2 is one.
        let distinct: Vec<u64> = (0..1000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let hashes: Vec<u64> = distinct.iter().flat_map(|&h| [h, h, h]).collect();
        let mut keep = vec![true; hashes.len()];
        keep[1] = false;
        let dropped = drop_repeats(&hashes, &mut keep);
        assert_eq!(dropped, 2 * 1000 - 1);
        let kept: Vec<usize> = (0..keep.len()).filter(|&r| keep[r]).collect();
        assert_eq!(kept.len(), 1000);
        assert!(kept.iter().all(|&r| r % 3 == 0));
        assert!(!keep[1] && !keep[2]);
    }
}
