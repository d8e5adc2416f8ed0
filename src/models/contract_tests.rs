//! The contract every model signs by implementing [`Model`], checked for each one the
//! registry lists: a new model added to [`every_model`] is held to all of it.
//!
//! Fitted through the registry on a small two-block matrix, each model must score every
//! product with finite values, score a block as it scores each customer, save and load
//! back to the same scores, give the same model on one thread as on two, honour a cancel,
//! and keep its optional capabilities (pair scores, neighbours, fold-in, explanations)
//! well-formed wherever it offers them.

use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;

use super::arrays::{ArrayError, ArrayReader, ArrayWriter};
use super::fit::FitError;
use super::fit::FitInput;
use super::hyper::RawValue;
use super::registry::{FitFailure, ModelKind, ModelParams, SettingTables, load};
use super::{NewCustomerFacts, Subject, TrainedModel};
use crate::data::{CsrMatrix, IdMap};

/// Customers and products of the contract's matrix.
pub(crate) const N: usize = 24;

/// Every kind with settings small enough for a unit test.
pub(crate) fn every_model() -> Vec<ModelParams> {
    let tables = SettingTables {
        als: &toml::Table::new(),
        fm: &toml::Table::new(),
        ratings: false,
    };
    let set = |pairs: &[(&str, i64)]| -> Vec<(String, RawValue)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), RawValue::Int(*v)))
            .collect()
    };
    let with = |kind, pairs: &[(&str, i64)]| ModelParams::parse(kind, tables, &set(pairs)).unwrap();
    let models = vec![
        with(ModelKind::Als, &[("als_rank", 4), ("max_iter", 4)]),
        with(ModelKind::AlsExplicit, &[("als_rank", 4), ("max_iter", 4)]),
        with(ModelKind::Fm, &[("num_factors", 4), ("epochs", 4)]),
        with(ModelKind::Ease, &[("lambda", 5), ("neighbours", 8)]),
        with(ModelKind::Rp3Beta, &[("neighbours", 5)]),
        with(ModelKind::Popularity, &[]),
        with(ModelKind::ItemKnn, &[("neighbours", 5)]),
    ];
    let kinds: Vec<ModelKind> = models.iter().map(ModelParams::kind).collect();
    assert_eq!(
        kinds,
        ModelKind::ALL,
        "every registered kind is under contract"
    );
    models
}

/// Customers 0..12 buy among products 0..12, the others among 12..24.
pub(crate) fn two_blocks() -> CsrMatrix {
    let mut t = Vec::new();
    for u in 0..N {
        for i in 0..N {
            if (u < N / 2) == (i < N / 2) && (u * 7 + i * 3) % 4 != 0 {
                t.push((u as u32, i as u32, 1.0 + (u + i) as f32 % 3.0));
            }
        }
    }
    CsrMatrix::from_triplets(N, N, &t)
}

fn fit_with(
    params: &ModelParams,
    on_epoch: &mut dyn FnMut(&super::EpochReport) -> ControlFlow<()>,
) -> Result<TrainedModel, FitFailure> {
    let m = two_blocks();
    let t = m.transpose();
    let users = IdMap::from_names((0..N).map(|k| format!("c{k}")));
    let items = IdMap::from_names((0..N).map(|k| format!("p{k}")));
    let no_side = |_, _| Ok((Vec::new(), Vec::new()));
    let input = FitInput {
        user_items: &m,
        item_users: &t,
        users: &users,
        items: &items,
        side_features: &no_side,
    };
    params.fit(&input, on_epoch)
}

pub(crate) fn fit(params: &ModelParams) -> TrainedModel {
    fit_with(params, &mut |_| ControlFlow::Continue(())).unwrap()
}

fn all_scores(model: &TrainedModel) -> Vec<f32> {
    let m = two_blocks();
    let mut out = vec![0f32; N * N];
    for (u, row) in out.chunks_exact_mut(N).enumerate() {
        model.as_recommender().score_user(u as u32, m.row(u), row);
    }
    out
}

