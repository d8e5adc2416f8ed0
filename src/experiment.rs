//! One experiment, end to end: load → hold out → aggregate → fit → evaluate → a [`Run`].
//!
//! The CLI's `latent train` and the TUI's background jobs both call [`train`], so a run
//! made in either is the same run. Progress is reported through a callback that can
//! cancel; this module knows nothing of threads, terminals or files beyond the data it
//! reads.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

use crate::config::WorkspaceConfig;
use crate::data::split::{SplitSpec, SplitStrategy, split};
use crate::data::{
    Interactions, LoadError, LoadSpec, RankingType, Transactions, load_transactions,
};
use crate::error::Error;
use crate::eval::{EvalReport, TestSet, evaluate};
use crate::models::als::{AlsParams, EpochReport};
use crate::models::hyper::{ParamsError, RawValue};
use crate::models::{AlsModel, ItemKnnModel, ModelKind, PopularityModel, TrainedModel};
use crate::recommend::Catalog;
use crate::recommend::catalog::pair_last_purchase;
use crate::store::{FORMAT_VERSION, Run, RunMeta};

/// Where the evaluation data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Holdout {
    /// Train on everything, evaluate nothing.
    None,
    /// A separate test file, read with the same mapping and cleaning (no window).
    File(PathBuf),
    /// The last `days` days of the data; `new_items_only` keeps only pairs not bought before.
    LastDays { days: u32, new_items_only: bool },
}

/// Everything one training run depends on.
#[derive(Debug, Clone)]
pub struct TrainSpec {
    pub config: WorkspaceConfig,
    pub data: PathBuf,
    pub model: ModelKind,
    /// `--set key=value` overrides, applied after the workspace's `[als]` table.
    pub overrides: Vec<(String, RawValue)>,
    pub holdout: Holdout,
    /// List length for evaluation.
    pub k: usize,
}

/// Stages reported while training.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Loaded {
        rows_read: usize,
        rows_kept: usize,
    },
    Matrix {
        users: usize,
        items: usize,
        nnz: usize,
    },
    Epoch(EpochReport),
    Evaluated(Box<EvalReport>),
}

/// The hyperparameters of `kind` from the workspace and the overrides, checked.
pub fn als_params(spec: &TrainSpec) -> Result<AlsParams, ParamsError> {
    let mut params = AlsParams::default();
    params.apply_table(&spec.config.als)?;
    for (k, v) in &spec.overrides {
        params.set(k, v)?;
    }
    if spec.model == ModelKind::AlsExplicit {
        params.implicit_prefs = false;
    }
    params.check()?;
    Ok(params)
}

fn knn_neighbours(spec: &TrainSpec) -> Result<usize, ParamsError> {
    let mut neighbours = ItemKnnModel::DEFAULT_NEIGHBOURS;
    for (k, v) in &spec.overrides {
        match k.as_str() {
            "neighbours" | "neighbors" | "k" => {
                neighbours = crate::models::hyper::check_range(k, v.as_usize(k)?, 1, 100_000)?;
            }
            other => {
                return Err(ParamsError::UnknownKey {
                    model: "item-knn",
                    key: other.to_owned(),
                    suggestion: crate::models::hyper::nearest(other, &["neighbours"])
                        .map(str::to_owned),
                    valid: vec!["neighbours"],
                });
            }
        }
    }
    Ok(neighbours)
}

/// Loads a test file with `spec`'s mapping and cleaning but no retention window, so a
/// later period is not cut away.
pub fn load_test_file(path: &std::path::Path, load: &LoadSpec) -> Result<Transactions, LoadError> {
    let mut spec = load.clone();
    spec.interactions.retention_date = None;
    spec.interactions.retention_days = None;
    load_transactions(path, &spec).map(|(t, _)| t)
}

