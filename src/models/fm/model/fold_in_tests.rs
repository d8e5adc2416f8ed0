//! Fold-in checked on a planted FM: new customers get their block's products.

use super::*;
use crate::data::IdMap;
use crate::models::fm::{FeatureBlock, FeatureSpace, FmParams, FmWeights};

fn block(name: &str, values: &[&str], rows: usize) -> FeatureBlock {
    FeatureBlock {
        name: name.into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        rows: (0..rows)
            .map(|r| vec![((r % values.len()) as u32, 1.0)])
            .collect(),
        exclusive: true,
    }
}

/// A hand-made model whose customers have a country and recency / frequency /
/// monetary bands.
fn banded_model() -> FmModel {
    let users = IdMap::from_names(["a", "b", "c"]);
    let items = IdMap::from_names(["x", "y"]);
    let user_blocks = [
        block("Country", &["France", "Spain"], 3),
        block(RECENCY, &["0..3", "4..30", "31..300"], 3),
        block(FREQUENCY, &["1..1", "2..9"], 3),
        block("monetary", &["0..10", "11..99"], 3),
    ];
    let space = FeatureSpace::new(&users, &items, &user_blocks, &[block("genre", &["g"], 2)]);
    let k = 3;
    let mut w = FmWeights::zeros(space.len(), k);
    w.w0 = 0.2;
    for (f, x) in w.w.iter_mut().enumerate() {
        *x = (f as f32 * 0.37).sin();
    }
    for (f, x) in w.v.iter_mut().enumerate() {
        *x = (f as f32 * 0.91).cos() * 0.5;
    }
    FmModel::from_parts(FmParams::new(k), space, vec![w], (0.0, 1.0), Vec::new())
}

fn feature_names(m: &FmModel, features: &[(u32, f32)]) -> Vec<String> {
    features
        .iter()
        .map(|&(f, _)| m.space.names[f as usize].clone())
        .collect()
}

#[test]
fn a_new_customer_has_their_segment_and_todays_recency_and_one_visit() {
    let m = banded_model();
    let facts = NewCustomerFacts {
        history: &[0],
        segment: Some(("country", "spain")),
    };
    assert_eq!(
        feature_names(&m, &m.new_customer_features(facts)),
        ["Country=Spain", "recency_days=0..3", "frequency=1..1"]
    );
    // No purchase yet: neither recency nor frequency is known.
    let no_history = NewCustomerFacts {
        history: &[],
        ..facts
    };
    assert_eq!(
        feature_names(&m, &m.new_customer_features(no_history)),
        ["Country=Spain"]
    );
    // A segment of a column the model has no group for, or an unseen value: left out.
    for segment in [("Region", "Spain"), ("Country", "Peru")] {
        let facts = NewCustomerFacts {
            history: &[],
            segment: Some(segment),
        };
        assert!(m.new_customer_features(facts).is_empty(), "{segment:?}");
        assert_eq!(m.fold_in(facts, None), None);
    }
}

#[test]
fn folded_features_score_as_the_full_model_without_the_id() {
    let m = banded_model();
    let facts = NewCustomerFacts {
        history: &[1],
        segment: Some(("Country", "France")),
    };
    let features = m.new_customer_features(facts);
    let (cols, xs): (Vec<u32>, Vec<f32>) = features.into_iter().unzip();
    let row = m.fold_in(facts, None).unwrap();
    let mut scores = [0f32; 2];
    m.score_folded(&row, &mut scores);
    let mut sum = [0f32; 3];
    for (i, &s) in scores.iter().enumerate() {
        let full = m.samples[0].score((&cols, &xs), m.space.item_rows.row(i), &mut sum);
        approx::assert_abs_diff_eq!(s, full, epsilon = 1e-5);
    }
}

#[test]
fn the_solved_id_ranks_the_customers_block_first() {
    let (m, _) = planted_ranking_fm(false);
    let prior = m.fold_in_prior().expect("a ranking model solves ids");
    let history = [0u32, 1, 2];
    let facts = NewCustomerFacts {
        history: &history,
        segment: None,
    };
    // Nothing known but the purchases: without the solve there is nothing to fold.
    assert_eq!(m.fold_in(facts, None), None);
    let row = m.fold_in(facts, Some(&prior)).unwrap();
    let mut scores = vec![0f32; 24];
    m.score_folded(&row, &mut scores);
    let mut unseen: Vec<usize> = (3..24).collect();
    unseen.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    assert!(unseen[..6].iter().all(|&i| i < 12), "{unseen:?} {scores:?}");
    // Block B's purchases give block B.
    let history = [12u32, 13, 14];
    let row = m
        .fold_in(
            NewCustomerFacts {
                history: &history,
                segment: None,
            },
            Some(&prior),
        )
        .unwrap();
    m.score_folded(&row, &mut scores);
    let best = (0..24)
        .filter(|i| !history.contains(&(*i as u32)))
        .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
        .unwrap();
    assert!(best >= 12, "{scores:?}");
}

