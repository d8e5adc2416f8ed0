//! The Tune screen's form: the hyperparameters of the next run, validated as typed.
//!
//! Fields start from the workspace (`[als]`, `[interactions]`, `[recommend]`). Every edit
//! is checked with the same code `latent train` uses, and the error is shown beside the
//! field; a run can only start from a form without errors.

use crate::config::WorkspaceConfig;
use crate::experiment::{Holdout, TrainSpec};
use crate::models::ModelKind;
use crate::models::als::AlsParams;
use crate::models::hyper::RawValue;

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Cycled with ←/→.
    Choice(&'static [&'static str]),
    /// Typed.
    Text,
}

/// One line of the form.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub kind: FieldKind,
    pub value: String,
    pub error: Option<String>,
}

/// The form and its cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct TuneForm {
    pub fields: Vec<Field>,
    pub selected: usize,
    /// The text being typed into the selected field, if editing.
    pub editing: Option<String>,
    /// The preset `p` applies next.
    pub next_preset: usize,
}

const MODELS: &[&str] = &["als", "als-explicit", "fm", "popularity", "item-knn"];
const CONVENTIONS: &[&str] = &["spark", "implicit"];
const YES_NO: &[&str] = &["yes", "no"];
const FM_PREDICTORS: &[&str] = &["ranking", "regressor", "binary_classifier"];
const FM_SOLVERS: &[&str] = &["adagrad", "sgd", "mcmc"];
/// The settings the form offers per model, from the model registry.
const FM_KEYS: &[&str] = ModelKind::Fm.form_keys();
const ALS_KEYS: &[&str] = ModelKind::Als.form_keys();

fn field(
    key: &'static str,
    label: &'static str,
    help: &'static str,
    kind: FieldKind,
    value: String,
) -> Field {
    Field {
        key,
        label,
        help,
        kind,
        value,
        error: None,
    }
}

impl TuneForm {
    /// A form holding the workspace's settings.
    pub fn from_config(config: &WorkspaceConfig) -> Self {
        let mut als = AlsParams::default();
        let _ = als.apply_table(&config.als);
        // The workspace's [fm] table seeds the FM fields, as [als] seeds the ALS ones, with
        // the same defaults as the command line (the regressor on rating data).
        let fm = config.fm_params().unwrap_or_default();
        let opt = |v: Option<u32>| v.map(|d| d.to_string()).unwrap_or_default();
        let fields = vec![
            field(
                "model",
                "model",
                "als: purchases; als-explicit: ratings; fm: factorization machine with the side features; popularity, item-knn: baselines",
                FieldKind::Choice(MODELS),
                "als".into(),
            ),
            field(
                "als_rank",
                "rank (als_rank)",
                "latent factors, 1..=512; more fit finer tastes, cost more",
                FieldKind::Text,
                als.rank.to_string(),
            ),
            field(
                "reg_param",
                "reg_param",
                "L2 regularisation, ≥ 0; raise it when the model overfits",
                FieldKind::Text,
                als.reg_param.to_string(),
            ),
            field(
                "max_iter",
                "iterations (max_iter)",
                "alternating sweeps, 1..=1000",
                FieldKind::Text,
                als.max_iter.to_string(),
            ),
            field(
                "alpha",
                "alpha",
                "confidence scale of purchases, > 0",
                FieldKind::Text,
                als.alpha.to_string(),
            ),
            field(
                "convention",
                "convention",
                "spark: 1 + alpha·r and λ·n (the seed system); implicit: alpha·r and λ",
                FieldKind::Choice(CONVENTIONS),
                format!("{:?}", als.convention).to_lowercase(),
            ),
            field(
                "cg_steps",
                "CG steps",
                "conjugate-gradient steps per row and sweep, 1..=50",
                FieldKind::Text,
                als.cg_steps.to_string(),
            ),
            field(
                "num_factors",
                "FM factors",
                "FM latent factors per feature, 1..=1000 (SageMaker num_factors)",
                FieldKind::Text,
                fm.num_factors.to_string(),
            ),
            field(
                "epochs",
                "FM epochs",
                "passes over the data (SGD) or Gibbs sweeps (mcmc)",
                FieldKind::Text,
                fm.epochs.to_string(),
            ),
            field(
                "predictor_type",
                "FM predictor",
                "ranking: purchases (BPR); regressor: ratings (RMSE); binary_classifier: 0/1",
                FieldKind::Choice(FM_PREDICTORS),
                fm.predictor_type.name().to_owned(),
            ),
            field(
                "solver",
                "FM solver",
                "adagrad or sgd: mini-batches; mcmc: Bayesian FM (regressor), the most accurate for ratings",
                FieldKind::Choice(FM_SOLVERS),
                fm.solver.name().to_owned(),
            ),
            field(
                "factors_lr",
                "FM factor rate",
                "learning rate of the factors (SGD/AdaGrad), > 0; lower it if training diverges",
                FieldKind::Text,
                fm.factors_lr.to_string(),
            ),
            field(
                "retention_days",
                "retention days",
                "days of data kept up to the retention date; empty = all",
                FieldKind::Text,
                opt(config.interactions.retention_days),
            ),
            field(
                "test_last_days",
                "hold out last days",
                "evaluate on the last N days; empty = no evaluation",
                FieldKind::Text,
                "30".into(),
            ),
            field(
                "new_items_only",
                "new purchases only",
                "count only products the customer had not bought before",
                FieldKind::Choice(YES_NO),
                "yes".into(),
            ),
        ];
        let mut form = Self {
            fields,
            selected: 0,
            editing: None,
            next_preset: 0,
        };
        form.validate();
        form
    }

