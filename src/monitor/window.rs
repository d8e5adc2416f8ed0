//! One window of transactions, reduced to what drift is measured on: lines per product,
//! customer and country, and basket sizes. Ids are kept as names, so two windows read
//! from different files (with different index maps) compare by what the data calls them.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::data::Transactions;

/// Counts of one window.
#[derive(Debug, Clone, Default)]
pub struct WindowStats {
    pub lines: u64,
    /// First and last line, seconds since 1970.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Lines per product.
    pub items: FxHashMap<String, u64>,
    /// Lines per customer.
    pub customers: FxHashMap<String, u64>,
    /// Lines per country (empty when the data has no country column).
    pub countries: BTreeMap<String, u64>,
    /// Lines per basket: an invoice, or a customer's day when there are no invoices.
    pub baskets: Vec<u32>,
    /// Product descriptions, where the data has them.
    pub descriptions: FxHashMap<String, String>,
}

impl WindowStats {
    /// The lines of `t` whose timestamp `keep` accepts.
    pub fn of(t: &Transactions, keep: impl Fn(i64) -> bool) -> Self {
        let mut s = Self::default();
        let mut item_lines = vec![0u64; t.items.len()];
        let mut user_lines = vec![0u64; t.users.len()];
        let mut country_lines: FxHashMap<u32, u64> = FxHashMap::default();
        let mut basket_lines: FxHashMap<(u32, i64), u32> = FxHashMap::default();
        for line in 0..t.user.len() {
            let ts = t.timestamp[line];
            if !keep(ts) {
                continue;
            }
            s.lines += 1;
            s.first = Some(s.first.map_or(ts, |f| f.min(ts)));
            s.last = Some(s.last.map_or(ts, |l| l.max(ts)));
            item_lines[t.item[line] as usize] += 1;
            user_lines[t.user[line] as usize] += 1;
            if t.country[line] != u32::MAX {
                *country_lines.entry(t.country[line]).or_default() += 1;
            }
            // A basket: its invoice, else the customer's day.
            let key = if t.invoice[line] == u32::MAX {
                (t.user[line], ts.div_euclid(86_400))
            } else {
                (u32::MAX, i64::from(t.invoice[line]))
            };
            *basket_lines.entry(key).or_default() += 1;
        }
        for (i, &n) in item_lines.iter().enumerate() {
            if n > 0 {
                let name = t.items.name(i as u32).to_owned();
                if let Some(Some(d)) = t.item_descriptions.get(i) {
                    s.descriptions.insert(name.clone(), d.trim().to_owned());
                }
                s.items.insert(name, n);
            }
        }
        for (u, &n) in user_lines.iter().enumerate() {
            if n > 0 {
                s.customers.insert(t.users.name(u as u32).to_owned(), n);
            }
        }
        for (c, n) in country_lines {
            s.countries.insert(t.countries.name(c).to_owned(), n);
        }
        s.baskets = basket_lines.into_values().collect();
        s
    }

    /// Lines per basket, on average.
    pub fn mean_basket(&self) -> f64 {
        if self.baskets.is_empty() {
            return 0.0;
        }
        self.baskets.iter().map(|&b| f64::from(b)).sum::<f64>() / self.baskets.len() as f64
    }
}
