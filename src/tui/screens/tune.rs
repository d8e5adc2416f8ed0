//! The Tune screen: the next run's settings as a form checked as typed ([`form`]), its
//! presets, and the three ways to start work from it: train one run, sweep a grid
//! around the form's values, or let `latent tune`'s search choose the model and its
//! settings.

pub mod form;
mod rebase;
pub mod view;

use ratatui::crossterm::event::KeyEvent;

use super::train::TrainJob;
use crate::experiment::TrainSpec;
use crate::tui::action::Action;
use crate::tui::app::{AppState, Command, Status};
use crate::tui::line_edit::{LineEdit, edit_line};

impl AppState {
    /// A key typed into the field being edited: Enter commits and re-checks the form,
    /// Esc keeps the old value.
    pub(crate) fn edit_field(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(text) = self.tune.editing.as_mut() else {
            return Vec::new();
        };
        match edit_line(text, key) {
            LineEdit::Submit => {
                let key = self.tune.selected_key();
                self.tune.commit();
                if key == "retention_days" && self.tune.error(key).is_none() {
                    return self.set_retention_days(self.tune.value(key).parse().ok());
                }
            }
            LineEdit::Cancel => self.tune.editing = None,
            LineEdit::Changed | LineEdit::Ignored => {}
        }
        Vec::new()
    }

    /// Makes `days` the workspace's retention window wherever it shows (the Data screen,
    /// the Tune form, the next training) and reloads the data with it. The change lasts
    /// the session; `workspace.toml` keeps its own value, which `r` on Data reads back.
    pub(crate) fn set_retention_days(&mut self, days: Option<u32>) -> Vec<Command> {
        self.workspace.config.interactions.retention_days = days;
        self.tune.set_value(
            "retention_days",
            days.map(|d| d.to_string()).unwrap_or_default(),
        );
        self.status = Status::info(format!(
            "retention window: {}; the data reloads and the next training uses it (this session; workspace.toml unchanged)",
            days.map_or_else(|| "all days".to_owned(), |d| format!("{d} days"))
        ));
        self.reload_data()
    }

    /// Fills the form with the next preset.
    pub(crate) fn next_preset(&mut self) {
        let n = self.tune.next_preset;
        self.tune.next_preset = n + 1;
        let name = self.tune.apply_preset(n);
        self.status = Status::info(format!(
            "preset: {name} ({} for the next one)",
            self.keymap.key(Action::NextPreset)
        ));
    }

    /// Trains the form's model in the background, or says which field to fix.
    pub(crate) fn start_training(&mut self) -> Vec<Command> {
        let spec = match self.tune.train_spec(&self.workspace.config) {
            Ok(spec) => spec,
            Err(message) => {
                self.status = Status::error(format!("fix the form first: {message}"));
                self.screen = crate::tui::app::Screen::Tune;
                return Vec::new();
            }
        };
        let id = self.next_job_id();
        let name = spec.model.name();
        let dir = self.workspace.run_dir_base(name);
        let settings = TrainJob::training_settings(&spec);
        self.follow_job(TrainJob::queued(id, name, 0, dir.clone()).with_settings(&settings));
        self.status = Status::info(format!("training {name} (job {id}): {settings}"));
        vec![Command::Train {
            id,
            spec: Box::new(spec),
            dir,
        }]
    }

