//! Item-item k-nearest-neighbours: "customers who bought this also bought".
//!
//! Similarity is the cosine between two products' columns of the interaction matrix, or,
//! as in the Python library `implicit`, the dot product of the columns re-weighted like
//! words in documents: TF-IDF (a purchase's weight grows with its square root and with
//! how few products its customer buys) or BM25 (the same with the value saturating, `k1`
//! 100, and long product columns damped, `b` 0.8). Each product keeps its `neighbours`
//! most similar products. A customer's score for a product is the sum of its
//! similarities to the products in the customer's history, weighted by the history's
//! values.
//!
//! The scoring, saving and explaining here serve every item-neighbourhood model: RP3beta
//! ([`super::rp3beta`]) builds the same kind of matrix with other weights.

use rayon::prelude::*;

use super::arrays::{ArrayError, ArrayReader, ArrayWriter};
use super::hyper::{ParamsError, RawValue, Setting, check_range};
use super::model::{Model, ModelExplanation, NewCustomerFacts, Prepared, Subject};
use super::tuning::{Dimension, Range};
use super::{ModelKind, Recommender};
use crate::data::CsrMatrix;

/// What the Tune form offers of item-kNN.
pub const SETTINGS: &[Setting] = &[
    Setting::text(
        "neighbours",
        "neighbours",
        "similar products kept per product, 1..=100000; fewer is faster and more specific",
    ),
    Setting::choice(
        "weighting",
        "weighting",
        "cosine; tfidf or bm25 weigh purchases like words (implicit's TFIDF/BM25Recommender)",
        WEIGHTINGS,
    ),
];

/// Where `latent tune` moves item-kNN.
pub const SEARCH: &[Dimension] = &[
    Dimension::new("neighbours", Range::LogInt(5, 1000)),
    Dimension::new("weighting", Range::Choice(WEIGHTINGS)),
];

const WEIGHTINGS: &[&str] = &["cosine", "tfidf", "bm25"];

/// How item-kNN weighs purchases before comparing products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    Cosine,
    TfIdf,
    Bm25,
}

/// Item-kNN's settings, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnnParams {
    pub neighbours: usize,
    pub weighting: Weighting,
}

impl Default for KnnParams {
    fn default() -> Self {
        Self {
            neighbours: ItemKnnModel::DEFAULT_NEIGHBOURS,
            weighting: Weighting::Cosine,
        }
    }
}

impl KnnParams {
    const KEYS: [&'static str; 2] = ["neighbours", "weighting"];

    /// The defaults with `overrides` applied and checked.
    pub fn parse(overrides: &[(String, RawValue)]) -> Result<Self, ParamsError> {
        let mut p = Self::default();
        for (key, value) in overrides {
            match key.as_str() {
                "neighbours" | "neighbors" | "k" => {
                    p.neighbours = check_range(key, value.as_usize(key)?, 1, 100_000)?;
                }
                "weighting" => {
                    p.weighting = match value.as_text().trim().to_ascii_lowercase().as_str() {
                        "cosine" => Weighting::Cosine,
                        "tfidf" | "tf-idf" => Weighting::TfIdf,
                        "bm25" => Weighting::Bm25,
                        _ => {
                            return Err(ParamsError::BadValue {
                                key: key.clone(),
                                value: value.as_text(),
                                expected: "cosine, tfidf or bm25",
                            });
                        }
                    };
                }
                other => return Err(ParamsError::unknown_key("item-knn", other, &Self::KEYS)),
            }
        }
        Ok(p)
    }

    /// The settings as canonical text, as `run.toml` keeps them.
    pub fn to_strings(self) -> std::collections::BTreeMap<&'static str, String> {
        let weighting = match self.weighting {
            Weighting::Cosine => "cosine",
            Weighting::TfIdf => "tfidf",
            Weighting::Bm25 => "bm25",
        };
        [
            ("neighbours", self.neighbours.to_string()),
            ("weighting", weighting.to_owned()),
        ]
        .into()
    }
}

/// Sparse top-N item similarities.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemKnnModel {
    /// Items × items, row `i` holding `i`'s nearest neighbours and their weight (the
    /// cosine for item-kNN).
    pub similarities: CsrMatrix,
    /// Which neighbourhood model made the weights.
    kind: ModelKind,
    /// True when a purchase counts by its value (quantity, rating), false when it counts
    /// once.
    weighted: bool,
}

