//! `latent recommend`: lists from a trained run with the business rules applied, as a
//! readable table (a few customers), CSV (batch) or JSON.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;

use super::rule_args::RuleArgs;
use crate::data::write::write_atomically;
use crate::models::hyper::ParamsError;
use crate::recommend::{Customer, Engine, Reason, Scored, capped_top};
use crate::store::Run;

/// Arguments of `latent recommend`.
#[derive(Debug, clap::Args)]
pub struct RecommendArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// `all` for every customer in the training data (plus the rules' `force_users`).
    #[arg(long, value_name = "all", group = "who")]
    pub users: Option<String>,
    /// One customer id (repeatable); unknown ids get the cold-start policy.
    #[arg(long = "user", value_name = "ID", group = "who")]
    pub user: Vec<String>,
    /// Products per customer.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// For a customer the model never saw: products they bought (comma-separated ids),
    /// used by the fold-in policy.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub history: Vec<String>,
    /// For a customer the model never saw: their segment (country), used by
    /// segment-popularity, segment-only includes and an FM's fold-in (the segment's feature).
    #[arg(long, value_name = "NAME")]
    pub segment: Option<String>,
    /// Show which purchases contribute most to each recommendation.
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Print CSV (`user_id,item_id,rank,score,reason`); the default for `--users all`.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Write CSV (or JSON with `--json`) to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// One customer's list as printed.
#[derive(Debug, Serialize)]
struct CustomerList {
    user_id: String,
    known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    segment: Option<String>,
    items: Vec<Item>,
}

#[derive(Debug, Serialize)]
struct Item {
    rank: usize,
    #[serde(rename = "item_id")]
    id: String,
    description: String,
    score: f32,
    reason: Reason,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    because: Vec<Contribution>,
}

#[derive(Debug, Serialize)]
struct Contribution {
    /// A purchase that contributes (ALS, item-kNN)…
    #[serde(rename = "item_id", skip_serializing_if = "String::is_empty")]
    id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    /// …or a term of the score (FM: a feature or a feature pair).
    #[serde(skip_serializing_if = "String::is_empty")]
    term: String,
    #[serde(rename = "contribution")]
    value: f32,
}

/// Runs `latent recommend`.
pub fn run(args: &RecommendArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = open_run(&args.run, "--top", args.top)?;
    let rules = args.rules.resolve(&run.config.overrides)?;
    let engine = Engine::new(run.view(), &rules);
    let mut err = std::io::stderr();
    for w in &engine.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    let (top, capped) = capped_top("--top", args.top, run.items.len());
    if let Some(w) = capped {
        let _ = writeln!(err, "warning: {w}");
    }
    let batch = matches!(&args.users, Some(a) if a == "all");
    let ids: Vec<String> = match (&args.users, args.user.is_empty()) {
        (Some(_), _) if batch => {
            let mut ids = run.users.names().to_vec();
            ids.extend(
                rules
                    .force_users
                    .iter()
                    .filter(|u| run.users.get(u).is_none())
                    .cloned(),
            );
            ids
        }
        (Some(other), _) => {
            return Err(ParamsError::BadValue {
                key: "--users".into(),
                value: other.clone(),
                expected: "'all' (or use --user ID)",
            }
            .into());
        }
        (None, false) => args.user.clone(),
        (None, true) => {
            return Err(
                ParamsError::Invalid("choose --users all or one or more --user ID".into()).into(),
            );
        }
    };
    let lists = build_lists(&run, &engine, &ids, top, args);
    let format = if args.json {
        Format::Json
    } else if args.csv || batch || args.out.is_some() {
        Format::Csv
    } else {
        Format::Table
    };
    let mut body = Vec::with_capacity(
        ids.len()
            .saturating_mul(top)
            .saturating_mul(32)
            .min(1 << 26),
    );
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut body, &lists)?;
            writeln!(body)?;
        }
        Format::Csv => write_csv(&lists, &mut body)?,
        Format::Table => write_table(&run, &lists, &mut body)?,
    }
    match &args.out {
        Some(path) => {
            write_atomically(path, |w| w.write_all(&body).map_err(Into::into))?;
            writeln!(out, "wrote {} lists to {}", ids.len(), path.display())?;
        }
        None => out.write_all(&body)?,
    }
    report_cold(&lists, &mut err);
    Ok(())
}

