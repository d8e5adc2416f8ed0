//! What the business rules know beyond the model: each customer's segment and each
//! product's sales dates.
//!
//! Rules such as "leave out discontinued products", "force new products in" or "this
//! promotion is for French customers only" need facts the factors do not carry. They are
//! gathered once from the training lines, stored with the run, and indexed like the model
//! (run customer and product indices), so applying a rule is an array lookup.

use serde::{Deserialize, Serialize};

use crate::data::{CsrMatrix, IdMap, Transactions};

/// Segments and sales dates, in a run's indices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Catalog {
    /// The column segments come from (`Country`), empty when the data has none.
    pub segment_column: String,
    /// Segment names.
    pub segments: Vec<String>,
    /// Per customer: index into `segments`, or [`Catalog::NONE`].
    pub user_segment: Vec<u32>,
    /// Per product: first sale, seconds since 1970 ([`Catalog::NO_DATE`] without dates).
    pub first_sale: Vec<i64>,
    /// Per product: last sale.
    pub last_sale: Vec<i64>,
    /// The last moment of the training data: "today" for staleness and newness.
    pub reference_time: Option<i64>,
}

impl Catalog {
    /// No segment.
    pub const NONE: u32 = u32::MAX;
    /// No date known.
    pub const NO_DATE: i64 = i64::MIN;

    /// Gathers segments and dates from `t` for the customers in `users` and products in
    /// `items` (a run's id maps, usually a subset of `t`'s).
    pub fn from_transactions(t: &Transactions, users: &IdMap, items: &IdMap) -> Self {
        let user_map = remap(&t.users, users);
        let item_map = remap(&t.items, items);
        let (segment_column, segments, per_line_user_segment) = segment_source(t);
        let mut user_segment = vec![Self::NONE; users.len()];
        if let Some(per_user) = per_line_user_segment {
            for (tu, &s) in per_user.iter().enumerate() {
                let u = user_map[tu];
                if u != u32::MAX {
                    user_segment[u as usize] = s;
                }
            }
        }
        let mut first_sale = vec![Self::NO_DATE; items.len()];
        let mut last_sale = vec![Self::NO_DATE; items.len()];
        let mut reference_time = None;
        if t.has.timestamp {
            first_sale.fill(i64::MAX);
            for (&ti, &ts) in t.item.iter().zip(&t.timestamp) {
                let i = item_map[ti as usize];
                if i == u32::MAX {
                    continue;
                }
                let i = i as usize;
                first_sale[i] = first_sale[i].min(ts);
                last_sale[i] = last_sale[i].max(ts);
            }
            for (f, &l) in first_sale.iter_mut().zip(&last_sale) {
                if l == Self::NO_DATE {
                    *f = Self::NO_DATE;
                }
            }
            reference_time = t.time_range().map(|(_, max)| max);
        }
        Self {
            segment_column,
            segments,
            user_segment,
            first_sale,
            last_sale,
            reference_time,
        }
    }

    /// The segment index named `name` (case-insensitive).
    pub fn segment(&self, name: &str) -> Option<u32> {
        self.segments
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name.trim()))
            .map(|i| i as u32)
    }

    /// The segment name of customer `user`.
    pub fn user_segment_name(&self, user: u32) -> Option<&str> {
        let s = *self.user_segment.get(user as usize)?;
        self.segments.get(s as usize).map(String::as_str)
    }

    /// True when products carry sales dates.
    pub fn has_dates(&self) -> bool {
        self.reference_time.is_some()
    }

    /// Buyers per product within each segment (segments × products, row-major), for the
    /// segment-popularity cold-start policy.
    pub fn segment_buyers(&self, train: &CsrMatrix) -> Vec<f32> {
        let n_items = train.cols();
        let mut counts = vec![0f32; self.segments.len() * n_items];
        for (u, &s) in self.user_segment.iter().enumerate().take(train.rows()) {
            if s == Self::NONE {
                continue;
            }
            let row = &mut counts[s as usize * n_items..(s as usize + 1) * n_items];
            for &i in train.row(u).0 {
                row[i as usize] += 1.0;
            }
        }
        counts
    }
}

/// Maps indices of `from` to indices of `to` by name (`u32::MAX` when absent).
fn remap(from: &IdMap, to: &IdMap) -> Vec<u32> {
    from.names()
        .iter()
        .map(|n| to.get(n).unwrap_or(u32::MAX))
        .collect()
}

