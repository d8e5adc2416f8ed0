//! Timestamp parsing for transaction logs.
//!
//! Real exports mix formats, even inside one column: the UCI Online Retail CSV sample
//! writes `12/06/2010 10:08` and `2/20/11 11:39` side by side. Rather than guess one
//! format per column, every value is recognised on its own shape:
//!
//! | shape | example | meaning |
//! | --- | --- | --- |
//! | digits only | `1291191960` | unix time, its unit told by magnitude (see [`epoch_seconds`]) |
//! | `YYYY-MM-DD[ T]HH:MM[:SS[.f]][Z\|±HH:MM]` | `2010-12-01 08:26:00` | ISO 8601 |
//! | `M/D/YYYY H:MM[:SS]` | `12/06/2010 10:08` | US month/day/year |
//! | `M/D/YY H:MM[:SS]` | `2/20/11 11:39` | two-digit year: 00–68 → 20xx, 69–99 → 19xx |
//! | `YYYY/MM/DD [H:MM[:SS]]` | `2011/02/20` | year first |
//!
//! A `date_format` (chrono `strftime` syntax) replaces recognition when the data uses
//! another convention, such as day-first dates.
//!
//! All results are seconds since 1970-01-01 on the naive wall clock of the data (the
//! retailer's local time); an explicit offset is folded into UTC.

use chrono::NaiveDateTime;

/// Seconds in one day, used for retention windows and day arithmetic.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// How a column's text timestamps are read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TimestampFormat {
    /// Recognise each value by its shape (see the module table).
    #[default]
    Auto,
    /// A chrono `strftime` pattern such as `%d/%m/%Y %H:%M`; a pattern without a time
    /// of day reads midnight.
    Pattern(String),
}

impl TimestampFormat {
    /// Parses one value; `None` when it does not match.
    pub fn parse(&self, text: &str) -> Option<i64> {
        match self {
            Self::Auto => parse_auto(text),
            Self::Pattern(pattern) => parse_with_pattern(text.trim(), pattern),
        }
    }
}

