//! The feature space of a factorization machine: which features describe a customer and
//! which describe a product.
//!
//! Every training example is one (customer, product) pair, so its feature vector is the
//! customer's row (their id, plus side features such as age band or country) joined with
//! the product's row (its id, genres, price band). The two rows are kept apart, as
//! myFM's "relation blocks" do: the data never materialises one row per example, and the
//! split is what makes folding a model into one customer vector and one product vector
//! exact (see [`super::model`]).
//!
//! Features are grouped by where they come from (`user`, `age`, `item`, `class`…). A
//! group is *exclusive* when a row holds at most one of its features (ids, a categorical
//! column, a numeric band); Gibbs sampling updates an exclusive group's features in
//! parallel, because they never share an example.

use serde::{Deserialize, Serialize};

pub use crate::data::features::FeatureBlock;
use crate::data::{CsrMatrix, IdMap};

/// A named group of features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureGroup {
    pub name: String,
    /// First feature index of the group.
    pub start: u32,
    /// One past the last.
    pub end: u32,
    pub exclusive: bool,
    /// True for customer-side groups.
    pub user_side: bool,
}

/// Feature names and groups, and each customer's and product's feature row.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSpace {
    /// `group=value` per feature, e.g. `user=17850`, `age=25..35`, `item=85123A`.
    pub names: Vec<String>,
    pub groups: Vec<FeatureGroup>,
    /// Customers × features (customer-side features only).
    pub user_rows: CsrMatrix,
    /// Products × features (product-side features only).
    pub item_rows: CsrMatrix,
}

impl FeatureSpace {
    /// Ids only: customer `u` is feature `u`, product `i` is feature `n_users + i`.
    pub fn ids_only(users: &IdMap, items: &IdMap) -> Self {
        Self::new(users, items, &[], &[])
    }

    /// The id features followed by side blocks: customer ids, customer blocks, product
    /// ids, product blocks. Block rows must have one entry per customer (product).
    pub fn new(
        users: &IdMap,
        items: &IdMap,
        user_blocks: &[FeatureBlock],
        item_blocks: &[FeatureBlock],
    ) -> Self {
        let mut names = Vec::new();
        let mut groups = Vec::new();
        let mut side = |ids: &IdMap,
                        id_group: &str,
                        blocks: &[FeatureBlock],
                        user_side: bool,
                        names: &mut Vec<String>|
         -> (Vec<(u32, u32, f32)>, usize) {
            let first = names.len() as u32;
            let n = ids.len();
            let mut push_group = |name: &str, start: u32, end: u32, exclusive: bool| {
                groups.push(FeatureGroup {
                    name: name.to_owned(),
                    start,
                    end,
                    exclusive,
                    user_side,
                });
            };
            names.extend(ids.names().iter().map(|id| format!("{id_group}={id}")));
            push_group(id_group, first, names.len() as u32, true);
            let mut starts = Vec::with_capacity(blocks.len());
            for b in blocks {
                let start = names.len() as u32;
                starts.push(start);
                names.extend(b.values.iter().map(|v| format!("{}={v}", b.name)));
                push_group(&b.name, start, names.len() as u32, b.exclusive);
            }
            let mut triplets = Vec::with_capacity(n * (1 + blocks.len()));
            for r in 0..n {
                triplets.push((r as u32, first + r as u32, 1.0));
                for (b, &start) in blocks.iter().zip(&starts) {
                    if let Some(row) = b.rows.get(r) {
                        triplets.extend(row.iter().map(|&(v, x)| (r as u32, start + v, x)));
                    }
                }
            }
            (triplets, n)
        };
        let user_part = side(users, "user", user_blocks, true, &mut names);
        let item_part = side(items, "item", item_blocks, false, &mut names);
        let total = names.len();
        Self {
            names,
            groups,
            user_rows: CsrMatrix::from_triplets(user_part.1, total, &user_part.0),
            item_rows: CsrMatrix::from_triplets(item_part.1, total, &item_part.0),
        }
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there is no feature at all.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The group of feature `f`.
    pub fn group_of(&self, f: u32) -> Option<&FeatureGroup> {
        self.groups.iter().find(|g| g.start <= f && f < g.end)
    }

    /// Group index of every feature.
    pub fn group_index(&self) -> Vec<u16> {
        let mut out = vec![0u16; self.len()];
        for (gi, g) in self.groups.iter().enumerate() {
            for f in g.start..g.end {
                out[f as usize] = gi as u16;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_then_blocks_per_side() {
        let users = IdMap::from_names(["a", "b"]);
        let items = IdMap::from_names(["x", "y", "z"]);
        let genre = FeatureBlock {
            name: "genre".into(),
            values: vec!["Comedy".into(), "Drama".into()],
            rows: vec![vec![(0, 0.5), (1, 0.5)], vec![], vec![(1, 1.0)]],
            exclusive: false,
        };
        let s = FeatureSpace::new(&users, &items, &[], &[genre]);
        assert_eq!(
            s.names,
            [
                "user=a",
                "user=b",
                "item=x",
                "item=y",
                "item=z",
                "genre=Comedy",
                "genre=Drama"
            ]
        );
        assert_eq!(s.user_rows.row(1), (&[1u32][..], &[1.0f32][..]));
        assert_eq!(
            s.item_rows.row(0),
            (&[2u32, 5, 6][..], &[1.0f32, 0.5, 0.5][..])
        );
        assert_eq!(s.item_rows.cols(), 7);
        assert_eq!(s.group_of(6).map(|g| g.name.as_str()), Some("genre"));
        assert_eq!(s.group_index(), [0, 0, 1, 1, 1, 2, 2]);
        assert!(!s.groups[2].user_side && s.groups[0].user_side);
    }
}
