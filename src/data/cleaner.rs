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

use rustc_hash::FxHasher;

use super::LoadError;
use super::cells::{Cell, PreparedColumn, Repeat, absent};
use super::clean::{
    CancellationPolicy, CleanOptions, CleaningReport, CleaningSpec, CodeMatcher, DropExample,
    DropReason, is_plausible_amount,
};
use super::ids::IdMap;
use super::mapping::{ResolvedColumns, Role};
use super::plausible_dates::DateExtremes;
use super::reader::{FileFormat, RawTable};
use super::timestamps::epoch_seconds;
use super::transactions::{FeatureColumn, PresentColumns, Transactions};

mod finish;

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
    /// The lines of one invoice are one customer's: a repeat skips the id lookup.
    last_user: Repeat<Option<u32>>,
    last_time: Repeat<i64>,
    last_country: Repeat<u32>,
    id_buf: String,
    invoice_buf: String,
    /// Where the earliest and latest dates are, to show an implausible one by its line.
    extremes: DateExtremes,
    /// How locations of this file are written (line of a CSV, row of a Parquet file).
    format: FileFormat,
    /// Per product id: whether its code is a non-product code (`None` until first seen).
    /// A product's code never changes, so the case-folding match runs once per product,
    /// not once per line.
    non_product: Vec<Option<bool>>,
}

