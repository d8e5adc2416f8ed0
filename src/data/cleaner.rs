//! The cleaning engine: applies the rules of [`super::clean`] line by line.
//!
//! Files are read in chunks (a large CSV is never held whole in memory), so the engine
//! keeps its state between chunks: [`Cleaner::push`] cleans one chunk's lines,
//! [`Cleaner::finish`] applies the retention window and duplicate removal, which need the
//! whole file, and returns the transactions with the report.
//!
//! Lines of one invoice repeat its number, date and country; the engine remembers the
//! previous cell of those columns so a repeat costs one string comparison, not a parse
//! and a hash lookup.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use rustc_hash::{FxHashSet, FxHasher};

use super::LoadError;
use super::cells::{Cell, PreparedColumn, Repeat, absent};
use super::clean::{
    CancellationPolicy, CleanOptions, CleaningReport, CleaningSpec, CodeMatcher, DropExample,
    DropReason, compact_ids, describe_window, is_plausible_amount, resolve_window,
};
use super::ids::IdMap;
use super::mapping::{ResolvedColumns, Role};
use super::plausible_dates::{DateExtremes, now_seconds, plausible_dates};
use super::reader::RawTable;
use super::timestamps::{epoch_seconds, format_day};
use super::transactions::{FeatureColumn, PresentColumns, Transactions};

type Cells<'a> = Box<dyn Iterator<Item = Cell<'a>> + 'a>;

fn cells_of<'a>(
    column: Option<&'a PreparedColumn>,
    table: &RawTable,
) -> Result<Cells<'a>, LoadError> {
    match column {
        Some(c) => c.cells().map_err(|e| LoadError::Io {
            path: table.path.clone(),
            message: e.to_string(),
        }),
        None => Ok(absent()),
    }
}

/// Cleaning state carried across the chunks of one file.
pub struct Cleaner {
    spec: CleaningSpec,
    options: CleanOptions,
    codes: CodeMatcher,
    path: PathBuf,
    header: Vec<String>,
    resolved: ResolvedColumns,
    has: PresentColumns,
    out: Transactions,
    report: CleaningReport,
    drops: [usize; DropReason::ALL.len()],
    bad_dates: usize,
    row_hashes: Vec<u64>,
    last_invoice: Repeat<u32>,
    last_time: Repeat<i64>,
    last_country: Repeat<u32>,
    id_buf: String,
    invoice_buf: String,
    /// Where the earliest and latest dates are, to show an implausible one by its line.
    extremes: DateExtremes,
}

impl Cleaner {
    /// A cleaner for a file whose header and mapping are known.
    pub fn new(
        path: PathBuf,
        header: Vec<String>,
        resolved: ResolvedColumns,
        spec: &CleaningSpec,
        options: &CleanOptions,
    ) -> Self {
        let has = PresentColumns {
            timestamp: resolved.index(Role::Timestamp).is_some(),
            quantity: resolved.index(Role::Quantity).is_some(),
            price: resolved.index(Role::Price).is_some(),
            rating: resolved.index(Role::Rating).is_some(),
            invoice: resolved.index(Role::Invoice).is_some(),
            country: resolved.index(Role::Country).is_some(),
            description: resolved.index(Role::Description).is_some(),
        };
        let features = |list: &[(String, usize)]| {
            list.iter()
                .map(|(n, _)| FeatureColumn {
                    name: n.clone(),
                    values: IdMap::new(),
                    codes: Vec::new(),
                })
                .collect()
        };
        let out = Transactions {
            has,
            user_features: features(&resolved.user_features),
            item_features: features(&resolved.item_features),
            ..Transactions::default()
        };
        Self {
            codes: CodeMatcher::new(&spec.non_product_codes),
            spec: spec.clone(),
            options: options.clone(),
            path,
            header,
            resolved,
            has,
            out,
            report: CleaningReport::default(),
            drops: [0; DropReason::ALL.len()],
            bad_dates: 0,
            row_hashes: Vec::new(),
            last_invoice: Repeat::default(),
            last_time: Repeat::default(),
            last_country: Repeat::default(),
            id_buf: String::new(),
            invoice_buf: String::new(),
            extremes: DateExtremes::default(),
        }
    }

