//! `latent tune`: a time-boxed search for the model and settings that predict best,
//! chosen honestly.
//!
//! The test period the user holds out is never looked at while choosing: every trial
//! trains on the data before an inner validation window (the last days before the test
//! period, [`validation`]) and is scored on that window. Trials are proposed by a
//! tree-structured Parzen estimator ([`tpe`]) over each model's own search space
//! ([`crate::models::ModelKind::search_space`]), starting from the model's defaults. When
//! the budget ends (or the search is cancelled) the best trial's model is retrained on the
//! whole training window and scored once on the test period, and only that run is
//! written, complete or not at all.
//!
//! Proposals depend only on the seed and on earlier trials' scores, never on timing: the
//! same seed and number of trials give the same search.

mod search;
pub mod tpe;
pub mod validation;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use crate::data::Transactions;
use crate::data::fingerprint::{DataFingerprint, load_config};
use crate::data::load_transactions;
use crate::error::Error;
use crate::experiment::{RunError, Source, TrainSpec, train_into};
use crate::models::ModelKind;
use crate::models::hyper::{ParamsError, RawValue, check_range};
use crate::models::tuning::{Dimension, REBUY, RECENCY, is_outside_model};
use crate::store::{Run, StoreError, TrialRecord, TuneTag};
use crate::sweep::Metric;
use validation::Validation;
pub use validation::ValidationSplit;

/// The models `auto` chooses among: those for purchases, or for ratings.
pub fn auto_candidates(ratings: bool) -> Vec<ModelKind> {
    ModelKind::tuned_by_auto(ratings).to_vec()
}

/// A search to run.
#[derive(Debug, Clone)]
pub struct TuneSpec {
    /// Configuration, data, the test period (`holdout`) and list length; its model and
    /// settings are replaced by each trial's.
    pub base: TrainSpec,
    /// The models searched: one, or `auto`'s.
    pub models: Vec<ModelKind>,
    /// `--set` values, kept fixed and out of the search.
    pub fixed: Vec<(String, RawValue)>,
    pub metric: Metric,
    pub budget: Duration,
    /// Stop after this many trials even if time is left (a reproducible search).
    pub max_trials: Option<usize>,
    pub seed: u64,
    /// How the inner validation lines are carved out of the training window.
    pub validation: ValidationSplit,
}

/// Progress of a search.
#[derive(Debug, Clone, PartialEq)]
pub enum TuneEvent {
    Loaded {
        lines: usize,
    },
    /// The validation window is carved out: its label and how many customers it scores.
    Validation {
        label: String,
        customers: usize,
    },
    /// A candidate of `--model auto` is left out, and why (a catalogue too large for it
    /// to share the budget).
    LeftOut {
        model: ModelKind,
        why: String,
    },
    Trial(TrialRecord),
    /// The search is over; the best trial is being retrained for the test period.
    Retraining {
        trial: usize,
    },
}

impl TuneSpec {
    /// The `--set` values that are the models' settings (the recency half-life is the
    /// data's).
    fn model_fixed(&self) -> Vec<(String, RawValue)> {
        (self.fixed.iter())
            .filter(|(k, _)| !is_outside_model(k))
            .cloned()
            .collect()
    }

    /// The re-buy weight every trial without its own uses: `--set`'s, else the
    /// workspace's.
    fn rebuy(&self) -> f32 {
        match self.fixed.iter().find(|(k, _)| k == REBUY.key) {
            Some((_, v)) => v.as_f64(REBUY.key).map_or(0.0, |w| w as f32),
            None => self.base.config.overrides.rebuy_weight(),
        }
    }

    /// The recency half-life every trial without its own uses: `--set`'s, else the
    /// workspace's.
    fn half_life(&self) -> Option<f64> {
        match self.fixed.iter().find(|(k, _)| k == RECENCY.key) {
            Some((_, v)) => v.as_f64(RECENCY.key).ok(),
            None => self.base.config.interactions.recency_half_life_days,
        }
    }

    /// Where `kind`'s trials move: its own space, the recency half-life for models
    /// that read values on data that is not ratings, and, when lists may show bought
    /// products, the re-buy weight (with the half-life, which weighs the channel's
    /// purchases); `--set` keys stay fixed.
    fn dimensions(&self, kind: ModelKind) -> Vec<Dimension> {
        let ratings =
            self.base.config.interactions.ranking_type == crate::data::RankingType::Rating;
        let rebuy = !self.base.config.overrides.exclude_seen && !ratings;
        let recency = ((kind.reads_values() || rebuy) && !ratings).then_some(RECENCY);
        (kind.search_space().iter().copied())
            .chain(recency)
            .chain(rebuy.then_some(REBUY))
            .filter(|d| !self.fixed.iter().any(|(k, _)| k == d.key))
            .collect()
    }
}

