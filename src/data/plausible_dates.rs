//! Which dates of a file are believable, so one wrong date cannot steer the cleaning.
//!
//! A transaction log is dated by machines and people, and both get it wrong now and then:
//! a clerk types 2099 for 2009, an ERP fills a missing date with 1900-01-01 or
//! 0001-01-01. One such line used to move the default retention date (the last day in
//! the data) by decades, so `--retention-days 30` kept nothing but that line.
//!
//! A date is plausible when it lies
//! - between 1970-01-01 and one year after today (no sales log predates Unix time in
//!   practice, and none records next year's sales), and
//! - within the bulk of the file: no further than `max(3 years, 10 × IQR)` outside the
//!   interquartile range `[Q1, Q3]` of the file's dates.
//!
//! The quartiles, unlike the minimum and maximum, do not move with a few wrong lines, and
//! the margin is wide on purpose: ten times the spread of the middle half of the data
//! (at least three years) keeps the thin early years of a growing shop and the long
//! tail of a MovieLens release, while a date decades away from everything else goes.

use super::clean::{DropExample, DropReason};
use super::reader::FileFormat;
use super::timestamps::{SECONDS_PER_DAY, format_day, format_timestamp};

/// Seconds in the 365-day years the bounds are counted in.
const SECONDS_PER_YEAR: i64 = 365 * SECONDS_PER_DAY;

/// How far past today a date may lie.
const FUTURE_SLACK: i64 = SECONDS_PER_YEAR + SECONDS_PER_DAY;

/// The smallest margin around the interquartile range.
const MIN_MARGIN: i64 = 3 * SECONDS_PER_YEAR;

/// How many interquartile ranges the margin spans.
const IQR_MULTIPLE: i64 = 10;

/// Most dates the quartiles are estimated from; larger files are sampled evenly, which
/// moves a quartile by a negligible amount and keeps the cost a small copy.
const QUARTILE_SAMPLE: usize = 100_000;

/// The plausible dates of a file as an inclusive range of seconds since 1970.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlausibleDates {
    pub first: i64,
    pub last: i64,
}

impl PlausibleDates {
    /// True when `seconds` lies in the range.
    pub fn contains(self, seconds: i64) -> bool {
        (self.first..=self.last).contains(&seconds)
    }
}

/// The plausible range for a file whose dates are `timestamps`, on a day whose clock
/// reads `now` (seconds since 1970).
pub fn plausible_dates(timestamps: &[i64], now: i64) -> PlausibleDates {
    let absolute = PlausibleDates {
        first: 0,
        last: now.saturating_add(FUTURE_SLACK),
    };
    let step = timestamps.len().div_ceil(QUARTILE_SAMPLE).max(1);
    let mut sample: Vec<i64> = timestamps
        .iter()
        .step_by(step)
        .copied()
        .filter(|&t| absolute.contains(t))
        .collect();
    if sample.is_empty() {
        return absolute;
    }
    sample.sort_unstable();
    let quantile = |p: f64| {
        let at = (p * (sample.len() - 1) as f64).round() as usize;
        sample[at.min(sample.len() - 1)]
    };
    let (q1, q3) = (quantile(0.25), quantile(0.75));
    let margin = (q3 - q1).saturating_mul(IQR_MULTIPLE).max(MIN_MARGIN);
    PlausibleDates {
        first: absolute.first.max(q1.saturating_sub(margin)),
        last: absolute.last.min(q3.saturating_add(margin)),
    }
}

/// The earliest and the latest date read, with the file row of each, so the most extreme
/// implausible date can be shown by its line without keeping a location for every line.
#[derive(Debug, Clone, Copy, Default)]
pub struct DateExtremes {
    earliest: Option<(i64, FileFormat, usize)>,
    latest: Option<(i64, FileFormat, usize)>,
}

impl DateExtremes {
    /// Takes note of date `ts` on data row `row` (0-based in the file) of a `format` file.
    pub fn note(&mut self, ts: i64, format: FileFormat, row: usize) {
        let at = Some((ts, format, row));
        if self.earliest.is_none_or(|(t, ..)| ts < t) {
            self.earliest = at;
        }
        if self.latest.is_none_or(|(t, ..)| ts > t) {
            self.latest = at;
        }
    }

