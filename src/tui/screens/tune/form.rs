//! The Tune screen's form: the hyperparameters of the next run, validated as typed.
//!
//! The fields are the model choice, then the settings each model offers
//! ([`ModelKind::settings`], from the model's own folder), then the run's window and
//! hold-out. Values start from the workspace (`[als]`, `[fm]`, `[interactions]`), and
//! every edit is checked by the model's own parser, the one `latent train` uses, with the
//! error beside the field ([`ParamsError::key`] names it); a run can only start from a
//! form without errors. No model is named here: a new one brings its fields along.

use crate::config::WorkspaceConfig;
use crate::experiment::{Holdout, TrainSpec};
use crate::models::ModelKind;
use crate::models::hyper::{ParamsError, RawValue};

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
    pub help: String,
    pub kind: FieldKind,
    pub value: String,
    pub error: Option<String>,
    /// The models whose setting this is; empty for the run's own fields (window,
    /// hold-out), which every model shows.
    pub owners: Vec<ModelKind>,
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

/// The model choice's values: every registered model, in menu order.
const MODELS: [&str; ModelKind::ALL.len()] = {
    let mut names = [""; ModelKind::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = ModelKind::ALL[i].name();
        i += 1;
    }
    names
};
const YES_NO: &[&str] = &["yes", "no"];

fn field(
    key: &'static str,
    label: &'static str,
    help: &str,
    kind: FieldKind,
    value: String,
) -> Field {
    Field {
        key,
        label,
        help: help.to_owned(),
        kind,
        value,
        error: None,
        owners: Vec::new(),
    }
}

/// Three values around `value`: a count halved and doubled, a rate divided and multiplied
/// by ten; text that is neither stays as it is.
fn around(value: &str) -> Vec<String> {
    if let Ok(n) = value.parse::<usize>() {
        let mut v = vec![(n / 2).max(1), n, n.saturating_mul(2)];
        v.dedup();
        v.into_iter().map(|n| n.to_string()).collect()
    } else if let Ok(x) = value.parse::<f64>() {
        [x / 10.0, x, x * 10.0]
            .iter()
            .map(|g| format!("{g}"))
            .collect()
    } else {
        vec![value.to_owned()]
    }
}

/// `model`'s settings as text: its defaults under the workspace's table, or its bare
/// defaults when the table does not parse (the form then shows what it will use).
fn starting_values(
    config: &WorkspaceConfig,
    model: ModelKind,
) -> std::collections::BTreeMap<String, String> {
    TrainSpec::settings(config, model, &[])
        .or_else(|_| TrainSpec::settings(&WorkspaceConfig::default(), model, &[]))
        .map(|p| p.to_strings())
        .unwrap_or_default()
}

