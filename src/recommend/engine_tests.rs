use super::*;
use crate::models::als::{AlsParams, SolverKind};
use crate::models::{AlsModel, ItemKnnModel};
use crate::recommend::rules::{BoostRule, IncludeRule, PopularCut};

/// Six products whose popularity is 6, 5, 4, 3, 2, 1 buyers; customer 0 bought product 5.
struct Fixture {
    model: TrainedModel,
    train: CsrMatrix,
    users: IdMap,
    items: IdMap,
    descriptions: Vec<String>,
    popularity: PopularityModel,
    catalog: Catalog,
}

impl Fixture {
    fn new() -> Self {
        let mut triplets = Vec::new();
        for item in 0..6u32 {
            for user in 0..(6 - item) {
                triplets.push((user, item, 1.0));
            }
        }
        let train = CsrMatrix::from_triplets(6, 6, &triplets);
        let popularity = PopularityModel::fit(&train);
        Self {
            model: TrainedModel::new(popularity.clone()),
            users: IdMap::from_names((0..6).map(|u| format!("u{u}"))),
            items: IdMap::from_names(["A", "B", "C", "D", "E", "F"]),
            descriptions: [
                "RED PAPER CHAIN",
                "POSTAGE",
                "RED HEART",
                "CHRISTMAS STAR",
                "BLUE HEART",
                "NEW MUG",
            ]
            .map(String::from)
            .to_vec(),
            catalog: Catalog {
                segment_column: "Country".into(),
                segments: vec!["France".into(), "Spain".into()],
                user_segment: vec![0, 0, 1, 1, 1, 1],
                first_sale: vec![0, 0, 0, 0, 0, 90 * 86_400],
                last_sale: vec![
                    100 * 86_400,
                    100 * 86_400,
                    10 * 86_400,
                    100 * 86_400,
                    100 * 86_400,
                    100 * 86_400,
                ],
                reference_time: Some(100 * 86_400),
            },
            train,
            popularity,
        }
    }

    fn view(&self) -> RunView<'_> {
        RunView {
            model: &self.model,
            train: &self.train,
            users: &self.users,
            items: &self.items,
            descriptions: &self.descriptions,
            popularity: &self.popularity,
            catalog: &self.catalog,
        }
    }

    /// Ids and reasons of the list for customer `user` (a customer who bought nothing
    /// but "F" is `u5`).
    fn list(&self, rules: &Overrides, user: u32, k: usize) -> Vec<(String, Reason)> {
        let engine = Engine::new(self.view(), rules);
        engine
            .recommend(Customer::Known(user), k, &mut Vec::new())
            .into_iter()
            .map(|s| (self.items.name(s.item).to_owned(), s.reason))
            .collect()
    }
}

fn ids(list: &[(String, Reason)]) -> Vec<&str> {
    list.iter().map(|(id, _)| id.as_str()).collect()
}

#[test]
fn default_rules_rank_and_leave_out_purchases() {
    let f = Fixture::new();
    // u5 bought only A (every user bought A).
    assert_eq!(ids(&f.list(&Overrides::default(), 5, 3)), ["B", "C", "D"]);
    let keep = Overrides {
        exclude_seen: false,
        ..Overrides::default()
    };
    assert_eq!(ids(&f.list(&keep, 5, 2)), ["A", "B"]);
}

#[test]
fn exclusions_popular_listed_matching_and_stale() {
    let f = Fixture::new();
    let rules = Overrides {
        exclude_popular: Some(PopularCut::Top(2)),
        exclude_items: vec!["D".into()],
        exclude_matching: vec!["blue heart".into()],
        exclude_stale_days: Some(30),
        ..Overrides::default()
    };
    // A, B popular; C stale (last sold day 10 of 100); D listed; E matches.
    assert_eq!(ids(&f.list(&rules, 5, 5)), ["F"]);
    let engine = Engine::new(f.view(), &rules);
    assert_eq!(engine.candidates(), 1);
    assert!(engine.warnings.is_empty(), "{:?}", engine.warnings);
}