    /// Presets: `(name, [(key, value)])`, cycled with `p` on the Tune screen.
    pub const PRESETS: [(&'static str, &'static [(&'static str, &'static str)]); 4] = [
        (
            "seed defaults (Spark ALS)",
            &[
                ("als_rank", "10"),
                ("reg_param", "0.1"),
                ("max_iter", "10"),
                ("alpha", "1"),
                ("convention", "spark"),
            ],
        ),
        (
            "quick look",
            &[
                ("als_rank", "8"),
                ("reg_param", "0.1"),
                ("max_iter", "5"),
                ("alpha", "1"),
                ("convention", "spark"),
            ],
        ),
        (
            "quality",
            &[
                ("als_rank", "32"),
                ("reg_param", "0.05"),
                ("max_iter", "15"),
                ("alpha", "5"),
                ("convention", "spark"),
            ],
        ),
        (
            "implicit library defaults",
            &[
                ("als_rank", "100"),
                ("reg_param", "0.01"),
                ("max_iter", "15"),
                ("alpha", "40"),
                ("convention", "implicit"),
            ],
        ),
    ];

    /// Applies preset `n` and returns its name.
    pub fn apply_preset(&mut self, n: usize) -> &'static str {
        let (name, values) = Self::PRESETS[n % Self::PRESETS.len()];
        for (key, value) in values {
            if let Some(f) = self.fields.iter_mut().find(|f| f.key == *key) {
                (*value).clone_into(&mut f.value);
            }
        }
        self.validate();
        name
    }

    /// A small grid around the form's rank and regularisation (×½, ×1, ×2 and ×0.1, ×1,
    /// ×10): nine trials for a sweep.
    pub fn sweep_grid(&self) -> Vec<Vec<(String, String)>> {
        let rank: usize = self.value("als_rank").parse().unwrap_or(10);
        let reg: f64 = self.value("reg_param").parse().unwrap_or(0.1);
        let mut out = Vec::new();
        for r in [(rank / 2).max(1), rank, (rank * 2).min(512)] {
            for g in [reg / 10.0, reg, reg * 10.0] {
                out.push(vec![
                    ("als_rank".to_owned(), r.to_string()),
                    ("reg_param".to_owned(), format!("{g}")),
                ]);
            }
        }
        out.dedup();
        out
    }

    /// The value of `key`.
    pub fn value(&self, key: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .map_or("", |f| f.value.as_str())
    }

    /// True when no field has an error.
    pub fn is_valid(&self) -> bool {
        self.fields.iter().all(|f| f.error.is_none())
    }

    /// True when field `key` applies to the chosen model (the form shows only those).
    pub fn applies(&self, key: &str) -> bool {
        let model = self.value("model");
        let als = matches!(model, "als" | "als-explicit");
        if ALS_KEYS.contains(&key) {
            return als;
        }
        if FM_KEYS.contains(&key) {
            return model == "fm";
        }
        true
    }

    /// Indices of the fields shown.
    pub fn visible(&self) -> Vec<usize> {
        (0..self.fields.len())
            .filter(|&i| self.applies(self.fields[i].key))
            .collect()
    }

    /// Moves the cursor by `delta` shown fields.
    pub fn move_cursor(&mut self, delta: isize) {
        let shown = self.visible();
        let at = shown.iter().position(|&i| i == self.selected).unwrap_or(0) as isize;
        let n = shown.len().max(1) as isize;
        self.selected = shown[((at + delta).rem_euclid(n)) as usize];
    }

    /// Cycles a choice field, or starts typing into a text field.
    pub fn activate(&mut self, step: isize) {
        let f = &mut self.fields[self.selected];
        match f.kind {
            FieldKind::Choice(options) => {
                let at = options.iter().position(|o| *o == f.value).unwrap_or(0) as isize;
                f.value =
                    options[((at + step).rem_euclid(options.len() as isize)) as usize].to_owned();
                self.validate();
            }
            FieldKind::Text if step == 0 => self.editing = Some(f.value.clone()),
            FieldKind::Text => {}
        }
    }

    /// Commits the text being typed and re-validates.
    pub fn commit(&mut self) {
        if let Some(text) = self.editing.take() {
            text.trim()
                .clone_into(&mut self.fields[self.selected].value);
            self.validate();
        }
    }

    /// Checks every field with the training code's own checks.
    pub fn validate(&mut self) {
        for f in &mut self.fields {
            f.error = None;
        }
        let mut params = AlsParams::default();
        for key in ALS_KEYS {
            let value = self.value(key).to_owned();
            if let Err(e) = params.set(key, &RawValue::Text(value)) {
                self.set_error(key, e.to_string());
            }
        }
        if let Err(e) = params.check()
            && let Some(key) = e.key().and_then(|k| ALS_KEYS.iter().find(|&&f| f == k))
        {
            self.set_error(key, e.to_string());
        }
        if self.value("model") == "fm" {
            let mut fm = crate::models::fm::FmParams::default();
            for key in FM_KEYS {
                let value = self.value(key).to_owned();
                if let Err(e) = fm.set(key, &RawValue::Text(value)) {
                    self.set_error(key, e.to_string());
                }
            }
            if let Err(e) = fm.check() {
                // Settings wrong only together are shown on the model's kind.
                let key = e
                    .key()
                    .and_then(|k| FM_KEYS.iter().find(|&&f| f == k))
                    .copied()
                    .unwrap_or("predictor_type");
                self.set_error(key, e.to_string());
            }
        }
        // Errors of fields the chosen model does not use do not block training.
        let hidden: Vec<usize> = (0..self.fields.len())
            .filter(|&i| !self.applies(self.fields[i].key))
            .collect();
        for i in hidden {
            self.fields[i].error = None;
        }
        for key in ["retention_days", "test_last_days"] {
            let v = self.value(key).to_owned();
            if !v.is_empty() && !v.parse::<u32>().is_ok_and(|d| d > 0) {
                self.set_error(
                    key,
                    format!("invalid {key} '{v}': a whole number of days ≥ 1, or empty"),
                );
            }
        }
    }

    fn set_error(&mut self, key: &str, message: String) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == key) {
            f.error.get_or_insert(message);
        }
    }

    /// The training request this form describes, or the first error.
    pub fn train_spec(&self, config: &WorkspaceConfig) -> Result<TrainSpec, String> {
        if let Some(f) = self.fields.iter().find(|f| f.error.is_some()) {
            return Err(f.error.clone().unwrap_or_default());
        }
        let model = ModelKind::parse(self.value("model")).unwrap_or(ModelKind::Als);
        let mut config = config.clone();
        let data = config
            .data
            .path
            .clone()
            .ok_or("the workspace has no [data] path")?;
        config.interactions.retention_days = self.value("retention_days").parse().ok();
        let overrides = model
            .form_keys()
            .iter()
            .map(|k| ((*k).to_owned(), RawValue::Text(self.value(k).to_owned())))
            .collect();
        let holdout = match self.value("test_last_days").parse::<u32>() {
            Ok(days) => Holdout::LastDays {
                days,
                new_items_only: self.value("new_items_only") == "yes",
            },
            Err(_) => Holdout::None,
        };
        let k = config.recommend.reco_item.max(1);
        Ok(TrainSpec {
            config,
            data,
            model,
            overrides,
            holdout,
            k,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_are_checked_like_the_cli() {
        let mut form = TuneForm::from_config(&WorkspaceConfig::default());
        assert!(form.is_valid());
        form.selected = 1;
        form.activate(0);
        form.editing = Some("0".into());
        form.commit();
        assert_eq!(
            form.fields[1].error.as_deref(),
            Some("invalid als_rank '0': must be in 1..=512")
        );
        assert!(form.train_spec(&WorkspaceConfig::default()).is_err());
        form.activate(0);
        form.editing = Some("32".into());
        form.commit();
        assert!(form.is_valid());
    }

    #[test]
    fn the_fm_fields_start_from_the_workspace_fm_table() {
        let config = WorkspaceConfig {
            fm: toml::toml! {
                factors = 24
                predictor_type = "regressor"
                solver = "mcmc"
                epochs = "50"
            },
            ..WorkspaceConfig::default()
        };
        let form = TuneForm::from_config(&config);
        assert_eq!(form.value("num_factors"), "24");
        assert_eq!(form.value("predictor_type"), "regressor");
        assert_eq!(form.value("solver"), "mcmc");
        assert_eq!(form.value("epochs"), "50");
        let plain = TuneForm::from_config(&WorkspaceConfig::default());
        assert_eq!(plain.value("predictor_type"), "ranking");
        assert_eq!(plain.value("solver"), "adagrad");
        // Rating data: the regressor, as `latent train --model fm` would train.
        let mut ratings = WorkspaceConfig::default();
        ratings.interactions.ranking_type = crate::data::RankingType::Rating;
        let form = TuneForm::from_config(&ratings);
        assert_eq!(form.value("predictor_type"), "regressor");
    }

    #[test]
    fn choices_cycle_and_days_must_be_numbers() {
        let mut form = TuneForm::from_config(&WorkspaceConfig::default());
        form.activate(1);
        assert_eq!(form.value("model"), "als-explicit");
        form.activate(-1);
        form.activate(-1);
        assert_eq!(form.value("model"), "item-knn");
        form.selected = form
            .fields
            .iter()
            .position(|f| f.key == "test_last_days")
            .unwrap();
        form.activate(0);
        form.editing = Some("soon".into());
        form.commit();
        assert!(
            form.fields[form.selected]
                .error
                .as_deref()
                .unwrap()
                .contains("'soon'")
        );
    }
}