    /// The example of the implausible-date drop reason for dates in `column`: the latest
    /// date when it is out of `plausible`, else the earliest when that is; `None` when
    /// every date was believed.
    pub fn example(&self, plausible: PlausibleDates, column: &str) -> Option<DropExample> {
        let extreme = [self.latest, self.earliest]
            .into_iter()
            .flatten()
            .find(|&(ts, ..)| !plausible.contains(ts));
        extreme.map(|(ts, format, row)| DropExample {
            reason: DropReason::ImplausibleDate,
            location: format.location(row),
            value: format!(
                "column '{column}' = '{}' (dates from {} to {} are believed)",
                format_timestamp(ts),
                format_day(plausible.first),
                format_day(plausible.last)
            ),
        })
    }
}

/// Seconds since 1970 on the system clock (0 if the clock is before 1970).
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::timestamps::days_from_civil;

    fn day(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d).unwrap() * SECONDS_PER_DAY
    }

    /// 2025-06-01, a fixed "today" for the tests.
    fn today() -> i64 {
        day(2025, 6, 1)
    }

    fn a_year_of_sales() -> Vec<i64> {
        (0..365)
            .map(|d| day(2010, 12, 1) + d * SECONDS_PER_DAY)
            .collect()
    }

    #[test]
    fn one_far_future_or_placeholder_date_is_out_and_the_bulk_stays() {
        let mut dates = a_year_of_sales();
        dates.extend([day(2099, 1, 1), day(1900, 1, 1), day(1, 1, 1)]);
        let range = plausible_dates(&dates, today());
        for bad in [day(2099, 1, 1), day(1900, 1, 1), day(1, 1, 1), -1] {
            assert!(!range.contains(bad), "{bad} in {range:?}");
        }
        assert!(dates[..365].iter().all(|&d| range.contains(d)));
        // A few years either side of the bulk are still believable.
        assert!(range.contains(day(2008, 1, 1)) && range.contains(day(2014, 1, 1)));
        assert!(!range.contains(day(2030, 1, 1)));
    }

    #[test]
    fn a_single_far_date_among_few_lines_is_out() {
        // Quartiles, not the extremes: five lines are enough to tell.
        let dates = [
            day(2011, 1, 1),
            day(2011, 1, 2),
            day(2011, 1, 3),
            day(2011, 1, 4),
            day(2099, 1, 1),
        ];
        let range = plausible_dates(&dates, today());
        assert!(!range.contains(day(2099, 1, 1)));
        assert!(range.contains(day(2011, 1, 4)));
    }

    #[test]
    fn next_year_is_the_future_limit_and_unix_time_the_past_one() {
        let dates = [today() - SECONDS_PER_DAY, today()];
        let range = plausible_dates(&dates, today());
        assert!(range.contains(today() + 300 * SECONDS_PER_DAY));
        assert!(!range.contains(today() + 400 * SECONDS_PER_DAY));
        // Sequence numbers used as timestamps read as 1970 and stay.
        let seq: Vec<i64> = (1..=100).collect();
        assert!(
            seq.iter()
                .all(|&t| plausible_dates(&seq, today()).contains(t))
        );
    }

    #[test]
    fn all_dates_implausible_gives_the_absolute_range() {
        let dates = [day(1900, 1, 1), day(1900, 1, 2)];
        let range = plausible_dates(&dates, today());
        assert_eq!(range.first, 0);
        assert!(!range.contains(day(1900, 1, 1)));
    }

    #[test]
    fn a_long_thin_tail_of_a_growing_log_stays() {
        // MovieLens-1M-like: most ratings in one year, a thin tail over the next two.
        let mut dates: Vec<i64> = (0..9_000)
            .map(|i| day(2000, 4, 25) + (i % 240) * SECONDS_PER_DAY)
            .collect();
        dates.extend((0..300).map(|i| day(2001, 1, 1) + i * 3 * SECONDS_PER_DAY));
        let range = plausible_dates(&dates, today());
        assert!(dates.iter().all(|&d| range.contains(d)));
    }
}