    fn column_name(&self, role: Role) -> String {
        self.header[self.resolved.index(role).unwrap_or(0)].clone()
    }

    /// Cleans the lines of one chunk.
    pub fn push(&mut self, table: &RawTable) -> Result<(), LoadError> {
        let polars_error = |e: polars::prelude::PolarsError| LoadError::Io {
            path: table.path.clone(),
            message: e.to_string(),
        };
        let prepare = |index: Option<usize>| -> Result<Option<PreparedColumn>, LoadError> {
            match index.and_then(|i| table.column(i)) {
                Some(c) => PreparedColumn::new(c).map(Some).map_err(polars_error),
                None => Ok(None),
            }
        };
        let columns: Vec<Option<PreparedColumn>> = Role::ALL
            .iter()
            .map(|&r| prepare(self.resolved.index(r)))
            .collect::<Result<_, _>>()?;
        let user_cols: Vec<PreparedColumn> = self
            .resolved
            .user_features
            .iter()
            .filter_map(|(_, i)| prepare(Some(*i)).transpose())
            .collect::<Result<_, _>>()?;
        let item_cols: Vec<PreparedColumn> = self
            .resolved
            .item_features
            .iter()
            .filter_map(|(_, i)| prepare(Some(*i)).transpose())
            .collect::<Result<_, _>>()?;
        let mut its: Vec<Cells<'_>> = columns
            .iter()
            .map(|c| cells_of(c.as_ref(), table))
            .collect::<Result<_, _>>()?;
        let mut user_its: Vec<Cells<'_>> = user_cols
            .iter()
            .map(|c| cells_of(Some(c), table))
            .collect::<Result<_, _>>()?;
        let mut item_its: Vec<Cells<'_>> = item_cols
            .iter()
            .map(|c| cells_of(Some(c), table))
            .collect::<Result<_, _>>()?;
        let mut row_cells = [Cell::Missing; Role::ALL.len()];
        let mut user_cells = Vec::with_capacity(user_its.len());
        let mut item_cells = Vec::with_capacity(item_its.len());
        for row in 0..table.rows {
            for (slot, it) in row_cells.iter_mut().zip(its.iter_mut()) {
                *slot = it.next().unwrap_or(Cell::Missing);
            }
            user_cells.clear();
            user_cells.extend(
                user_its
                    .iter_mut()
                    .map(|it| it.next().unwrap_or(Cell::Missing)),
            );
            item_cells.clear();
            item_cells.extend(
                item_its
                    .iter_mut()
                    .map(|it| it.next().unwrap_or(Cell::Missing)),
            );
            // polars reads a blank line as a row of nulls; it is not a transaction.
            if row_cells
                .iter()
                .chain(&user_cells)
                .chain(&item_cells)
                .all(|c| matches!(c, Cell::Missing))
            {
                continue;
            }
            self.report.rows_read += 1;
            // Reused text buffers: numeric ids (a Parquet CustomerID) are formatted into them.
            let (mut id_buf, mut invoice_buf) = (
                std::mem::take(&mut self.id_buf),
                std::mem::take(&mut self.invoice_buf),
            );
            let result = self.line(
                table,
                row,
                &row_cells,
                &user_cells,
                &item_cells,
                &mut id_buf,
                &mut invoice_buf,
            );
            (self.id_buf, self.invoice_buf) = (id_buf, invoice_buf);
            result?;
        }
        Ok(())
    }

    fn bad_number(&self, table: &RawTable, row: usize, role: Role, value: &str) -> LoadError {
        LoadError::BadNumber {
            path: table.path.clone(),
            column: self.column_name(role),
            location: table.location(row),
            value: value.chars().take(60).collect(),
        }
    }

    fn drop_line(&mut self, reason: DropReason) {
        self.drops[reason as usize] += 1;
    }

    /// Counts a drop for `reason` decided by the `role` cell of line `row`, keeping the
    /// first such line as the reason's example.
    fn drop_at(
        &mut self,
        reason: DropReason,
        table: &RawTable,
        row: usize,
        role: Role,
        cell: Cell<'_>,
    ) {
        self.drop_line(reason);
        if self.drops[reason as usize] == 1 {
            self.report.drop_examples.push(DropExample {
                reason,
                location: table.location(row),
                value: format!("column '{}' = '{}'", self.column_name(role), cell.shown()),
            });
        }
    }