impl TuneForm {
    /// A form holding the workspace's settings.
    pub fn from_config(config: &WorkspaceConfig) -> Self {
        let opt = |v: Option<u32>| v.map(|d| d.to_string()).unwrap_or_default();
        let model_help = ModelKind::ALL
            .iter()
            .map(|k| format!("{}: {}", k.name(), k.describe()))
            .collect::<Vec<_>>()
            .join("; ");
        let mut fields = vec![field(
            "model",
            "model",
            &model_help,
            FieldKind::Choice(&MODELS),
            ModelKind::Als.name().into(),
        )];
        for kind in ModelKind::ALL {
            let values = starting_values(config, kind);
            for s in kind.settings() {
                // Models offering the very same setting (ALS and explicit ALS) share its
                // field, so switching between them keeps what was typed; a key two
                // models mean differently gets a field for each.
                if let Some(f) = fields
                    .iter_mut()
                    .find(|f| f.key == s.key && f.label == s.label && f.help == s.help)
                {
                    f.owners.push(kind);
                    continue;
                }
                let edit = if s.choices.is_empty() {
                    FieldKind::Text
                } else {
                    FieldKind::Choice(s.choices)
                };
                let value = values.get(s.key).cloned().unwrap_or_default();
                let mut f = field(s.key, s.label, s.help, edit, value);
                f.owners.push(kind);
                fields.push(f);
            }
        }
        fields.extend([
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
        ]);
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

    /// A small grid around the form's values of the settings the model sweeps
    /// ([`ModelKind::sweep_keys`]): counts ×½, ×1, ×2, rates ×0.1, ×1, ×10, the first key
    /// outermost, without the trials the model would refuse (a rank past its maximum).
    pub fn sweep_grid(&self) -> Vec<Vec<(String, String)>> {
        let model = self.model();
        let mut grid: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for key in model.sweep_keys() {
            let values = around(self.value(key));
            grid = grid
                .into_iter()
                .flat_map(|trial| {
                    values.iter().map(move |v| {
                        let mut t = trial.clone();
                        t.push(((*key).to_owned(), v.clone()));
                        t
                    })
                })
                .collect();
        }
        grid.retain(|trial| {
            let pairs: Vec<(String, RawValue)> = trial
                .iter()
                .map(|(k, v)| (k.clone(), RawValue::Text(v.clone())))
                .collect();
            TrainSpec::settings(&WorkspaceConfig::default(), model, &pairs).is_ok()
        });
        grid.dedup();
        grid
    }

    /// The value of `key` for the chosen model (or, for a key it does not use, the first
    /// field of that name).
    pub fn value(&self, key: &str) -> &str {
        self.field(key)
            .map_or("", |i| self.fields[i].value.as_str())
    }

    /// The index of the field `key` for the chosen model, else the first of that name.
    fn field(&self, key: &str) -> Option<usize> {
        let named = |i: &usize| self.fields[*i].key == key;
        (0..self.fields.len())
            .filter(named)
            .find(|&i| self.applies(&self.fields[i]))
            .or_else(|| (0..self.fields.len()).find(named))
    }

    /// True when no field has an error.
    pub fn is_valid(&self) -> bool {
        self.fields.iter().all(|f| f.error.is_none())
    }

    /// The model chosen in the form.
    pub fn model(&self) -> ModelKind {
        ModelKind::parse(self.value("model")).unwrap_or(ModelKind::Als)
    }

    /// True when field `f` applies to the chosen model (the form shows only those): the
    /// run's own fields always, a model's settings only for that model.
    pub fn applies(&self, f: &Field) -> bool {
        f.owners.is_empty() || f.owners.contains(&self.model())
    }

    /// Indices of the fields shown.
    pub fn visible(&self) -> Vec<usize> {
        (0..self.fields.len())
            .filter(|&i| self.applies(&self.fields[i]))
            .collect()
    }

    /// Moves the cursor by `delta` shown fields.
    pub fn move_cursor(&mut self, delta: isize) {
        let shown = self.visible();
        let at = shown.iter().position(|&i| i == self.selected).unwrap_or(0) as isize;
        let n = shown.len().max(1) as isize;
        // A step wraps round the form; a page or a jump stops at its end.
        let to = if delta.abs() == 1 {
            (at + delta).rem_euclid(n)
        } else {
            (at + delta).clamp(0, n - 1)
        };
        self.selected = shown[to as usize];
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

    /// Sets field `key` (as the workspace changed it elsewhere) and re-checks the form.
    pub fn set_value(&mut self, key: &str, value: String) {
        if let Some(i) = self.field(key) {
            self.fields[i].value = value;
            self.validate();
        }
    }

    /// The key of the highlighted field.
    pub fn selected_key(&self) -> &'static str {
        self.fields.get(self.selected).map_or("", |f| f.key)
    }

    /// The error of field `key`, if it has one.
    pub fn error(&self, key: &str) -> Option<&str> {
        self.fields[self.field(key)?].error.as_deref()
    }

    /// Commits the text being typed and re-validates.
    pub fn commit(&mut self) {
        if let Some(text) = self.editing.take() {
            text.trim()
                .clone_into(&mut self.fields[self.selected].value);
            self.validate();
        }
    }

    /// Checks every field with the training code's own checks: each of the model's
    /// settings alone, so every wrong field shows its error, then all together, for
    /// settings wrong only in combination (shown on the field the error names, else on the
    /// model choice).
    pub fn validate(&mut self) {
        for f in &mut self.fields {
            f.error = None;
        }
        let model = self.model();
        let overrides = self.overrides(model);
        let check = |pairs: &[(String, RawValue)]| {
            TrainSpec::settings(&WorkspaceConfig::default(), model, pairs).err()
        };
        // Alone, a setting can only be wrong in itself; what it breaks together with the
        // defaults of the others waits for the check of all of them.
        let mut errors: Vec<ParamsError> = overrides
            .iter()
            .filter_map(|pair| {
                check(std::slice::from_ref(pair)).filter(|e| e.key() == Some(pair.0.as_str()))
            })
            .collect();
        if errors.is_empty() {
            errors.extend(check(&overrides));
        }
        for e in errors {
            let key = e
                .key()
                .and_then(|k| model.settings().iter().find(|s| s.key == k))
                .map_or("model", |s| s.key);
            self.set_error(key, e.to_string());
        }
        // Errors of fields the chosen model does not use do not block training.
        let hidden: Vec<usize> = (0..self.fields.len())
            .filter(|&i| !self.applies(&self.fields[i]))
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
        if let Some(i) = self.field(key) {
            self.fields[i].error.get_or_insert(message);
        }
    }

    /// The chosen model's settings as the form has them.
    pub(crate) fn overrides(&self, model: ModelKind) -> Vec<(String, RawValue)> {
        model
            .settings()
            .iter()
            .map(|s| {
                (
                    s.key.to_owned(),
                    RawValue::Text(self.value(s.key).to_owned()),
                )
            })
            .collect()
    }

    /// The training request this form describes, or the first error.
    pub fn train_spec(&self, config: &WorkspaceConfig) -> Result<TrainSpec, String> {
        if let Some(f) = self.fields.iter().find(|f| f.error.is_some()) {
            return Err(f.error.clone().unwrap_or_default());
        }
        let model = self.model();
        let mut config = config.clone();
        let data = config
            .data
            .path
            .clone()
            .ok_or("the workspace has no [data] path")?;
        config.interactions.retention_days = self.value("retention_days").parse().ok();
        let overrides = self.overrides(model);
        let holdout = match self.value("test_last_days").parse::<u32>() {
            Ok(days) => Holdout::LastDays {
                days,
                new_items_only: self.value("new_items_only") == "yes",
            },
            Err(_) => Holdout::None,
        };
        let k = config.recommend.reco_item.max(1);
        TrainSpec::new(config, data, model, &overrides, holdout, k).map_err(|e| e.to_string())
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

    #[test]
    fn each_model_brings_its_own_fields_and_checks() {
        let config = WorkspaceConfig {
            data: crate::data::DataSpec {
                path: Some("lines.csv".into()),
                ..Default::default()
            },
            ..WorkspaceConfig::default()
        };
        let mut form = TuneForm::from_config(&config);
        form.selected = 0;
        while form.model() != ModelKind::ItemKnn {
            form.activate(1);
        }
        let shown: Vec<&str> = form.visible().iter().map(|&i| form.fields[i].key).collect();
        assert!(shown.contains(&"neighbours"), "{shown:?}");
        assert!(!shown.contains(&"als_rank") && !shown.contains(&"num_factors"));
        assert_eq!(form.value("neighbours"), "100", "the model's own default");

        let at = form
            .fields
            .iter()
            .position(|f| f.key == "neighbours" && form.applies(f))
            .unwrap();
        form.selected = at;
        form.editing = Some("0".into());
        form.commit();
        assert!(
            form.fields[at]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("neighbours")),
            "{:?}",
            form.fields[at].error
        );
        assert!(form.train_spec(&config).is_err());
        form.editing = Some("25".into());
        form.commit();
        let spec = form.train_spec(&config).unwrap();
        assert_eq!(
            spec.params,
            crate::models::ModelParams::ItemKnn(crate::models::knn::KnnParams {
                neighbours: 25,
                ..Default::default()
            })
        );

        // RP3beta means its own neighbours, with its own default, in a field of its own.
        form.selected = 0;
        while form.model() != ModelKind::Rp3Beta {
            form.activate(1);
        }
        assert_eq!(form.value("neighbours"), "200");
        assert!(form.value("beta").parse::<f32>().is_ok());
        let spec = form.train_spec(&config).unwrap();
        assert_eq!(spec.params.kind(), ModelKind::Rp3Beta);
    }
}