/// Runs one experiment.
pub fn train(
    spec: &TrainSpec,
    progress: &mut dyn FnMut(Stage) -> ControlFlow<()>,
) -> Result<Run, Error> {
    let _span = tracing::info_span!("train", model = spec.model.name()).entered();
    // Check hyperparameters before spending time on data.
    let als = matches!(spec.model, ModelKind::Als | ModelKind::AlsExplicit)
        .then(|| als_params(spec))
        .transpose()?;
    let neighbours = if spec.model == ModelKind::ItemKnn {
        knn_neighbours(spec)?
    } else {
        0
    };
    if spec.model == ModelKind::Popularity && !spec.overrides.is_empty() {
        let key = spec.overrides[0].0.clone();
        return Err(ParamsError::UnknownKey {
            model: "popularity",
            key,
            suggestion: None,
            valid: Vec::new(),
        }
        .into());
    }
    let load = spec.config.load_spec();
    let ranking = load.interactions.ranking_type;
    let (transactions, report) = load_transactions(&spec.data, &load)?;
    let _ = progress(Stage::Loaded {
        rows_read: report.rows_read,
        rows_kept: report.rows_kept,
    });
    let (train_lines, test_lines) = match &spec.holdout {
        Holdout::None => (transactions, None),
        Holdout::File(path) => (transactions, Some(load_test_file(path, &load)?)),
        Holdout::LastDays {
            days,
            new_items_only,
        } => {
            let parts = split(
                &transactions,
                &SplitSpec {
                    strategy: SplitStrategy::TestLastDays(*days),
                    new_items_only: *new_items_only,
                },
            )?;
            (parts.train, Some(parts.test))
        }
    };
    let matrix = Interactions::from_transactions(&train_lines, ranking)?;
    let _ = progress(Stage::Matrix {
        users: matrix.users.len(),
        items: matrix.items.len(),
        nnz: matrix.nnz(),
    });
    let started = Instant::now();
    let model = match spec.model {
        ModelKind::Als | ModelKind::AlsExplicit => {
            let params = als.as_ref().expect("checked above").check()?;
            let mut on_epoch = |r: &EpochReport| progress(Stage::Epoch(*r));
            TrainedModel::Als(AlsModel::fit(
                &params,
                &matrix.user_items,
                &matrix.item_users,
                &mut on_epoch,
            )?)
        }
        ModelKind::Popularity => TrainedModel::Popularity(PopularityModel::fit(&matrix.user_items)),
        ModelKind::ItemKnn => TrainedModel::ItemKnn(ItemKnnModel::fit(
            &matrix.user_items,
            &matrix.item_users,
            neighbours,
        )),
    };
    let train_seconds = started.elapsed().as_secs_f64();
    let metrics = match &test_lines {
        Some(test) => {
            let report = evaluate_on(&model, &matrix, test, ranking, spec.k, true)?;
            let _ = progress(Stage::Evaluated(Box::new(report.clone())));
            Some(report)
        }
        None => None,
    };
    let params = match (&model, &als) {
        (TrainedModel::Als(_), Some(p)) => p
            .to_strings()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        (TrainedModel::ItemKnn(_), _) => [("neighbours".to_owned(), neighbours.to_string())].into(),
        _ => std::collections::BTreeMap::default(),
    };
    let history = match &model {
        TrainedModel::Als(m) => Run::history_of(&m.history),
        _ => Vec::new(),
    };
    let descriptions = (0..matrix.items.len())
        .map(|i| {
            let name = matrix.items.name(i as u32);
            train_lines
                .items
                .get(name)
                .map(|j| train_lines.description(j).to_owned())
                .unwrap_or_default()
        })
        .collect();
    let meta = RunMeta {
        format_version: FORMAT_VERSION,
        latent_version: env!("CARGO_PKG_VERSION").to_owned(),
        model: spec.model,
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        data: spec.data.display().to_string(),
        ranking_type: ranking.name().to_owned(),
        params,
        users: matrix.users.len(),
        items: matrix.items.len(),
        nnz: matrix.nnz(),
        train_seconds,
        history,
    };
    let popularity = PopularityModel::fit(&matrix.user_items);
    let catalog = Catalog::from_transactions(&train_lines, &matrix.users, &matrix.items);
    let train_times =
        pair_last_purchase(&train_lines, &matrix.users, &matrix.items, &matrix.user_items);
    let mut config = spec.config.clone();
    config.data.path = Some(spec.data.clone());
    if let Some(p) = &als {
        config.als = p
            .to_strings()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), toml::Value::String(v)))
            .collect();
    }
    Ok(Run {
        meta,
        config,
        users: matrix.users,
        items: matrix.items,
        descriptions,
        train: matrix.user_items,
        popularity,
        catalog,
        train_times,
        model,
        metrics,
    })
}

/// Evaluates a trained model on test lines.
pub fn evaluate_on(
    model: &TrainedModel,
    matrix: &Interactions,
    test: &Transactions,
    ranking: RankingType,
    k: usize,
    exclude_seen: bool,
) -> Result<EvalReport, Error> {
    evaluate_run_parts(
        model,
        &matrix.users,
        &matrix.items,
        &matrix.user_items,
        test,
        ranking,
        k,
        exclude_seen,
    )
}

/// Evaluates from a run's parts (id maps, training matrix) and test lines.
#[allow(clippy::too_many_arguments)]
pub fn evaluate_run_parts(
    model: &TrainedModel,
    users: &crate::data::IdMap,
    items: &crate::data::IdMap,
    train: &crate::data::CsrMatrix,
    test: &Transactions,
    ranking: RankingType,
    k: usize,
    exclude_seen: bool,
) -> Result<EvalReport, Error> {
    let test_matrix = match Interactions::from_transactions(test, ranking) {
        Ok(m) => m,
        Err(LoadError::NoInteractions) => {
            return Err(LoadError::BadSplit(
                "the test set has no interactions left after cleaning".into(),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    let set = TestSet::new(&test_matrix, users, items, train, exclude_seen);
    let predictor = model.rating_predictor();
    let predict = predictor.map(|m| move |u: u32, i: u32| m.predict(u, i));
    let predict_ref: Option<&(dyn Fn(u32, u32) -> f32 + Sync)> = predict
        .as_ref()
        .map(|f| f as &(dyn Fn(u32, u32) -> f32 + Sync));
    Ok(evaluate(
        model.as_recommender(),
        train,
        &set,
        k,
        exclude_seen,
        predict_ref,
    ))
}