impl ItemKnnModel {
    /// Default number of neighbours kept per product.
    pub const DEFAULT_NEIGHBOURS: usize = 100;

    /// Computes neighbours from `user_items` and its transpose `item_users`, weighted as
    /// `p` says.
    pub fn fit_with(user_items: &CsrMatrix, item_users: &CsrMatrix, p: KnnParams) -> Self {
        let weight = match p.weighting {
            Weighting::Cosine => return Self::fit(user_items, item_users, p.neighbours),
            Weighting::TfIdf => DocWeight::tfidf(user_items, item_users),
            Weighting::Bm25 => DocWeight::bm25(user_items, item_users, 100.0, 0.8),
        };
        let rows = neighbour_rows(
            user_items,
            item_users,
            p.neighbours,
            |i, u, j, v, w| weight.of(i, u, v) * weight.of(j as usize, u, w),
            |_, _, dot| dot,
        );
        Self::from_rows(ModelKind::ItemKnn, item_users.rows(), rows)
    }

    /// Computes cosine neighbours from `user_items` and its transpose `item_users`.
    pub fn fit(user_items: &CsrMatrix, item_users: &CsrMatrix, neighbours: usize) -> Self {
        let n_items = item_users.rows();
        let norms: Vec<f32> = (0..n_items)
            .map(|i| {
                item_users
                    .row(i)
                    .1
                    .iter()
                    .map(|v| v * v)
                    .sum::<f32>()
                    .sqrt()
            })
            .collect();
        let rows = neighbour_rows(
            user_items,
            item_users,
            neighbours,
            |_, _, _, v, w| v * w,
            |i, j, dot| dot / (norms[i] * norms[j as usize]).max(f32::MIN_POSITIVE),
        );
        Self::from_rows(ModelKind::ItemKnn, n_items, rows)
    }

    /// A neighbourhood model of `kind` from each product's `(neighbour, weight)` row,
    /// sorted by neighbour.
    pub fn from_rows(kind: ModelKind, n_items: usize, rows: Vec<Vec<(u32, f32)>>) -> Self {
        let mut triplets = Vec::with_capacity(rows.iter().map(Vec::len).sum());
        for (i, row) in rows.into_iter().enumerate() {
            triplets.extend(row.into_iter().map(|(j, s)| (i as u32, j, s)));
        }
        Self {
            similarities: CsrMatrix::from_triplets(n_items, n_items, &triplets),
            kind,
            weighted: weighs_values(kind),
        }
    }

    /// How much a purchase of value `v` counts.
    fn weight(&self, v: f32) -> f32 {
        if self.weighted { v } else { 1.0 }
    }
}

/// Each product's neighbour row, for every neighbourhood model: for product `i`, the sum
/// over its buyers `u` of `step(i, u, j, v, w)` (`v` the buyer's value for `i`, `w` their
/// value for product `j`) for every other product `j` they bought, then `finish(i, j, sum)`;
/// the `keep` highest kept, sorted by product. Rows are computed in parallel.
pub(crate) fn neighbour_rows(
    user_items: &CsrMatrix,
    item_users: &CsrMatrix,
    keep: usize,
    step: impl Fn(usize, u32, u32, f32, f32) -> f32 + Sync,
    finish: impl Fn(usize, u32, f32) -> f32 + Sync,
) -> Vec<Vec<(u32, f32)>> {
    let n_items = item_users.rows();
    (0..n_items)
        .into_par_iter()
        .map_init(
            || (vec![0f32; n_items], Vec::<u32>::new()),
            |(acc, touched), i| {
                let (users, vals) = item_users.row(i);
                for (&u, &v) in users.iter().zip(vals) {
                    let (items, uvals) = user_items.row(u as usize);
                    for (&j, &w) in items.iter().zip(uvals) {
                        if j as usize != i {
                            if acc[j as usize] == 0.0 {
                                touched.push(j);
                            }
                            acc[j as usize] += step(i, u, j, v, w);
                        }
                    }
                }
                let mut row: Vec<(u32, f32)> = touched
                    .iter()
                    .map(|&j| (j, finish(i, j, acc[j as usize])))
                    .collect();
                for &j in touched.iter() {
                    acc[j as usize] = 0.0;
                }
                touched.clear();
                row.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                row.truncate(keep);
                row.sort_by_key(|&(j, _)| j);
                row
            },
        )
        .collect()
}

