//! `latent bench search`: index build and open time, and query latency over a realistic
//! mix of what analysts type (description words, misspellings, stock codes, customer id
//! prefixes, countries).
//!
//! The index is built into a temporary folder, so the workspace's own `index/` is never
//! touched; the data is loaded once and its load time reported apart.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::data::load_transactions;
use crate::format::thousands;
use crate::search::{SearchError, SearchIndex, docs_from_transactions};
use crate::workspace::Workspace;

/// Arguments of `latent bench search`.
#[derive(Debug, clap::Args)]
pub struct BenchSearchArgs {
    /// The workspace (default: workspaces/demo).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Timed queries, cycling through the mix.
    #[arg(long, default_value_t = 5000, value_name = "N")]
    pub queries: usize,
}

/// What is searched: products or customers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Products,
    Customers,
}

/// The query mix, as typed in the workbench or at the shell.
const MIX: &[(Target, &str)] = &[
    (Target::Products, "heart"),
    (Target::Products, "hanging heart"),
    (Target::Products, "white hanging heart t-light holder"),
    (Target::Products, "hartt"),
    (Target::Products, "hart"),
    (Target::Products, "lunch bag"),
    (Target::Products, "jumbo bag red retrospot"),
    (Target::Products, "regency cakestand"),
    (Target::Products, "vintage christmas"),
    (Target::Products, "chrismas decoraton"),
    (Target::Products, "alarm clok bakelike"),
    (Target::Products, "paper chain kit"),
    (Target::Products, "85123A"),
    (Target::Products, "851"),
    (Target::Products, "22423"),
    (Target::Products, "post"),
    (Target::Products, "set of 3 cake tins"),
    (Target::Products, "hea"),
    (Target::Customers, "178"),
    (Target::Customers, "17850"),
    (Target::Customers, "12"),
    (Target::Customers, "germany"),
    (Target::Customers, "united kingdom"),
    (Target::Customers, "franse"),
];

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times
        .get(((times.len().saturating_sub(1)) as f64 * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `latent bench search`.
pub fn run(args: &BenchSearchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let workspace = Workspace::open(
        &args
            .workspace
            .clone()
            .map_or_else(crate::workspace::demo, Ok)?,
    )?;
    let data = workspace.config.data_path(None)?;
    let t = Instant::now();
    let (transactions, _) = load_transactions(&data, &workspace.config.load_spec())?;
    let (products, customers) = docs_from_transactions(&transactions);
    let load = t.elapsed();
    drop(transactions);

    let scratch = tempfile::tempdir()?;
    let dir = scratch.path().join("index");
    let docs = || Ok::<_, SearchError>((products.clone(), customers.clone()));
    let t = Instant::now();
    let (index, rebuilt) = SearchIndex::open_or_build(&dir, "bench", docs)?;
    let build = t.elapsed();
    anyhow::ensure!(rebuilt, "the scratch index was not built");
    drop(index);
    let t = Instant::now();
    let (index, rebuilt) = SearchIndex::open_or_build(&dir, "bench", docs)?;
    let open = t.elapsed();
    anyhow::ensure!(!rebuilt, "the scratch index was rebuilt instead of opened");
    let t = Instant::now();
    drop(SearchIndex::build_in_ram(&products, &customers)?);
    let in_ram = t.elapsed();

    // One untimed pass so every query's terms are in the page cache.
    for &(target, query) in MIX {
        run_query(&index, target, query)?;
    }
    let mut times = [Vec::new(), Vec::new()];
    for i in 0..args.queries.max(1) {
        let (target, query) = MIX[i % MIX.len()];
        let t = Instant::now();
        run_query(&index, target, query)?;
        times[usize::from(target == Target::Customers)].push(t.elapsed());
    }

    writeln!(
        out,
        "bench search {}: {} products, {} customers",
        data.display(),
        thousands(products.len()),
        thousands(customers.len())
    )?;
    writeln!(out, "load + documents    {:>9.3} s", load.as_secs_f64())?;
    writeln!(out, "build, on disk      {:>9.3} s", build.as_secs_f64())?;
    writeln!(out, "open                {:>9.3} ms", ms(open))?;
    writeln!(out, "build, in memory    {:>9.3} s", in_ram.as_secs_f64())?;
    let mut all: Vec<Duration> = times.iter().flatten().copied().collect();
    let [mut products_times, mut customers_times] = times;
    for (name, samples) in [
        ("products", &mut products_times),
        ("customers", &mut customers_times),
        ("all", &mut all),
    ] {
        let n = samples.len();
        writeln!(
            out,
            "query {name:<10} n {n:>6}  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
            ms(percentile(samples, 0.5)),
            ms(percentile(samples, 0.99)),
            ms(percentile(samples, 1.0))
        )?;
    }
    Ok(())
}

fn run_query(index: &SearchIndex, target: Target, query: &str) -> Result<usize, SearchError> {
    Ok(match target {
        Target::Products => index.products(query, 10)?.len(),
        Target::Customers => index.customers(query, 10)?.len(),
    })
}