enum Format {
    Table,
    Csv,
    Json,
}

fn build_lists(
    run: &Run,
    engine: &Engine<'_>,
    ids: &[String],
    top: usize,
    args: &RecommendArgs,
) -> Vec<CustomerList> {
    let normal = |id: &str| {
        crate::data::values::normalise_id(id)
            .unwrap_or(id)
            .to_owned()
    };
    let known: Vec<u32> = ids
        .iter()
        .filter_map(|id| run.users.get(&normal(id)))
        .collect();
    let mut known_lists = engine.recommend_known(&known, top).into_iter();
    let mut history = Vec::new();
    let mut scratch = Vec::new();
    let mut err = std::io::stderr();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let (who, unknown) =
            engine.customer(id, &mut history, &args.history, args.segment.as_deref());
        if !unknown.is_empty() {
            let _ = writeln!(
                err,
                "warning: --history: {} not in the run's products, ignored",
                unknown.join(", ")
            );
        }
        let list: Vec<Scored> = match who {
            Customer::Known(_) => known_lists.next().unwrap_or_default(),
            Customer::New { .. } => engine.recommend(who, top, &mut scratch),
        };
        let segment = match who {
            Customer::Known(u) => run.catalog.user_segment_name(u).map(str::to_owned),
            Customer::New { segment, .. } => segment
                .and_then(|s| run.catalog.segments.get(s as usize))
                .cloned(),
        };
        let items = list
            .iter()
            .enumerate()
            .map(|(rank, s)| Item {
                rank: rank + 1,
                id: run.items.name(s.item).to_owned(),
                description: description(run, s.item).to_owned(),
                score: s.score,
                reason: s.reason,
                because: if args.explain {
                    engine
                        .explain(who, s.item, 3)
                        .map(|e| {
                            let purchases = e.parts.into_iter().map(|(j, c)| Contribution {
                                id: run.items.name(j).to_owned(),
                                description: description(run, j).to_owned(),
                                term: String::new(),
                                value: c,
                            });
                            let terms = e.terms.into_iter().take(3).map(|(t, c)| Contribution {
                                id: String::new(),
                                description: String::new(),
                                term: t,
                                value: c,
                            });
                            purchases.chain(terms).collect()
                        })
                        .unwrap_or_default()
                } else {
                    Vec::new()
                },
            })
            .collect();
        out.push(CustomerList {
            user_id: id.clone(),
            known: matches!(who, Customer::Known(_)),
            segment,
            items,
        });
    }
    out
}

fn description(run: &Run, item: u32) -> &str {
    run.descriptions
        .get(item as usize)
        .map_or("", String::as_str)
}

fn write_csv(lists: &[CustomerList], body: &mut Vec<u8>) -> std::io::Result<()> {
    writeln!(body, "user_id,item_id,rank,score,reason")?;
    for l in lists {
        for i in &l.items {
            writeln!(
                body,
                "{},{},{},{},{}",
                csv_field(&l.user_id),
                csv_field(&i.id),
                i.rank,
                i.score,
                i.reason.name()
            )?;
        }
    }
    Ok(())
}

