//! Factorization-machine hyperparameters: SageMaker's names and defaults, latent's
//! additions, and the checks that run before any data is read.
//!
//! | key | default | range | meaning |
//! | --- | --- | --- | --- |
//! | `num_factors` | 10 | 1..=256 | latent factors per feature |
//! | `predictor_type` | `ranking` | `regressor`, `binary_classifier`, `ranking` | what is learned |
//! | `solver` | `adagrad` | `sgd`, `adagrad`, `mcmc` | mini-batch SGD, AdaGrad, or Gibbs sampling (regressor only) |
//! | `epochs` | 1 | 1..=10000 | passes over the data (MCMC: samples drawn) |
//! | `mini_batch_size` | 1000 | 1..=1e6 | samples per gradient step |
//! | `bias_lr`, `linear_lr`, `factors_lr` | 0.1, 0.001, 0.0001 | >0..=100 | learning rates |
//! | `bias_wd`, `linear_wd`, `factors_wd` | 0.01, 0.001, 0.00001 | 0..=1e6 | weight decay (L2) |
//! | `*_init_method` | `normal` | `normal`, `uniform`, `constant` | initial weights (`bias_`, `linear_`, `factors_`) |
//! | `*_init_sigma` | 0.01 (factors 0.001) | ≥ 0 | standard deviation for `normal` |
//! | `*_init_scale` | 0.01 | ≥ 0 | half-width for `uniform` |
//! | `*_init_value` | 0 | finite | value for `constant` |
//! | `clip_gradient` | none | > 0 | clip each gradient component to ±value |
//! | `eps` | 1e-8 | > 0 | AdaGrad's denominator guard |
//! | `rescale_grad` | 1/mini_batch_size | > 0 | gradient scale (MXNet's convention) |
//! | `feature_dim` | from the data | ≥ 1 | accepted for SageMaker compatibility; checked against the data |
//! | `num_negatives` | 1 | 1..=100 | sampled negatives per positive (ranking, binary_classifier) |
//! | `validation_fraction` | 0.1 | 0..0.9 | share of the training pairs held out for early stopping |
//! | `early_stopping_patience` | 3 | 0..=1000 | epochs without improvement before stopping (0 = off) |
//! | `early_stopping_tolerance` | 0 | ≥ 0 | relative improvement that counts |
//! | `burn_in` | 10 | 0..epochs | MCMC samples discarded before averaging |
//! | `rfm_bands` | 0 | 0..=10 | derived recency / frequency / monetary bands per customer (0 = off) |
//! | `side_features` | true | bool | use `[data] user_features` / `item_features` |
//! | `seed` | 42 | u64 | initial weights, sampling, validation split |
//! | `num_threads` | 0 | 0..=256 | worker threads (0 = all cores) |
//!
//! Values may be strings, as SageMaker passes them. An unknown key is answered with the
//! nearest valid one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::models::hyper::{ParamsError, RawValue, nearest};

/// What the model learns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PredictorType {
    /// Squared error on explicit values (ratings); RMSE.
    Regressor,
    /// Logistic loss on bought (1) against sampled not-bought (0) pairs.
    BinaryClassifier,
    /// BPR (Rendle et al. 2009): a bought product above a sampled not-bought one.
    #[default]
    Ranking,
}

impl PredictorType {
    /// The SageMaker name.
    pub fn name(self) -> &'static str {
        match self {
            PredictorType::Regressor => "regressor",
            PredictorType::BinaryClassifier => "binary_classifier",
            PredictorType::Ranking => "ranking",
        }
    }
}

/// How the weights are fitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FmSolver {
    /// Plain mini-batch SGD.
    Sgd,
    /// Mini-batch AdaGrad (per-weight step sizes).
    #[default]
    Adagrad,
    /// Gibbs sampling of Bayesian FM (libFM / myFM): no learning rate or regularisation
    /// to tune; regressor only.
    Mcmc,
}

impl FmSolver {
    /// The name in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FmSolver::Sgd => "sgd",
            FmSolver::Adagrad => "adagrad",
            FmSolver::Mcmc => "mcmc",
        }
    }
}

/// How one group of weights starts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Init {
    pub method: InitMethod,
    pub sigma: f32,
    pub scale: f32,
    pub value: f32,
}

