//! The interaction matrix: how strongly each customer is tied to each product.
//!
//! Transaction lines are aggregated per (customer, product) pair by the seed's
//! `ranking_type`:
//!
//! | `ranking_type` | value of a pair |
//! | --- | --- |
//! | `count` (default) | number of purchase lines (returns subtract one each under `net`) |
//! | `quantity` | total quantity |
//! | `revenue` | total quantity × unit price |
//! | `binary` | 1 when the net quantity is positive |
//! | `rating` | mean explicit rating (for explicit-feedback models) |
//!
//! Pairs whose value is not positive (all bought items returned) are left out, except
//! for ratings, which keep every pair. The result holds both the users × items matrix and
//! its transpose, with id maps of only the customers and products that remain.

use serde::{Deserialize, Serialize};

use super::LoadError;
use super::csr::CsrMatrix;
use super::ids::IdMap;
use super::transactions::Transactions;

/// How lines become the strength of a (customer, product) pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RankingType {
    #[default]
    Count,
    Quantity,
    Revenue,
    Binary,
    Rating,
}

impl RankingType {
    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            RankingType::Count => "count",
            RankingType::Quantity => "quantity",
            RankingType::Revenue => "revenue",
            RankingType::Binary => "binary",
            RankingType::Rating => "rating",
        }
    }
}

/// The `[interactions]` table: aggregation and the retention window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InteractionSpec {
    /// See [`RankingType`].
    pub ranking_type: RankingType,
    /// Last day kept, `YYYYMMDD` (default: the last day in the data).
    pub retention_date: Option<String>,
    /// Days kept up to and including `retention_date` (default: all).
    pub retention_days: Option<u32>,
    /// Lines rated below this are dropped (e.g. 4 to keep MovieLens "liked" ratings only).
    pub min_rating: Option<f64>,
}

/// Customers × products with the aggregated strength of each pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Interactions {
    /// Row ids.
    pub users: IdMap,
    /// Column ids.
    pub items: IdMap,
    /// Users × items.
    pub user_items: CsrMatrix,
    /// Items × users, the transpose.
    pub item_users: CsrMatrix,
    /// How the values were aggregated.
    pub ranking: RankingType,
}

#[derive(Clone, Copy, Default)]
struct Acc {
    lines: f64,
    quantity: f64,
    revenue: f64,
    rating_sum: f64,
    ratings: u32,
}