/// The segment column's name, its values, and each of `t`'s customers' most frequent
/// value: the country when the data has one, else the first user feature.
fn segment_source(t: &Transactions) -> (String, Vec<String>, Option<Vec<u32>>) {
    if t.has.country {
        return (
            "Country".to_owned(),
            t.countries.names().to_vec(),
            Some(t.user_countries()),
        );
    }
    let Some(feature) = t.user_features.first() else {
        return (String::new(), Vec::new(), None);
    };
    let mut counts: Vec<rustc_hash::FxHashMap<u32, u32>> =
        vec![rustc_hash::FxHashMap::default(); t.users.len()];
    for (&u, &c) in t.user.iter().zip(&feature.codes) {
        if c != crate::data::transactions::FeatureColumn::MISSING {
            *counts[u as usize].entry(c).or_default() += 1;
        }
    }
    let per_user = counts
        .into_iter()
        .map(|m| {
            m.into_iter()
                .max_by_key(|&(c, n)| (n, std::cmp::Reverse(c)))
                .map_or(Catalog::NONE, |(c, _)| c)
        })
        .collect();
    (
        feature.name.clone(),
        feature.values.names().to_vec(),
        Some(per_user),
    )
}

/// The last time each stored pair of `train` was bought (aligned with its data array),
/// for purchase dates beside a customer's history. `None` without timestamps.
pub fn pair_last_purchase(
    t: &Transactions,
    users: &IdMap,
    items: &IdMap,
    train: &CsrMatrix,
) -> Option<Vec<i64>> {
    if !t.has.timestamp {
        return None;
    }
    let user_map = remap(&t.users, users);
    let item_map = remap(&t.items, items);
    let mut out = vec![Catalog::NO_DATE; train.nnz()];
    let indptr = train.indptr();
    for ((&tu, &ti), &ts) in t.user.iter().zip(&t.item).zip(&t.timestamp) {
        let (u, i) = (user_map[tu as usize], item_map[ti as usize]);
        if u == u32::MAX || i == u32::MAX {
            continue;
        }
        if let Ok(pos) = train.row(u as usize).0.binary_search(&i) {
            let slot = &mut out[indptr[u as usize] + pos];
            *slot = (*slot).max(ts);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::transactions::PresentColumns;

    fn lines() -> Transactions {
        Transactions {
            users: IdMap::from_names(["a", "b", "c"]),
            items: IdMap::from_names(["x", "y", "z"]),
            countries: IdMap::from_names(["France", "Spain"]),
            user: vec![0, 0, 1, 2, 2],
            item: vec![0, 1, 1, 2, 0],
            timestamp: vec![100, 300, 200, 50, 400],
            quantity: vec![1.0; 5],
            price: vec![0.0; 5],
            rating: vec![f32::NAN; 5],
            invoice: vec![u32::MAX; 5],
            country: vec![0, 0, 1, 1, 1],
            description: vec![u32::MAX; 5],
            item_descriptions: vec![None; 3],
            has: PresentColumns {
                timestamp: true,
                country: true,
                ..PresentColumns::default()
            },
            ..Transactions::default()
        }
    }

    #[test]
    fn dates_and_segments_follow_the_run_ids() {
        let t = lines();
        // The run dropped customer "b" and product "z", and orders products differently.
        let users = IdMap::from_names(["c", "a"]);
        let items = IdMap::from_names(["y", "x"]);
        let c = Catalog::from_transactions(&t, &users, &items);
        assert_eq!(c.segment_column, "Country");
        assert_eq!(c.user_segment, [1, 0]);
        assert_eq!(c.user_segment_name(0), Some("Spain"));
        assert_eq!(c.first_sale, [200, 100]);
        assert_eq!(c.last_sale, [300, 400]);
        assert_eq!(c.reference_time, Some(400));
        assert_eq!(c.segment("spain"), Some(1));
        let train = CsrMatrix::from_triplets(2, 2, &[(0, 1, 1.0), (1, 0, 1.0), (1, 1, 1.0)]);
        assert_eq!(c.segment_buyers(&train), [1.0, 1.0, 0.0, 1.0]);
        assert_eq!(
            pair_last_purchase(&t, &users, &items, &train).unwrap(),
            [400, 300, 100]
        );
    }
}