/// SageMaker's `*_init_method`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitMethod {
    #[default]
    Normal,
    Uniform,
    Constant,
}

impl InitMethod {
    fn name(self) -> &'static str {
        match self {
            InitMethod::Normal => "normal",
            InitMethod::Uniform => "uniform",
            InitMethod::Constant => "constant",
        }
    }
}

impl Init {
    fn normal(sigma: f32) -> Self {
        Self {
            method: InitMethod::Normal,
            sigma,
            scale: 0.01,
            value: 0.0,
        }
    }
}

/// FM hyperparameters, unchecked. Build with [`FmParams::new`] and consuming setters or
/// from key–value pairs with [`FmParams::set`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FmParams {
    pub num_factors: usize,
    pub predictor_type: PredictorType,
    pub solver: FmSolver,
    pub epochs: usize,
    pub mini_batch_size: usize,
    pub bias_lr: f32,
    pub linear_lr: f32,
    pub factors_lr: f32,
    pub bias_wd: f32,
    pub linear_wd: f32,
    pub factors_wd: f32,
    pub bias_init: Init,
    pub linear_init: Init,
    pub factors_init: Init,
    pub clip_gradient: Option<f32>,
    pub eps: f32,
    pub rescale_grad: Option<f32>,
    pub feature_dim: Option<usize>,
    pub num_negatives: usize,
    pub validation_fraction: f32,
    pub early_stopping_patience: usize,
    pub early_stopping_tolerance: f32,
    pub burn_in: usize,
    pub rfm_bands: usize,
    pub side_features: bool,
    pub seed: u64,
    pub num_threads: usize,
}

impl Default for FmParams {
    fn default() -> Self {
        Self::new(10)
    }
}

/// Canonical keys (SageMaker's first) with aliases.
const KEYS: &[(&str, &[&str])] = &[
    ("num_factors", &["factors", "rank", "k"]),
    ("predictor_type", &["task", "objective"]),
    ("solver", &["optimizer", "method"]),
    ("epochs", &["n_iter", "iterations", "max_iter"]),
    ("mini_batch_size", &["batch_size"]),
    ("bias_lr", &[]),
    ("linear_lr", &[]),
    ("factors_lr", &[]),
    ("bias_wd", &[]),
    ("linear_wd", &[]),
    ("factors_wd", &[]),
    ("bias_init_method", &[]),
    ("bias_init_sigma", &[]),
    ("bias_init_scale", &[]),
    ("bias_init_value", &[]),
    ("linear_init_method", &[]),
    ("linear_init_sigma", &[]),
    ("linear_init_scale", &[]),
    ("linear_init_value", &[]),
    ("factors_init_method", &[]),
    ("factors_init_sigma", &["init_stdev"]),
    ("factors_init_scale", &[]),
    ("factors_init_value", &[]),
    ("clip_gradient", &[]),
    ("eps", &[]),
    ("rescale_grad", &[]),
    ("feature_dim", &[]),
    ("num_negatives", &["negatives"]),
    ("validation_fraction", &[]),
    ("early_stopping_patience", &["patience"]),
    ("early_stopping_tolerance", &[]),
    ("burn_in", &["n_burn_in"]),
    ("rfm_bands", &["rfm"]),
    ("side_features", &[]),
    ("seed", &["random_state"]),
    ("num_threads", &["threads"]),
];

fn all_keys() -> impl Iterator<Item = &'static (&'static str, &'static [&'static str])> {
    KEYS.iter()
}

impl FmParams {
    /// SageMaker's defaults with `num_factors` factors.
    pub fn new(num_factors: usize) -> Self {
        Self {
            num_factors,
            predictor_type: PredictorType::Ranking,
            solver: FmSolver::Adagrad,
            epochs: 1,
            mini_batch_size: 1000,
            bias_lr: 0.1,
            linear_lr: 0.001,
            factors_lr: 0.0001,
            bias_wd: 0.01,
            linear_wd: 0.001,
            factors_wd: 0.00001,
            bias_init: Init::normal(0.01),
            linear_init: Init::normal(0.01),
            factors_init: Init::normal(0.001),
            clip_gradient: None,
            eps: 1e-8,
            rescale_grad: None,
            feature_dim: None,
            num_negatives: 1,
            validation_fraction: 0.1,
            early_stopping_patience: 3,
            early_stopping_tolerance: 0.0,
            burn_in: 10,
            rfm_bands: 0,
            side_features: true,
            seed: 42,
            num_threads: 0,
        }
    }

