//! Top-k selection over dense score vectors.
//!
//! Selecting 10 of 4,000 products does not need a sort: a buffer of the best `k` kept in
//! order rejects most products with one comparison. Ties go to the lower product index,
//! so lists are deterministic.

use rayon::prelude::*;

use crate::data::CsrMatrix;
use crate::models::Recommender;
use crate::models::popularity::PopularityModel;

/// Why a product is in a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Ranked by the model.
    Model,
    /// Ranked by the model after a boost rule changed its score.
    Boosted,
    /// The customer's own product, ranked by the re-buy channel.
    Rebuy,
    /// Forced in by an include rule.
    Forced,
    /// The customer is unknown to the model: most popular products instead.
    PopularityFallback,
    /// The customer is unknown to the model: most popular in their segment (country).
    SegmentPopularity,
    /// The customer is unknown to the model: factors solved from their own purchases.
    FoldIn,
}

impl Reason {
    /// The name in files, tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Model => "model",
            Reason::Boosted => "boosted",
            Reason::Rebuy => "rebuy",
            Reason::Forced => "forced",
            Reason::PopularityFallback => "popularity_fallback",
            Reason::SegmentPopularity => "segment_popularity",
            Reason::FoldIn => "fold_in",
        }
    }
}

/// One recommended product.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scored {
    pub item: u32,
    pub score: f32,
    pub reason: Reason,
}

/// Above this share of the catalogue (k × `WIDE` ≥ products) a list is selected by a
/// partial sort of every candidate instead of the ordered buffer, whose inserts cost O(k)
/// each: a "whole catalogue" list would otherwise be quadratic.
const WIDE: usize = 8;

/// The best `k` entries of `scores`, skipping the sorted indices in `exclude`; best first.
///
/// `k` larger than the catalogue is the whole catalogue: nothing here allocates more than
/// `min(k, scores.len())` entries, so a careless `--top 1000000000` costs what the
/// catalogue does (see [`capped_top`] for the caller's warning).
pub fn top_k(scores: &[f32], k: usize, exclude: &[u32], reason: Reason, out: &mut Vec<Scored>) {
    out.clear();
    let k = k.min(scores.len());
    if k == 0 {
        return;
    }
    if k.saturating_mul(WIDE) >= scores.len() {
        top_k_wide(scores, k, exclude, reason, out);
        return;
    }
    out.reserve(k + 1);
    let mut ex = exclude.iter().peekable();
    for (i, &s) in scores.iter().enumerate() {
        let i = i as u32;
        while ex.peek().is_some_and(|&&e| e < i) {
            ex.next();
        }
        if ex.peek() == Some(&&i) || s.is_nan() {
            continue;
        }
        if out.len() == k {
            // Ties keep the earlier (lower-index) product already in the list.
            if s <= out[k - 1].score {
                continue;
            }
            out.pop();
        }
        let at = out.partition_point(|o| o.score >= s);
        out.insert(
            at,
            Scored {
                item: i,
                score: s,
                reason,
            },
        );
    }
}

/// [`top_k`] for a `k` close to the catalogue size: every candidate, partially sorted.
/// The order is the buffer's: higher score first, ties (0.0 and -0.0 included) to the
/// lower product index.
fn top_k_wide(scores: &[f32], k: usize, exclude: &[u32], reason: Reason, out: &mut Vec<Scored>) {
    let mut ex = exclude.iter().peekable();
    out.reserve(scores.len().saturating_sub(exclude.len()));
    for (i, &s) in scores.iter().enumerate() {
        let i = i as u32;
        while ex.peek().is_some_and(|&&e| e < i) {
            ex.next();
        }
        if ex.peek() == Some(&&i) || s.is_nan() {
            continue;
        }
        out.push(Scored {
            item: i,
            score: s,
            reason,
        });
    }
    let better = |a: &Scored, b: &Scored| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.item.cmp(&b.item))
    };
    if out.len() > k {
        out.select_nth_unstable_by(k, better);
        out.truncate(k);
    }
    out.sort_unstable_by(better);
    out.shrink_to(k);
}