fn write_table(run: &Run, lists: &[CustomerList], body: &mut Vec<u8>) -> std::io::Result<()> {
    for (n, l) in lists.iter().enumerate() {
        if n > 0 {
            writeln!(body)?;
        }
        let bought = run
            .users
            .get(&l.user_id)
            .map(|u| run.train.row_nnz(u as usize));
        writeln!(
            body,
            "customer {}{}{}",
            l.user_id,
            l.segment
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            match bought {
                Some(b) => format!(" · {b} products bought · {} run", run.meta.model.name()),
                None => " · unknown to the model".to_owned(),
            }
        )?;
        if l.items.is_empty() {
            writeln!(body, "  no products left after the rules")?;
            continue;
        }
        let width = l
            .items
            .iter()
            .map(|i| i.id.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        writeln!(
            body,
            "{:>4}  {:<width$}  {:<36}  {:>8}  reason",
            "rank", "item", "description", "score"
        )?;
        for i in &l.items {
            writeln!(
                body,
                "{:>4}  {:<width$}  {:<36}  {:>8.4}  {}",
                i.rank,
                i.id,
                clip(&i.description, 36),
                i.score,
                i.reason.name()
            )?;
            for c in &i.because {
                let what = if c.term.is_empty() {
                    format!("{} {}", c.id, clip(&c.description, 30))
                } else {
                    c.term.clone()
                };
                writeln!(
                    body,
                    "{:>4}  {:<width$}    because of {what} ({:+.4})",
                    "", "", c.value
                )?;
            }
        }
    }
    Ok(())
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

fn report_cold(lists: &[CustomerList], err: &mut dyn Write) {
    let cold: Vec<&CustomerList> = lists.iter().filter(|l| !l.known).collect();
    if cold.is_empty() {
        return;
    }
    let mut by_reason = std::collections::BTreeMap::<&str, Vec<&str>>::new();
    for l in &cold {
        let reason = l
            .items
            .iter()
            .find(|i| i.reason != Reason::Forced)
            .map_or("empty", |i| i.reason.name());
        by_reason.entry(reason).or_default().push(&l.user_id);
    }
    for (reason, ids) in by_reason {
        let shown: Vec<&str> = ids.iter().take(5).copied().collect();
        let _ = writeln!(
            err,
            "note: {} customer(s) unknown to the model got {reason}: {}{}",
            ids.len(),
            shown.join(", "),
            if ids.len() > 5 { ", ..." } else { "" }
        );
    }
}

pub use crate::format::csv_field;

/// Arguments of `latent similar`.
#[derive(Debug, clap::Args)]
pub struct SimilarArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// The product id.
    #[arg(long, value_name = "ID")]
    pub item: String,
    /// Number of similar products.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

/// Runs `latent similar`: CSV `item_id,similar_item_id,rank,score,description`.
pub fn run_similar(args: &SimilarArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = open_run(&args.run, "--top", args.top)?;
    let Some(item) = run.items.get(&args.item) else {
        return Err(ParamsError::Invalid(format!(
            "product '{}' is not in the run's training data",
            args.item
        ))
        .into());
    };
    let Some(list) = crate::recommend::similar_items(&run.model, item, args.top) else {
        return Err(ParamsError::Invalid(format!(
            "a {} model has no product similarity: train als, item-knn or fm",
            run.meta.model.name()
        ))
        .into());
    };
    writeln!(out, "item_id,similar_item_id,rank,score,description")?;
    for (rank, s) in list.iter().enumerate() {
        let description = run
            .descriptions
            .get(s.item as usize)
            .map_or("", String::as_str);
        writeln!(
            out,
            "{},{},{},{},{}",
            csv_field(&args.item),
            csv_field(run.items.name(s.item)),
            rank + 1,
            s.score,
            csv_field(description)
        )?;
    }
    Ok(())
}

/// Checks a list length and loads the run, the first steps of every run-reading command.
pub fn open_run(dir: &std::path::Path, length_flag: &str, length: usize) -> anyhow::Result<Run> {
    if length == 0 {
        return Err(ParamsError::OutOfRange {
            key: length_flag.into(),
            value: "0".into(),
            range: "at least 1".into(),
        }
        .into());
    }
    Run::load(dir).with_context(|| format!("loading run '{}'", dir.display()))
}