    pub fn predictor_type(mut self, v: PredictorType) -> Self {
        self.predictor_type = v;
        self
    }

    pub fn solver(mut self, v: FmSolver) -> Self {
        self.solver = v;
        self
    }

    pub fn epochs(mut self, v: usize) -> Self {
        self.epochs = v;
        self
    }

    pub fn mini_batch_size(mut self, v: usize) -> Self {
        self.mini_batch_size = v;
        self
    }

    /// Sets the three learning rates at once.
    pub fn learning_rates(mut self, bias: f32, linear: f32, factors: f32) -> Self {
        (self.bias_lr, self.linear_lr, self.factors_lr) = (bias, linear, factors);
        self
    }

    /// Sets the three weight decays at once.
    pub fn weight_decays(mut self, bias: f32, linear: f32, factors: f32) -> Self {
        (self.bias_wd, self.linear_wd, self.factors_wd) = (bias, linear, factors);
        self
    }

    pub fn factors_init_sigma(mut self, v: f32) -> Self {
        self.factors_init.sigma = v;
        self
    }

    pub fn validation_fraction(mut self, v: f32) -> Self {
        self.validation_fraction = v;
        self
    }

    pub fn early_stopping_patience(mut self, v: usize) -> Self {
        self.early_stopping_patience = v;
        self
    }