/// `k` capped at a catalogue of `n_items` products, with the warning to show when the cap
/// applies (`flag` names the option, such as `--top`). Lists never hold more products
/// than the catalogue, so asking for more is not an error, only worth saying.
pub fn capped_top(flag: &str, k: usize, n_items: usize) -> (usize, Option<String>) {
    if k <= n_items {
        return (k, None);
    }
    (
        n_items,
        Some(format!(
            "{flag} {k} capped to {n_items}: the catalogue has {n_items} products"
        )),
    )
}

/// Top-`k` lists for `users` (indices into `train`'s rows), in parallel.
///
/// `exclude_seen` leaves out each customer's training products.
pub fn recommend_all(
    model: &dyn Recommender,
    train: &CsrMatrix,
    users: &[u32],
    k: usize,
    exclude_seen: bool,
) -> Vec<Vec<Scored>> {
    const BLOCK: usize = 64;
    let n_items = model.n_items();
    let blocks: Vec<Vec<Vec<Scored>>> = users
        .par_chunks(BLOCK)
        .map_init(
            || vec![0f32; BLOCK * n_items],
            |scores, block| {
                let scores = &mut scores[..block.len() * n_items];
                model.score_block(block, train, scores);
                block
                    .iter()
                    .zip(scores.chunks_exact(n_items))
                    .map(|(&u, row)| {
                        let mut out = Vec::new();
                        top_k(
                            row,
                            k,
                            if exclude_seen {
                                train.row(u as usize).0
                            } else {
                                &[]
                            },
                            Reason::Model,
                            &mut out,
                        );
                        out
                    })
                    .collect()
            },
        )
        .collect();
    blocks.into_iter().flatten().collect()
}

/// The popularity list given to customers a model has never seen.
pub fn fallback(popularity: &PopularityModel, k: usize) -> Vec<Scored> {
    let mut out = Vec::new();
    top_k(
        &popularity.counts,
        k,
        &[],
        Reason::PopularityFallback,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_sorted_without_excluded() {
        let scores = [0.1, 0.9, 0.5, 0.9, 0.3, 0.7];
        let mut out = Vec::new();
        top_k(&scores, 3, &[5], Reason::Model, &mut out);
        let items: Vec<u32> = out.iter().map(|s| s.item).collect();
        assert_eq!(
            items,
            [1, 3, 2],
            "ties keep the lower index first; 5 is excluded"
        );
        top_k(&scores, 0, &[], Reason::Model, &mut out);
        assert!(out.is_empty());
        top_k(&scores, 10, &[0, 1, 2, 3, 4, 5], Reason::Model, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_k_beyond_the_catalogue_allocates_only_the_catalogue() {
        let scores = [0.3, -0.0, 0.0, f32::NAN, 0.9];
        let mut out = Vec::new();
        // The old buffer reserved k + 1 entries up front: this aborted the process.
        top_k(&scores, usize::MAX - 1, &[4], Reason::Model, &mut out);
        let items: Vec<u32> = out.iter().map(|s| s.item).collect();
        assert_eq!(
            items,
            [0, 1, 2],
            "NaN and excluded products left out; 0.0 ties -0.0"
        );
        assert!(out.capacity() <= scores.len(), "{}", out.capacity());
        let (k, warning) = capped_top("--top", 1_000_000_000, 5);
        assert_eq!(k, 5);
        assert_eq!(
            warning.as_deref(),
            Some("--top 1000000000 capped to 5: the catalogue has 5 products")
        );
        assert_eq!(capped_top("--top", 3, 5), (3, None));
    }

    proptest::proptest! {
        #[test]
        fn matches_a_full_sort(scores in proptest::collection::vec(-10.0f32..10.0, 0..200), k in 0usize..20, ex in proptest::collection::btree_set(0u32..200, 0..30)) {
            let exclude: Vec<u32> = ex.into_iter().collect();
            let mut out = Vec::new();
            top_k(&scores, k, &exclude, Reason::Model, &mut out);
            let mut all: Vec<(u32, f32)> = scores.iter().enumerate().map(|(i, &s)| (i as u32, s)).filter(|(i, _)| !exclude.contains(i)).collect();
            all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            all.truncate(k);
            proptest::prop_assert!(out.len() <= k);
            proptest::prop_assert_eq!(out.iter().map(|s| (s.item, s.score)).collect::<Vec<_>>(), all);
        }
    }
}