fn parse_with_pattern(text: &str, pattern: &str) -> Option<i64> {
    if let Ok(dt) = NaiveDateTime::parse_from_str(text, pattern) {
        return Some(dt.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(text, pattern)
        .ok()
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp())
}

/// Recognises one timestamp by its shape; `None` for anything else.
pub fn parse_auto(text: &str) -> Option<i64> {
    let s = text.trim().as_bytes();
    if s.is_empty() {
        return None;
    }
    if s.iter().all(u8::is_ascii_digit)
        || (s[0] == b'-' && s.len() > 1 && s[1..].iter().all(u8::is_ascii_digit))
    {
        let value: i64 = std::str::from_utf8(s).ok()?.parse().ok()?;
        return Some(epoch_seconds(value));
    }
    let mut cur = Cursor { s, pos: 0 };
    let (first, first_len) = cur.number()?;
    let sep = cur.next()?;
    let (year, month, day) = match sep {
        b'-' if first_len == 4 => {
            let (month, _) = cur.number()?;
            cur.expect(b'-')?;
            let (day, _) = cur.number()?;
            (first, month, day)
        }
        b'/' if first_len == 4 => {
            let (month, _) = cur.number()?;
            cur.expect(b'/')?;
            let (day, _) = cur.number()?;
            (first, month, day)
        }
        b'/' if first_len <= 2 => {
            let (day, _) = cur.number()?;
            cur.expect(b'/')?;
            let (year, year_len) = cur.number()?;
            let year = match year_len {
                2 if year < 69 => 2000 + year,
                2 => 1900 + year,
                4 => year,
                _ => return None,
            };
            (year, first, day)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day)?;
    let mut seconds = days * SECONDS_PER_DAY;
    if cur.at_end() {
        return Some(seconds);
    }
    match cur.next()? {
        b' ' | b'T' | b't' => {}
        _ => return None,
    }
    while cur.peek() == Some(b' ') {
        cur.pos += 1;
    }
    let (mut hour, _) = cur.number()?;
    cur.expect(b':')?;
    let (minute, _) = cur.number()?;
    let mut second = 0;
    if cur.peek() == Some(b':') {
        cur.pos += 1;
        second = cur.number()?.0;
        if cur.peek() == Some(b'.') || cur.peek() == Some(b',') {
            cur.pos += 1;
            cur.number()?;
        }
    }
    while cur.peek() == Some(b' ') {
        cur.pos += 1;
    }
    let rest = &s[cur.pos..];
    let mut offset_seconds = 0;
    if rest.eq_ignore_ascii_case(b"am") || rest.eq_ignore_ascii_case(b"pm") {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour %= 12;
        if rest.eq_ignore_ascii_case(b"pm") {
            hour += 12;
        }
    } else if rest == b"Z" || rest == b"z" {
    } else if let Some(&sign @ (b'+' | b'-')) = rest.first() {
        let mut off = Cursor { s: rest, pos: 1 };
        let (oh, oh_len) = off.number()?;
        let (oh, om) = if oh_len == 4 {
            (oh / 100, oh % 100)
        } else {
            off.expect(b':')?;
            (oh, off.number()?.0)
        };
        if !off.at_end() {
            return None;
        }
        offset_seconds = (oh * 3600 + om * 60) * if sign == b'+' { 1 } else { -1 };
    } else if !rest.is_empty() {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    seconds += hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds)
}

/// Seconds since 1970 of an integer Unix timestamp whose unit is unknown.
///
/// Exports write Unix time in seconds, milliseconds (JavaScript, Spark), microseconds
/// (pandas, PostgreSQL) or nanoseconds (pandas `int64` views). The magnitude tells them
/// apart for every date between 1973 and 5138: a current date is about 1.7·10⁹ s,
/// 1.7·10¹² ms, 1.7·10¹⁵ µs and 1.7·10¹⁸ ns, and each unit stays below the next one's
/// threshold (10¹¹, 10¹⁴, 10¹⁷) until the year 5138. Before, every value from 10¹¹ on was
/// read as milliseconds, so microseconds became the year 42886.
pub fn epoch_seconds(value: i64) -> i64 {
    const THRESHOLD: i64 = 100_000_000_000;
    let magnitude = value.unsigned_abs();
    let per_second = if magnitude < THRESHOLD as u64 {
        1
    } else if magnitude < (THRESHOLD as u64) * 1_000 {
        1_000
    } else if magnitude < (THRESHOLD as u64) * 1_000_000 {
        1_000_000
    } else {
        1_000_000_000
    };
    value.div_euclid(per_second)
}

/// Finds the first specifier of a chrono `strftime` pattern that chrono cannot use, so
/// a bad `date_format` is refused before any line is read rather than dropping every date.
///
/// Returns the offending specifier (`%Q`, or a lone `%` at the end).
pub fn bad_specifier(pattern: &str) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    if !StrftimeItems::new(pattern).any(|item| matches!(item, Item::Error)) {
        return None;
    }
    // chrono reports that some item is bad, not which; walk the specifiers to name it.
    let mut chars = pattern.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c != '%' {
            continue;
        }
        if chars.peek().is_some_and(|&(_, next)| next == '%') {
            chars.next();
            continue;
        }
        // A specifier is '%', optional flags or widths, then one letter (or `+`).
        let mut end = pattern.len();
        for (at, next) in chars.by_ref() {
            if next.is_ascii_alphabetic() || next == '+' || next == '%' {
                end = at + next.len_utf8();
                break;
            }
        }
        let specifier = &pattern[start..end];
        if StrftimeItems::new(specifier).any(|item| matches!(item, Item::Error)) {
            return Some(specifier.to_owned());
        }
    }
    Some(pattern.to_owned())
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn number(&mut self) -> Option<(i64, usize)> {
        let start = self.pos;
        let mut value: i64 = 0;
        while let Some(&b) = self.s.get(self.pos) {
            if !b.is_ascii_digit() || self.pos - start >= 9 {
                break;
            }
            value = value * 10 + i64::from(b - b'0');
            self.pos += 1;
        }
        let len = self.pos - start;
        (len > 0).then_some((value, len))
    }

    fn next(&mut self) -> Option<u8> {
        let b = *self.s.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn expect(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date; `None` for an impossible date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    // Howard Hinnant's algorithm: exact for every Gregorian date, no tables.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The calendar date `(year, month, day)` of a day number from [`days_from_civil`].
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses a `YYYYMMDD` day (the seed's `retention_date`) or an ISO `YYYY-MM-DD` day into
/// seconds at midnight; `None` when it is neither.
pub fn parse_day(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = t.parse().ok()?;
        return days_from_civil(n / 10_000, n / 100 % 100, n % 100).map(|d| d * SECONDS_PER_DAY);
    }
    let seconds = parse_auto(t)?;
    (seconds.rem_euclid(SECONDS_PER_DAY) == 0 && t.contains('-')).then_some(seconds)
}

/// Formats seconds as `YYYY-MM-DD HH:MM:SS`, the form latent writes.
pub fn format_timestamp(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
    let rem = seconds.rem_euclid(SECONDS_PER_DAY);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Formats seconds as the day `YYYY-MM-DD`.
pub fn format_day(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> i64 {
        days_from_civil(y, mo, d).unwrap() * SECONDS_PER_DAY + h * 3600 + mi * 60 + s
    }

    #[test]
    fn both_formats_of_the_real_csv_sample() {
        assert_eq!(
            parse_auto("12/06/2010 10:08"),
            Some(ts(2010, 12, 6, 10, 8, 0))
        );
        assert_eq!(
            parse_auto("2/20/11 11:39"),
            Some(ts(2011, 2, 20, 11, 39, 0))
        );
        assert_eq!(parse_auto("12/1/10 8:26"), Some(ts(2010, 12, 1, 8, 26, 0)));
    }

    #[test]
    fn iso_and_unix() {
        assert_eq!(
            parse_auto("2010-12-01 08:26:00"),
            Some(ts(2010, 12, 1, 8, 26, 0))
        );
        assert_eq!(
            parse_auto("2010-12-01T08:26:00.123"),
            Some(ts(2010, 12, 1, 8, 26, 0))
        );
        assert_eq!(
            parse_auto("2010-12-01T08:26:00+01:00"),
            Some(ts(2010, 12, 1, 7, 26, 0))
        );
        assert_eq!(
            parse_auto("2010-12-01T08:26Z"),
            Some(ts(2010, 12, 1, 8, 26, 0))
        );
        assert_eq!(parse_auto("2010-12-01"), Some(ts(2010, 12, 1, 0, 0, 0)));
        assert_eq!(parse_auto("881250949"), Some(881_250_949));
        assert_eq!(parse_auto("881250949000"), Some(881_250_949));
        assert_eq!(parse_auto("881250949000000"), Some(881_250_949));
        assert_eq!(parse_auto("881250949000000000"), Some(881_250_949));
        assert_eq!(
            parse_auto("2011/02/20 1:05 PM"),
            Some(ts(2011, 2, 20, 13, 5, 0))
        );
    }

    #[test]
    fn rejects_garbage_and_impossible_dates() {
        for bad in [
            "",
            "yesterday",
            "13/01/2010 10:00",
            "2/30/11 10:00",
            "2010-12-01 25:00",
            "1/2/123 1:00",
            "2010-12-01 08:26 x",
        ] {
            assert_eq!(parse_auto(bad), None, "{bad}");
        }
    }

    #[test]
    fn explicit_pattern_reads_day_first() {
        let f = TimestampFormat::Pattern("%d/%m/%Y %H:%M".into());
        assert_eq!(
            f.parse("20/02/2011 11:39"),
            Some(ts(2011, 2, 20, 11, 39, 0))
        );
        let day_only = TimestampFormat::Pattern("%d.%m.%Y".into());
        assert_eq!(day_only.parse("20.02.2011"), Some(ts(2011, 2, 20, 0, 0, 0)));
        assert_eq!(f.parse("2/20/11 11:39"), None);
    }

    #[test]
    fn integer_timestamps_are_read_in_their_unit() {
        let s = ts(2021, 5, 4, 3, 2, 1);
        for (value, unit) in [(s, 1), (s * 1_000, 1_000), (s * 1_000_000, 1_000_000)] {
            assert_eq!(epoch_seconds(value), s, "unit {unit}");
        }
        assert_eq!(epoch_seconds(s * 1_000_000_000), s);
        // Microseconds used to read as milliseconds: the year 42886.
        assert_eq!(
            format_day(epoch_seconds(1_291_191_960_000_000)),
            "2010-12-01"
        );
        assert_eq!(epoch_seconds(-86_400), -86_400);
        assert_eq!(epoch_seconds(i64::MIN), i64::MIN.div_euclid(1_000_000_000));
    }

    #[test]
    fn bad_date_formats_name_the_specifier() {
        assert_eq!(bad_specifier("%d/%m/%Y %H:%M"), None);
        assert_eq!(bad_specifier("%Y-%m-%dT%H:%M:%S%.3f%:z"), None);
        assert_eq!(bad_specifier("100%% %Y"), None);
        assert_eq!(bad_specifier("%Q%Q%").as_deref(), Some("%Q"));
        assert_eq!(bad_specifier("%d/%m/%Y %").as_deref(), Some("%"));
        assert_eq!(bad_specifier("%Y %-Q").as_deref(), Some("%-Q"));
    }

    #[test]
    fn civil_round_trip_and_days() {
        for days in [-800_000, -1, 0, 1, 14_944, 15_317, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
        assert_eq!(parse_day("20111209"), Some(ts(2011, 12, 9, 0, 0, 0)));
        assert_eq!(parse_day("2011-12-09"), Some(ts(2011, 12, 9, 0, 0, 0)));
        assert_eq!(parse_day("20111309"), None);
        assert_eq!(
            format_timestamp(ts(2011, 2, 3, 4, 5, 6)),
            "2011-02-03 04:05:06"
        );
        assert_eq!(format_day(ts(2011, 2, 3, 4, 5, 6)), "2011-02-03");
    }
}
