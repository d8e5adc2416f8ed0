//! Every model latent trains, by name: its settings parsed once, fitted, and loaded back.
//!
//! This is the one place that lists the models. Adding one means a [`ModelKind`] (its
//! name, a line on when to use it, the settings its folder offers), a [`ModelParams`]
//! variant and an arm in [`ModelParams::fit`] and [`load`]; everything downstream — the
//! CLI, the Tune form, evaluation, export, serving — talks to [`super::Model`] and these.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::arrays::{ArrayError, ArrayReader};
use super::fit::{EpochReport, FitError, FitInput};
use super::hyper::{ParamsError, RawValue, Setting};
use super::model::TrainedModel;
use super::{AlsModel, FmModel, ItemKnnModel, PopularityModel};
use crate::data::LoadError;
use crate::models::als::{AlsParams, ValidAlsParams};
use crate::models::ease::EaseParams;
use crate::models::fm::{FmParams, ValidFmParams};
use crate::models::knn::KnnParams;
use crate::models::rp3beta::Rp3BetaParams;

/// The kinds of model latent trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// ALS on implicit feedback (purchases).
    Als,
    /// ALS on explicit ratings.
    AlsExplicit,
    /// Most-bought products in the training window.
    Popularity,
    /// Item-item cosine neighbours.
    ItemKnn,
    /// Factorization machine with side features (regressor, classifier or ranking).
    Fm,
    /// A three-step random walk with a popularity penalty over item neighbourhoods.
    #[serde(rename = "rp3beta")]
    Rp3Beta,
    /// One closed-form regression of every product on the others (EASE^R).
    Ease,
}

impl ModelKind {
    /// Every kind, in menu order.
    pub const ALL: [ModelKind; 7] = [
        ModelKind::Als,
        ModelKind::AlsExplicit,
        ModelKind::Fm,
        ModelKind::Ease,
        ModelKind::Rp3Beta,
        ModelKind::Popularity,
        ModelKind::ItemKnn,
    ];

    /// The name on the command line and in files.
    pub const fn name(self) -> &'static str {
        match self {
            ModelKind::Als => "als",
            ModelKind::AlsExplicit => "als-explicit",
            ModelKind::Popularity => "popularity",
            ModelKind::ItemKnn => "item-knn",
            ModelKind::Fm => "fm",
            ModelKind::Rp3Beta => "rp3beta",
            ModelKind::Ease => "ease",
        }
    }

    /// What the model's scores count, for a column header: buyers for popularity (its
    /// scores are whole numbers of customers), a plain score otherwise.
    pub const fn score_unit(self) -> &'static str {
        match self {
            ModelKind::Popularity => "buyers",
            _ => "score",
        }
    }

    /// One line on when to use this kind: the Tune form's help for the model choice.
    pub const fn describe(self) -> &'static str {
        match self {
            ModelKind::Als => "purchases: implicit ALS, the seed system's model",
            ModelKind::AlsExplicit => "ratings: explicit ALS",
            ModelKind::Popularity => "baseline: the most bought products",
            ModelKind::ItemKnn => "baseline: products bought with the customer's",
            ModelKind::Fm => "factorization machine with the side features",
            ModelKind::Rp3Beta => "purchases: item neighbours that penalise bestsellers",
            ModelKind::Ease => "purchases: one closed-form solve, strong up to 25k products",
        }
    }

    /// The settings the workbench's Tune form offers for this kind; the rest keep the
    /// workspace's values.
    pub const fn settings(self) -> &'static [Setting] {
        match self {
            ModelKind::Als | ModelKind::AlsExplicit => super::als::SETTINGS,
            ModelKind::Fm => super::fm::SETTINGS,
            ModelKind::ItemKnn => super::knn::SETTINGS,
            ModelKind::Rp3Beta => super::rp3beta::SETTINGS,
            ModelKind::Ease => super::ease::SETTINGS,
            ModelKind::Popularity => &[],
        }
    }

    /// The settings the workbench's quick sweep varies (a 3 × 3 grid around the form's
    /// values); empty for kinds it does not sweep.
    pub const fn sweep_keys(self) -> &'static [&'static str] {
        match self {
            ModelKind::Als | ModelKind::AlsExplicit => &["als_rank", "reg_param"],
            ModelKind::Fm
            | ModelKind::ItemKnn
            | ModelKind::Popularity
            | ModelKind::Rp3Beta
            | ModelKind::Ease => &[],
        }
    }

    /// Where `latent tune` moves this kind's settings; empty for kinds with nothing to
    /// tune.
    pub const fn search_space(self) -> &'static [super::tuning::Dimension] {
        match self {
            ModelKind::Als => super::als::SEARCH,
            ModelKind::AlsExplicit => super::als::SEARCH_EXPLICIT,
            ModelKind::Fm => super::fm::SEARCH,
            ModelKind::ItemKnn => super::knn::SEARCH,
            ModelKind::Rp3Beta => super::rp3beta::SEARCH,
            ModelKind::Ease => super::ease::SEARCH,
            ModelKind::Popularity => &[],
        }
    }

    /// The largest catalogue `latent tune --model auto` tries this kind on, for kinds
    /// whose fit grows too fast with it to share a time budget; `--model` names it to
    /// tune it on any size it fits.
    pub const fn auto_max_items(self) -> Option<usize> {
        match self {
            ModelKind::Ease => Some(super::ease::AUTO_MAX_ITEMS),
            _ => None,
        }
    }

    /// True when the model learns from how much a pair counts (ALS's confidence,
    /// item-kNN's cosine, an FM's target), so weighting lines by recency can change it;
    /// EASE, RP3beta and popularity count a purchase once.
    pub const fn reads_values(self) -> bool {
        matches!(
            self,
            ModelKind::Als | ModelKind::AlsExplicit | ModelKind::ItemKnn | ModelKind::Fm
        )
    }

    /// The kinds `latent tune --model auto` chooses among, strongest first: those for
    /// purchases, or for ratings.
    pub fn tuned_by_auto(ratings: bool) -> &'static [ModelKind] {
        if ratings {
            &[ModelKind::AlsExplicit, ModelKind::Fm]
        } else {
            &[
                ModelKind::Ease,
                ModelKind::Als,
                ModelKind::Rp3Beta,
                ModelKind::ItemKnn,
            ]
        }
    }

    /// Parses a name from [`ModelKind::name`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == text)
    }
}

