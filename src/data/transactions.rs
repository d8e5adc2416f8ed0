//! Cleaned transaction lines, the table every later step starts from.
//!
//! A transaction is one line of an invoice: a customer bought (or, under the `net`
//! cancellation policy, returned) some quantity of a product at a time and price. Lines
//! are stored column-wise with dense ids, so splitting by time and aggregating into an
//! interaction matrix are tight loops over plain vectors.

use super::ids::IdMap;

/// A categorical side feature read from one column (country, age band, genre…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureColumn {
    /// The column name in the file.
    pub name: String,
    /// Distinct values.
    pub values: IdMap,
    /// Per line: index into `values`, or [`FeatureColumn::MISSING`].
    pub codes: Vec<u32>,
}

impl FeatureColumn {
    /// The code of a missing value.
    pub const MISSING: u32 = u32::MAX;
}

/// Cleaned transaction lines, column-wise.
#[derive(Debug, Clone, Default)]
pub struct Transactions {
    /// Customers that have at least one kept line.
    pub users: IdMap,
    /// Products that have at least one kept line.
    pub items: IdMap,
    /// Per item: its description (the first non-empty one seen), if any.
    pub item_descriptions: Vec<Option<String>>,
    /// Country names, when the file has a country column.
    pub countries: IdMap,
    /// Invoice numbers, when the file has an invoice column.
    pub invoices: IdMap,
    /// Distinct description texts, when the file has a description column.
    pub descriptions: IdMap,
    /// Per line: customer index.
    pub user: Vec<u32>,
    /// Per line: product index.
    pub item: Vec<u32>,
    /// Per line: seconds since 1970 on the data's wall clock; 0 when there is no
    /// timestamp column.
    pub timestamp: Vec<i64>,
    /// Per line: quantity (negative for a netted return); 1 when there is no quantity.
    pub quantity: Vec<f32>,
    /// Per line: unit price; 0 when there is no price column.
    pub price: Vec<f32>,
    /// Per line: explicit rating; NaN when there is no rating column.
    pub rating: Vec<f32>,
    /// Per line: invoice index, or `u32::MAX`.
    pub invoice: Vec<u32>,
    /// Per line: country index, or `u32::MAX`.
    pub country: Vec<u32>,
    /// Per line: description index as written on that line, or `u32::MAX`.
    pub description: Vec<u32>,
    /// User side features named in the mapping.
    pub user_features: Vec<FeatureColumn>,
    /// Item side features named in the mapping.
    pub item_features: Vec<FeatureColumn>,
    /// Which optional columns the source had.
    pub has: PresentColumns,
}

/// Which optional roles the source file provided.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PresentColumns {
    pub timestamp: bool,
    pub quantity: bool,
    pub price: bool,
    pub rating: bool,
    pub invoice: bool,
    pub country: bool,
    pub description: bool,
}

impl Transactions {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.user.len()
    }

    /// True when no line is left.
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }

    /// Earliest and latest timestamp, if there is a line.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = self.timestamp.iter().min()?;
        let max = self.timestamp.iter().max()?;
        Some((*min, *max))
    }

    /// The lines whose index is in `rows` (ascending), sharing this table's id maps.
    ///
    /// Splits use this so train and test speak about the same customers and products.
    pub fn select(&self, rows: &[usize]) -> Transactions {
        fn pick<T: Copy>(v: &[T], rows: &[usize]) -> Vec<T> {
            rows.iter().map(|&r| v[r]).collect()
        }
        let features = |fs: &[FeatureColumn]| {
            fs.iter()
                .map(|f| FeatureColumn {
                    name: f.name.clone(),
                    values: f.values.clone(),
                    codes: pick(&f.codes, rows),
                })
                .collect()
        };
        Transactions {
            users: self.users.clone(),
            items: self.items.clone(),
            item_descriptions: self.item_descriptions.clone(),
            countries: self.countries.clone(),
            invoices: self.invoices.clone(),
            descriptions: self.descriptions.clone(),
            user: pick(&self.user, rows),
            item: pick(&self.item, rows),
            timestamp: pick(&self.timestamp, rows),
            quantity: pick(&self.quantity, rows),
            price: pick(&self.price, rows),
            rating: pick(&self.rating, rows),
            invoice: pick(&self.invoice, rows),
            country: pick(&self.country, rows),
            description: pick(&self.description, rows),
            user_features: features(&self.user_features),
            item_features: features(&self.item_features),
            has: self.has,
        }
    }

    /// Keeps only the lines where `keep` is true, in order, in place: cleaning drops a
    /// few lines of millions, and a copy of every column would double the peak memory.
    pub fn retain_lines(&mut self, keep: &[bool]) {
        fn retain<T>(v: &mut Vec<T>, keep: &[bool]) {
            let mut flags = keep.iter();
            v.retain(|_| flags.next().copied().unwrap_or(false));
        }
        retain(&mut self.user, keep);
        retain(&mut self.item, keep);
        retain(&mut self.timestamp, keep);
        retain(&mut self.quantity, keep);
        retain(&mut self.price, keep);
        retain(&mut self.rating, keep);
        retain(&mut self.invoice, keep);
        retain(&mut self.country, keep);
        retain(&mut self.description, keep);
        for f in self.user_features.iter_mut().chain(&mut self.item_features) {
            retain(&mut f.codes, keep);
        }
    }

    /// Makes room for `lines` more lines in every column, so a large file's columns are
    /// allocated once rather than doubled (and copied) as they grow.
    pub fn reserve(&mut self, lines: usize) {
        self.user.reserve(lines);
        self.item.reserve(lines);
        self.timestamp.reserve(lines);
        self.quantity.reserve(lines);
        self.price.reserve(lines);
        self.rating.reserve(lines);
        self.invoice.reserve(lines);
        self.country.reserve(lines);
        self.description.reserve(lines);
        for f in self.user_features.iter_mut().chain(&mut self.item_features) {
            f.codes.reserve(lines);
        }
    }

    /// The description of item `i`, or an empty string.
    pub fn description(&self, item: u32) -> &str {
        self.item_descriptions
            .get(item as usize)
            .and_then(|d| d.as_deref())
            .unwrap_or("")
    }

    /// The country most of user `u`'s lines carry, per user (`u32::MAX` when unknown).
    pub fn user_countries(&self) -> Vec<u32> {
        let mut counts: Vec<rustc_hash::FxHashMap<u32, u32>> =
            vec![rustc_hash::FxHashMap::default(); self.users.len()];
        for (&u, &c) in self.user.iter().zip(&self.country) {
            if c != u32::MAX {
                *counts[u as usize].entry(c).or_default() += 1;
            }
        }
        counts
            .into_iter()
            .map(|m| {
                m.into_iter()
                    .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))
                    .map_or(u32::MAX, |(c, _)| c)
            })
            .collect()
    }
}