/// What a search found and wrote.
#[derive(Debug, Clone)]
pub struct TuneReport {
    pub tag: TuneTag,
    /// The chosen model retrained and tested once, and the folder it was written to;
    /// `None` when no trial finished.
    pub run: Option<(PathBuf, Run)>,
}

impl TuneReport {
    /// The chosen trial.
    pub fn best(&self) -> Option<&TrialRecord> {
        self.run.as_ref()?;
        self.tag.trials.get(self.tag.best_trial.checked_sub(1)?)
    }
}

/// The words `run.toml` and every report use for how the run was chosen.
pub const SELECTION: &str = "chosen on an inner validation split of the training data (see validation); the test was scored once, by the chosen model, so its metrics are an honest estimate";

/// Checks `spec` before any data is read: a budget, a metric the models have, settings
/// each model accepts.
pub fn check(spec: &TuneSpec) -> Result<(), ParamsError> {
    if spec.budget.is_zero() {
        return Err(ParamsError::OutOfRange {
            key: "budget".into(),
            value: "0s".into(),
            range: "more than 0 seconds".into(),
        });
    }
    if spec.models.is_empty() {
        return Err(ParamsError::Invalid("no model to tune".into()));
    }
    if let Some((_, v)) = spec.fixed.iter().find(|(k, _)| k == RECENCY.key) {
        let days = v.as_f64(RECENCY.key)?;
        check_range(RECENCY.key, days, 1e-3, 1e6)?;
    }
    if let Some((_, v)) = spec.fixed.iter().find(|(k, _)| k == REBUY.key) {
        check_range(REBUY.key, v.as_f64(REBUY.key)?, 0.0, 1.0)?;
    }
    for &kind in &spec.models {
        TrainSpec::settings(&spec.base.config, kind, &spec.model_fixed())?;
    }
    Ok(())
}

/// The candidates that share a budget on a catalogue of `products`, and why the others
/// are left out: a model named alone is always tried.
fn sharing_the_budget(models: &[ModelKind], products: usize) -> (Vec<ModelKind>, Vec<TuneEvent>) {
    let fits = |m: &ModelKind| m.auto_max_items().is_none_or(|max| products <= max);
    if models.len() < 2 {
        return (models.to_vec(), Vec::new());
    }
    let left_out = (models.iter().filter(|m| !fits(m)))
        .map(|&model| TuneEvent::LeftOut {
            model,
            why: format!(
                "{products} products are more than the {} auto tries it on (its solve grows with the cube of the catalogue); tune it alone (model = \"{m}\" in [tune])",
                model.auto_max_items().unwrap_or_default(),
                m = model.name()
            ),
        })
        .collect();
    (models.iter().copied().filter(fits).collect(), left_out)
}

/// Where the chosen run goes, asked once the search is over with the chosen model (a
/// workspace names its run folders after it): nothing is made before there is a run.
pub type RunDirFor<'a> = dyn FnMut(ModelKind) -> std::io::Result<PathBuf> + 'a;

/// Reads `spec`'s data, searches, and writes the chosen run into the folder `dir_for`
/// gives.
pub fn run_tune(
    spec: &TuneSpec,
    dir_for: &mut RunDirFor<'_>,
    on_event: &mut dyn FnMut(TuneEvent),
    should_stop: &dyn Fn() -> bool,
) -> Result<TuneReport, Error> {
    check(spec)?;
    let load = spec.base.config.load_spec();
    let (transactions, report) = load_transactions(&spec.base.data, &load)?;
    let fingerprint = DataFingerprint::of(&spec.base.data, &load_config(&load)).ok();
    on_event(TuneEvent::Loaded {
        lines: report.rows_kept,
    });
    tune_loaded(
        spec,
        &transactions,
        fingerprint.as_ref(),
        dir_for,
        on_event,
        should_stop,
    )
}

