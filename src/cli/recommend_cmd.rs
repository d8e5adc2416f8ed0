//! `latent recommend`: top-k lists from a trained run, as CSV.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::data::write::write_atomically;
use crate::models::hyper::ParamsError;
use crate::recommend::topk::fallback;
use crate::recommend::{Reason, Scored, recommend_all};
use crate::store::Run;

/// Arguments of `latent recommend`.
#[derive(Debug, clap::Args)]
pub struct RecommendArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// `all` for every customer in the training data.
    #[arg(long, value_name = "all", group = "who")]
    pub users: Option<String>,
    /// One customer id (repeatable); unknown ids get the popularity fallback.
    #[arg(long = "user", value_name = "ID", group = "who")]
    pub user: Vec<String>,
    /// Products per customer.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Leave out products the customer already bought.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "true|false")]
    pub exclude_seen: bool,
    /// Output CSV (`user_id,item_id,rank,score`); stdout when absent.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Runs `latent recommend`.
pub fn run(args: &RecommendArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = open_run(&args.run, "--top", args.top)?;
    let ids: Vec<String> = match (&args.users, args.user.is_empty()) {
        (Some(all), _) if all == "all" => run.users.names().to_vec(),
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
    let known: Vec<u32> = ids
        .iter()
        .filter_map(|id| {
            run.users
                .get(crate::data::values::normalise_id(id).unwrap_or(id))
        })
        .collect();
    let lists = recommend_all(
        run.model.as_recommender(),
        &run.train,
        &known,
        args.top,
        args.exclude_seen,
    );
    let popular = fallback(&run.popularity, args.top);
    let mut by_known = lists.into_iter();
    let mut body = Vec::with_capacity(ids.len() * args.top * 24);
    writeln!(body, "user_id,item_id,rank,score")?;
    let mut cold = Vec::new();
    for id in &ids {
        let list: Vec<Scored> = if run
            .users
            .get(crate::data::values::normalise_id(id).unwrap_or(id))
            .is_some()
        {
            by_known.next().unwrap_or_default()
        } else {
            cold.push(id.clone());
            popular.clone()
        };
        for (rank, s) in list.iter().enumerate() {
            writeln!(
                body,
                "{},{},{},{}",
                csv_field(id),
                csv_field(run.items.name(s.item)),
                rank + 1,
                s.score
            )?;
        }
    }
    match &args.out {
        Some(path) => {
            write_atomically(path, |w| w.write_all(&body).map_err(Into::into))?;
            writeln!(out, "wrote {} lists to {}", ids.len(), path.display())?;
        }
        None => out.write_all(&body)?,
    }
    if !cold.is_empty() {
        let shown: Vec<&str> = cold.iter().take(5).map(String::as_str).collect();
        let mut err = std::io::stderr();
        let _ = writeln!(
            err,
            "note: {} customer(s) unknown to the model got the popularity fallback ({}): {}{}",
            cold.len(),
            serde_json::to_string(&Reason::PopularityFallback)
                .unwrap_or_default()
                .trim_matches('"'),
            shown.join(", "),
            if cold.len() > 5 { ", ..." } else { "" }
        );
    }
    Ok(())
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

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
            "a {} model has no product similarity: train als or item-knn",
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