/// A purchase's weight as a word's in a document: the product's column is the document,
/// its buyers the words, and a buyer of few products says more about a product than one
/// who buys everything.
struct DocWeight {
    /// Per customer: `ln(products) − ln(1 + products the customer bought)`.
    idf: Vec<f32>,
    /// Per product: BM25's length damping `k1 · (1 − b + b · length / mean length)`; empty
    /// for TF-IDF.
    damping: Vec<f32>,
    k1: f32,
}

impl DocWeight {
    fn idf(user_items: &CsrMatrix, item_users: &CsrMatrix) -> Vec<f32> {
        let n = (item_users.rows().max(1) as f32).ln();
        (0..user_items.rows())
            .map(|u| n - (user_items.row_nnz(u) as f32).ln_1p())
            .collect()
    }

    fn tfidf(user_items: &CsrMatrix, item_users: &CsrMatrix) -> Self {
        Self {
            idf: Self::idf(user_items, item_users),
            damping: Vec::new(),
            k1: 0.0,
        }
    }

    fn bm25(user_items: &CsrMatrix, item_users: &CsrMatrix, k1: f32, b: f32) -> Self {
        let lengths: Vec<f32> = (0..item_users.rows())
            .map(|i| item_users.row(i).1.iter().sum())
            .collect();
        let mean =
            (lengths.iter().sum::<f32>() / lengths.len().max(1) as f32).max(f32::MIN_POSITIVE);
        Self {
            idf: Self::idf(user_items, item_users),
            damping: lengths
                .iter()
                .map(|l| k1 * (1.0 - b + b * l / mean))
                .collect(),
            k1,
        }
    }

    /// The weight of customer `u`'s value `v` in product `i`'s column.
    fn of(&self, i: usize, u: u32, v: f32) -> f32 {
        let tf = if self.damping.is_empty() {
            v.max(0.0).sqrt()
        } else {
            v * (self.k1 + 1.0) / (self.damping[i] + v)
        };
        tf * self.idf[u as usize]
    }
}

impl Recommender for ItemKnnModel {
    fn kind(&self) -> ModelKind {
        self.kind
    }

    fn n_items(&self) -> usize {
        self.similarities.rows()
    }

    fn score_user(&self, _user: u32, history: (&[u32], &[f32]), scores: &mut [f32]) {
        scores.fill(0.0);
        for (&i, &v) in history.0.iter().zip(history.1) {
            let (neigh, sims) = self.similarities.row(i as usize);
            let v = self.weight(v);
            for (&j, &s) in neigh.iter().zip(sims) {
                scores[j as usize] += v * s;
            }
        }
    }
}

impl ItemKnnModel {
    /// Reads the weights [`Model::save`] wrote for a model of `kind`.
    pub fn load(
        kind: ModelKind,
        items: usize,
        arrays: &dyn ArrayReader,
    ) -> Result<Self, ArrayError> {
        Ok(Self {
            similarities: arrays.csr(SIMILARITIES, items, items)?,
            kind,
            weighted: weighs_values(kind),
        })
    }

    /// Each purchase's share of `item`'s score (value × similarity), in history order.
    fn shares(&self, history: (&[u32], &[f32]), item: u32) -> Vec<(u32, f32)> {
        history
            .0
            .iter()
            .zip(history.1)
            .map(|(&j, &v)| {
                let (neigh, sims) = self.similarities.row(j as usize);
                let s = neigh.binary_search(&item).map_or(0.0, |p| sims[p]);
                (j, self.weight(v) * s)
            })
            .collect()
    }
}

const SIMILARITIES: &str = "knn";

/// Item-kNN counts a purchase by its value, as its cosine does; RP3beta's walk counts it
/// once.
fn weighs_values(kind: ModelKind) -> bool {
    kind.reads_values()
}

impl Model for ItemKnnModel {
    fn save(&self, out: &mut dyn ArrayWriter) -> std::io::Result<()> {
        out.csr(SIMILARITIES, &self.similarities)
    }

    fn predict_pair(
        &self,
        user: Option<u32>,
        item: Option<u32>,
        history: (&[u32], &[f32]),
    ) -> Option<f32> {
        user?;
        let item = item?;
        Some(self.shares(history, item).iter().map(|s| s.1).sum())
    }