    /// Applies the line-local rules to one line and keeps it or counts its drop.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        table: &RawTable,
        row: usize,
        cells: &[Cell<'_>; Role::ALL.len()],
        user_f: &[Cell<'_>],
        item_f: &[Cell<'_>],
        buf: &mut String,
        invoice_buf: &mut String,
    ) -> Result<(), LoadError> {
        let cell = |r: Role| cells[r as usize];
        let user = cell(Role::User).id(buf).map(|s| self.out.users.intern(s));
        let item = cell(Role::Item).id(buf).map(|s| self.out.items.intern(s));
        let description_cell = cell(Role::Description);
        let description = description_cell.text();
        if self.has.description && description.is_none() {
            self.report.missing_descriptions += 1;
        }
        if let Some(i) = item {
            let d = &mut self.out.item_descriptions;
            if d.len() <= i as usize {
                d.resize(i as usize + 1, None);
            }
            if d[i as usize].is_none() {
                d[i as usize] = description.map(str::to_owned);
            }
        }
        let (Some(user), Some(item)) = (user, item) else {
            let (reason, role) = if user.is_none() {
                (DropReason::MissingCustomer, Role::User)
            } else {
                (DropReason::MissingItem, Role::Item)
            };
            self.drop_at(reason, table, row, role, cell(role));
            return Ok(());
        };
        let timestamp = if self.has.timestamp {
            let t = cell(Role::Timestamp);
            let parsed = self.last_time.get(&t).or_else(|| match t {
                Cell::Text(text) => self.options.timestamp_format.parse(text),
                Cell::Seconds(s) => Some(s),
                Cell::Int(v) => Some(epoch_seconds(v)),
                // `as` saturates, so a huge float is one more implausible date.
                Cell::Float(x) if x.is_finite() => Some(epoch_seconds(x as i64)),
                Cell::Float(_) | Cell::Missing => None,
            });
            let Some(ts) = parsed else {
                self.bad_dates += 1;
                if self.report.bad_date_examples.len() < 3 {
                    let value = if let Cell::Text(s) = t {
                        s.to_owned()
                    } else {
                        "(empty)".to_owned()
                    };
                    self.report
                        .bad_date_examples
                        .push((table.location(row), value));
                }
                self.drop_at(DropReason::UnparseableDate, table, row, Role::Timestamp, t);
                return Ok(());
            };
            self.last_time.remember(&t, ts);
            ts
        } else {
            0
        };
        let invoice_cell = cell(Role::Invoice);
        let invoice = invoice_cell.id(invoice_buf);
        if self.spec.drop_adjustments && invoice.is_some_and(|s| s.starts_with(['A', 'a'])) {
            self.drop_at(
                DropReason::AdjustmentInvoice,
                table,
                row,
                Role::Invoice,
                invoice_cell,
            );
            return Ok(());
        }
        let mut quantity = match cell(Role::Quantity).number() {
            Ok(v) => v.unwrap_or(1.0),
            Err(text) => return Err(self.bad_number(table, row, Role::Quantity, text)),
        };
        if !is_plausible_amount(quantity) {
            self.drop_at(
                DropReason::AbsurdAmount,
                table,
                row,
                Role::Quantity,
                cell(Role::Quantity),
            );
            return Ok(());
        }
        let cancelled_by_invoice = invoice.is_some_and(|s| s.starts_with(['C', 'c']));
        if cancelled_by_invoice || quantity < 0.0 {
            if self.spec.cancellations == CancellationPolicy::Drop {
                let role = if cancelled_by_invoice {
                    Role::Invoice
                } else {
                    Role::Quantity
                };
                self.drop_at(DropReason::Cancellation, table, row, role, cell(role));
                return Ok(());
            }
            quantity = -quantity.abs();
            self.report.returns_netted += 1;
        }
        if self.codes.matches(self.out.items.name(item)) {
            self.drop_at(
                DropReason::NonProductCode,
                table,
                row,
                Role::Item,
                cell(Role::Item),
            );
            return Ok(());
        }
        let price = match cell(Role::Price).number() {
            Ok(v) => v.unwrap_or(0.0),
            Err(text) => return Err(self.bad_number(table, row, Role::Price, text)),
        };
        if !is_plausible_amount(price) {
            self.drop_at(
                DropReason::AbsurdAmount,
                table,
                row,
                Role::Price,
                cell(Role::Price),
            );
            return Ok(());
        }
        if self.spec.drop_non_positive_price && self.has.price && price <= 0.0 {
            self.drop_at(
                DropReason::NonPositivePrice,
                table,
                row,
                Role::Price,
                cell(Role::Price),
            );
            return Ok(());
        }
        let rating = match cell(Role::Rating).number() {
            Ok(Some(v)) if v.is_finite() => v,
            Ok(_) if self.has.rating => {
                self.drop_at(
                    DropReason::InvalidRating,
                    table,
                    row,
                    Role::Rating,
                    cell(Role::Rating),
                );
                return Ok(());
            }
            Ok(_) => f64::NAN,
            Err(text) => return Err(self.bad_number(table, row, Role::Rating, text)),
        };
        if self.options.min_rating.is_some_and(|min| rating < min) {
            self.drop_at(
                DropReason::BelowMinRating,
                table,
                row,
                Role::Rating,
                cell(Role::Rating),
            );
            return Ok(());
        }
        let invoice_id = match self.last_invoice.get(&invoice_cell) {
            Some(id) => id,
            None => {
                let id = invoice.map_or(u32::MAX, |s| self.out.invoices.intern(s));
                self.last_invoice.remember(&invoice_cell, id);
                id
            }
        };
        let country_cell = cell(Role::Country);
        let country_id = match self.last_country.get(&country_cell) {
            Some(id) => id,
            None => {
                let id = country_cell
                    .id(buf)
                    .map_or(u32::MAX, |s| self.out.countries.intern(s));
                self.last_country.remember(&country_cell, id);
                id
            }
        };
        let description_id = description.map_or(u32::MAX, |s| self.out.descriptions.intern(s));
        if self.spec.drop_duplicates {
            let mut h = FxHasher::default();
            (
                user,
                item,
                timestamp,
                quantity.to_bits(),
                price.to_bits(),
                rating.to_bits(),
            )
                .hash(&mut h);
            (invoice_id, country_id, description_id).hash(&mut h);
            for c in user_f.iter().chain(item_f) {
                c.id(buf).hash(&mut h);
            }
            self.row_hashes.push(h.finish());
        }
        for (f, c) in self
            .out
            .user_features
            .iter_mut()
            .zip(user_f)
            .chain(self.out.item_features.iter_mut().zip(item_f))
        {
            f.codes.push(
                c.id(buf)
                    .map_or(FeatureColumn::MISSING, |s| f.values.intern(s)),
            );
        }
        if self.has.timestamp {
            let file_row = table.first_row + row;
            self.extremes.note(timestamp, table.format, file_row);
        }
        let out = &mut self.out;
        out.user.push(user);
        out.item.push(item);
        out.timestamp.push(timestamp);
        out.quantity.push(quantity as f32);
        out.price.push(price as f32);
        out.rating.push(rating as f32);
        out.invoice.push(invoice_id);
        out.country.push(country_id);
        out.description.push(description_id);
        Ok(())
    }

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
        let out = std::mem::take(&mut self.out);
        let mut keep = Vec::with_capacity(out.len());
        let mut seen: FxHashSet<u64> = FxHashSet::default();
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
            if self.spec.drop_duplicates && !seen.insert(self.row_hashes[row]) {
                self.drop_line(DropReason::Duplicate);
                continue;
            }
            keep.push(row);
        }
        drop(seen);
        if let Some(p) = plausible {
            let column = self.column_name(Role::Timestamp);
            report
                .drop_examples
                .extend(self.extremes.example(p, &column));
        }
        let dated = out.len() - self.drops[DropReason::ImplausibleDate as usize];
        if keep.is_empty() && dated > 0 && self.drops[DropReason::OutsideWindow as usize] == dated {
            let (first, last) = report.date_range_read.unwrap_or((0, 0));
            return Err(LoadError::EmptyWindow {
                path: self.path.clone(),
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