/// Where a model's settings come from before `--set`: the workspace's tables.
#[derive(Debug, Clone, Copy)]
pub struct SettingTables<'a> {
    /// The workspace's `[als]` table.
    pub als: &'a toml::Table,
    /// The workspace's `[fm]` table.
    pub fm: &'a toml::Table,
    /// True when the data are ratings: an FM without a `predictor_type` is a regressor.
    pub ratings: bool,
}

/// Which workspace table holds a model's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingTable {
    /// `[als]`
    Als,
    /// `[fm]`
    Fm,
}

/// A model's hyperparameters, typed and checked: parsed once from the workspace and the
/// overrides, then handed to the fit as they are.
///
/// With serde they are `{ model = "als", settings = { als_rank = "64", … } }`: the same
/// canonical text `run.toml` keeps, so what any version wrote reads back, and reading
/// checks the values again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ParamsText", into = "ParamsText")]
pub enum ModelParams {
    /// Implicit or explicit ALS (`implicit_prefs`).
    Als(ValidAlsParams),
    Fm(ValidFmParams),
    ItemKnn(KnnParams),
    Rp3Beta(Rp3BetaParams),
    Ease(EaseParams),
    Popularity,
}

impl ModelParams {
    /// The settings of `kind`: its defaults, the workspace's table, then `overrides`.
    pub fn parse(
        kind: ModelKind,
        tables: SettingTables<'_>,
        overrides: &[(String, RawValue)],
    ) -> Result<Self, ParamsError> {
        match kind {
            ModelKind::Als | ModelKind::AlsExplicit => {
                // Purchases get defaults chosen on purchase logs; ratings keep Spark's.
                let mut p = match kind {
                    ModelKind::Als => AlsParams::for_purchases(),
                    _ => AlsParams::default(),
                };
                p.apply_table(tables.als)?;
                for (k, v) in overrides {
                    p.set(k, v)?;
                }
                if kind == ModelKind::AlsExplicit {
                    p.implicit_prefs = false;
                }
                Ok(ModelParams::Als(p.check()?))
            }
            ModelKind::Fm => {
                let mut p = FmParams::for_data(tables.ratings, tables.fm)?;
                for (k, v) in overrides {
                    p.set(k, v)?;
                }
                let given: Vec<&str> = (tables.fm.keys().map(String::as_str))
                    .chain(overrides.iter().map(|(k, _)| k.as_str()))
                    .filter_map(FmParams::canonical_key)
                    .collect();
                super::fm::solver_defaults(&mut p, |key| given.contains(&key));
                Ok(ModelParams::Fm(p.check()?))
            }
            ModelKind::ItemKnn => Ok(ModelParams::ItemKnn(KnnParams::parse(overrides)?)),
            ModelKind::Rp3Beta => Ok(ModelParams::Rp3Beta(Rp3BetaParams::parse(overrides)?)),
            ModelKind::Ease => Ok(ModelParams::Ease(EaseParams::parse(overrides)?)),
            ModelKind::Popularity => match overrides.first() {
                Some((key, _)) => Err(ParamsError::UnknownKey {
                    model: "popularity",
                    key: key.clone(),
                    suggestion: None,
                    valid: Vec::new(),
                }),
                None => Ok(ModelParams::Popularity),
            },
        }
    }