    fn similar_scores(&self, item: u32) -> Option<Vec<f32>> {
        if item as usize >= self.similarities.rows() {
            return None;
        }
        let mut scores = vec![f32::NAN; self.similarities.cols()];
        let (cols, sims) = self.similarities.row(item as usize);
        for (&j, &s) in cols.iter().zip(sims) {
            scores[j as usize] = s;
        }
        Some(scores)
    }

    /// A new customer's score sums over their purchases as a known customer's does.
    fn fold_in(&self, _: &Prepared, facts: NewCustomerFacts<'_>, scores: &mut [f32]) -> bool {
        if facts.history.is_empty() {
            return false;
        }
        let ones = vec![1.0f32; facts.history.len()];
        self.score_user(0, (facts.history, &ones), scores);
        true
    }

    fn explain(&self, _: &Prepared, who: Subject<'_>, item: u32) -> Option<ModelExplanation> {
        let (cols, vals) = who.purchases();
        if cols.is_empty() {
            return None;
        }
        let mut parts = self.shares((&cols, &vals), item);
        parts.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let score = parts.iter().map(|p| p.1).sum();
        Some(ModelExplanation {
            score,
            parts,
            terms: Vec::new(),
            method: self.kind.name(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn cosine_by_hand() {
        // Items 0 and 1 share both buyers; item 2 shares one buyer with each.
        let ui = CsrMatrix::from_triplets(
            2,
            3,
            &[
                (0, 0, 1.0),
                (0, 1, 1.0),
                (1, 0, 1.0),
                (1, 1, 1.0),
                (1, 2, 1.0),
            ],
        );
        let m = ItemKnnModel::fit(&ui, &ui.transpose(), 10);
        assert_abs_diff_eq!(m.similarities.get(0, 1), 1.0, epsilon = 1e-6);
        assert_abs_diff_eq!(m.similarities.get(0, 2), 1.0 / 2f32.sqrt(), epsilon = 1e-6);
        assert_eq!(m.similarities.get(0, 0), 0.0, "no self-similarity");
        let mut scores = vec![0.0; 3];
        m.score_user(0, (&[0], &[1.0]), &mut scores);
        assert!(scores[1] > scores[2]);
        let one = ItemKnnModel::fit(&ui, &ui.transpose(), 1);
        assert_eq!(one.similarities.row_nnz(0), 1);
    }

    #[test]
    fn tfidf_and_bm25_by_hand_and_a_selective_buyer_counts_more() {
        // Customer 0 buys products 0 and 1; customer 1 buys all four.
        let ui = CsrMatrix::from_triplets(
            2,
            4,
            &[
                (0, 0, 1.0),
                (0, 1, 1.0),
                (1, 0, 1.0),
                (1, 1, 1.0),
                (1, 2, 1.0),
                (1, 3, 1.0),
            ],
        );
        let fit = |weighting| {
            ItemKnnModel::fit_with(
                &ui,
                &ui.transpose(),
                KnnParams {
                    neighbours: 10,
                    weighting,
                },
            )
        };
        let tfidf = fit(Weighting::TfIdf);
        // idf: ln 4 − ln 3 for the selective buyer, ln 4 − ln 5 for the one who buys all.
        let (a, b) = (4f32.ln() - 3f32.ln(), 4f32.ln() - 5f32.ln());
        assert_abs_diff_eq!(tfidf.similarities.get(0, 1), a * a + b * b, epsilon = 1e-6);
        assert_abs_diff_eq!(tfidf.similarities.get(0, 2), b * b, epsilon = 1e-6);
        let bm25 = fit(Weighting::Bm25);
        assert!(bm25.similarities.get(0, 1) > bm25.similarities.get(0, 2));
        assert_eq!(bm25.kind(), ModelKind::ItemKnn);
        let set = |k: &str, v: &str| KnnParams::parse(&[(k.into(), RawValue::Text(v.into()))]);
        assert_eq!(set("weighting", "BM25").unwrap().weighting, Weighting::Bm25);
        let bad = set("weighting", "okapi").unwrap_err().to_string();
        assert!(bad.contains("'okapi'") && bad.contains("bm25"), "{bad}");
        let typo = set("weightng", "bm25").unwrap_err().to_string();
        assert!(typo.contains("did you mean 'weighting'"), "{typo}");
    }
}
