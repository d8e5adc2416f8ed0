//! "Similar products": neighbours of one product in a model's item space.
//!
//! For ALS, similarity is the cosine between item factor vectors, so two products are
//! similar when the same kind of customer buys them, even if no one bought both. For
//! item-kNN it is the stored cosine of the products' buyer columns. For a factorization
//! machine it is the cosine between the products' folded interaction vectors `Q_i` (the
//! sum of their id's and side features' factors, see [`crate::models::fm::model`]): a
//! customer's affinity to a product is `<P_u, Q_i>`, so products with close directions
//! rank alike for every customer, as ALS item factors do. The folded bias slots are left
//! out: the product bias `b_i` is the same for every customer, a popularity term that
//! would make best-sellers look alike whatever they are.

use super::topk::{Reason, Scored, top_k};

use crate::models::TrainedModel;

/// The `k` products most similar to `item` (itself excluded), best first; `None` when the
/// model has no notion of item similarity (popularity).
pub fn similar_items(model: &TrainedModel, item: u32, k: usize) -> Option<Vec<Scored>> {
    let scores = model.model().similar_scores(item)?;
    let mut out = Vec::new();
    top_k(&scores, k, &[item], Reason::Model, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::AlsModel;
    use crate::models::als::AlsParams;
    use ndarray::array;

    #[test]
    fn cosine_neighbours_by_hand() {
        let model = TrainedModel::new(AlsModel {
            params: AlsParams::new(2),
            user_factors: array![[1.0, 0.0]],
            item_factors: array![[1.0, 0.0], [2.0, 0.1], [0.0, 1.0], [-1.0, 0.0]],
            history: Vec::new(),
        });
        let s = similar_items(&model, 0, 2).unwrap();
        assert_eq!(s.iter().map(|x| x.item).collect::<Vec<_>>(), [1, 2]);
        assert!((s[0].score - 2.0 / (4.01f32).sqrt()).abs() < 1e-6);
        assert!(
            similar_items(
                &TrainedModel::new(crate::models::PopularityModel { counts: vec![1.0] }),
                0,
                3
            )
            .is_none()
        );
    }

    #[test]
    fn fm_neighbours_come_from_the_products_own_block() {
        // Customers of block A buy only products 0..12, those of block B only 12..24.
        let (fm, _) = crate::models::fm::model::fold_in::planted_ranking_fm(true);
        let model = TrainedModel::new(fm);
        for (item, block) in [(0u32, 0..12u32), (5, 0..12), (13, 12..24), (23, 12..24)] {
            let s = similar_items(&model, item, 5).unwrap();
            assert_eq!(s.len(), 5);
            assert!(
                s.iter().all(|x| block.contains(&x.item) && x.item != item),
                "{item}: {s:?}"
            );
            assert!(s.windows(2).all(|w| w[0].score >= w[1].score));
            assert!(s.iter().all(|x| (-1.0..=1.0 + 1e-6).contains(&x.score)));
        }
        assert!(similar_items(&model, 99, 5).is_none(), "no such product");
    }
}