    /// These settings with `overrides` on top (a sweep's trial, a tuner's candidate),
    /// checked again as a whole.
    pub fn with_overrides(&self, overrides: &[(String, RawValue)]) -> Result<Self, ParamsError> {
        let empty = toml::Table::new();
        let mut all: Vec<(String, RawValue)> = self
            .to_strings()
            .into_iter()
            .map(|(k, v)| (k, RawValue::Text(v)))
            .collect();
        all.extend_from_slice(overrides);
        let tables = SettingTables {
            als: &empty,
            fm: &empty,
            ratings: false,
        };
        Self::parse(self.kind(), tables, &all)
    }

    /// True when these settings predict ratings (explicit ALS, an FM regressor), so they
    /// learn from a rating matrix.
    pub fn predicts_ratings(&self) -> bool {
        match self {
            ModelParams::Als(p) => !p.implicit_prefs,
            ModelParams::Fm(p) => p.predictor_type == super::fm::PredictorType::Regressor,
            _ => false,
        }
    }

    /// Which model these settings train.
    pub fn kind(&self) -> ModelKind {
        match self {
            ModelParams::Als(p) if p.implicit_prefs => ModelKind::Als,
            ModelParams::Als(_) => ModelKind::AlsExplicit,
            ModelParams::Fm(_) => ModelKind::Fm,
            ModelParams::ItemKnn(_) => ModelKind::ItemKnn,
            ModelParams::Rp3Beta(_) => ModelKind::Rp3Beta,
            ModelParams::Ease(_) => ModelKind::Ease,
            ModelParams::Popularity => ModelKind::Popularity,
        }
    }

    /// The settings as canonical key → value text, as `run.toml` and SageMaker store them.
    pub fn to_strings(&self) -> BTreeMap<String, String> {
        let strings = match self {
            ModelParams::Als(p) => p.to_strings(),
            ModelParams::Fm(p) => p.to_strings(),
            ModelParams::ItemKnn(p) => p.to_strings(),
            ModelParams::Rp3Beta(p) => p.to_strings(),
            ModelParams::Ease(p) => p.to_strings(),
            ModelParams::Popularity => BTreeMap::new(),
        };
        strings
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    }

    /// The first `limit` settings as `key=value`, in the order the model offers them for
    /// tuning: a job's or a run's one-line summary, for any model.
    pub fn key_settings(&self, limit: usize) -> String {
        settings_text(self.kind(), &self.to_strings(), limit)
    }

    /// The settings as the workspace table the run keeps in its `config.toml`
    /// (`[als]` or `[fm]`), so a replay trains the same model; `None` for models without
    /// a table.
    pub fn table(&self) -> Option<(SettingTable, toml::Table)> {
        let (name, strings) = match self {
            ModelParams::Als(p) => (SettingTable::Als, p.to_strings()),
            ModelParams::Fm(p) => (SettingTable::Fm, p.to_strings()),
            _ => return None,
        };
        Some((
            name,
            strings
                .into_iter()
                .map(|(k, v)| (k.to_owned(), toml::Value::String(v)))
                .collect(),
        ))
    }

