//! One experiment, end to end: load → hold out → aggregate → fit → evaluate → a [`Run`].
//!
//! The CLI's `latent train` and the TUI's background jobs both call [`train`], so a run
//! made in either is the same run. Progress is reported through a callback that can
//! cancel; this module knows nothing of threads, terminals or files beyond the data it
//! reads.

pub mod customer_lookup;
mod lifecycle;
mod refit;
mod steps;
pub mod update;

pub(crate) use steps::{fit, hold_out};

pub use lifecycle::{RunError, Source, chain_text, log_line, train_into};

use std::ops::ControlFlow;
use std::path::PathBuf;

use crate::config::WorkspaceConfig;
use crate::data::fingerprint::DataFingerprint;
use crate::data::{
    Interactions, LoadError, LoadSpec, RankingType, Transactions, load_transactions,
};
use crate::error::Error;
use crate::eval::segments::{SegmentInput, segments};
use crate::eval::{EvalReport, Evaluation, TestSet, evaluate};
use crate::eval::{cold_cases, evaluate_cold};
use crate::models::fm::FeatureBlock;
use crate::models::hyper::{ParamsError, RawValue};
use crate::models::registry::FitFailure;
use crate::models::{
    EpochReport, ModelKind, ModelParams, PopularityModel, SettingTables, TrainedModel,
};
use crate::recommend::catalog::pair_last_purchase;
use crate::recommend::{Catalog, Overrides, RunView, SeenPolicy};
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
    /// For tuning: the last `test_days` are set aside unseen, and the `days` before them
    /// are the evaluation data, so choosing among configurations never touches the test.
    Validation { test_days: u32, days: u32 },
}

impl Holdout {
    /// The form stored in `run.toml`: `none`, `last-days:N[:new]` or `file:PATH`.
    pub fn label(&self) -> String {
        match self {
            Holdout::None => "none".to_owned(),
            Holdout::File(p) => format!("file:{}", p.display()),
            Holdout::LastDays {
                days,
                new_items_only,
            } => format!(
                "last-days:{days}{}",
                if *new_items_only { ":new" } else { "" }
            ),
            Holdout::Validation { test_days, days } => {
                format!("validation:{days}:before-test:{test_days}")
            }
        }
    }

    /// Reads [`Holdout::label`] back.
    pub fn parse(label: &str) -> Option<Self> {
        if label == "none" || label.is_empty() {
            return Some(Holdout::None);
        }
        if let Some(path) = label.strip_prefix("file:") {
            return Some(Holdout::File(PathBuf::from(path)));
        }
        if let Some(rest) = label.strip_prefix("validation:") {
            let (days, test) = rest.split_once(":before-test:")?;
            return Some(Holdout::Validation {
                test_days: test.parse().ok()?,
                days: days.parse().ok()?,
            });
        }
        let rest = label.strip_prefix("last-days:")?;
        let (days, new_items_only) = match rest.strip_suffix(":new") {
            Some(d) => (d, true),
            None => (rest, false),
        };
        Some(Holdout::LastDays {
            days: days.parse().ok()?,
            new_items_only,
        })
    }
}

/// Everything one training run depends on.
#[derive(Debug, Clone)]
pub struct TrainSpec {
    pub config: WorkspaceConfig,
    pub data: PathBuf,
    /// The model the user picked (its name labels the run).
    pub model: ModelKind,
    /// Its settings, parsed and checked once ([`TrainSpec::new`]): the model's defaults,
    /// the workspace's table for it (`[als]`, `[fm]`), then the `--set` overrides.
    pub params: ModelParams,
    pub holdout: Holdout,
    /// List length for evaluation.
    pub k: usize,
    /// True when the model predicts ratings and nobody chose the aggregation: a file with
    /// a rating column is then aggregated by `rating` (the CLI says so).
    pub rating_implied: bool,
    /// The evaluated run this one refits on all data, when it is a refit.
    pub parent: Option<String>,
    /// The run whose fitted model seeds this one, for an incremental update (see
    /// [`update`]): its rows keep their factors and only what the new lines touched is
    /// solved again.
    pub warm: Option<update::WarmStart>,
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

impl TrainSpec {
    /// The folder of the data file, against which side tables' relative paths resolve.
    pub fn data_folder(&self) -> std::path::PathBuf {
        self.config
            .data
            .path
            .as_deref()
            .unwrap_or(&self.data)
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default()
    }

