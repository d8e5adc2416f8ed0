//! Scores for a customer the model never saw, by the rules' cold-start policy.
//!
//! `fold-in` asks the model itself: ALS solves the customer's factors from their purchases
//! against the trained product factors (implicit's `recalculate_user`), item-kNN sums the
//! similarities of what they bought, and an FM folds what is known of them (their segment,
//! recency and frequency, an id factor solved from their purchases; see
//! [`crate::models::fm::model::fold_in`]). Whatever a policy cannot use falls back to
//! overall popularity, so a new customer always gets a list.

use super::{ColdStartPolicy, Engine, Reason};
use crate::models::NewCustomerFacts;

impl Engine<'_> {
    /// Writes the scores of a new customer with `history` (sorted product indices) and
    /// `segment`, and says where they came from.
    pub(super) fn cold(&self, history: &[u32], segment: Option<u32>, scores: &mut [f32]) -> Reason {
        let reason = match self.cold_start {
            ColdStartPolicy::FoldIn => self.fold_in(history, segment, scores),
            ColdStartPolicy::SegmentPopularity => self.segment_popularity(segment, scores),
            ColdStartPolicy::Popularity => None,
        };
        reason.unwrap_or_else(|| {
            scores.copy_from_slice(&self.view.popularity.counts);
            Reason::PopularityFallback
        })
    }

    fn fold_in(&self, history: &[u32], segment: Option<u32>, scores: &mut [f32]) -> Option<Reason> {
        let facts = self.new_customer_facts(history, segment);
        self.view
            .model
            .model()
            .fold_in(&self.prepared, facts, scores)
            .then_some(Reason::FoldIn)
    }

    /// What a model can know of a new customer: their purchases and their segment by name.
    pub(super) fn new_customer_facts<'a>(
        &'a self,
        history: &'a [u32],
        segment: Option<u32>,
    ) -> NewCustomerFacts<'a> {
        let catalog = self.view.catalog;
        let segment = segment
            .and_then(|s| catalog.segments.get(s as usize))
            .map(|name| (catalog.segment_column.as_str(), name.as_str()));
        NewCustomerFacts { history, segment }
    }

    fn segment_popularity(&self, segment: Option<u32>, scores: &mut [f32]) -> Option<Reason> {
        let popular = &self.view.popularity.counts;
        let counts = self.segment_buyers.as_ref()?;
        let n = popular.len();
        let s = segment? as usize;
        let row = counts.get(s * n..(s + 1) * n)?;
        if !row.iter().any(|&c| c > 0.0) {
            return None;
        }
        // Ties within the segment go to the overall favourite.
        let top = popular.iter().copied().fold(0f32, f32::max) + 1.0;
        for ((o, &c), &p) in scores.iter_mut().zip(row).zip(popular) {
            *o = c + p / top;
        }
        Some(Reason::SegmentPopularity)
    }
}

#[cfg(test)]
mod tests {
    use crate::data::IdMap;
    use crate::models::fm::model::fold_in::planted_ranking_fm;
    use crate::models::{PopularityModel, TrainedModel};
    use crate::recommend::{
        Catalog, ColdStartPolicy, Customer, Engine, Overrides, Reason, RunView,
    };

    #[test]
    fn an_fm_folds_new_customers_in_from_segment_and_purchases() {
        let (fm, train) = planted_ranking_fm(true);
        let model = TrainedModel::new(fm);
        let users = IdMap::from_names((0..24).map(|k| format!("c{k}")));
        let items = IdMap::from_names((0..24).map(|k| format!("p{k}")));
        let descriptions = vec![String::new(); 24];
        // Block B is the more popular, so popularity alone would offer it.
        let mut popularity = PopularityModel::fit(&train);
        for c in &mut popularity.counts[12..] {
            *c += 100.0;
        }
        let catalog = Catalog {
            segment_column: "Country".into(),
            segments: vec!["France".into(), "Spain".into()],
            ..Catalog::default()
        };
        let view = RunView {
            model: &model,
            train: &train,
            users: &users,
            items: &items,
            descriptions: &descriptions,
            popularity: &popularity,
            catalog: &catalog,
        };
        let rules = |cold_start| Overrides {
            cold_start,
            ..Overrides::default()
        };
        let fold_in = Engine::new(view, &rules(ColdStartPolicy::FoldIn));
        let mut scratch = Vec::new();
        for (history, segment) in [(&[0u32, 1][..], None), (&[][..], Some(0))] {
            let list = fold_in.recommend(Customer::New { history, segment }, 5, &mut scratch);
            assert_eq!(list.len(), 5);
            assert!(
                list.iter()
                    .all(|s| s.item < 12 && s.reason == Reason::FoldIn),
                "{history:?} {segment:?}: {list:?}"
            );
            // The list is explained by the same folded terms it was ranked by.
            let why = fold_in
                .explain(Customer::New { history, segment }, list[0].item, 50)
                .expect("an FM explains a new customer");
            assert_eq!(why.method, "fm-terms");
            assert!((why.score - list[0].score).abs() < 1e-4, "{why:?} {list:?}");
        }
        // Nothing known: popularity.
        let list = fold_in.recommend(
            Customer::New {
                history: &[],
                segment: None,
            },
            3,
            &mut scratch,
        );
        assert!(list.iter().all(|s| s.reason == Reason::PopularityFallback));
        let popular = Engine::new(view, &rules(ColdStartPolicy::Popularity));
        let list = popular.recommend(
            Customer::New {
                history: &[0, 1],
                segment: Some(0),
            },
            3,
            &mut scratch,
        );
        assert!(
            list.iter()
                .all(|s| s.item >= 12 && s.reason == Reason::PopularityFallback)
        );
    }
}
