//! Cleaning raw transaction lines: which lines count as purchases, and why others do not.
//!
//! Every dropped line is counted under exactly one reason, the first that applies in this
//! order: no customer, no product, unparseable date, adjustment invoice (`A…`),
//! cancellation (`C…` invoice or negative quantity), non-product code (postage, fees,
//! manual entries), zero or negative price, invalid rating, outside the retention window,
//! exact duplicate of a kept line. Under the `net` cancellation policy cancellations are
//! kept as negative quantities so returns subtract from purchases.
//!
//! The retention window follows the seed system: `retention_date` (`YYYYMMDD`, default
//! the last day in the data) and `retention_days` keep lines in
//! `(retention_date - days, retention_date]`, whole days, the retention day included.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashSet, FxHasher};
use serde::{Deserialize, Serialize};

use super::LoadError;
use super::cells::{Cell, PreparedColumn, absent};
use super::ids::IdMap;
use super::mapping::Role;
use super::reader::RawTable;
use super::timestamps::{SECONDS_PER_DAY, TimestampFormat, format_day, parse_day};
use super::transactions::{FeatureColumn, PresentColumns, Transactions};

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

/// Why a line was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    MissingCustomer,
    MissingItem,
    UnparseableDate,
    AdjustmentInvoice,
    Cancellation,
    NonProductCode,
    NonPositivePrice,
    InvalidRating,
    BelowMinRating,
    OutsideWindow,
    Duplicate,
}