    /// A training request: `model` with the workspace's settings and `overrides` (the
    /// CLI's `--set`, the Tune form, SageMaker's hyperparameters), parsed once here, so
    /// bad settings are refused before any data is read or folder made.
    pub fn new(
        config: WorkspaceConfig,
        data: PathBuf,
        model: ModelKind,
        overrides: &[(String, RawValue)],
        holdout: Holdout,
        k: usize,
    ) -> Result<Self, ParamsError> {
        let params = Self::settings(&config, model, overrides)?;
        // A rating predictor learns from ratings: on a file whose aggregation nobody
        // chose, it reads the rating column rather than purchase counts.
        let rating_implied = params.predicts_ratings()
            && !config.interactions.ranking_type_given
            && config.interactions.ranking_type != RankingType::Rating;
        Ok(Self {
            config,
            data,
            model,
            params,
            holdout,
            k,
            rating_implied,
            parent: None,
            warm: None,
        })
    }

    /// `model`'s settings from `config`'s tables and `overrides`.
    pub fn settings(
        config: &WorkspaceConfig,
        model: ModelKind,
        overrides: &[(String, RawValue)],
    ) -> Result<ModelParams, ParamsError> {
        ModelParams::parse(
            model,
            SettingTables {
                als: &config.als,
                fm: &config.fm,
                ratings: config.interactions.ranking_type == RankingType::Rating,
            },
            overrides,
        )
    }
}

/// The side-feature blocks of a training matrix: the workspace's side columns when
/// `columns`, and `rfm_bands` recency / frequency / monetary bands.
fn side_features(
    spec: &TrainSpec,
    lines: &Transactions,
    matrix: &Interactions,
    columns: bool,
    rfm_bands: usize,
) -> Result<(Vec<FeatureBlock>, Vec<FeatureBlock>), LoadError> {
    let (mut user_blocks, item_blocks) = if columns {
        let base = spec.data_folder();
        crate::data::features::side_features(
            lines,
            &matrix.users,
            &matrix.items,
            &spec.config.data,
            &base,
        )?
    } else {
        (Vec::new(), Vec::new())
    };
    if rfm_bands > 0 {
        user_blocks.extend(crate::data::features::rfm_blocks(
            lines,
            &matrix.users,
            rfm_bands,
        ));
    }
    Ok((user_blocks, item_blocks))
}

/// A fit's failure as the crate's error.
fn fit_error(e: FitFailure) -> Error {
    match e {
        FitFailure::Fit(e) => Error::Fit(e),
        FitFailure::Data(e) => Error::Load(e),
    }
}

/// Loads a test file with `spec`'s mapping and cleaning but no retention window, so a
/// later period is not cut away.
///
/// Files written by `latent data split` carry latent's canonical headers (`user_id`,
/// `item_id`, …) whatever the source called them; when the workspace's column names are
/// missing from the file, the canonical ones are tried before giving up.
pub fn load_test_file(path: &std::path::Path, load: &LoadSpec) -> Result<Transactions, LoadError> {
    let mut spec = load.clone();
    spec.interactions.retention_date = None;
    spec.interactions.retention_days = None;
    match load_transactions(path, &spec) {
        Err(first @ LoadError::MissingColumn { .. }) => {
            let mut canonical = spec.clone();
            canonical.data = crate::data::DataSpec {
                path: spec.data.path.clone(),
                strict_dates: spec.data.strict_dates,
                user_features: spec.data.user_features.clone(),
                item_features: spec.data.item_features.clone(),
                user_file: spec.data.user_file.clone(),
                item_file: spec.data.item_file.clone(),
                ..crate::data::DataSpec::default()
            };
            load_transactions(path, &canonical)
                .map(|(t, _)| t)
                .map_err(|_| first)
        }
        other => other.map(|(t, _)| t),
    }
}

/// Runs one experiment.
pub fn train(
    spec: &TrainSpec,
    progress: &mut dyn FnMut(Stage) -> ControlFlow<()>,
) -> Result<Run, Error> {
    let load = spec.config.load_spec();
    let (transactions, report) = load_transactions(&spec.data, &load)?;
    let fingerprint =
        DataFingerprint::of(&spec.data, &crate::data::fingerprint::load_config(&load)).ok();
    let _ = progress(Stage::Loaded {
        rows_read: report.rows_read,
        rows_kept: report.rows_kept,
    });
    train_on(spec, &transactions, fingerprint, progress)
}

/// Runs one experiment on transactions already loaded and cleaned with `spec`'s
/// configuration (a sweep loads once and trains many times).
pub fn train_on(
    spec: &TrainSpec,
    transactions: &Transactions,
    fingerprint: Option<DataFingerprint>,
    progress: &mut dyn FnMut(Stage) -> ControlFlow<()>,
) -> Result<Run, Error> {
    let _span = tracing::info_span!("train", model = spec.model.name()).entered();
    let switched;
    let spec = if spec.rating_implied && transactions.has.rating {
        let mut s = spec.clone();
        s.config.interactions.ranking_type = RankingType::Rating;
        switched = s;
        &switched
    } else {
        spec
    };
    let params = &spec.params;
    let load = spec.config.load_spec();
    let ranking = load.interactions.ranking_type;
    let (train_lines, test_lines) = steps::hold_out(&spec.holdout, transactions, &load)?;
    let matrix = Interactions::for_training(&train_lines, &load.interactions)?;
    let _ = progress(Stage::Matrix {
        users: matrix.users.len(),
        items: matrix.items.len(),
        nnz: matrix.nnz(),
    });
    let (model, train_seconds) = steps::fit(spec, params, &train_lines, &matrix, progress)?;
    let popularity = PopularityModel::fit(&matrix.user_items);
    let descriptions: Vec<String> = (0..matrix.items.len())
        .map(|i| {
            let name = matrix.items.name(i as u32);
            train_lines
                .items
                .get(name)
                .map(|j| train_lines.description(j).to_owned())
                .unwrap_or_default()
        })
        .collect();
    let catalog = Catalog::from_transactions(&train_lines, &matrix.users, &matrix.items);
    let evaluation = match &test_lines {
        Some(test) => {
            let view = RunView {
                model: &model,
                train: &matrix.user_items,
                users: &matrix.users,
                items: &matrix.items,
                descriptions: &descriptions,
                popularity: &popularity,
                catalog: &catalog,
            };
            let evaluation = evaluate_view(view, &spec.config.overrides, test, ranking, spec.k)?;
            let _ = progress(Stage::Evaluated(Box::new(evaluation.report.clone())));
            Some(evaluation)
        }
        None => None,
    };
    let (metrics, holdout) = match evaluation {
        Some(e) => (Some(e.report), Some(e.lists)),
        None => (None, None),
    };
    let history = Run::history_of(&model.model().history());
    let meta = RunMeta {
        format_version: FORMAT_VERSION,
        latent_version: env!("CARGO_PKG_VERSION").to_owned(),
        model: spec.model,
        created_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        data: spec.data.display().to_string(),
        ranking_type: ranking.name().to_owned(),
        params: params.to_strings(),
        users: matrix.users.len(),
        items: matrix.items.len(),
        nnz: matrix.nnz(),
        train_seconds,
        history,
        fingerprint,
        holdout: spec.holdout.label(),
        k: spec.k,
        sweep: None,
        tune: None,
        parent: spec.parent.clone(),
        ignored_params: std::collections::BTreeMap::new(),
        update: None,
    };
    let train_times = pair_last_purchase(
        &train_lines,
        &matrix.users,
        &matrix.items,
        &matrix.user_items,
    );
    let config = steps::resolved_config(spec, params);
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
        holdout,
    })
}