    pub fn burn_in(mut self, v: usize) -> Self {
        self.burn_in = v;
        self
    }

    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }

    pub fn num_threads(mut self, v: usize) -> Self {
        self.num_threads = v;
        self
    }

    /// SageMaker's defaults for this data, then a workspace's `[fm]` table: rating data
    /// without an explicit `predictor_type` gets the regressor.
    pub fn for_data(ratings: bool, table: &toml::Table) -> Result<Self, ParamsError> {
        let mut params = Self::default();
        if ratings {
            params.predictor_type = PredictorType::Regressor;
        }
        params.apply_table(table)?;
        Ok(params)
    }

    /// Every key accepted, canonical names and aliases.
    pub fn valid_keys() -> Vec<&'static str> {
        all_keys()
            .flat_map(|(k, aliases)| std::iter::once(*k).chain(aliases.iter().copied()))
            .collect()
    }

    /// The canonical name of `key`, if it is one of ours.
    pub fn canonical_key(key: &str) -> Option<&'static str> {
        let key = key.trim();
        all_keys()
            .find(|(k, aliases)| *k == key || aliases.contains(&key))
            .map(|(k, _)| *k)
    }

    /// Sets one hyperparameter by name (any alias); values may be text, as SageMaker sends.
    pub fn set(&mut self, key: &str, value: &RawValue) -> Result<(), ParamsError> {
        let Some(canonical) = Self::canonical_key(key) else {
            let valid = Self::valid_keys();
            return Err(ParamsError::UnknownKey {
                model: "fm",
                key: key.to_owned(),
                suggestion: nearest(key, &valid).map(str::to_owned),
                valid: all_keys().map(|(k, _)| *k).collect(),
            });
        };
        let f32_of = |v: &RawValue| v.as_f32(key);
        let choice = |expected: &'static str| ParamsError::BadValue {
            key: key.to_owned(),
            value: value.as_text(),
            expected,
        };
        let text = value.as_text().trim().to_ascii_lowercase();
        let optional = |v: &RawValue| -> Result<Option<f32>, ParamsError> {
            match v.as_text().trim().to_ascii_lowercase().as_str() {
                "" | "none" | "null" | "auto" => Ok(None),
                _ => f32_of(v).map(Some),
            }
        };
        if let Some((group, field)) = canonical
            .strip_suffix("_init_method")
            .map(|g| (g, "method"))
            .or_else(|| canonical.strip_suffix("_init_sigma").map(|g| (g, "sigma")))
            .or_else(|| canonical.strip_suffix("_init_scale").map(|g| (g, "scale")))
            .or_else(|| canonical.strip_suffix("_init_value").map(|g| (g, "value")))
        {
            let init = match group {
                "bias" => &mut self.bias_init,
                "linear" => &mut self.linear_init,
                _ => &mut self.factors_init,
            };
            match field {
                "method" => {
                    init.method = match text.as_str() {
                        "normal" => InitMethod::Normal,
                        "uniform" => InitMethod::Uniform,
                        "constant" => InitMethod::Constant,
                        _ => return Err(choice("normal, uniform or constant")),
                    };
                }
                "sigma" => init.sigma = f32_of(value)?,
                "scale" => init.scale = f32_of(value)?,
                _ => init.value = f32_of(value)?,
            }
            return Ok(());
        }
        match canonical {
            "num_factors" => self.num_factors = value.as_usize(key)?,
            "predictor_type" => {
                self.predictor_type = match text.as_str() {
                    "regressor" | "regression" => PredictorType::Regressor,
                    "binary_classifier" | "classifier" | "binary" => {
                        PredictorType::BinaryClassifier
                    }
                    "ranking" | "bpr" => PredictorType::Ranking,
                    _ => return Err(choice("regressor, binary_classifier or ranking")),
                };
            }
            "solver" => {
                self.solver = match text.as_str() {
                    "sgd" => FmSolver::Sgd,
                    "adagrad" => FmSolver::Adagrad,
                    "mcmc" | "gibbs" => FmSolver::Mcmc,
                    _ => return Err(choice("sgd, adagrad or mcmc")),
                };
            }
            "epochs" => self.epochs = value.as_usize(key)?,
            "mini_batch_size" => self.mini_batch_size = value.as_usize(key)?,
            "bias_lr" => self.bias_lr = f32_of(value)?,
            "linear_lr" => self.linear_lr = f32_of(value)?,
            "factors_lr" => self.factors_lr = f32_of(value)?,
            "bias_wd" => self.bias_wd = f32_of(value)?,
            "linear_wd" => self.linear_wd = f32_of(value)?,
            "factors_wd" => self.factors_wd = f32_of(value)?,
            "clip_gradient" => self.clip_gradient = optional(value)?,
            "eps" => self.eps = f32_of(value)?,
            "rescale_grad" => self.rescale_grad = optional(value)?,
            "feature_dim" => {
                self.feature_dim = match text.as_str() {
                    "" | "none" | "auto" => None,
                    _ => Some(value.as_usize(key)?),
                };
            }
            "num_negatives" => self.num_negatives = value.as_usize(key)?,
            "validation_fraction" => self.validation_fraction = f32_of(value)?,
            "early_stopping_patience" => self.early_stopping_patience = value.as_usize(key)?,
            "early_stopping_tolerance" => self.early_stopping_tolerance = f32_of(value)?,
            "burn_in" => self.burn_in = value.as_usize(key)?,
            "rfm_bands" => self.rfm_bands = value.as_usize(key)?,
            "side_features" => self.side_features = value.as_bool(key)?,
            "seed" => self.seed = value.as_usize(key)? as u64,
            _ => self.num_threads = value.as_usize(key)?,
        }
        Ok(())
    }

    /// Sets every pair of a TOML table.
    pub fn apply_table(&mut self, table: &toml::Table) -> Result<(), ParamsError> {
        crate::models::hyper::check_aliases_once(table, "fm", Self::canonical_key)?;
        for (key, value) in table {
            self.set(key, &RawValue::from_toml(key, value)?)?;
        }
        Ok(())
    }

    /// The hyperparameters as canonical key → value text, as SageMaker stores them.
    pub fn to_strings(&self) -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        let opt = |v: Option<f32>| v.map_or_else(|| "none".to_owned(), |x| x.to_string());
        m.insert("num_factors", self.num_factors.to_string());
        m.insert("predictor_type", self.predictor_type.name().to_owned());
        m.insert("solver", self.solver.name().to_owned());
        m.insert("epochs", self.epochs.to_string());
        m.insert("mini_batch_size", self.mini_batch_size.to_string());
        m.insert("bias_lr", self.bias_lr.to_string());
        m.insert("linear_lr", self.linear_lr.to_string());
        m.insert("factors_lr", self.factors_lr.to_string());
        m.insert("bias_wd", self.bias_wd.to_string());
        m.insert("linear_wd", self.linear_wd.to_string());
        m.insert("factors_wd", self.factors_wd.to_string());
        for (name, init) in [
            ("bias", &self.bias_init),
            ("linear", &self.linear_init),
            ("factors", &self.factors_init),
        ] {
            let key = |field: &str| -> &'static str {
                Self::canonical_key(&format!("{name}_init_{field}")).unwrap_or("")
            };
            m.insert(key("method"), init.method.name().to_owned());
            m.insert(key("sigma"), init.sigma.to_string());
            m.insert(key("scale"), init.scale.to_string());
            m.insert(key("value"), init.value.to_string());
        }
        m.insert("clip_gradient", opt(self.clip_gradient));
        m.insert("eps", self.eps.to_string());
        m.insert("rescale_grad", opt(self.rescale_grad));
        m.insert(
            "feature_dim",
            self.feature_dim
                .map_or_else(|| "none".to_owned(), |d| d.to_string()),
        );
        m.insert("num_negatives", self.num_negatives.to_string());
        m.insert("validation_fraction", self.validation_fraction.to_string());
        m.insert(
            "early_stopping_patience",
            self.early_stopping_patience.to_string(),
        );
        m.insert(
            "early_stopping_tolerance",
            self.early_stopping_tolerance.to_string(),
        );
        m.insert("burn_in", self.burn_in.to_string());
        m.insert("rfm_bands", self.rfm_bands.to_string());
        m.insert("side_features", self.side_features.to_string());
        m.insert("seed", self.seed.to_string());
        m.insert("num_threads", self.num_threads.to_string());
        m
    }
}

