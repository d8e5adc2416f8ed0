//! Cleaning raw transaction lines: which lines count as purchases, and why others do not.
//!
//! Every dropped line is counted under exactly one reason, the first that applies in this
//! order: no customer, no product, unparseable date, adjustment invoice (`A…`), absurd
//! quantity, cancellation (`C…` invoice or negative quantity), non-product code (postage,
//! fees, manual entries), absurd price, zero or negative price, invalid rating; then the
//! rules that need the whole file: implausible date, outside the retention window, exact
//! duplicate of a kept line. Under the `net` cancellation policy cancellations are kept as
//! negative quantities so returns subtract from purchases.
//!
//! An *absurd* quantity or price is `NaN`, infinite, or larger in magnitude than
//! [`MAX_AMOUNT`] (10⁹): no shop sells a billion of one product on one line, and such a
//! value would swamp every other line of the matrix (an overflowed export or a unit
//! mix-up, not a purchase). Counting it as a drop keeps the model and the blame where
//! they belong; before, an `inf` quantity surfaced as a diverged training.
//!
//! An *implausible* date lies before 1970-01-01, more than a year after today, or far
//! from the bulk of the file (see [`super::plausible_dates`]): a typo such as 2099, a
//! placeholder such as 1900-01-01 or 0001-01-01. Such lines are dropped before the
//! retention window is placed, so one of them cannot move the default retention date.
//!
//! The retention window follows the seed system: `retention_date` (`YYYYMMDD`, default
//! the last day in the data) and `retention_days` keep lines in
//! `(retention_date - days, retention_date]`, whole days, the retention day included.

use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use super::LoadError;
use super::timestamps::{SECONDS_PER_DAY, TimestampFormat, format_day, parse_day};
use super::transactions::Transactions;

/// What to do with cancellations and returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancellationPolicy {
    /// Drop cancellation lines (the seed's behaviour).
    #[default]
    Drop,
    /// Keep them as negative quantities that offset the customer's purchases.
    Net,
}

/// The `[cleaning]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CleaningSpec {
    /// `drop` (default) or `net`.
    pub cancellations: CancellationPolicy,
    /// Drop `A…` adjustment invoices ("Adjust bad debt").
    pub drop_adjustments: bool,
    /// Codes that are not products (case-insensitive); a trailing `*` matches a prefix.
    pub non_product_codes: Vec<String>,
    /// Drop lines whose unit price is zero or negative.
    pub drop_non_positive_price: bool,
    /// Drop exact duplicates of an earlier line.
    pub drop_duplicates: bool,
}

impl Default for CleaningSpec {
    fn default() -> Self {
        Self {
            cancellations: CancellationPolicy::Drop,
            drop_adjustments: true,
            non_product_codes: DEFAULT_NON_PRODUCT_CODES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            drop_non_positive_price: true,
            drop_duplicates: true,
        }
    }
}

/// Non-product stock codes of the Online Retail data: postage, discounts, manual
/// entries, bank and marketplace fees, charity commission, samples, gift vouchers.
pub const DEFAULT_NON_PRODUCT_CODES: [&str; 13] = [
    "POST",
    "D",
    "M",
    "C2",
    "DOT",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "S",
    "B",
    "ADJUST",
    "gift_0001_*",
];

/// The retention window: which days of data count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionWindow {
    /// Last day kept, `YYYYMMDD`; default the last day in the data.
    pub retention_date: Option<String>,
    /// Number of days kept, ending on `retention_date`; default all.
    pub retention_days: Option<u32>,
}

/// The largest magnitude of a believable quantity or unit price; see the module docs.
pub const MAX_AMOUNT: f64 = 1e9;

/// True when `value` is a quantity or price a real purchase line can carry.
pub fn is_plausible_amount(value: f64) -> bool {
    value.is_finite() && value.abs() <= MAX_AMOUNT
}

/// Why a line was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    MissingCustomer,
    MissingItem,
    UnparseableDate,
    AdjustmentInvoice,
    AbsurdAmount,
    Cancellation,
    NonProductCode,
    NonPositivePrice,
    InvalidRating,
    BelowMinRating,
    ImplausibleDate,
    OutsideWindow,
    Duplicate,
}

impl DropReason {
    /// Every reason, in report order.
    pub const ALL: [DropReason; 13] = [
        DropReason::MissingCustomer,
        DropReason::MissingItem,
        DropReason::UnparseableDate,
        DropReason::AdjustmentInvoice,
        DropReason::AbsurdAmount,
        DropReason::Cancellation,
        DropReason::NonProductCode,
        DropReason::NonPositivePrice,
        DropReason::InvalidRating,
        DropReason::BelowMinRating,
        DropReason::ImplausibleDate,
        DropReason::OutsideWindow,
        DropReason::Duplicate,
    ];

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            DropReason::MissingCustomer => "no customer",
            DropReason::MissingItem => "no product",
            DropReason::UnparseableDate => "unparseable date",
            DropReason::AdjustmentInvoice => "adjustment invoice (A…)",
            DropReason::AbsurdAmount => "absurd quantity or price",
            DropReason::ImplausibleDate => "implausible date",
            DropReason::Cancellation => "cancellation / return",
            DropReason::NonProductCode => "non-product code",
            DropReason::NonPositivePrice => "zero or negative price",
            DropReason::InvalidRating => "missing or invalid rating",
            DropReason::BelowMinRating => "rating below min_rating",
            DropReason::OutsideWindow => "outside retention window",
            DropReason::Duplicate => "exact duplicate",
        }
    }
}