#[test]
fn includes_at_slots_at_the_end_and_by_segment() {
    let f = Fixture::new();
    let rules = Overrides {
        include: vec![
            IncludeRule {
                items: vec!["F".into()],
                slot: Some(1),
                ..IncludeRule::default()
            },
            IncludeRule {
                items: vec!["E".into()],
                ..IncludeRule::default()
            },
            IncludeRule {
                items: vec!["D".into()],
                slot: Some(2),
                segment: Some("spain".into()),
                ..IncludeRule::default()
            },
        ],
        ..Overrides::default()
    };
    // u5 is in Spain: F first, D second, E last, model fills the rest.
    let list = f.list(&rules, 5, 4);
    assert_eq!(ids(&list), ["F", "D", "B", "E"]);
    assert_eq!(list[0].1, Reason::Forced);
    assert_eq!(list[2].1, Reason::Model);
    // u0 (France) bought everything; excluding purchases also removes forced products
    // already bought. u1 bought A–E: only F (forced) is left.
    assert_eq!(ids(&f.list(&rules, 1, 4)), ["F"]);
    // A list shorter than the forced products keeps them in slot order.
    assert_eq!(ids(&f.list(&rules, 5, 1)), ["F"]);
    // A list longer than the catalogue is the catalogue, forced products merged in; the
    // engine reserved k entries before, which aborted the process on a huge k.
    let whole = f.list(&rules, 5, usize::MAX);
    assert_eq!(ids(&whole), ["F", "D", "B", "C", "E"]);
    let engine = Engine::new(f.view(), &rules);
    for who in [
        Customer::Known(5),
        Customer::New {
            history: &[],
            segment: None,
        },
    ] {
        let list = engine.recommend(who, 1 << 40, &mut Vec::new());
        assert!(list.len() <= 6 && list.capacity() <= 6, "{list:?}");
    }
}

#[test]
fn new_products_are_forced_in_and_include_beats_soft_exclusions() {
    let f = Fixture::new();
    let rules = Overrides {
        exclude_popular: Some(PopularCut::Percent(100.0)),
        include: vec![IncludeRule {
            new_within_days: Some(30),
            limit: Some(1),
            ..IncludeRule::default()
        }],
        ..Overrides::default()
    };
    let list = f.list(&rules, 5, 3);
    assert_eq!(ids(&list), ["F"], "F is new; everything else is cut");
    assert_eq!(list[0].1, Reason::Forced);
}

#[test]
fn contradictions_and_unknown_ids_warn_and_the_rest_applies() {
    let f = Fixture::new();
    let rules = Overrides {
        exclude_items: vec!["B".into(), "NOPE".into()],
        include: vec![IncludeRule {
            items: vec!["B".into(), "ZZZ".into(), "C".into()],
            slot: Some(1),
            segment: None,
            ..IncludeRule::default()
        }],
        ..Overrides::default()
    };
    let engine = Engine::new(f.view(), &rules);
    let text = engine.warnings.join("\n");
    assert!(text.contains("NOPE") && text.contains("ZZZ"), "{text}");
    assert!(text.contains("exclude wins"), "{text}");
    assert_eq!(ids(&f.list(&rules, 5, 3)), ["C", "D", "E"]);
    let bad_segment = Overrides {
        include: vec![IncludeRule {
            items: vec!["F".into()],
            segment: Some("Frnace".into()),
            ..IncludeRule::default()
        }],
        ..Overrides::default()
    };
    let engine = Engine::new(f.view(), &bad_segment);
    assert!(
        engine.warnings[0].contains("did you mean 'France'"),
        "{:?}",
        engine.warnings
    );
    assert!(
        f.list(&bad_segment, 5, 6)
            .iter()
            .all(|(_, r)| *r != Reason::Forced)
    );
}