pub use super::params_check::ValidFmParams;

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> RawValue {
        RawValue::Text(s.into())
    }

    #[test]
    fn sagemaker_strings_are_accepted() {
        let mut p = FmParams::default();
        for (k, v) in [
            ("num_factors", "64"),
            ("predictor_type", "binary_classifier"),
            ("epochs", "20"),
            ("mini_batch_size", "512"),
            ("bias_lr", "0.05"),
            ("factors_init_method", "uniform"),
            ("factors_init_scale", "0.2"),
            ("clip_gradient", "5.0"),
            ("rescale_grad", "None"),
            ("feature_dim", "2700"),
        ] {
            p.set(k, &text(v)).unwrap();
        }
        assert_eq!(p.num_factors, 64);
        assert_eq!(p.predictor_type, PredictorType::BinaryClassifier);
        assert_eq!(p.factors_init.method, InitMethod::Uniform);
        assert_eq!(p.clip_gradient, Some(5.0));
        assert_eq!(p.rescale_grad, None);
        assert_eq!(p.feature_dim, Some(2700));
        assert!(p.check().is_ok());
    }

    #[test]
    fn defaults_are_sagemakers() {
        let s = FmParams::default().to_strings();
        assert_eq!(s["epochs"], "1");
        assert_eq!(s["mini_batch_size"], "1000");
        assert_eq!(s["bias_lr"], "0.1");
        assert_eq!(s["linear_lr"], "0.001");
        assert_eq!(s["factors_lr"], "0.0001");
        assert_eq!(s["bias_wd"], "0.01");
        assert_eq!(s["factors_wd"], "0.00001");
        assert_eq!(s["factors_init_sigma"], "0.001");
        // Every stored key reads back to the same parameters.
        let mut p = FmParams::new(3);
        for (k, v) in &s {
            p.set(k, &text(v)).unwrap();
        }
        assert_eq!(p, FmParams::default());
    }

    #[test]
    fn bad_values_name_key_and_value() {
        let err = FmParams::new(0).check().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid num_factors '0': must be in 1..=256"
        );
        let err = FmParams::default()
            .set("predictor_type", &text("clustering"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid predictor_type 'clustering': expected regressor, binary_classifier or ranking"
        );
        let err = FmParams::default()
            .set("factor_lr", &text("0.1"))
            .unwrap_err();
        assert!(
            err.to_string().ends_with("did you mean 'factors_lr'?"),
            "{err}"
        );
        let err = FmParams::default()
            .learning_rates(0.1, -1.0, 0.1)
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("linear_lr '-1'"), "{err}");
        let err = FmParams::default()
            .solver(FmSolver::Mcmc)
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("regressor"), "{err}");
        let err = FmParams::default()
            .set("epochs", &text("lots"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid epochs 'lots': expected a whole number"
        );
    }
}
