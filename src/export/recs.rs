//! The `recs` format: every customer's top-N for the warehouse, through the same business
//! rules engine as `latent recommend` and `latent serve`.
//!
//! ```text
//! recs.parquet   user_id (string), item_id (string), rank (uint32, 1 = best),
//!                score (float32), reason (string: model, boosted, forced, fold_in, ...)
//! recs.csv       the same columns, with a header
//! ```
//!
//! Customers are those of the training data plus the rules' `force_users` (who get the
//! cold-start policy, with no purchase history).

use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use super::{ExportError, create_dir, write_parquet};
use crate::recommend::{Customer, Engine, Overrides, Scored};
use crate::store::Run;

/// One customer's list.
#[derive(Debug, Clone)]
pub struct CustomerRecs {
    pub user_id: String,
    pub items: Vec<Scored>,
}

/// Every customer's list with `rules` applied, in the run's customer order then
/// `force_users`.
pub fn batch(run: &Run, rules: &Overrides, k: usize) -> Vec<CustomerRecs> {
    let engine = Engine::new(run.view(), rules);
    for w in &engine.warnings {
        tracing::warn!("recs: {w}");
    }
    let all: Vec<u32> = (0..run.users.len() as u32).collect();
    let mut out: Vec<CustomerRecs> = engine
        .recommend_known(&all, k)
        .into_iter()
        .zip(run.users.names())
        .map(|(items, id)| CustomerRecs {
            user_id: id.clone(),
            items,
        })
        .collect();
    let mut history = Vec::new();
    let mut scratch = Vec::new();
    for id in &rules.force_users {
        let (who, _) = engine.customer(id, &mut history, &[], None);
        if matches!(who, Customer::New { .. }) {
            out.push(CustomerRecs {
                user_id: id.clone(),
                items: engine.recommend(who, k, &mut scratch),
            });
        }
    }
    out
}

/// Writes `recs.parquet` and `recs.csv` for `run` into `dir`.
pub fn write(run: &Run, rules: &Overrides, k: usize, dir: &Path) -> Result<(), ExportError> {
    create_dir(dir)?;
    let lists = batch(run, rules, k);
    write_csv(run, &lists, &dir.join("recs.csv"))?;
    let path = dir.join("recs.parquet");
    let mut frame = frame(run, &lists).map_err(|e| ExportError::write(&path, e))?;
    write_parquet(&path, &mut frame)
}

/// The lists as one row per recommendation: `user_id, item_id, rank, score, reason`.
pub fn frame(run: &Run, lists: &[CustomerRecs]) -> PolarsResult<DataFrame> {
    let rows: usize = lists.iter().map(|l| l.items.len()).sum();
    let mut users = Vec::with_capacity(rows);
    let mut items = Vec::with_capacity(rows);
    let mut ranks = Vec::with_capacity(rows);
    let mut scores = Vec::with_capacity(rows);
    let mut reasons = Vec::with_capacity(rows);
    for l in lists {
        for (r, s) in l.items.iter().enumerate() {
            users.push(l.user_id.as_str());
            items.push(run.items.name(s.item));
            ranks.push(r as u32 + 1);
            scores.push(s.score);
            reasons.push(s.reason.name());
        }
    }
    DataFrame::new(
        rows,
        vec![
            Column::new("user_id".into(), users),
            Column::new("item_id".into(), items),
            Column::new("rank".into(), ranks),
            Column::new("score".into(), scores),
            Column::new("reason".into(), reasons),
        ],
    )
}

/// Writes the lists as CSV with a header to `path`, through a temporary file in the same
/// folder renamed into place, so a reader never sees half a file.
pub fn write_csv(run: &Run, lists: &[CustomerRecs], path: &Path) -> Result<(), ExportError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_dir(dir)?;
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| ExportError::write(path, e))?;
    let mut w = std::io::BufWriter::new(tmp);
    let mut write_rows = || -> std::io::Result<()> {
        writeln!(w, "user_id,item_id,rank,score,reason")?;
        for l in lists {
            for (r, s) in l.items.iter().enumerate() {
                writeln!(
                    w,
                    "{},{},{},{},{}",
                    csv_field(&l.user_id),
                    csv_field(run.items.name(s.item)),
                    r + 1,
                    s.score,
                    s.reason.name()
                )?;
            }
        }
        w.flush()
    };
    write_rows().map_err(|e| ExportError::write(path, e))?;
    let tmp = w
        .into_inner()
        .map_err(|e| ExportError::write(path, e.error()))?;
    tmp.persist(path)
        .map_err(|e| ExportError::write(path, e.error))?;
    Ok(())
}

/// Quotes a CSV field when it needs it.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}