#[test]
fn excluding_everything_gives_an_empty_list_and_says_why() {
    let f = Fixture::new();
    let rules = Overrides {
        exclude_popular: Some(PopularCut::Percent(100.0)),
        ..Overrides::default()
    };
    let engine = Engine::new(f.view(), &rules);
    assert_eq!(engine.candidates(), 0);
    assert!(engine.warnings.iter().any(|w| w.contains("every product")));
    assert!(f.list(&rules, 5, 10).is_empty());
}

#[test]
fn boosts_raise_and_bury() {
    let f = Fixture::new();
    let rules = Overrides {
        boost: vec![
            BoostRule::parse("heart*10").unwrap(),
            BoostRule {
                items: vec!["B".into()],
                multiply: 0.1,
                ..BoostRule::default()
            },
        ],
        ..Overrides::default()
    };
    // Scores: B 5, C 4 (heart ×10 = 40), D 3, E 2 (heart ×10 = 20), F 1; B buried to 0.5.
    let engine = Engine::new(f.view(), &rules);
    let list = engine.recommend(Customer::Known(5), 5, &mut Vec::new());
    let got: Vec<(&str, Reason)> = list
        .iter()
        .map(|s| (f.items.name(s.item), s.reason))
        .collect();
    assert_eq!(
        got,
        [
            ("C", Reason::Boosted),
            ("E", Reason::Boosted),
            ("D", Reason::Model),
            ("F", Reason::Model),
            ("B", Reason::Boosted)
        ]
    );
}

#[test]
fn cold_customers_get_the_chosen_policy() {
    let f = Fixture::new();
    let mut history = Vec::new();
    let popular = Overrides {
        cold_start: ColdStartPolicy::Popularity,
        ..Overrides::default()
    };
    let engine = Engine::new(f.view(), &popular);
    let (who, unknown) = engine.customer("new", &mut history, &["A".into(), "??".into()], None);
    assert_eq!(unknown, ["??"]);
    let list = engine.recommend(who, 2, &mut Vec::new());
    assert_eq!(
        list.iter().map(|s| s.item).collect::<Vec<_>>(),
        [1, 2],
        "A was bought"
    );
    assert!(list.iter().all(|s| s.reason == Reason::PopularityFallback));

    // In France (u0, u1) E was bought by u0 and u1, more than C... every product but
    // F has 2 French buyers; F has 1. Ties go to the overall favourite.
    let by_segment = Overrides {
        cold_start: ColdStartPolicy::SegmentPopularity,
        ..Overrides::default()
    };
    let engine = Engine::new(f.view(), &by_segment);
    let list = engine.recommend(
        Customer::New {
            history: &[],
            segment: Some(0),
        },
        6,
        &mut Vec::new(),
    );
    assert_eq!(
        list.iter().map(|s| s.item).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5]
    );
    assert!(list.iter().all(|s| s.reason == Reason::SegmentPopularity));
    let unknown_segment = engine.recommend(
        Customer::New {
            history: &[],
            segment: None,
        },
        1,
        &mut Vec::new(),
    );
    assert_eq!(unknown_segment[0].reason, Reason::PopularityFallback);
}