    /// Fits the model these settings describe on `input`, calling `on_epoch` after each
    /// training pass (`Break` cancels).
    pub fn fit(
        &self,
        input: &FitInput<'_>,
        on_epoch: &mut dyn FnMut(&EpochReport) -> ControlFlow<()>,
    ) -> Result<TrainedModel, FitFailure> {
        Ok(match self {
            ModelParams::Als(p) => TrainedModel::new(AlsModel::fit(
                p,
                input.user_items,
                input.item_users,
                on_epoch,
            )?),
            ModelParams::Fm(p) => {
                let (users, items) = (input.side_features)(p.side_features, p.rfm_bands)
                    .map_err(FitFailure::Data)?;
                TrainedModel::new(FmModel::fit_reporting(p, input, &users, &items, on_epoch)?)
            }
            ModelParams::ItemKnn(p) => TrainedModel::new(ItemKnnModel::fit_with(
                input.user_items,
                input.item_users,
                *p,
            )),
            ModelParams::Rp3Beta(p) => {
                TrainedModel::new(super::rp3beta::fit(input.user_items, input.item_users, *p))
            }
            ModelParams::Ease(p) => {
                TrainedModel::new(super::ease::fit(input.item_users, input.user_items, *p)?)
            }
            ModelParams::Popularity => TrainedModel::new(PopularityModel::fit(input.user_items)),
        })
    }
}

/// [`ModelParams`] as text, the form serde reads and writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ParamsText {
    model: ModelKind,
    #[serde(default)]
    settings: BTreeMap<String, String>,
}

impl From<ModelParams> for ParamsText {
    fn from(p: ModelParams) -> Self {
        Self {
            model: p.kind(),
            settings: p.to_strings(),
        }
    }
}

impl TryFrom<ParamsText> for ModelParams {
    type Error = ParamsError;

    fn try_from(t: ParamsText) -> Result<Self, ParamsError> {
        let empty = toml::Table::new();
        let settings: Vec<(String, RawValue)> = t
            .settings
            .into_iter()
            .map(|(k, v)| (k, RawValue::Text(v)))
            .collect();
        let tables = SettingTables {
            als: &empty,
            fm: &empty,
            ratings: false,
        };
        ModelParams::parse(t.model, tables, &settings)
    }
}

/// Why a fit produced no model: the fit itself, or the side data it asked for.
#[derive(Debug, thiserror::Error)]
pub enum FitFailure {
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error(transparent)]
    Data(LoadError),
}

/// Reads back a model of `kind` saved by [`super::Model::save`], with the `settings` of
/// its `run.toml`, for `users` customers and `items` products.
pub fn load(
    kind: ModelKind,
    settings: &BTreeMap<String, String>,
    users: usize,
    items: usize,
    arrays: &dyn ArrayReader,
) -> Result<TrainedModel, ArrayError> {
    Ok(match kind {
        ModelKind::Als | ModelKind::AlsExplicit => {
            TrainedModel::new(AlsModel::load(settings, users, items, arrays)?)
        }
        ModelKind::Fm => TrainedModel::new(FmModel::load(settings, users, items, arrays)?),
        ModelKind::ItemKnn | ModelKind::Rp3Beta | ModelKind::Ease => {
            TrainedModel::new(ItemKnnModel::load(kind, items, arrays)?)
        }
        ModelKind::Popularity => TrainedModel::new(PopularityModel::load(items, arrays)?),
    })
}

/// `params`' first `limit` settings of `kind` as `key=value`, in the order `kind` offers
/// them for tuning, or `-` when it has none: read from a run's stored text or from checked
/// settings alike.
pub fn settings_text(kind: ModelKind, params: &BTreeMap<String, String>, limit: usize) -> String {
    let pairs: Vec<String> = kind
        .settings()
        .iter()
        .filter_map(|s| params.get(s.key).map(|v| format!("{}={v}", s.key)))
        .take(limit)
        .collect();
    if pairs.is_empty() {
        "-".to_owned()
    } else {
        pairs.join(" ")
    }
}
