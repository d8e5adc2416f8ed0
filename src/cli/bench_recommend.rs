//! `latent bench recommend`: one customer's list with a full set of business rules, the
//! work the Inspect screen does on every keystroke and the server on every request.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::experiment::{Holdout, TrainSpec, train};
use crate::models::ModelKind;
use crate::recommend::{
    BoostRule, ColdStartPolicy, Customer, Engine, IncludeRule, Overrides, PopularCut,
};
use crate::rng::Xoshiro as Rng;
use crate::store::Run;
use crate::workspace::Workspace;

/// Arguments of `latent bench recommend`.
#[derive(Debug, clap::Args)]
pub struct BenchRecommendArgs {
    /// A run directory; by default an ALS model is trained on the workspace's data first.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: Option<PathBuf>,
    /// The workspace whose data and hyperparameters are used without --run.
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Customers timed per case.
    #[arg(long, default_value_t = 2000)]
    pub customers: usize,
}

/// The rule set every case runs with: one rule of each kind.
pub fn full_rules(run: &Run) -> Overrides {
    let popular = run.popularity.ranking();
    let pick = |k: usize| run.items.name(popular[k.min(popular.len() - 1)]).to_owned();
    Overrides {
        exclude_seen: true,
        rebuy: None,
        exclude_popular: Some(PopularCut::Percent(5.0)),
        exclude_items: vec!["POST".into(), "DOT".into(), "M".into()],
        exclude_matching: vec!["postage".into()],
        exclude_stale_days: Some(90),
        only_items: Vec::new(),
        include: vec![
            IncludeRule {
                items: vec![pick(300), pick(400)],
                slot: Some(1),
                ..IncludeRule::default()
            },
            IncludeRule {
                new_within_days: Some(30),
                limit: Some(2),
                ..IncludeRule::default()
            },
        ],
        boost: vec![BoostRule::parse("christmas*1.5").unwrap_or_default()],
        force_users: Vec::new(),
        cold_start: ColdStartPolicy::FoldIn,
    }
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() - 1) as f64 * p).round() as usize]
}

/// Runs `latent bench recommend`.
pub fn run(args: &BenchRecommendArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = match &args.run {
        Some(dir) => Run::load(dir)?,
        None => {
            let ws = Workspace::open(
                &args
                    .workspace
                    .clone()
                    .map_or_else(crate::workspace::demo, Ok)?,
            )?;
            let data = ws.config.data_path(None)?;
            let spec = TrainSpec::new(ws.config, data, ModelKind::Als, &[], Holdout::None, 10)?;
            train(&spec, &mut |_| std::ops::ControlFlow::Continue(()))?
        }
    };
    if run.users.is_empty() {
        anyhow::bail!("the run has no customers");
    }
    let rules = full_rules(&run);
    let t = Instant::now();
    let engine = Engine::new(run.view(), &rules);
    let compile = t.elapsed();
    writeln!(
        out,
        "bench recommend: {} run, {} customers x {} products, top 10",
        run.meta.model.name(),
        run.users.len(),
        run.items.len()
    )?;
    writeln!(
        out,
        "rules: exclude seen, top 5% popular, 3 ids, 'postage', stale > 90 days; 2 forced at slot 1, 2 new products; boost christmas x1.5; cold start fold-in"
    )?;
    writeln!(
        out,
        "compile rules       {:>10.3} ms",
        compile.as_secs_f64() * 1e3
    )?;
    let mut rng = Rng::new(7);
    let n = args.customers.max(1);
    let users: Vec<u32> = (0..n).map(|_| rng.below(run.users.len()) as u32).collect();
    let mut scratch = Vec::new();
    let time = |f: &mut dyn FnMut(u32)| -> Vec<Duration> {
        users
            .iter()
            .map(|&u| {
                let t = Instant::now();
                f(u);
                t.elapsed()
            })
            .collect()
    };
    let mut sink = 0usize;
    let mut cases: Vec<(&str, Vec<Duration>)> = Vec::new();
    cases.push((
        "known customer",
        time(&mut |u| {
            sink += engine.recommend(Customer::Known(u), 10, &mut scratch).len();
        }),
    ));
    cases.push((
        "new, 5 purchases",
        time(&mut |u| {
            let mut h: Vec<u32> = run
                .train
                .row(u as usize)
                .0
                .iter()
                .take(5)
                .copied()
                .collect();
            h.sort_unstable();
            let who = Customer::New {
                history: &h,
                segment: None,
            };
            sink += engine.recommend(who, 10, &mut scratch).len();
        }),
    ));
    let item = run.popularity.ranking()[0];
    cases.push((
        "explain 1 product",
        time(&mut |u| {
            sink += engine
                .explain(Customer::Known(u), item, 3)
                .map_or(0, |e| e.parts.len());
        }),
    ));
    writeln!(out, "{:<20}{:>12}{:>12}{:>12}", "case", "p50", "p99", "max")?;
    for (name, mut times) in cases {
        let p50 = percentile(&mut times, 0.5);
        let p99 = percentile(&mut times, 0.99);
        let max = percentile(&mut times, 1.0);
        writeln!(
            out,
            "{name:<20}{:>10.1}µs{:>10.1}µs{:>10.1}µs",
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6,
            max.as_secs_f64() * 1e6
        )?;
    }
    writeln!(out, "({sink} items listed)")?;
    Ok(())
}