    /// Sweeps a grid around the form's rank and regularisation in the background.
    pub(crate) fn start_sweep(&mut self) -> Vec<Command> {
        let base = match self.tune.train_spec(&self.workspace.config) {
            Ok(spec) => spec,
            Err(message) => {
                self.status = Status::error(format!("fix the form first: {message}"));
                return Vec::new();
            }
        };
        if base.model.sweep_keys().is_empty() {
            let sweepable: Vec<&str> = crate::models::ModelKind::ALL
                .iter()
                .filter(|k| !k.sweep_keys().is_empty())
                .map(|k| k.name())
                .collect();
            self.status = Status::error(format!(
                "{} has no quick sweep: choose {}",
                base.model.name(),
                sweepable.join(" or ")
            ));
            return Vec::new();
        }
        let configurations = self.tune.sweep_grid();
        let spec = crate::sweep::SweepSpec {
            base,
            configurations,
            metric: crate::sweep::Metric::Ndcg,
            validation_days: 30,
            parallel: 1,
        };
        let id = self.next_job_id();
        let trials = spec.configurations.len();
        let around = spec
            .base
            .model
            .sweep_keys()
            .iter()
            .map(|k| format!("{k} {}", self.tune.value(k)))
            .collect::<Vec<_>>()
            .join(" and ");
        self.follow_job(
            TrainJob::queued(id, "sweep", trials, self.workspace.runs_dir()).with_settings(
                format!(
                    "{} · {trials} trials around {around}",
                    spec.base.model.name()
                ),
            ),
        );
        self.status = Status::info(format!(
            "sweep of {trials} configurations around {around} (job {id}); validation NDCG per trial is charted"
        ));
        vec![Command::Sweep {
            id,
            spec: Box::new(spec),
        }]
    }

    /// Searches models and settings in the background as the workspace's `[tune]` table
    /// says (`latent tune`'s defaults: auto, a minute), on the form's data window and
    /// hold-out; the chosen run opens in Inspect.
    pub(crate) fn start_tune(&mut self) -> Vec<Command> {
        let mut base = match self.tune.train_spec(&self.workspace.config) {
            Ok(spec) => spec,
            Err(message) => {
                self.status = Status::error(format!("fix the form first: {message}"));
                return Vec::new();
            }
        };
        let ratings = base.config.interactions.ranking_type == crate::data::RankingType::Rating;
        let table = base.config.tune.clone();
        let chosen = table.model().and_then(|m| Ok((m, table.budget()?)));
        let (one, budget) = match chosen {
            Ok(found) => found,
            Err(e) => {
                self.status = Status::error(format!("cannot tune: [tune] {e}"));
                return Vec::new();
            }
        };
        let models = one.map_or_else(|| crate::tune::auto_candidates(ratings), |m| vec![m]);
        base.model = models[0];
        base.params = match TrainSpec::settings(&base.config, base.model, &[]) {
            Ok(p) => p,
            Err(e) => {
                self.status = Status::error(format!("cannot tune: {e}"));
                return Vec::new();
            }
        };
        let validation = crate::tune::ValidationSplit::mirroring(&base.holdout, None);
        let validation_days = match validation {
            crate::tune::ValidationSplit::LastDays(days) => days,
            crate::tune::ValidationSplit::PerUser(_) => 30,
        };
        let metric = match table.metric.as_deref().map(crate::sweep::Metric::parse_at) {
            Some(Ok((metric, k))) => {
                base.k = k.unwrap_or(base.k);
                metric
            }
            Some(Err(e)) => {
                self.status = Status::error(format!("cannot tune: [tune] metric: {e}"));
                return Vec::new();
            }
            None if ratings || base.rating_implied => crate::sweep::Metric::Rmse,
            None => crate::sweep::Metric::Precision,
        };
        let spec = crate::tune::TuneSpec {
            base,
            models,
            fixed: Vec::new(),
            metric,
            budget,
            max_trials: None,
            seed: table.seed,
            validation,
        };
        let names: Vec<&str> = spec.models.iter().map(|m| m.name()).collect();
        let id = self.next_job_id();
        let label = format!("tune {}", one.map_or("auto", |m| m.name()));
        let mut job =
            TrainJob::queued(id, &label, 0, self.workspace.runs_dir()).with_settings(format!(
                "{} · {} s · {}@{}",
                names.join(" "),
                budget.as_secs(),
                metric.name(),
                spec.base.k
            ));
        job.metric = metric.name();
        self.follow_job(job);
        self.status = Status::info(format!(
            "tuning {} for {} s (job {id}; [tune] in workspace.toml sets the model, budget and metric): trials are scored on the {validation_days} days before the test period, which only the chosen model sees; c cancels and keeps the best so far",
            names.join(", "),
            budget.as_secs()
        ));
        vec![Command::Tune {
            id,
            spec: Box::new(spec),
        }]
    }
}