impl Cleaner {
    /// A cleaner for a file whose header and mapping are known.
    pub fn new(
        path: PathBuf,
        format: FileFormat,
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
            last_user: Repeat::default(),
            last_time: Repeat::default(),
            last_country: Repeat::default(),
            id_buf: String::new(),
            invoice_buf: String::new(),
            extremes: DateExtremes::default(),
            format,
            non_product: Vec::new(),
        }
    }

    /// Makes room for about `lines` more lines, so the columns of a large file are
    /// allocated once; a guess too small only means the columns grow as usual.
    pub fn reserve(&mut self, lines: usize) {
        self.out.reserve(lines);
        if self.spec.drop_duplicates {
            self.row_hashes.reserve(lines);
        }
    }

    fn is_non_product(&mut self, item: u32) -> bool {
        let i = item as usize;
        if self.non_product.len() <= i {
            self.non_product.resize(i + 1, None);
        }
        *self.non_product[i].get_or_insert_with(|| self.codes.matches(self.out.items.name(item)))
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
            // polars reads a blank line as a row of nulls, which push_line skips.
            self.push_line(table.first_row + row, &row_cells, &user_cells, &item_cells)?;
        }
        Ok(())
    }

    /// Cleans one line: its cells by [`Role`], its side-feature cells in mapping order,
    /// and its data row in the file (0-based, as [`FileFormat::location`] counts).
    ///
    /// A line whose every cell is missing (a blank line) is not a transaction and is
    /// skipped without being counted.
    pub(crate) fn push_line(
        &mut self,
        file_row: usize,
        cells: &[Cell<'_>; Role::ALL.len()],
        user_f: &[Cell<'_>],
        item_f: &[Cell<'_>],
    ) -> Result<(), LoadError> {
        if cells
            .iter()
            .chain(user_f)
            .chain(item_f)
            .all(|c| matches!(c, Cell::Missing))
        {
            return Ok(());
        }
        self.report.rows_read += 1;
        // Reused text buffers: numeric ids (a Parquet CustomerID) are formatted into them.
        let (mut id_buf, mut invoice_buf) = (
            std::mem::take(&mut self.id_buf),
            std::mem::take(&mut self.invoice_buf),
        );
        let result = self.line(
            file_row,
            cells,
            user_f,
            item_f,
            &mut id_buf,
            &mut invoice_buf,
        );
        (self.id_buf, self.invoice_buf) = (id_buf, invoice_buf);
        result
    }

    fn bad_number(&self, file_row: usize, role: Role, value: &str) -> LoadError {
        LoadError::BadNumber {
            path: self.path.clone(),
            column: self.column_name(role),
            location: self.format.location(file_row),
            value: value.chars().take(60).collect(),
        }
    }

    fn drop_line(&mut self, reason: DropReason) {
        self.drops[reason as usize] += 1;
    }

    /// Counts a drop for `reason` decided by the `role` cell of line `row`, keeping the
    /// first such line as the reason's example.
    fn drop_at(&mut self, reason: DropReason, file_row: usize, role: Role, cell: Cell<'_>) {
        self.drop_line(reason);
        if self.drops[reason as usize] == 1 {
            self.report.drop_examples.push(DropExample {
                reason,
                location: self.format.location(file_row),
                value: format!("column '{}' = '{}'", self.column_name(role), cell.shown()),
            });
        }
    }

    /// Applies the line-local rules to one line and keeps it or counts its drop.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        file_row: usize,
        cells: &[Cell<'_>; Role::ALL.len()],
        user_f: &[Cell<'_>],
        item_f: &[Cell<'_>],
        buf: &mut String,
        invoice_buf: &mut String,
    ) -> Result<(), LoadError> {
        let cell = |r: Role| cells[r as usize];
        let user_cell = cell(Role::User);
        let user = match self.last_user.get(&user_cell) {
            Some(user) => user,
            None => {
                let user = user_cell.id(buf).map(|s| self.out.users.intern(s));
                self.last_user.remember(&user_cell, user);
                user
            }
        };
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
            self.drop_at(reason, file_row, role, cell(role));
            return Ok(());
        };
        let timestamp = if self.has.timestamp {
            let t = cell(Role::Timestamp);
            let parsed = self.last_time.get(&t).or_else(|| match t {
                Cell::Text(text) | Cell::Number(_, text) => {
                    self.options.timestamp_format.parse(text)
                }
                Cell::Seconds(s) => Some(s),
                Cell::Int(v) => Some(epoch_seconds(v)),
                // `as` saturates, so a huge float is one more implausible date.
                Cell::Float(x) if x.is_finite() => Some(epoch_seconds(x as i64)),
                Cell::Float(_) | Cell::Missing => None,
            });
            let Some(ts) = parsed else {
                self.bad_dates += 1;
                if self.report.bad_date_examples.len() < 3 {
                    let value = if let Cell::Text(s) | Cell::Number(_, s) = t {
                        s.to_owned()
                    } else {
                        "(empty)".to_owned()
                    };
                    self.report
                        .bad_date_examples
                        .push((self.format.location(file_row), value));
                }
                self.drop_at(DropReason::UnparseableDate, file_row, Role::Timestamp, t);
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
                file_row,
                Role::Invoice,
                invoice_cell,
            );
            return Ok(());
        }
        let mut quantity = match cell(Role::Quantity).number() {
            Ok(v) => v.unwrap_or(1.0),
            Err(text) => return Err(self.bad_number(file_row, Role::Quantity, text)),
        };
        if !is_plausible_amount(quantity) {
            self.drop_at(
                DropReason::AbsurdAmount,
                file_row,
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
                self.drop_at(DropReason::Cancellation, file_row, role, cell(role));
                return Ok(());
            }
            quantity = -quantity.abs();
            self.report.returns_netted += 1;
        }
        if self.is_non_product(item) {
            self.drop_at(
                DropReason::NonProductCode,
                file_row,
                Role::Item,
                cell(Role::Item),
            );
            return Ok(());
        }
        let price = match cell(Role::Price).number() {
            Ok(v) => v.unwrap_or(0.0),
            Err(text) => return Err(self.bad_number(file_row, Role::Price, text)),
        };
        if !is_plausible_amount(price) {
            self.drop_at(
                DropReason::AbsurdAmount,
                file_row,
                Role::Price,
                cell(Role::Price),
            );
            return Ok(());
        }
        if self.spec.drop_non_positive_price && self.has.price && price <= 0.0 {
            self.drop_at(
                DropReason::NonPositivePrice,
                file_row,
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
                    file_row,
                    Role::Rating,
                    cell(Role::Rating),
                );
                return Ok(());
            }
            Ok(_) => f64::NAN,
            Err(text) => return Err(self.bad_number(file_row, Role::Rating, text)),
        };
        if self.options.min_rating.is_some_and(|min| rating < min) {
            self.drop_at(
                DropReason::BelowMinRating,
                file_row,
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
            self.extremes.note(timestamp, self.format, file_row);
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
}
