//! The Evaluate screen: the run open in Inspect as an analyst shows it: every metric with
//! its interval beside popularity's, the segments, and precision@k for k = 1..50.
//!
//! Everything shown is read from the run (its report and kept lists); the curve is
//! computed once when the run opens, so drawing stays a few table rows and two lines.

pub mod view;

use crate::eval::{CURVE_DEPTH, EvalReport};
use crate::format::csv_field as field;
use crate::store::Run;

/// What the screen draws for the open run.
#[derive(Debug, Clone, Default)]
pub struct EvaluateState {
    /// `(k, model precision@k, popularity precision@k)` for k = 1..=50.
    pub curve: Vec<(usize, f64, f64)>,
}

impl EvaluateState {
    /// Prepares the screen for `run`.
    pub fn set_run(&mut self, run: &Run) {
        self.curve = run
            .holdout
            .as_ref()
            .map(|h| h.precision_curve(CURVE_DEPTH))
            .unwrap_or_default();
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
}
