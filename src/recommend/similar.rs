//! "Similar products": neighbours of one product in a model's item space.
//!
//! For ALS, similarity is the cosine between item factor vectors, so two products are
//! similar when the same kind of customer buys them, even if no one bought both. For
//! item-kNN it is the stored cosine of the products' buyer columns.

use super::topk::{Reason, Scored, top_k};
use crate::models::{AlsModel, TrainedModel};

/// The `k` products most similar to `item` (itself excluded), best first; `None` when the
/// model has no notion of item similarity (popularity).
pub fn similar_items(model: &TrainedModel, item: u32, k: usize) -> Option<Vec<Scored>> {
    let mut out = Vec::new();
    match model {
        TrainedModel::Als(m) => {
            let scores = cosine_to(m, item);
            top_k(&scores, k, &[item], Reason::Model, &mut out);
        }
        TrainedModel::ItemKnn(m) => {
            let mut scores = vec![f32::NAN; m.similarities.cols()];
            let (cols, sims) = m.similarities.row(item as usize);
            for (&j, &s) in cols.iter().zip(sims) {
                scores[j as usize] = s;
            }
            top_k(&scores, k, &[item], Reason::Model, &mut out);
        }
        TrainedModel::Popularity(_) | TrainedModel::Fm(_) => return None,
    }
    Some(out)
}

fn cosine_to(m: &AlsModel, item: u32) -> Vec<f32> {
    let y = &m.item_factors;
    let norms: Vec<f32> = y.rows().into_iter().map(|r| r.dot(&r).sqrt()).collect();
    let target = y.row(item as usize);
    let own = norms[item as usize].max(f32::MIN_POSITIVE);
    y.rows()
        .into_iter()
        .zip(&norms)
        .map(|(r, &n)| r.dot(&target) / (own * n.max(f32::MIN_POSITIVE)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::als::AlsParams;
    use ndarray::array;

    #[test]
    fn cosine_neighbours_by_hand() {
        let model = TrainedModel::Als(AlsModel {
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
                &TrainedModel::Popularity(crate::models::PopularityModel { counts: vec![1.0] }),
                0,
                3
            )
            .is_none()
        );
    }
}