#[derive(Default)]
struct Memory {
    dense: HashMap<String, (Vec<usize>, Vec<f32>)>,
    sparse: HashMap<String, CsrMatrix>,
    json: HashMap<String, serde_json::Value>,
}

impl ArrayWriter for Memory {
    fn f32s(&mut self, name: &str, shape: &[usize], data: &[f32]) -> std::io::Result<()> {
        assert_eq!(shape.iter().product::<usize>(), data.len(), "{name}");
        self.dense
            .insert(name.into(), (shape.to_vec(), data.to_vec()));
        Ok(())
    }

    fn csr(&mut self, prefix: &str, m: &CsrMatrix) -> std::io::Result<()> {
        self.sparse.insert(prefix.into(), m.clone());
        Ok(())
    }

    fn json(&mut self, name: &str, value: serde_json::Value) -> std::io::Result<()> {
        self.json.insert(name.into(), value);
        Ok(())
    }
}

impl ArrayReader for Memory {
    fn f32s(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ArrayError> {
        self.dense
            .get(name)
            .cloned()
            .ok_or_else(|| ArrayError::new(name, "missing"))
    }

    fn csr(&self, prefix: &str, rows: usize, cols: usize) -> Result<CsrMatrix, ArrayError> {
        let m = self
            .sparse
            .get(prefix)
            .ok_or_else(|| ArrayError::new(prefix, "missing"))?;
        assert_eq!((m.rows(), m.cols()), (rows, cols), "{prefix}");
        Ok(m.clone())
    }

    fn json(&self, name: &str) -> Result<serde_json::Value, ArrayError> {
        self.json
            .get(name)
            .cloned()
            .ok_or_else(|| ArrayError::new(name, "missing"))
    }
}

#[test]
fn every_model_scores_every_product_finitely_and_blocks_as_rows() {
    let m = two_blocks();
    for params in every_model() {
        let model = fit(&params);
        let kind = params.kind();
        assert_eq!(model.kind(), kind);
        assert_eq!(model.as_recommender().n_items(), N, "{kind:?}");
        let rows = all_scores(&model);
        assert!(rows.iter().all(|s| s.is_finite()), "{kind:?}");
        let users: Vec<u32> = (0..N as u32).collect();
        let mut block = vec![0f32; N * N];
        model.as_recommender().score_block(&users, &m, &mut block);
        for (a, b) in rows.iter().zip(&block) {
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(1.0),
                "{kind:?}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn every_model_loads_back_to_the_same_scores() {
    for params in every_model() {
        let model = fit(&params);
        let mut store = Memory::default();
        model.model().save(&mut store).unwrap();
        let settings: BTreeMap<String, String> = params.to_strings();
        let back = load(params.kind(), &settings, N, N, &store).unwrap();
        assert_eq!(all_scores(&back), all_scores(&model), "{:?}", params.kind());
        // A missing array is named, never a panic.
        let err = load(params.kind(), &settings, N, N, &Memory::default()).unwrap_err();
        assert!(!err.file.is_empty(), "{:?}: {err}", params.kind());
    }
}

#[test]
fn every_model_is_the_same_on_one_thread_as_on_two() {
    for params in every_model() {
        let on = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| fit(&params))
        };
        let (one, two) = (on(1), on(2));
        assert_eq!(all_scores(&one), all_scores(&two), "{:?}", params.kind());
    }
}

#[test]
fn every_model_honours_a_cancel() {
    for params in every_model() {
        let mut calls = 0;
        let result = fit_with(&params, &mut |_| {
            calls += 1;
            ControlFlow::Break(())
        });
        match result {
            // A model that reports progress stops at the first report.
            Err(FitFailure::Fit(FitError::Cancelled { completed, .. })) => {
                assert_eq!((calls, completed), (1, 1), "{:?}", params.kind());
            }
            // A model fitted in one step never asks.
            Ok(_) => assert_eq!(calls, 0, "{:?}", params.kind()),
            Err(e) => panic!("{:?}: {e}", params.kind()),
        }
    }
}

#[test]
fn optional_capabilities_are_well_formed_where_offered() {
    let m = two_blocks();
    for params in every_model() {
        let kind = params.kind();
        let model = fit(&params);
        let model = model.model();
        if let Some(v) = model.predict_pair(Some(0), Some(1), m.row(0)) {
            assert!(v.is_finite(), "{kind:?}");
        }
        if let Some(s) = model.similar_scores(3) {
            assert_eq!(s.len(), N, "{kind:?}");
        }
        assert!(
            model.similar_scores(N as u32).is_none(),
            "{kind:?}: no such product"
        );
        let prepared = model.prepare(true);
        let history = [0u32, 2, 5];
        let facts = NewCustomerFacts {
            history: &history,
            segment: None,
        };
        let mut scores = vec![f32::NAN; N];
        if model.fold_in(&prepared, facts, &mut scores) {
            assert!(scores.iter().all(|s| s.is_finite()), "{kind:?}");
        }
        let who = Subject::Known {
            user: 1,
            history: m.row(1),
        };
        if let Some(why) = model.explain(&prepared, who, 4) {
            assert!(why.score.is_finite() && !why.method.is_empty(), "{kind:?}");
            if !why.parts.is_empty() {
                let sum: f32 = why.parts.iter().map(|p| p.1).sum();
                assert!(
                    (sum - why.score).abs() < 1e-3,
                    "{kind:?}: {sum} vs {}",
                    why.score
                );
            }
        }
        assert_eq!(model.is_baseline(), kind == ModelKind::Popularity);
    }
}

#[test]
fn an_als_run_whose_rank_disagrees_with_its_factors_is_refused() {
    let params = &every_model()[0];
    let model = fit(params);
    let mut store = Memory::default();
    model.model().save(&mut store).unwrap();
    let mut settings = params.to_strings();
    settings.insert("als_rank".into(), "7".into());
    let err = load(ModelKind::Als, &settings, N, N, &store).unwrap_err();
    assert_eq!(err.file, "user_factors.npy");
    assert!(
        err.message.contains("rank 4 differs from als_rank = 7"),
        "{err}"
    );
}

#[test]
fn every_models_settings_round_trip_through_text_and_serde() {
    for params in every_model() {
        assert_eq!(
            params.with_overrides(&[]).unwrap(),
            params,
            "{:?}: its canonical text reads back to the same settings",
            params.kind()
        );
        let text = toml::to_string(&params).unwrap();
        assert!(
            text.contains(&format!("model = \"{}\"", params.kind().name())),
            "files name a model as the CLI does: {text}"
        );
        let back: ModelParams = toml::from_str(&text).unwrap();
        assert_eq!(back, params, "{text}");
    }
    // Reading checks the values again, naming the key at fault.
    let bad = "model = \"als\"\n[settings]\nals_rank = \"0\"\n";
    let e = toml::from_str::<ModelParams>(bad).unwrap_err().to_string();
    assert!(e.contains("als_rank"), "{e}");
}

#[test]
fn every_search_space_draws_settings_the_model_accepts() {
    for params in every_model() {
        let kind = params.kind();
        for d in kind.search_space() {
            for u in [0.0, 0.37, 0.5, 1.0] {
                let set = [(d.key.to_owned(), RawValue::Text(d.value_at(u)))];
                let drawn = params.with_overrides(&set);
                assert!(drawn.is_ok(), "{kind:?} {} at {u}: {drawn:?}", d.key);
                let kept = drawn.unwrap().to_strings();
                assert!(
                    kept.contains_key(d.key),
                    "{kind:?} keeps {} as {kept:?}",
                    d.key
                );
            }
        }
    }
}
