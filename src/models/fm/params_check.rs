//! Checking FM hyperparameters: each value in range, then the values together. Only
//! checked parameters ([`ValidFmParams`]) reach a solver.

use super::params::{FmParams, FmSolver, PredictorType};
use crate::models::hyper::{ParamsError, check_range};

impl FmParams {
    /// Checks every value; only checked parameters can be fitted.
    pub fn check(&self) -> Result<ValidFmParams, ParamsError> {
        self.check_values()?;
        self.check_combination()?;
        Ok(ValidFmParams(self.clone()))
    }

    /// Each value on its own: in range and finite. A workspace's `[fm]` table is held to
    /// this when it is read; whether the values go together waits for `--set`.
    pub fn check_values(&self) -> Result<(), ParamsError> {
        fn finite(key: &str, v: f32, lo: f32, hi: f32, open_lo: bool) -> Result<(), ParamsError> {
            let ok = v.is_finite() && v <= hi && if open_lo { v > lo } else { v >= lo };
            if ok {
                Ok(())
            } else {
                Err(ParamsError::OutOfRange {
                    key: key.to_owned(),
                    value: v.to_string(),
                    range: if open_lo {
                        format!("in ({lo}, {hi}]")
                    } else {
                        format!("in {lo}..={hi}")
                    },
                })
            }
        }
        check_range("num_factors", self.num_factors, 1, 256)?;
        check_range("epochs", self.epochs, 1, 10_000)?;
        check_range("mini_batch_size", self.mini_batch_size, 1, 1_000_000)?;
        finite("bias_lr", self.bias_lr, 0.0, 100.0, true)?;
        finite("linear_lr", self.linear_lr, 0.0, 100.0, true)?;
        finite("factors_lr", self.factors_lr, 0.0, 100.0, true)?;
        finite("bias_wd", self.bias_wd, 0.0, 1e6, false)?;
        finite("linear_wd", self.linear_wd, 0.0, 1e6, false)?;
        finite("factors_wd", self.factors_wd, 0.0, 1e6, false)?;
        for (name, init) in [
            ("bias", &self.bias_init),
            ("linear", &self.linear_init),
            ("factors", &self.factors_init),
        ] {
            finite(&format!("{name}_init_sigma"), init.sigma, 0.0, 1e3, false)?;
            finite(&format!("{name}_init_scale"), init.scale, 0.0, 1e3, false)?;
            finite(&format!("{name}_init_value"), init.value, -1e3, 1e3, false)?;
        }
        if let Some(c) = self.clip_gradient {
            finite("clip_gradient", c, 0.0, 1e9, true)?;
        }
        finite("eps", self.eps, 0.0, 1.0, true)?;
        if let Some(r) = self.rescale_grad {
            finite("rescale_grad", r, 0.0, 1e9, true)?;
        }
        if let Some(d) = self.feature_dim {
            check_range("feature_dim", d, 1, usize::MAX)?;
        }
        check_range("num_negatives", self.num_negatives, 1, 100)?;
        if !(self.validation_fraction.is_finite() && (0.0..0.9).contains(&self.validation_fraction))
        {
            return Err(ParamsError::OutOfRange {
                key: "validation_fraction".into(),
                value: self.validation_fraction.to_string(),
                range: "in [0, 0.9)".into(),
            });
        }
        check_range(
            "early_stopping_patience",
            self.early_stopping_patience,
            0,
            1000,
        )?;
        finite(
            "early_stopping_tolerance",
            self.early_stopping_tolerance,
            0.0,
            1.0,
            false,
        )?;
        check_range("rfm_bands", self.rfm_bands, 0, 10)?;
        check_range("num_threads", self.num_threads, 0, 256)?;
        Ok(())
    }

    /// The rules between values (MCMC's predictor and burn-in against the epochs).
    fn check_combination(&self) -> Result<(), ParamsError> {
        if self.solver == FmSolver::Mcmc {
            if self.predictor_type != PredictorType::Regressor {
                return Err(ParamsError::Invalid(format!(
                    "solver 'mcmc' needs predictor_type = regressor (got '{}'): use sgd or adagrad for {}",
                    self.predictor_type.name(),
                    self.predictor_type.name()
                )));
            }
            if self.burn_in >= self.epochs {
                return Err(ParamsError::OutOfRange {
                    key: "burn_in".into(),
                    value: self.burn_in.to_string(),
                    range: format!("below epochs ({})", self.epochs),
                });
            }
        }
        Ok(())
    }
}

/// Checked FM hyperparameters, the only kind the solvers accept.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidFmParams(FmParams);

impl std::ops::Deref for ValidFmParams {
    type Target = FmParams;

    fn deref(&self) -> &FmParams {
        &self.0
    }
}
