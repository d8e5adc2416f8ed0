//! Questions asked of an open run that take longer than a keystroke may: who is most
//! likely to buy a product (a campaign list), what the rules in force cost on the
//! hold-out, what drifted since the run's window, and how often to retrain. Each reads or
//! scores every customer, so they run on a worker and report once.

use std::sync::Arc;

use super::{JobEvent, JobHandle, JobId, Sink, spawn_once};
use crate::eval::audience::campaign;
use crate::eval::rules_impact;
use crate::recommend::engine::CompiledRules;
use crate::recommend::{Engine, Overrides};
use crate::store::Run;

/// Lists the `top` customers most likely to buy any of `items`, with `rules` applied,
/// checked against the run's hold-out when it kept one.
pub fn spawn_audience(
    id: JobId,
    run: Arc<Run>,
    rules: Arc<CompiledRules>,
    items: Vec<u32>,
    top: usize,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    spawn_once("audience", id, sink, move || {
        let engine = Engine::with(run.view(), rules);
        match campaign(&engine, run.holdout.as_ref(), &items, top) {
            Ok(c) => JobEvent::Audience {
                id,
                campaign: Box::new(c),
            },
            Err(e) => JobEvent::Failed {
                id,
                knob: None,
                message: e.to_string(),
            },
        }
    })
}

/// Measures `rules` against the same rules without those that reshape lists, on the
/// customers and purchases the run kept from its hold-out, at the run's k.
pub fn spawn_impact(
    id: JobId,
    run: Arc<Run>,
    rules: Overrides,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    spawn_once("impact", id, sink, move || {
        let Some(holdout) = run.holdout.as_ref() else {
            return JobEvent::Failed {
                id,
                knob: Some(crate::knob::Knob::TestLastDays),
                message: "this run kept no hold-out to measure rules on: train with a hold-out"
                    .into(),
            };
        };
        let with = Engine::new(run.view(), &rules);
        let without = Engine::new(run.view(), &rules.list_rules_removed());
        let k = holdout.k.max(1);
        let impact = rules_impact(&without, &with, &holdout.relevant_pairs(), k);
        JobEvent::Impact {
            id,
            rules: Box::new(rules),
            impact: Box::new(impact),
        }
    })
}

/// Looks customer `customer` up in `run`'s data: a customer the model never saw is then
/// served from their real purchases.
pub fn spawn_customer_lookup(
    id: JobId,
    run: Arc<Run>,
    customer: String,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    spawn_once("customer", id, sink, move || {
        match crate::experiment::customer_lookup::customer_from_data(&run, &customer) {
            Ok(found) => JobEvent::CustomerLooked {
                id,
                wanted: customer,
                found: Box::new(found),
            },
            Err(e) => JobEvent::Failed {
                id,
                knob: None,
                message: format!("looking for customer {customer} in the data: {e}"),
            },
        }
    })
}

/// Measures drift since `run`'s window in the lines of `data` after it.
pub fn spawn_drift(
    id: JobId,
    run: Arc<Run>,
    label: String,
    data: std::path::PathBuf,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    spawn_once("drift", id, sink, move || {
        let spec = run.config.load_spec();
        match crate::monitor::monitor(&run, &label, &data, &spec, None) {
            Ok(report) => JobEvent::Drifted {
                id,
                report: Box::new(report),
            },
            Err(e) => JobEvent::Failed {
                id,
                knob: None,
                message: e.to_string(),
            },
        }
    })
}

/// Runs a retrain-cadence backtest.
pub fn spawn_backtest(
    id: JobId,
    spec: crate::monitor::backtest::BacktestSpec,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    spawn_once(
        "backtest",
        id,
        sink,
        move || match crate::monitor::backtest::backtest(&spec, &mut |_| {
            std::ops::ControlFlow::Continue(())
        }) {
            Ok(b) => JobEvent::Backtested {
                id,
                backtest: Box::new(b),
            },
            Err(e) => JobEvent::Failed {
                id,
                knob: e.knob(),
                message: format!("backtest: {e}"),
            },
        },
    )
}
