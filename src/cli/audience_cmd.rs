//! `latent audience`: the customers most likely to buy a product (or any product matching
//! a search), with the business rules applied: the list a marketing team mails.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::rule_args::RuleArgs;
use crate::eval::audience::{AudienceReport, Campaign, campaign};
use crate::jobs::indexing::run_docs;
use crate::models::hyper::ParamsError;
use crate::recommend::{AudienceMember, Engine};
use crate::search::SearchIndex;
use crate::store::Run;

/// Arguments of `latent audience`.
#[derive(Debug, clap::Args)]
pub struct AudienceArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Product ids (comma-separated; repeatable).
    #[arg(
        long = "item",
        value_delimiter = ',',
        value_name = "ID,...",
        required_unless_present = "query"
    )]
    pub items: Vec<String>,
    /// Every product matching these words or stock-code prefix (as `latent search products`).
    #[arg(long, value_name = "TEXT", conflicts_with = "items")]
    pub query: Option<String>,
    /// Customers listed.
    #[arg(long, default_value_t = 100)]
    pub top: usize,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Write the list as CSV (customer, rank, product, description, product_rank, score).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the list and its hold-out check as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Products matched by a query at most: a query as broad as "bag" stays a campaign.
const MAX_QUERY_PRODUCTS: usize = 200;

/// Runs `latent audience`.
pub fn run(args: &AudienceArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = super::recommend_cmd::open_run(&args.run, "--top", args.top)?;
    let items = target_items(&run, args)?;
    let rules = args.rules.resolve(&run.config.overrides)?;
    let engine = Engine::new(run.view(), &rules);
    let Campaign {
        members, report, ..
    } = campaign(&engine, run.holdout.as_ref(), &items, args.top)?;
    if let Some(path) = &args.out {
        write_csv(path, &run, &members)?;
    }
    if args.json {
        let rows: Vec<serde_json::Value> = members.iter().map(|m| row_json(&run, m)).collect();
        let value = serde_json::json!({
            "products": items.iter().map(|&i| run.items.name(i)).collect::<Vec<_>>(),
            "customers": rows,
            "holdout": report,
            "below_baseline": report.as_ref().map(AudienceReport::below_baseline),
        });
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        return Ok(());
    }
    write_text(out, &run, &items, &members, report.as_ref(), args)
}

/// The run's indices of the products asked for, by id or by search.
fn target_items(run: &Run, args: &AudienceArgs) -> anyhow::Result<Vec<u32>> {
    if let Some(query) = &args.query {
        let (products, customers) = run_docs(run);
        let index = SearchIndex::build_in_ram(&products, &customers)?;
        let hits = index.products(query, MAX_QUERY_PRODUCTS)?;
        let items: Vec<u32> = hits.iter().filter_map(|h| run.items.get(&h.id)).collect();
        if items.is_empty() {
            return Err(ParamsError::Invalid(format!(
                "no product of the run matches --query '{query}': try other words or a stock code (latent search products)"
            ))
            .into());
        }
        return Ok(items);
    }
    let mut items = Vec::new();
    for id in &args.items {
        let id = id.trim();
        match run.items.get(id) {
            Some(i) => items.push(i),
            None => {
                return Err(ParamsError::Invalid(format!(
                    "--item '{id}' is not a product of run '{}': find ids with latent search products",
                    args.run.display()
                ))
                .into());
            }
        }
    }
    items.sort_unstable();
    items.dedup();
    Ok(items)
}

fn row_json(run: &Run, m: &AudienceMember) -> serde_json::Value {
    serde_json::json!({
        "customer": run.users.name(m.user),
        "product": run.items.name(m.item),
        "product_rank": m.rank,
        "score": m.score,
        "segment": run.catalog.user_segment_name(m.user),
    })
}

/// The CSV, written to a temporary file and renamed, so a reader never sees half a list.
fn write_csv(path: &Path, run: &Run, members: &[AudienceMember]) -> anyhow::Result<()> {
    let mut text = String::from("customer,rank,product,description,product_rank,score\n");
    for (rank, m) in members.iter().enumerate() {
        let description = run
            .descriptions
            .get(m.item as usize)
            .map_or("", String::as_str)
            .replace('"', "\"\"");
        let _ = writeln!(
            text,
            "{},{},{},\"{description}\",{},{}",
            run.users.name(m.user),
            rank + 1,
            run.items.name(m.item),
            m.rank,
            m.score
        );
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("--out '{}' names no file", path.display()))?;
    crate::store::files::write_file(dir, name, text.as_bytes())
        .with_context(|| format!("writing '{}'", path.display()))
}

fn write_text(
    out: &mut dyn Write,
    run: &Run,
    items: &[u32],
    members: &[AudienceMember],
    report: Option<&AudienceReport>,
    args: &AudienceArgs,
) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} customers most likely to buy {} product{} ({}), rules applied",
        members.len(),
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        items
            .iter()
            .take(5)
            .map(|&i| run.items.name(i))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "{:>5}  {:<10}{:<10}{:>8}{:>10}  segment",
        "#", "customer", "product", "rank", "score"
    )?;
    for (rank, m) in members
        .iter()
        .enumerate()
        .take(if args.out.is_some() { 10 } else { 50 })
    {
        writeln!(
            out,
            "{:>5}  {:<10}{:<10}{:>8}{:>10.4}  {}",
            rank + 1,
            run.users.name(m.user),
            run.items.name(m.item),
            m.rank,
            m.score,
            run.catalog.user_segment_name(m.user).unwrap_or("")
        )?;
    }
    if let Some(r) = report {
        if r.below_baseline() {
            writeln!(out, "WARNING: for this product {}", r.warning())?;
        }
        writeln!(out, "{}", r.sentence(&run.meta.holdout))?;
    }
    if let Some(path) = &args.out {
        writeln!(out, "audience written to {}", path.display())?;
    }
    Ok(())
}
