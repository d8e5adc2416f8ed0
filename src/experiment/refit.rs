//! Refitting an evaluated run for production: the same model, settings, cleaning and
//! window, trained on all the data.
//!
//! A run trained with the last 30 days held out was judged honestly, but it never saw
//! that month: its lists miss the customers who first bought then, and its factors ignore
//! a month of purchases. The refit closes that gap and keeps the evaluated run as its
//! parent, so the figures that justified it stay one step away.

use std::path::PathBuf;

use super::{Holdout, TrainSpec};
use crate::models::hyper::{ParamsError, RawValue};
use crate::store::Run;

impl TrainSpec {
    /// The request that trains `run`'s model with its settings on all of `data` (the
    /// run's own data file when `None`), with `parent` recorded as the run it refits.
    pub fn refit(run: &Run, data: Option<PathBuf>, parent: &str) -> Result<Self, ParamsError> {
        let data = data
            .or_else(|| run.config.data.path.clone())
            .unwrap_or_else(|| PathBuf::from(&run.meta.data));
        let model = run.meta.model;
        // The settings the run was trained with, as run.toml keeps them: models without a
        // workspace table ([als], [fm]) have them nowhere else.
        let overrides: Vec<(String, RawValue)> = model
            .settings()
            .iter()
            .filter_map(|s| {
                let v = run.meta.params.get(s.key)?;
                Some((s.key.to_owned(), RawValue::Text(v.clone())))
            })
            .collect();
        let mut spec = Self::new(
            run.config.clone(),
            data,
            model,
            &overrides,
            Holdout::None,
            run.meta.k.max(1),
        )?;
        spec.parent = Some(parent.to_owned());
        Ok(spec)
    }
}