/// [`run_tune`] on lines already read and cleaned with `spec`'s configuration.
pub fn tune_loaded(
    spec: &TuneSpec,
    transactions: &Transactions,
    fingerprint: Option<&DataFingerprint>,
    dir_for: &mut RunDirFor<'_>,
    on_event: &mut dyn FnMut(TuneEvent),
    should_stop: &dyn Fn() -> bool,
) -> Result<TuneReport, Error> {
    check(spec)?;
    // As `latent train`: a rating predictor on a file with a rating column whose
    // aggregation nobody chose learns, and is validated, on the ratings.
    let switched;
    let spec = if spec.base.rating_implied && transactions.has.rating {
        let mut s = spec.clone();
        s.base.config.interactions.ranking_type = crate::data::RankingType::Rating;
        switched = s;
        &switched
    } else {
        spec
    };
    let validation = Validation::carve(&spec.base, transactions, spec.validation, spec.seed)?;
    let (kept, left_out) = sharing_the_budget(&spec.models, validation.products());
    let narrowed;
    let spec = if left_out.is_empty() {
        spec
    } else {
        for event in left_out {
            on_event(event);
        }
        let mut s = spec.clone();
        s.models = kept;
        narrowed = s;
        &narrowed
    };
    on_event(TuneEvent::Validation {
        label: validation.label.clone(),
        customers: validation.customers,
    });
    let search = search::search(spec, &validation, on_event, should_stop);
    let mut tag = TuneTag {
        metric: format!("{}@{}", spec.metric.name(), spec.base.k),
        validation: match validation.sampled_from {
            Some(all) => format!(
                "{}: {} customers sampled of {all}",
                validation.label, validation.customers
            ),
            None => format!("{}: {} customers", validation.label, validation.customers),
        },
        selection: SELECTION.to_owned(),
        seed: spec.seed,
        budget_seconds: spec.budget.as_secs_f64(),
        cancelled: search.cancelled,
        best_trial: 0,
        trials: search.trials,
    };
    let Some(best) = search.best else {
        return Ok(TuneReport { tag, run: None });
    };
    tag.best_trial = best + 1;
    on_event(TuneEvent::Retraining { trial: best + 1 });
    let chosen = &tag.trials[best];
    let mut final_spec = spec.base.clone();
    final_spec.model = chosen.model;
    final_spec.params = search::params_of(spec, chosen.model, &chosen.settings)?;
    final_spec.config.interactions.recency_half_life_days = match chosen.settings.get(RECENCY.key) {
        Some(h) => h.parse().ok(),
        None => spec.half_life(),
    };
    if let Some(w) = chosen.settings.get(REBUY.key).and_then(|w| w.parse().ok()) {
        final_spec.config.overrides.rebuy = Some(w);
    }
    let source = Source::Loaded {
        transactions,
        fingerprint,
    };
    // The chosen run is trained whatever happens to the search: a cancel keeps the best
    // so far, and a half-trained run is never written.
    let kept = tag.clone();
    let dir = dir_for(chosen.model).map_err(|e| StoreError::Io {
        dir: PathBuf::new(),
        message: format!("creating the run folder: {e}"),
    })?;
    let run = train_into(
        &final_spec,
        source,
        &dir,
        &mut |_| ControlFlow::Continue(()),
        &mut |run: &mut Run| run.meta.tune = Some(kept.clone()),
    )
    .map_err(|e| match e {
        RunError::Train(e) => e,
        RunError::Start { source, .. } | RunError::Save { source, .. } => source.into(),
        RunError::Cancelled => ParamsError::Invalid("the chosen run was cancelled".into()).into(),
    })?;
    Ok(TuneReport {
        tag,
        run: Some((dir, run)),
    })
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::config::WorkspaceConfig;
    use crate::data::transactions::PresentColumns;
    use crate::experiment::Holdout;

    /// 40 customers over 30 days, each buying two products a day from their block of 8.
    fn lines() -> Transactions {
        let mut t = Transactions {
            has: PresentColumns {
                timestamp: true,
                ..Default::default()
            },
            ..Default::default()
        };
        for day in 1..=30i64 {
            for u in 0..40u32 {
                for n in 0..2u32 {
                    let item = (u / 10) * 8 + (u + day as u32 * 3 + n * 5) % 8;
                    let (u, i) = (
                        t.users.intern(&format!("c{u}")),
                        t.items.intern(&format!("p{item}")),
                    );
                    t.user.push(u);
                    t.item.push(i);
                    t.timestamp.push(day * 86_400 + 3600);
                    t.quantity.push(1.0);
                    t.price.push(1.0);
                    t.rating.push(f32::NAN);
                    t.invoice.push(u32::MAX);
                    t.country.push(u32::MAX);
                    t.description.push(u32::MAX);
                }
            }
        }
        t
    }

    #[test]
    fn auto_leaves_out_a_model_too_slow_for_the_catalogue_and_one_named_alone_is_kept() {
        let auto = ModelKind::tuned_by_auto(false);
        let (kept, left) = sharing_the_budget(auto, 3_600);
        assert_eq!((kept.as_slice(), left.len()), (auto, 0));
        let (kept, left) = sharing_the_budget(auto, 12_648);
        assert!(!kept.contains(&ModelKind::Ease) && kept.len() == auto.len() - 1);
        match &left[..] {
            [TuneEvent::LeftOut { model, why }] => {
                assert_eq!(*model, ModelKind::Ease);
                assert!(
                    why.contains("12648 products") && why.contains("model = \"ease\" in [tune]"),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
        let (kept, left) = sharing_the_budget(&[ModelKind::Ease], 12_648);
        assert_eq!((kept, left.len()), (vec![ModelKind::Ease], 0));
    }

    fn spec() -> TuneSpec {
        // Re-buys count: every customer has bought their whole block by the window.
        let mut config = WorkspaceConfig::default();
        config.overrides.exclude_seen = false;
        let base = TrainSpec::new(
            config,
            "lines.csv".into(),
            ModelKind::Rp3Beta,
            &[],
            Holdout::LastDays {
                days: 5,
                new_items_only: false,
            },
            5,
        )
        .unwrap();
        TuneSpec {
            base,
            models: vec![ModelKind::Rp3Beta, ModelKind::ItemKnn],
            fixed: Vec::new(),
            metric: Metric::Ndcg,
            budget: Duration::from_secs(600),
            max_trials: Some(12),
            seed: 3,
            validation: ValidationSplit::LastDays(5),
        }
    }

    #[test]
    fn a_cancelled_search_writes_the_best_so_far_complete() {
        let folder = tempfile::tempdir().unwrap();
        let dir = folder.path().join("run");
        let finished = AtomicUsize::new(0);
        let mut on_event = |e: TuneEvent| {
            if matches!(e, TuneEvent::Trial(_)) {
                finished.fetch_add(1, Ordering::SeqCst);
            }
        };
        let stop = || finished.load(Ordering::SeqCst) >= 3;
        let report = tune_loaded(
            &spec(),
            &lines(),
            None,
            &mut |_| Ok(dir.clone()),
            &mut on_event,
            &stop,
        )
        .unwrap();
        assert!(report.tag.cancelled);
        assert_eq!(report.tag.trials.len(), 3);
        let best = report.best().unwrap().clone();
        let written = crate::store::Run::load(&dir).unwrap();
        let tag = written.meta.tune.unwrap();
        assert!(tag.cancelled && tag.best_trial == best.trial, "{tag:?}");
        assert_eq!(written.meta.model, best.model);
        assert!(written.metrics.is_some(), "the kept run is tested once");
    }

    #[test]
    fn a_search_cancelled_before_any_trial_writes_nothing() {
        let asked = Cell::new(false);
        let report = tune_loaded(
            &spec(),
            &lines(),
            None,
            &mut |_| {
                asked.set(true);
                Ok(PathBuf::from("never"))
            },
            &mut |_| {},
            &|| true,
        )
        .unwrap();
        assert!(report.run.is_none() && report.tag.trials.is_empty());
        assert!(!asked.get(), "no folder is made without a run");
    }

    #[test]
    fn both_models_start_from_their_defaults_and_the_best_leads() {
        let report = tune_loaded(
            &spec(),
            &lines(),
            None,
            &mut |_| Ok(tempfile::tempdir().unwrap().keep().join("run")),
            &mut |_| {},
            &|| false,
        )
        .unwrap();
        let trials = &report.tag.trials;
        assert_eq!(trials.len(), 12);
        assert_eq!(
            (trials[0].model, trials[1].model),
            (ModelKind::Rp3Beta, ModelKind::ItemKnn)
        );
        assert_eq!(trials[0].settings["beta"], "0.5", "defaults first");
        let best = report.best().unwrap();
        let top = trials
            .iter()
            .filter_map(|t| t.validation)
            .fold(f64::NEG_INFINITY, f64::max);
        assert_eq!(best.validation, Some(top));
    }
}