#[test]
fn a_new_customers_terms_add_up_to_their_folded_score() {
    let (m, _) = planted_ranking_fm(true);
    let prior = m.fold_in_prior().expect("a ranking model solves ids");
    let history = [0u32, 1, 2];
    let mut scores = vec![0f32; 24];
    for (facts, prior) in [
        (
            NewCustomerFacts {
                history: &history,
                segment: Some(("Country", "France")),
            },
            Some(&prior),
        ),
        (
            NewCustomerFacts {
                history: &[],
                segment: Some(("Country", "Spain")),
            },
            Some(&prior),
        ),
        (
            NewCustomerFacts {
                history: &history,
                segment: None,
            },
            Some(&prior),
        ),
    ] {
        let row = m.fold_in(facts, prior).unwrap();
        m.score_folded(&row, &mut scores);
        for item in [0u32, 5, 13, 23] {
            let terms = m.new_customer_terms(facts, prior, item).unwrap();
            let sum: f32 = terms.iter().map(|t| t.value).sum();
            let want = scores[item as usize];
            assert!(
                (sum - want).abs() < 1e-4,
                "{facts:?} item {item}: {sum} vs {want}"
            );
            let solved = terms.iter().any(|t| t.label.starts_with("purchases"));
            assert_eq!(solved, !facts.history.is_empty(), "{terms:?}");
        }
    }
    // Nothing known: nothing to explain.
    let nothing = NewCustomerFacts::default();
    assert!(m.new_customer_terms(nothing, Some(&prior), 0).is_none());
}

#[test]
fn regressors_and_mcmc_fold_features_only() {
    let m = banded_model();
    let regressor = FmModel::from_parts(
        FmParams::new(3).predictor_type(PredictorType::Regressor),
        m.space.clone(),
        m.samples.clone(),
        (0.0, 1.0),
        Vec::new(),
    );
    assert!(regressor.fold_in_prior().is_none());
    let two_samples = FmModel::from_parts(
        m.params.clone(),
        m.space.clone(),
        vec![m.samples[0].clone(), m.samples[0].clone()],
        (0.0, 1.0),
        Vec::new(),
    );
    assert!(two_samples.fold_in_prior().is_none());
    assert!(m.fold_in_prior().is_some());
}

#[test]
fn derived_group_names_match_the_rfm_blocks() {
    use crate::data::Transactions;
    use crate::data::transactions::PresentColumns;
    let t = Transactions {
        users: IdMap::from_names(["a", "b"]),
        items: IdMap::from_names(["x"]),
        user: vec![0, 1],
        item: vec![0, 0],
        timestamp: vec![0, 86_400],
        quantity: vec![1.0, 2.0],
        price: vec![1.0, 1.0],
        invoice: vec![u32::MAX; 2],
        has: PresentColumns {
            timestamp: true,
            ..PresentColumns::default()
        },
        ..Transactions::default()
    };
    let names: Vec<String> = crate::data::features::rfm_blocks(&t, &t.users, 2)
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert!(names.iter().any(|n| n == RECENCY), "{names:?}");
    assert!(names.iter().any(|n| n == FREQUENCY), "{names:?}");
}

pub(crate) fn planted_ranking_fm(country: bool) -> (FmModel, crate::data::CsrMatrix) {
    use crate::data::IdMap;
    use crate::models::fm::{FeatureBlock, FeatureSpace, FmParams};
    let n = 24usize;
    let mut t = Vec::new();
    for u in 0..n {
        for i in 0..n {
            if (u < n / 2) == (i < n / 2) && (u * 7 + i * 3) % 4 != 0 {
                t.push((u as u32, i as u32, 1.0));
            }
        }
    }
    let m = crate::data::CsrMatrix::from_triplets(n, n, &t);
    let users = IdMap::from_names((0..n).map(|k| format!("c{k}")));
    let items = IdMap::from_names((0..n).map(|k| format!("p{k}")));
    let blocks = if country {
        vec![FeatureBlock {
            name: "Country".into(),
            values: vec!["France".into(), "Spain".into()],
            rows: (0..n).map(|u| vec![(u32::from(u >= n / 2), 1.0)]).collect(),
            exclusive: true,
        }]
    } else {
        Vec::new()
    };
    let space = FeatureSpace::new(&users, &items, &blocks, &[]);
    let params = FmParams::new(4)
        .predictor_type(PredictorType::Ranking)
        .epochs(30)
        .mini_batch_size(32)
        .learning_rates(0.1, 0.1, 0.1)
        .factors_init_sigma(0.1)
        .validation_fraction(0.0)
        .check()
        .expect("valid test parameters");
    let model = FmModel::fit(&params, space, &m, &mut |_| {
        std::ops::ControlFlow::Continue(())
    })
    .expect("planted data fits");
    (model, m)
}
