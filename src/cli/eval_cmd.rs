//! `latent eval`: score a trained run on a test file, warm and cold customers apart, and
//! measure what a rule set changes.

use std::io::Write;
use std::path::PathBuf;

use super::report::{write_eval, write_impact};
use super::rule_args::RuleArgs;
use crate::eval::{TestSet, rules_impact};
use crate::experiment::{evaluate_view, load_test_file};
use crate::recommend::Engine;

/// Arguments of `latent eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Test transactions, read with the run's mapping and cleaning.
    #[arg(long, value_name = "FILE")]
    pub test: PathBuf,
    /// List length (default 10, or the whole catalogue when it is smaller); above the
    /// catalogue is refused.
    #[arg(long)]
    pub k: Option<usize>,
    /// Rules to measure: their metrics are printed beside the plain model's.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Only these segments (repeatable): a kind (`activity`, `country`, `customers`), a
    /// name (`2-5`, `new`, `Germany`) or both (`country:Germany`).
    #[arg(long = "segment", value_name = "NAME")]
    pub segments: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `latent eval`.
pub fn run(args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = super::recommend_cmd::open_run(&args.run, "--k", args.k.unwrap_or(10))?;
    let k = args.k.unwrap_or_else(|| 10.min(run.items.len()).max(1));
    if k > run.items.len() {
        return Err(crate::models::hyper::ParamsError::OutOfRange {
            key: "--k".into(),
            value: k.to_string(),
            range: format!(
                "at most the run's {} products (a list cannot be longer than the catalogue)",
                run.items.len()
            ),
        }
        .into());
    }
    let load = run.config.load_spec();
    let rules = args.rules.resolve(&run.config.overrides)?;
    let test = load_test_file(&args.test, &load)?;
    let ranking = load.interactions.ranking_type;
    let mut report = evaluate_view(run.view(), &rules, &test, ranking, k)?.report;
    if !args.segments.is_empty() {
        report.segments = crate::eval::segments::select(&report.segments, &args.segments)?;
    }
    // Rules beyond exclude-seen, re-buy and the cold-start policy change warm lists: measure them.
    let plain = rules.list_rules_removed();
    let impact = (rules != plain).then(|| {
        let with = Engine::new(run.view(), &rules);
        let without = Engine::new(run.view(), &plain);
        let mut err = std::io::stderr();
        for w in &with.warnings {
            let _ = writeln!(err, "warning: {w}");
        }
        let matrix = crate::data::Interactions::from_transactions(&test, ranking);
        matrix.ok().map(|m| {
            let set = TestSet::new(&m, &run.users, &run.items, &run.train, rules.exclude_seen);
            rules_impact(&without, &with, &set.relevant, k)
        })
    });
    let impact = impact.flatten();
    if args.json {
        let mut value = serde_json::to_value(&report)?;
        if let Some(map) = value.as_object_mut() {
            // Every metric with its interval beside the baseline's, in one list.
            map.insert(
                "metrics".into(),
                serde_json::to_value(report.metric_rows())?,
            );
            if let Some(i) = &impact {
                map.insert("rules_impact".into(), serde_json::to_value(i)?);
            }
        }
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
    } else {
        write_eval(&report, out)?;
        if let Some(i) = &impact {
            writeln!(out)?;
            write_impact(i, out)?;
        }
    }
    Ok(())
}