impl DropReason {
    /// Every reason, in report order.
    pub const ALL: [DropReason; 11] = [
        DropReason::MissingCustomer,
        DropReason::MissingItem,
        DropReason::UnparseableDate,
        DropReason::AdjustmentInvoice,
        DropReason::Cancellation,
        DropReason::NonProductCode,
        DropReason::NonPositivePrice,
        DropReason::InvalidRating,
        DropReason::BelowMinRating,
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
}

impl CleaningReport {
    /// Lines dropped for `reason`.
    pub fn dropped_for(&self, reason: DropReason) -> usize {
        self.dropped
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, n)| *n)
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

struct CodeMatcher {
    exact: FxHashSet<String>,
    prefixes: Vec<String>,
}

impl CodeMatcher {
    fn new(codes: &[String]) -> Self {
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

    fn matches(&self, code: &str) -> bool {
        if code.len() > 16 && self.prefixes.is_empty() {
            return false;
        }
        let upper = code.to_ascii_uppercase();
        self.exact.contains(&upper) || self.prefixes.iter().any(|p| upper.starts_with(p.as_str()))
    }
}

fn prepared(table: &RawTable, index: Option<usize>) -> Result<Option<PreparedColumn>, LoadError> {
    let Some(column) = index.and_then(|i| table.column(i)) else {
        return Ok(None);
    };
    PreparedColumn::new(column)
        .map(Some)
        .map_err(|e| polars_error(table, &e))
}

fn polars_error(table: &RawTable, e: &polars::prelude::PolarsError) -> LoadError {
    LoadError::Io {
        path: table.path.clone(),
        message: e.to_string(),
    }
}

fn iter<'a>(
    table: &RawTable,
    column: Option<&'a PreparedColumn>,
) -> Result<Box<dyn Iterator<Item = Cell<'a>> + 'a>, LoadError> {
    match column {
        Some(c) => c.cells().map_err(|e| polars_error(table, &e)),
        None => Ok(absent()),
    }
}

/// Cleans `table` into transactions and reports what was dropped and why.
pub fn clean(
    table: &RawTable,
    spec: &CleaningSpec,
    options: &CleanOptions,
) -> Result<(Transactions, CleaningReport), LoadError> {
    let role = |r: Role| table.resolved.index(r);
    let columns: Vec<Option<PreparedColumn>> = Role::ALL
        .iter()
        .map(|&r| prepared(table, role(r)))
        .collect::<Result<_, _>>()?;
    let col = |r: Role| columns[Role::ALL.iter().position(|&x| x == r).unwrap_or(0)].as_ref();
    let has = PresentColumns {
        timestamp: col(Role::Timestamp).is_some(),
        quantity: col(Role::Quantity).is_some(),
        price: col(Role::Price).is_some(),
        rating: col(Role::Rating).is_some(),
        invoice: col(Role::Invoice).is_some(),
        country: col(Role::Country).is_some(),
        description: col(Role::Description).is_some(),
    };
    let feature_columns =
        |list: &[(String, usize)]| -> Result<Vec<(String, PreparedColumn)>, LoadError> {
            list.iter()
                .map(|(name, i)| {
                    Ok((
                        name.clone(),
                        prepared(table, Some(*i))?.expect("feature columns are read"),
                    ))
                })
                .collect()
        };
    let user_feature_cols = feature_columns(&table.resolved.user_features)?;
    let item_feature_cols = feature_columns(&table.resolved.item_features)?;

    let mut users_it = iter(table, col(Role::User))?;
    let mut items_it = iter(table, col(Role::Item))?;
    let mut qty_it = iter(table, col(Role::Quantity))?;
    let mut ts_it = iter(table, col(Role::Timestamp))?;
    let mut price_it = iter(table, col(Role::Price))?;
    let mut rating_it = iter(table, col(Role::Rating))?;
    let mut invoice_it = iter(table, col(Role::Invoice))?;
    let mut desc_it = iter(table, col(Role::Description))?;
    let mut country_it = iter(table, col(Role::Country))?;
    let mut uf_its = user_feature_cols
        .iter()
        .map(|(_, c)| iter(table, Some(c)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut if_its = item_feature_cols
        .iter()
        .map(|(_, c)| iter(table, Some(c)))
        .collect::<Result<Vec<_>, _>>()?;

    let codes = CodeMatcher::new(&spec.non_product_codes);
    let mut out = Transactions {
        has,
        ..Transactions::default()
    };
    out.user_features = user_feature_cols
        .iter()
        .map(|(n, _)| FeatureColumn {
            name: n.clone(),
            values: IdMap::new(),
            codes: Vec::new(),
        })
        .collect();
    out.item_features = item_feature_cols
        .iter()
        .map(|(n, _)| FeatureColumn {
            name: n.clone(),
            values: IdMap::new(),
            codes: Vec::new(),
        })
        .collect();
    let mut report = CleaningReport {
        rows_read: table.rows,
        ..CleaningReport::default()
    };
    let mut drops = [0usize; DropReason::ALL.len()];
    let mut count_drop = |reason: DropReason| drops[reason as usize] += 1;
    let mut bad_dates = 0usize;
    let mut row_hashes: Vec<u64> = Vec::new();
    let (mut user_buf, mut item_buf, mut inv_buf, mut misc_buf) =
        (String::new(), String::new(), String::new(), String::new());
    let number_error = |row: usize, r: Role, value: &str| LoadError::BadNumber {
        path: table.path.clone(),
        column: table.header[role(r).unwrap_or(0)].clone(),
        location: table.location(row),
        value: value.chars().take(60).collect(),
    };

    for row in 0..table.rows {
        let (u, it, q, t, p, ra, inv, d, c) = (
            next(&mut users_it),
            next(&mut items_it),
            next(&mut qty_it),
            next(&mut ts_it),
            next(&mut price_it),
            next(&mut rating_it),
            next(&mut invoice_it),
            next(&mut desc_it),
            next(&mut country_it),
        );
        let uf: Vec<Cell<'_>> = uf_its.iter_mut().map(next).collect();
        let ifv: Vec<Cell<'_>> = if_its.iter_mut().map(next).collect();
        let user_id = u.id(&mut user_buf).map(|s| out.users.intern(s));
        let item_id = it.id(&mut item_buf).map(|s| out.items.intern(s));
        let description = d.text();
        if has.description && description.is_none() {
            report.missing_descriptions += 1;
        }
        if let Some(i) = item_id {
            if out.item_descriptions.len() <= i as usize {
                out.item_descriptions.resize(i as usize + 1, None);
            }
            if out.item_descriptions[i as usize].is_none() {
                out.item_descriptions[i as usize] = description.map(str::to_owned);
            }
        }
        let (Some(user_id), Some(item_id)) = (user_id, item_id) else {
            count_drop(if user_id.is_none() {
                DropReason::MissingCustomer
            } else {
                DropReason::MissingItem
            });
            continue;
        };
        let timestamp = if has.timestamp {
            let parsed = match t {
                Cell::Text(text) => options.timestamp_format.parse(text),
                Cell::Seconds(s) => Some(s),
                Cell::Int(v) => Some(if v.abs() >= 100_000_000_000 {
                    v.div_euclid(1000)
                } else {
                    v
                }),
                Cell::Float(x) => Some(x as i64),
                Cell::Missing => None,
            };
            let Some(ts) = parsed else {
                bad_dates += 1;
                if report.bad_date_examples.len() < 3 {
                    let value = match t {
                        Cell::Text(s) => s.to_owned(),
                        _ => "(empty)".to_owned(),
                    };
                    report.bad_date_examples.push((table.location(row), value));
                }
                count_drop(DropReason::UnparseableDate);
                continue;
            };
            ts
        } else {
            0
        };
        let invoice = inv.id(&mut inv_buf);
        if spec.drop_adjustments && invoice.is_some_and(|s| s.starts_with(['A', 'a'])) {
            count_drop(DropReason::AdjustmentInvoice);
            continue;
        }
        let mut quantity = match q.number() {
            Ok(v) => v.unwrap_or(1.0),
            Err(text) => return Err(number_error(row, Role::Quantity, text)),
        };
        let is_cancellation = invoice.is_some_and(|s| s.starts_with(['C', 'c'])) || quantity < 0.0;
        if is_cancellation {
            match spec.cancellations {
                CancellationPolicy::Drop => {
                    count_drop(DropReason::Cancellation);
                    continue;
                }
                CancellationPolicy::Net => {
                    quantity = -quantity.abs();
                    report.returns_netted += 1;
                }
            }
        }
        if codes.matches(out.items.name(item_id)) {
            count_drop(DropReason::NonProductCode);
            continue;
        }
        let price = match p.number() {
            Ok(v) => v.unwrap_or(0.0),
            Err(text) => return Err(number_error(row, Role::Price, text)),
        };
        if spec.drop_non_positive_price && has.price && price <= 0.0 {
            count_drop(DropReason::NonPositivePrice);
            continue;
        }
        let rating = match ra.number() {
            Ok(Some(v)) if v.is_finite() => v,
            Ok(_) if has.rating => {
                count_drop(DropReason::InvalidRating);
                continue;
            }
            Ok(_) => f64::NAN,
            Err(text) => return Err(number_error(row, Role::Rating, text)),
        };
        if options.min_rating.is_some_and(|min| rating < min) {
            count_drop(DropReason::BelowMinRating);
            continue;
        }
        let invoice_id = invoice.map_or(u32::MAX, |s| out.invoices.intern(s));
        let country_id = c
            .id(&mut misc_buf)
            .map_or(u32::MAX, |s| out.countries.intern(s));
        let description_id = description.map_or(u32::MAX, |s| out.descriptions.intern(s));
        if spec.drop_duplicates {
            let mut h = FxHasher::default();
            (
                user_id,
                item_id,
                timestamp,
                quantity.to_bits(),
                price.to_bits(),
                rating.to_bits(),
            )
                .hash(&mut h);
            (invoice_id, country_id, description_id).hash(&mut h);
            for cell in uf.iter().chain(&ifv) {
                cell.id(&mut misc_buf).hash(&mut h);
            }
            row_hashes.push(h.finish());
        }
        for (f, cell) in out.user_features.iter_mut().zip(&uf) {
            let code = cell
                .id(&mut misc_buf)
                .map_or(FeatureColumn::MISSING, |s| f.values.intern(s));
            f.codes.push(code);
        }
        for (f, cell) in out.item_features.iter_mut().zip(&ifv) {
            let code = cell
                .id(&mut misc_buf)
                .map_or(FeatureColumn::MISSING, |s| f.values.intern(s));
            f.codes.push(code);
        }
        out.user.push(user_id);
        out.item.push(item_id);
        out.timestamp.push(timestamp);
        out.quantity.push(quantity as f32);
        out.price.push(price as f32);
        out.rating.push(rating as f32);
        out.invoice.push(invoice_id);
        out.country.push(country_id);
        out.description.push(description_id);
    }
    report.customers_read = out.users.len();
    report.items_read = out.items.len();
    if options.strict_dates && bad_dates > 0 {
        return Err(LoadError::BadDates {
            path: table.path.clone(),
            column: table.header[role(Role::Timestamp).unwrap_or(0)].clone(),
            count: bad_dates,
            examples: report.bad_date_examples.clone(),
        });
    }
    report.date_range_read = out.time_range();
    let window = if has.timestamp {
        resolve_window(&options.window, report.date_range_read)?
    } else {
        None
    };
    report.window = window;

    let mut keep = Vec::with_capacity(out.len());
    let mut seen: FxHashSet<u64> = FxHashSet::default();
    for row in 0..out.len() {
        if let Some((start, end)) = window {
            let ts = out.timestamp[row];
            if ts >= end || start.is_some_and(|s| ts < s) {
                count_drop(DropReason::OutsideWindow);
                continue;
            }
        }
        if spec.drop_duplicates && !seen.insert(row_hashes[row]) {
            count_drop(DropReason::Duplicate);
            continue;
        }
        keep.push(row);
    }
    if keep.is_empty() && !out.is_empty() && drops[DropReason::OutsideWindow as usize] == out.len()
    {
        let (first, last) = report.date_range_read.unwrap_or((0, 0));
        return Err(LoadError::EmptyWindow {
            path: table.path.clone(),
            window: describe_window(window),
            data_range: format!("{} .. {}", format_day(first), format_day(last)),
        });
    }
    let mut kept = if keep.len() == out.len() {
        out
    } else {
        out.select(&keep)
    };
    compact_ids(&mut kept);
    report.rows_kept = kept.len();
    report.dropped = DropReason::ALL
        .iter()
        .map(|&r| (r, drops[r as usize]))
        .collect();
    Ok((kept, report))
}

fn next<'a>(it: &mut Box<dyn Iterator<Item = Cell<'a>> + 'a>) -> Cell<'a> {
    it.next().unwrap_or(Cell::Missing)
}

fn describe_window(window: Option<(Option<i64>, i64)>) -> String {
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
fn compact_ids(t: &mut Transactions) {
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