/// What cleaning did, reason by reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CleaningReport {
    pub rows_read: usize,
    pub rows_kept: usize,
    /// `(reason, lines)` for every reason, zero counts included, in report order.
    pub dropped: Vec<(DropReason, usize)>,
    /// Distinct customers among all lines read (before cleaning).
    pub customers_read: usize,
    /// Distinct products among all lines read.
    pub items_read: usize,
    /// Lines whose description is empty or `nan` (counted, not dropped).
    pub missing_descriptions: usize,
    /// Cancellation lines kept as negative quantities (`net` policy).
    pub returns_netted: usize,
    /// Up to three `(location, value)` examples of unparseable dates.
    pub bad_date_examples: Vec<(String, String)>,
    /// Earliest and latest timestamp among lines with a valid date, before the window.
    pub date_range_read: Option<(i64, i64)>,
    /// The window applied: `[start, end)` in seconds (start `None` = unbounded).
    pub window: Option<(Option<i64>, i64)>,
    /// One line dropped for each reason that dropped any and can point at a line, so a
    /// report (or the error when nothing is left) shows what such a line looks like.
    pub drop_examples: Vec<DropExample>,
}

/// A line dropped for `reason`, as the analyst can find it in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DropExample {
    pub reason: DropReason,
    /// `line N` of a CSV or `row N` of a Parquet file.
    pub location: String,
    /// The cell at fault, as `column 'Quantity' = 'inf'`.
    pub value: String,
}

impl CleaningReport {
    /// Lines dropped for `reason`.
    pub fn dropped_for(&self, reason: DropReason) -> usize {
        self.dropped
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, n)| *n)
    }

    /// The reason that dropped the most lines, with its count; the first in report order
    /// on a tie, `None` when nothing was dropped.
    pub fn largest_drop(&self) -> Option<(DropReason, usize)> {
        self.dropped.iter().copied().filter(|&(_, n)| n > 0).fold(
            None,
            |best: Option<(DropReason, usize)>, (r, n)| match best {
                Some((_, m)) if m >= n => best,
                _ => Some((r, n)),
            },
        )
    }

    /// The example line kept for `reason`, if any.
    pub fn example_of(&self, reason: DropReason) -> Option<&DropExample> {
        self.drop_examples.iter().find(|e| e.reason == reason)
    }
}

/// Options that shape one cleaning run besides the `[cleaning]` table.
#[derive(Debug, Clone, Default)]
pub struct CleanOptions {
    pub timestamp_format: TimestampFormat,
    /// Fail on the first unparseable date report instead of dropping those lines.
    pub strict_dates: bool,
    pub window: RetentionWindow,
    /// Drop lines whose rating is below this.
    pub min_rating: Option<f64>,
}

pub(crate) struct CodeMatcher {
    exact: FxHashSet<String>,
    prefixes: Vec<String>,
}

impl CodeMatcher {
    pub(crate) fn new(codes: &[String]) -> Self {
        let mut exact = FxHashSet::default();
        let mut prefixes = Vec::new();
        for code in codes {
            match code.strip_suffix('*') {
                Some(prefix) => prefixes.push(prefix.to_ascii_uppercase()),
                None => {
                    exact.insert(code.to_ascii_uppercase());
                }
            }
        }
        Self { exact, prefixes }
    }

    pub(crate) fn matches(&self, code: &str) -> bool {
        if code.len() > 16 && self.prefixes.is_empty() {
            return false;
        }
        let upper = code.to_ascii_uppercase();
        self.exact.contains(&upper) || self.prefixes.iter().any(|p| upper.starts_with(p.as_str()))
    }
}

pub(crate) fn describe_window(window: Option<(Option<i64>, i64)>) -> String {
    match window {
        Some((Some(start), end)) => format!(
            "{} .. {}",
            format_day(start),
            format_day(end - SECONDS_PER_DAY)
        ),
        Some((None, end)) => format!("up to {}", format_day(end - SECONDS_PER_DAY)),
        None => "all".to_owned(),
    }
}

/// Turns the configured window into `[start, end)` seconds, given the data's range.
pub fn resolve_window(
    window: &RetentionWindow,
    range: Option<(i64, i64)>,
) -> Result<Option<(Option<i64>, i64)>, LoadError> {
    if window.retention_date.is_none() && window.retention_days.is_none() {
        return Ok(None);
    }
    let end_day = match &window.retention_date {
        Some(text) => parse_day(text).ok_or_else(|| LoadError::BadRetentionDate {
            value: text.clone(),
        })?,
        None => match range {
            Some((_, last)) => last.div_euclid(SECONDS_PER_DAY) * SECONDS_PER_DAY,
            None => return Ok(None),
        },
    };
    let end = end_day + SECONDS_PER_DAY;
    let start = window
        .retention_days
        .map(|d| end - i64::from(d) * SECONDS_PER_DAY);
    Ok(Some((start, end)))
}

/// Drops ids that no kept line uses and renumbers the rest densely.
pub(crate) fn compact_ids(t: &mut Transactions) {
    let mut used_users = vec![false; t.users.len()];
    let mut used_items = vec![false; t.items.len()];
    for (&u, &i) in t.user.iter().zip(&t.item) {
        used_users[u as usize] = true;
        used_items[i as usize] = true;
    }
    let user_map = t.users.retain(&used_users);
    let item_map = t.items.retain(&used_items);
    for u in &mut t.user {
        *u = user_map[*u as usize];
    }
    for i in &mut t.item {
        *i = item_map[*i as usize];
    }
    let mut descriptions = vec![None; t.items.len()];
    for (old, new) in item_map.iter().enumerate() {
        if *new != u32::MAX {
            descriptions[*new as usize] = t.item_descriptions.get(old).cloned().flatten();
        }
    }
    t.item_descriptions = descriptions;
}