fn als_fixture() -> (TrainedModel, CsrMatrix) {
    // Two taste groups: users 0-9 buy products 0-4, users 10-19 buy 5-9.
    let mut t = Vec::new();
    for u in 0..20u32 {
        for i in 0..5u32 {
            if (u * 7 + i * 3) % 5 != 0 {
                t.push((u, i + if u < 10 { 0 } else { 5 }, 1.0));
            }
        }
    }
    let train = CsrMatrix::from_triplets(20, 10, &t);
    let params = AlsParams::new(2)
        .solver(SolverKind::Cholesky)
        .max_iter(10)
        .check()
        .unwrap();
    let m = AlsModel::fit(&params, &train, &train.transpose(), &mut |_| {
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    (TrainedModel::new(m), train)
}

#[test]
fn fold_in_places_a_new_customer_in_the_right_group_and_explains() {
    let (model, train) = als_fixture();
    let popularity = PopularityModel::fit(&train);
    let users = IdMap::from_names((0..20).map(|u| format!("u{u}")));
    let items = IdMap::from_names((0..10).map(|i| format!("i{i}")));
    let descriptions = vec![String::new(); 10];
    let catalog = Catalog::default();
    let view = RunView {
        model: &model,
        train: &train,
        users: &users,
        items: &items,
        descriptions: &descriptions,
        popularity: &popularity,
        catalog: &catalog,
    };
    let engine = Engine::new(view, &Overrides::default());
    let history = [6u32, 7];
    let who = Customer::New {
        history: &history,
        segment: None,
    };
    let list = engine.recommend(who, 3, &mut Vec::new());
    assert!(list.iter().all(|s| s.reason == Reason::FoldIn));
    assert!(
        list.iter()
            .all(|s| (5..10).contains(&s.item) && !history.contains(&s.item)),
        "{list:?}"
    );
    let why = engine.explain(who, list[0].item, 5).unwrap();
    assert_eq!(why.parts.len(), 2);
    assert!(
        (why.score - list[0].score).abs() < 1e-4,
        "{why:?} vs {:?}",
        list[0]
    );
    assert_eq!(why.method, "als-solve");
    // A known customer's explanation covers their purchases.
    let why = engine.explain(Customer::Known(0), 4, 10).unwrap();
    assert_eq!(why.parts.len(), train.row(0).0.len());

    // Item-kNN folds in by construction and explains with similarities.
    let knn = TrainedModel::new(ItemKnnModel::fit(&train, &train.transpose(), 10));
    let view = RunView {
        model: &knn,
        ..view
    };
    let engine = Engine::new(view, &Overrides::default());
    let list = engine.recommend(who, 2, &mut Vec::new());
    assert!(
        list.iter()
            .all(|s| s.reason == Reason::FoldIn && s.item >= 5)
    );
    let why = engine.explain(who, list[0].item, 5).unwrap();
    assert!((why.score - list[0].score).abs() < 1e-5);
}

#[test]
fn batch_lists_match_single_lists() {
    let (model, train) = als_fixture();
    let popularity = PopularityModel::fit(&train);
    let users = IdMap::from_names((0..20).map(|u| format!("u{u}")));
    let items = IdMap::from_names((0..10).map(|i| format!("i{i}")));
    let descriptions = vec!["x".to_owned(); 10];
    let catalog = Catalog::default();
    let view = RunView {
        model: &model,
        train: &train,
        users: &users,
        items: &items,
        descriptions: &descriptions,
        popularity: &popularity,
        catalog: &catalog,
    };
    let rules = Overrides {
        exclude_popular: Some(PopularCut::Top(1)),
        include: vec![IncludeRule {
            items: vec!["i9".into()],
            slot: Some(2),
            ..IncludeRule::default()
        }],
        ..Overrides::default()
    };
    let engine = Engine::new(view, &rules);
    let all: Vec<u32> = (0..20).collect();
    let batch = engine.recommend_known(&all, 4);
    for (u, list) in all.iter().zip(&batch) {
        let single = engine.recommend(Customer::Known(*u), 4, &mut Vec::new());
        // Blocks are scored by a matrix product, single customers by dot products: the
        // same lists, scores equal to rounding.
        assert_eq!(list.len(), single.len());
        for (a, b) in list.iter().zip(&single) {
            assert_eq!((a.item, a.reason), (b.item, b.reason));
            assert!((a.score - b.score).abs() < 1e-5);
        }
        if train.row(*u as usize).0.binary_search(&9).is_err() {
            assert_eq!(list[1].item, 9, "forced at slot 2");
        }
    }
}

/// The model contract's top-k part: for every registered model, lists through the engine
/// are sorted, hold no product the customer bought, and fill up to `k`.
#[test]
fn every_models_lists_are_sorted_and_leave_out_what_was_bought() {
    use crate::models::contract_tests::{N, every_model, fit, two_blocks};
    let train = two_blocks();
    let users = IdMap::from_names((0..N).map(|k| format!("c{k}")));
    let items = IdMap::from_names((0..N).map(|k| format!("p{k}")));
    let descriptions = vec![String::new(); N];
    let popularity = PopularityModel::fit(&train);
    let catalog = Catalog::default();
    for params in every_model() {
        let model = fit(&params);
        let view = RunView {
            model: &model,
            train: &train,
            users: &users,
            items: &items,
            descriptions: &descriptions,
            popularity: &popularity,
            catalog: &catalog,
        };
        let engine = Engine::new(view, &Overrides::default());
        let all: Vec<u32> = (0..N as u32).collect();
        for (u, list) in all.iter().zip(engine.recommend_known(&all, 5)) {
            let kind = params.kind();
            let bought = train.row(*u as usize).0;
            assert_eq!(list.len(), 5.min(N - bought.len()), "{kind:?}");
            assert!(list.iter().all(|s| !bought.contains(&s.item)), "{kind:?}");
            assert!(
                list.windows(2).all(|w| w[0].score >= w[1].score),
                "{kind:?}: {list:?}"
            );
            let one = engine.recommend(Customer::Known(*u), 5, &mut Vec::new());
            let ids = |l: &[Scored]| l.iter().map(|s| s.item).collect::<Vec<_>>();
            assert_eq!(
                ids(&one),
                ids(&list),
                "{kind:?}: one customer as in a batch"
            );
        }
    }
}

#[test]
fn the_rebuy_channel_lifts_own_products_says_why_and_warns_when_it_cannot_act() {
    let mut f = Fixture::new();
    // Customer u2 bought A–D, D five times.
    let mut triplets = Vec::new();
    for item in 0..6u32 {
        for user in 0..(6 - item) {
            let value = if (user, item) == (2, 3) { 5.0 } else { 1.0 };
            triplets.push((user, item, value));
        }
    }
    f.train = CsrMatrix::from_triplets(6, 6, &triplets);
    let own_first = Overrides {
        exclude_seen: false,
        rebuy: Some(1.0),
        ..Overrides::default()
    };
    let list = f.list(&own_first, 2, 3);
    assert_eq!(
        list,
        [
            ("D".to_owned(), Reason::Rebuy),
            ("A".to_owned(), Reason::Rebuy),
            ("B".to_owned(), Reason::Rebuy)
        ],
        "the staple first, then own products in the model's order"
    );
    let batch = Engine::new(f.view(), &own_first).recommend_known(&[2], 3);
    assert_eq!(
        f.items.name(batch[0][0].item),
        "D",
        "batch lists blend the same"
    );
    let model_alone = Overrides {
        rebuy: Some(0.0),
        ..own_first.clone()
    };
    assert_eq!(
        f.list(&model_alone, 2, 1),
        [("A".to_owned(), Reason::Model)]
    );
    let default_blend = Overrides {
        rebuy: None,
        ..own_first.clone()
    };
    assert_eq!(f.list(&default_blend, 2, 1)[0].0, "D", "0.8 by default");
    let hidden = Overrides {
        rebuy: Some(0.5),
        ..Overrides::default()
    };
    let engine = Engine::new(f.view(), &hidden);
    assert!(
        engine
            .warnings
            .iter()
            .any(|w| w.contains("no effect while exclude_seen is on")),
        "{:?}",
        engine.warnings
    );
    let bad = Overrides {
        rebuy: Some(1.5),
        ..own_first
    };
    let engine = Engine::new(f.view(), &bad);
    assert!(
        engine
            .warnings
            .iter()
            .any(|w| w.contains("rebuy = 1.5 ignored")),
        "{:?}",
        engine.warnings
    );
}
