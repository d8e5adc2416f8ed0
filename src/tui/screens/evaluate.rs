//! The Evaluate screen: the run open in Inspect as an analyst shows it: every metric with
//! its interval beside popularity's, the segments, and precision@k for k = 1..50.
//!
//! Everything shown is read from the run (its report and kept lists); the curve is
//! computed once when the run opens, so drawing stays a few table rows and two lines.
//! What the rules set in Inspect cost on the hold-out is measured by a job (`i`) and
//! shown under the metrics, with the rules it was measured for.

pub mod view;

use std::sync::Arc;

use crate::eval::{CURVE_DEPTH, EvalReport, RulesImpact};
use crate::format::csv_field as field;
use crate::jobs::{JobEvent, JobId};
use crate::recommend::Overrides;
use crate::store::Run;
use crate::tui::app::{AppState, Command, Screen, Status};

/// What the screen draws for the open run.
#[derive(Debug, Clone, Default)]
pub struct EvaluateState {
    /// `(k, model precision@k, popularity precision@k)` for k = 1..=50.
    pub curve: Vec<(usize, f64, f64)>,
    /// The last measured impact of the Inspect rules, and the rules it was measured for.
    pub impact: Option<(Overrides, RulesImpact)>,
    /// The job measuring it.
    pub impact_job: Option<JobId>,
}

impl EvaluateState {
    /// Prepares the screen for `run`.
    pub fn set_run(&mut self, run: &Run) {
        self.curve = run
            .holdout
            .as_ref()
            .map(|h| h.precision_curve(CURVE_DEPTH))
            .unwrap_or_default();
        self.impact = None;
        self.impact_job = None;
    }

    /// The screen's tables as CSV lines (header first): what `y` copies and `:save` writes.
    pub fn csv(report: &EvalReport) -> Vec<String> {
        let line = |cells: &[String]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
        let num = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.6}"));
        let mut lines = vec![line(&[
            "table".into(),
            "name".into(),
            "metric".into(),
            "customers".into(),
            "value".into(),
            "ci_low".into(),
            "ci_high".into(),
            "baseline".into(),
        ])];
        for m in report.metric_rows() {
            lines.push(line(&[
                "metrics".into(),
                String::new(),
                m.metric.clone(),
                report.users.to_string(),
                num(Some(m.value)),
                num(m.ci_low),
                num(m.ci_high),
                num(Some(m.baseline)),
            ]));
        }
        for s in &report.segments {
            for m in &s.metrics {
                lines.push(line(&[
                    format!("segment {}", s.kind),
                    s.name.clone(),
                    m.metric.clone(),
                    s.customers.to_string(),
                    num(Some(m.value)),
                    num(m.ci_low),
                    num(m.ci_high),
                    num(Some(m.baseline)),
                ]));
            }
        }
        lines
    }

    /// The measured rules impact as CSV lines (no header): one per metric.
    pub fn impact_csv(&self) -> Vec<String> {
        let Some((_, impact)) = &self.impact else {
            return Vec::new();
        };
        let num = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.6}"));
        impact
            .changes
            .iter()
            .map(|m| {
                [
                    "rules impact delta".to_owned(),
                    crate::eval::impact::rules_verdict(m.verdict).to_owned(),
                    m.metric.clone(),
                    impact.users.to_string(),
                    num(Some(m.delta)),
                    num(m.ci_low),
                    num(m.ci_high),
                    num(Some(m.a)),
                ]
                .iter()
                .map(|c| field(c))
                .collect::<Vec<_>>()
                .join(",")
            })
            .collect()
    }
}

impl AppState {
    /// Measures what the rules set in Inspect cost or gain on the open run's hold-out.
    pub(crate) fn start_impact(&mut self) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            self.status = Status::error("no run open: pick one on the Runs screen (Enter)");
            return Vec::new();
        };
        if run.holdout.is_none() {
            self.status = Status::error(
                "this run kept no hold-out to measure rules on: train with a hold-out (Tune: test_last_days)",
            );
            return Vec::new();
        }
        let rules = self.inspect.rules.clone();
        if rules == rules.list_rules_removed() {
            self.status = Status::error(
                "the rules in force change no list: in Inspect hide best sellers (x), force new products (w) or exclude one (e), then press i",
            );
            return Vec::new();
        }
        let id = self.next_internal_id();
        self.evaluate.impact_job = Some(id);
        self.status = Status::info(format!(
            "measuring {} on the hold-out…",
            self.inspect.rules_summary()
        ));
        vec![Command::Impact {
            id,
            run: Arc::clone(&run),
            rules: Box::new(rules),
        }]
    }

    pub(crate) fn on_impact_job(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.evaluate.impact_job != Some(event.id()) {
            return Err(event);
        }
        self.evaluate.impact_job = None;
        match event {
            JobEvent::Impact { rules, impact, .. } => {
                let costs = impact
                    .changes
                    .iter()
                    .filter(|m| m.verdict == Some(crate::eval::bootstrap::Verdict::ABetter))
                    .count();
                self.status = Status::info(format!(
                    "rules measured on {} customers: {costs} metric(s) cost more than luck; see Evaluate (7)",
                    impact.users
                ));
                self.evaluate.impact = Some((*rules, *impact));
                self.screen = Screen::Evaluate;
            }
            JobEvent::Failed { message, .. } => self.status = Status::error(message),
            _ => {}
        }
        Ok(Vec::new())
    }
}
