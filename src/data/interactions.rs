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
    /// Recency weighting: a line counts `0.5^(age / half-life)`, its age in days before
    /// the last training line, so last month's purchases outweigh last year's (count,
    /// quantity and revenue; ratings are not weighted). None: every line counts fully.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recency_half_life_days: Option<f64>,
    /// True when the workspace or the command line chose `ranking_type`; otherwise a
    /// model that predicts ratings switches a file's aggregation to `rating`.
    #[serde(skip)]
    pub ranking_type_given: bool,
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

impl Acc {
    /// Adds line `l` of `t`, counted `w` times (ratings are not weighted).
    fn add(&mut self, t: &Transactions, l: usize, w: f64) {
        let q = f64::from(t.quantity[l]);
        self.lines += if q < 0.0 { -w } else { w };
        self.quantity += q * w;
        self.revenue += q * f64::from(t.price[l]) * w;
        if t.rating[l].is_finite() {
            self.rating_sum += f64::from(t.rating[l]);
            self.ratings += 1;
        }
    }

    /// The pair's value by `ranking`; `None` for a rating matrix without a rating.
    fn value(&self, ranking: RankingType) -> Option<f64> {
        Some(match ranking {
            RankingType::Count => self.lines,
            RankingType::Quantity => self.quantity,
            RankingType::Revenue => self.revenue,
            RankingType::Binary => f64::from(u8::from(self.quantity > 0.0)),
            RankingType::Rating if self.ratings > 0 => self.rating_sum / f64::from(self.ratings),
            RankingType::Rating => return None,
        })
    }
}

impl Interactions {
    /// Aggregates `t` by `ranking`.
    ///
    /// Fails when nothing is left to learn from, or when `rating` is asked of data
    /// without a rating column.
    pub fn from_transactions(t: &Transactions, ranking: RankingType) -> Result<Self, LoadError> {
        Self::aggregate(t, ranking, None)
    }

    /// Aggregates `t` as `spec` says: by its ranking type, each line weighted by its
    /// recency when `spec` has a half-life. The matrix's shape and ids are those of
    /// [`Interactions::from_transactions`] whatever the weights (they are never 0).
    pub fn for_training(t: &Transactions, spec: &InteractionSpec) -> Result<Self, LoadError> {
        let weight = spec
            .recency_half_life_days
            .filter(|h| h.is_finite() && *h > 0.0)
            .filter(|_| t.has.timestamp && t.timestamp.len() == t.len())
            .and_then(|h| Some((t.time_range()?.1, h * 86_400.0)))
            .map(|(end, h)| move |ts: i64| 0.5f64.powf((end - ts).max(0) as f64 / h));
        match weight {
            Some(w) => Self::aggregate(t, spec.ranking_type, Some(&w)),
            None => Self::aggregate(t, spec.ranking_type, None),
        }
    }

    fn aggregate(
        t: &Transactions,
        ranking: RankingType,
        recency: Option<&dyn Fn(i64) -> f64>,
    ) -> Result<Self, LoadError> {
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
                let (mut acc, mut weighted) = (Acc::default(), Acc::default());
                while k < lines.len() && lines[k].0 == item {
                    let l = lines[k].1 as usize;
                    acc.add(t, l, 1.0);
                    if let Some(f) = recency {
                        weighted.add(t, l, f(t.timestamp[l]));
                    }
                    k += 1;
                }
                let Some(value) = acc.value(ranking) else {
                    continue;
                };
                // Which pairs exist never depends on the weights (a recent return must not
                // drop an old purchase): only how much a kept pair counts does.
                if ranking == RankingType::Rating || value > 0.0 {
                    let value = match recency {
                        Some(_) if ranking != RankingType::Rating => {
                            weighted.value(ranking).unwrap_or(value).max(1e-6)
                        }
                        _ => value,
                    };
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

    #[test]
    fn recency_weighting_halves_a_line_per_half_life_and_keeps_every_pair() {
        // a buys x today and 30 days ago, y 60 days ago; b bought y 60 days ago and
        // returned it today (net cancellations): kept unweighted, so kept weighted.
        let mut t = lines(&[
            ("a", "x", 1.0, 1.0),
            ("a", "x", 1.0, 1.0),
            ("a", "y", 1.0, 1.0),
            ("b", "y", 2.0, 1.0),
            ("b", "y", -1.0, 1.0),
        ]);
        let day = 86_400;
        t.timestamp = vec![60 * day, 30 * day, 0, 0, 60 * day];
        t.has.timestamp = true;
        let spec = |h: Option<f64>| InteractionSpec {
            ranking_type: RankingType::Quantity,
            recency_half_life_days: h,
            ..InteractionSpec::default()
        };
        let plain = Interactions::for_training(&t, &spec(None)).unwrap();
        let weighted = Interactions::for_training(&t, &spec(Some(30.0))).unwrap();
        assert_eq!(plain.users, weighted.users);
        assert_eq!(plain.user_items.indices(), weighted.user_items.indices());
        let a = plain.users.get("a").unwrap() as usize;
        let (x, y) = (plain.items.get("x").unwrap(), plain.items.get("y").unwrap());
        assert_eq!(plain.user_items.get(a, x), 2.0);
        assert!((weighted.user_items.get(a, x) - 1.5).abs() < 1e-6);
        assert!((weighted.user_items.get(a, y) - 0.25).abs() < 1e-6);
        // b: 2 × 0.25 − 1 < 0 weighted, yet the pair stays, barely counted.
        let b = plain.users.get("b").unwrap() as usize;
        assert_eq!(plain.user_items.get(b, y), 1.0);
        let kept = weighted.user_items.get(b, y);
        assert!(kept > 0.0 && kept < 1e-3, "{kept}");
    }
}