/// Evaluates a run (or a run being built) on test lines: warm customers against the
/// popularity baseline, and cold customers under every cold-start policy, cut into
/// segments. Lists follow `rules`' exclude-seen and re-buy settings; other rules are
/// measured by [`crate::eval::rules_impact`].
pub fn evaluate_view(
    view: RunView<'_>,
    rules: &Overrides,
    test: &Transactions,
    ranking: RankingType,
    k: usize,
) -> Result<Evaluation, Error> {
    let mut evaluation = evaluate_run_parts(
        view.model,
        view.users,
        view.items,
        view.train,
        test,
        ranking,
        k,
        SeenPolicy::from(rules),
    )?;
    let report = &mut evaluation.report;
    if test.has.timestamp && !view.model.model().is_baseline() {
        let (cases, single) = cold_cases(test, view.users, view.items, view.catalog);
        if !cases.is_empty() {
            report.cold = Some(evaluate_cold(view, rules, &cases, single, k));
        }
    }
    let users = &evaluation.lists.users;
    let catalog = view.catalog;
    let country =
        (!catalog.segment_column.is_empty() && !catalog.user_segment.is_empty()).then(|| {
            users
                .iter()
                .map(|&u| {
                    let s = catalog.user_segment[u as usize];
                    catalog.segments.get(s as usize).map(String::as_str)
                })
                .collect()
        });
    report.segments = segments(&SegmentInput {
        model: &evaluation.model_set,
        baseline: &evaluation.baseline_set,
        activity: users
            .iter()
            .map(|&u| view.train.row_nnz(u as usize))
            .collect(),
        country,
        cold: report.cold.as_ref(),
        k,
    });
    Ok(evaluation)
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
    seen: SeenPolicy,
) -> Result<Evaluation, Error> {
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
    let set = TestSet::new(&test_matrix, users, items, train, seen.exclude_seen);
    let predict = model.rating_fn();
    let predict_ref: Option<&(dyn Fn(u32, u32) -> f32 + Sync)> = predict.as_deref();
    Ok(evaluate(
        model.as_recommender(),
        train,
        &set,
        k,
        seen,
        predict_ref,
    ))
}