impl Interactions {
    /// Aggregates `t` by `ranking`.
    ///
    /// Fails when nothing is left to learn from, or when `rating` is asked of data
    /// without a rating column.
    pub fn from_transactions(t: &Transactions, ranking: RankingType) -> Result<Self, LoadError> {
        if ranking == RankingType::Rating && !t.has.rating {
            return Err(LoadError::NoRatingColumn);
        }
        // Bucket line indices by user (a counting sort), then aggregate each user's lines
        // by item: linear, and no hash map on the hot path.
        let n_users = t.users.len();
        let mut start = vec![0usize; n_users + 1];
        for &u in &t.user {
            start[u as usize + 1] += 1;
        }
        for i in 0..n_users {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut order = vec![0u32; t.len()];
        for (line, &u) in t.user.iter().enumerate() {
            order[next[u as usize]] = line as u32;
            next[u as usize] += 1;
        }
        let mut indptr = Vec::with_capacity(n_users + 1);
        let mut indices = Vec::new();
        let mut data = Vec::new();
        indptr.push(0);
        let mut lines: Vec<(u32, u32)> = Vec::new();
        for u in 0..n_users {
            lines.clear();
            lines.extend(
                order[start[u]..start[u + 1]]
                    .iter()
                    .map(|&l| (t.item[l as usize], l)),
            );
            lines.sort_unstable();
            let mut k = 0;
            while k < lines.len() {
                let item = lines[k].0;
                let mut acc = Acc::default();
                while k < lines.len() && lines[k].0 == item {
                    let l = lines[k].1 as usize;
                    let q = f64::from(t.quantity[l]);
                    acc.lines += if q < 0.0 { -1.0 } else { 1.0 };
                    acc.quantity += q;
                    acc.revenue += q * f64::from(t.price[l]);
                    if t.rating[l].is_finite() {
                        acc.rating_sum += f64::from(t.rating[l]);
                        acc.ratings += 1;
                    }
                    k += 1;
                }
                let value = match ranking {
                    RankingType::Count => acc.lines,
                    RankingType::Quantity => acc.quantity,
                    RankingType::Revenue => acc.revenue,
                    RankingType::Binary => f64::from(u8::from(acc.quantity > 0.0)),
                    RankingType::Rating if acc.ratings > 0 => {
                        acc.rating_sum / f64::from(acc.ratings)
                    }
                    RankingType::Rating => continue,
                };
                if ranking == RankingType::Rating || value > 0.0 {
                    indices.push(item);
                    data.push(value as f32);
                }
            }
            indptr.push(indices.len());
        }
        let user_items = CsrMatrix::from_parts(n_users, t.items.len(), indptr, indices, data)
            .expect("rows are built sorted and in range");
        Self::compacted(t.users.clone(), t.items.clone(), &user_items, ranking)
    }

    /// Drops empty rows and columns, renumbering ids, and builds the transpose.
    fn compacted(
        mut users: IdMap,
        mut items: IdMap,
        m: &CsrMatrix,
        ranking: RankingType,
    ) -> Result<Self, LoadError> {
        if m.nnz() == 0 {
            return Err(LoadError::NoInteractions);
        }
        let keep_users: Vec<bool> = (0..m.rows()).map(|r| m.row_nnz(r) > 0).collect();
        let mut keep_items = vec![false; m.cols()];
        for &c in m.indices() {
            keep_items[c as usize] = true;
        }
        let user_map = users.retain(&keep_users);
        let item_map = items.retain(&keep_items);
        let mut indptr = vec![0usize];
        let mut indices = Vec::with_capacity(m.nnz());
        for r in 0..m.rows() {
            if user_map[r] == u32::MAX {
                continue;
            }
            indices.extend(m.row(r).0.iter().map(|&c| item_map[c as usize]));
            indptr.push(indices.len());
        }
        let user_items =
            CsrMatrix::from_parts(users.len(), items.len(), indptr, indices, m.data().to_vec())
                .expect("renumbering keeps order");
        let item_users = user_items.transpose();
        Ok(Self {
            users,
            items,
            user_items,
            item_users,
            ranking,
        })
    }

    /// Number of stored (customer, product) pairs.
    pub fn nnz(&self) -> usize {
        self.user_items.nnz()
    }

    /// Share of the matrix that is filled.
    pub fn density(&self) -> f64 {
        let cells = self.users.len() as f64 * self.items.len() as f64;
        if cells == 0.0 {
            0.0
        } else {
            self.nnz() as f64 / cells
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::transactions::PresentColumns;

    fn lines(rows: &[(&str, &str, f32, f32)]) -> Transactions {
        let mut t = Transactions {
            has: PresentColumns {
                quantity: true,
                price: true,
                ..Default::default()
            },
            ..Default::default()
        };
        for &(u, i, q, p) in rows {
            let (u, i) = (t.users.intern(u), t.items.intern(i));
            t.user.push(u);
            t.item.push(i);
            t.quantity.push(q);
            t.price.push(p);
            t.rating.push(f32::NAN);
            t.timestamp.push(0);
            t.invoice.push(u32::MAX);
            t.country.push(u32::MAX);
            t.description.push(u32::MAX);
        }
        t.item_descriptions = vec![None; t.items.len()];
        t
    }

    #[test]
    fn each_ranking_type_by_hand() {
        let t = lines(&[
            ("a", "x", 2.0, 1.5),
            ("a", "x", 3.0, 1.5),
            ("a", "y", 1.0, 4.0),
            ("b", "y", 6.0, 1.0),
        ]);
        let get = |r: RankingType| {
            let m = Interactions::from_transactions(&t, r).unwrap();
            let (a, b, x, y) = (
                m.users.get("a").unwrap() as usize,
                m.users.get("b").unwrap() as usize,
                m.items.get("x").unwrap(),
                m.items.get("y").unwrap(),
            );
            (
                m.user_items.get(a, x),
                m.user_items.get(a, y),
                m.user_items.get(b, y),
            )
        };
        assert_eq!(get(RankingType::Count), (2.0, 1.0, 1.0));
        assert_eq!(get(RankingType::Quantity), (5.0, 1.0, 6.0));
        assert_eq!(get(RankingType::Revenue), (7.5, 4.0, 6.0));
        assert_eq!(get(RankingType::Binary), (1.0, 1.0, 1.0));
    }

    #[test]
    fn fully_returned_pairs_and_their_ids_disappear() {
        let t = lines(&[
            ("a", "x", 2.0, 1.0),
            ("a", "x", -2.0, 1.0),
            ("b", "y", 1.0, 1.0),
        ]);
        let m = Interactions::from_transactions(&t, RankingType::Quantity).unwrap();
        assert_eq!(m.users.names(), ["b"]);
        assert_eq!(m.items.names(), ["y"]);
        assert_eq!(m.nnz(), 1);
        assert_eq!(m.item_users.row(0).0, [0]);
    }

    #[test]
    fn rating_needs_a_rating_column_and_empty_data_is_an_error() {
        let t = lines(&[("a", "x", 1.0, 1.0)]);
        assert!(matches!(
            Interactions::from_transactions(&t, RankingType::Rating),
            Err(LoadError::NoRatingColumn)
        ));
        let empty = lines(&[]);
        assert!(matches!(
            Interactions::from_transactions(&empty, RankingType::Count),
            Err(LoadError::NoInteractions)
        ));
    }
}
