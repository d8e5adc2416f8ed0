//! An incremental update: a run's model refreshed with newer purchases in a fraction of a
//! retrain's time, as a new run that names its parent.
//!
//! The combined data is the parent's own training lines (its file, cleaning and window,
//! up to the last moment it saw) followed by the new file's lines, which must all come
//! after that moment and read with the parent's mapping. The combined matrix, catalogue
//! and popularity are built as a training builds them; only the fit differs: the model's
//! own update ([`crate::models::Model::update`]) re-solves the rows the new lines touched
//! against the factors it has. A model without one is fitted again on the combined data,
//! and the run says so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Holdout, TrainSpec, load_test_file};
use crate::data::{Interactions, LoadError, Transactions, load_transactions};
use crate::models::hyper::ParamsError;
use crate::models::{FitError, TrainedModel, UpdateInput};
use crate::store::Run;
use crate::store::run_dir::UpdateTag;

/// Why an update was refused.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Params(#[from] ParamsError),
    #[error(
        "run '{run}' has no dates: an update adds newer lines, so its data needs a timestamp column"
    )]
    NoDates { run: String },
    #[error("'{path}' does not have the run's columns: {what}; choose a file of the same layout")]
    Schema { path: PathBuf, what: String },
    #[error(
        "'{path}' has lines from {first}, on or before the end of run '{run}' ({end}): an update adds only newer lines; choose a file of the lines after {end}"
    )]
    Overlap {
        path: PathBuf,
        run: String,
        first: String,
        end: String,
    },
    #[error(
        "'{path}' has no lines after {end}, the end of run '{run}': nothing newer to fold in (add the newer transactions to it, or pick another file)"
    )]
    NothingNewer {
        path: PathBuf,
        run: String,
        end: String,
    },
    #[error("'{path}' has no lines left after the run's cleaning")]
    Empty { path: PathBuf },
}

impl UpdateError {
    /// The setting this error asks the user to change; each edge names where it lives.
    pub fn knob(&self) -> Option<crate::knob::Knob> {
        match self {
            UpdateError::Load(e) => e.knob(),
            _ => None,
        }
    }
}

/// The parent's model and what the new lines touched, handed to the fit.
#[derive(Debug, Clone)]
pub struct WarmStart {
    pub run: Arc<Run>,
    /// Customers and products with new lines, by name.
    pub touched_users: Vec<String>,
    pub touched_items: Vec<String>,
    /// Alternating passes over the touched rows after the first solve.
    pub passes: usize,
}

impl WarmStart {
    /// The parent's model updated for `matrix`, the combined data; `None` when the model
    /// has no incremental update.
    pub fn update(&self, matrix: &Interactions) -> Option<Result<TrainedModel, FitError>> {
        let from = |names: &[String], old: &crate::data::IdMap| -> Vec<Option<u32>> {
            names.iter().map(|n| old.get(n)).collect()
        };
        let user_from = from(matrix.users.names(), &self.run.users);
        let item_from = from(matrix.items.names(), &self.run.items);
        let touched = |names: &[String], map: &crate::data::IdMap| -> Vec<u32> {
            let mut v: Vec<u32> = names.iter().filter_map(|n| map.get(n)).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let touched_users = touched(&self.touched_users, &matrix.users);
        // Products whose buyers grew by a quarter or more (new ones included) are solved
        // again; a best seller with a few more buyers keeps its factors, and the pass
        // costs a fraction of a sweep instead of most of one.
        let touched_items: Vec<u32> = touched(&self.touched_items, &matrix.items)
            .into_iter()
            .filter(|&i| {
                let now = matrix.item_users.row_nnz(i as usize);
                let before = item_from[i as usize]
                    .map_or(0, |o| self.run.popularity.counts[o as usize] as usize);
                now >= before + before.div_ceil(4).max(1)
            })
            .collect();
        self.run.model.model().update(&UpdateInput {
            user_items: &matrix.user_items,
            item_users: &matrix.item_users,
            user_from: &user_from,
            item_from: &item_from,
            touched_users: &touched_users,
            touched_items: &touched_items,
            passes: self.passes,
        })
    }
}

/// A prepared update: the training request (warm-started) and the combined lines.
pub struct Update {
    pub spec: TrainSpec,
    pub lines: Transactions,
    pub tag: UpdateTag,
}

/// The names of `map` that `codes` use (a map may hold names of dropped lines).
fn used_names(codes: &[u32], map: &crate::data::IdMap) -> Vec<String> {
    let mut used = vec![false; map.len()];
    for &c in codes {
        used[c as usize] = true;
    }
    map.names()
        .iter()
        .zip(used)
        .filter(|(_, u)| *u)
        .map(|(n, _)| n.clone())
        .collect()
}

fn day(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map_or_else(|| ts.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// What to update with what: the CLI's arguments, or the workbench's "update with newer
/// data" (which passes the workspace's whole log and keeps only its newer lines).
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub parent: Arc<Run>,
    /// The parent's id, for the lineage and messages.
    pub parent_id: String,
    pub data: PathBuf,
    /// Alternating passes over the touched rows after the first solve.
    pub passes: usize,
    /// Take only the file's lines after the parent's window (a log that grew) instead of
    /// refusing a file that overlaps it.
    pub newer_only: bool,
}

impl UpdateRequest {
    /// Reads and checks the lines: see [`prepare`].
    pub fn prepare(&self) -> Result<Update, UpdateError> {
        prepare(
            &self.parent,
            &self.parent_id,
            &self.data,
            self.passes,
            self.newer_only,
        )
    }
}

/// Reads the parent's lines and `new_path`'s, checks that the new ones have the run's
/// layout and all come after its window (or, with `newer_only`, keeps those that do), and
/// makes the warm-started request.
pub fn prepare(
    parent: &Arc<Run>,
    parent_id: &str,
    new_path: &Path,
    passes: usize,
    newer_only: bool,
) -> Result<Update, UpdateError> {
    let end = parent
        .catalog
        .reference_time
        .ok_or_else(|| UpdateError::NoDates {
            run: parent_id.to_owned(),
        })?;
    let load = parent.config.load_spec();
    let mut new = match load_test_file(new_path, &load) {
        Err(e @ LoadError::MissingColumn { .. }) => {
            return Err(UpdateError::Schema {
                path: new_path.to_owned(),
                what: e.to_string(),
            });
        }
        other => other?,
    };
    let end_day = end.div_euclid(86_400) * 86_400 + 86_400;
    if newer_only && new.has.timestamp {
        let keep: Vec<bool> = new.timestamp.iter().map(|&ts| ts >= end_day).collect();
        new.retain_lines(&keep);
        if new.is_empty() {
            return Err(UpdateError::NothingNewer {
                path: new_path.to_owned(),
                run: parent_id.to_owned(),
                end: day(end),
            });
        }
    }
    if new.is_empty() {
        return Err(UpdateError::Empty {
            path: new_path.to_owned(),
        });
    }
    let data = parent
        .config
        .data
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&parent.meta.data));
    let (mut old, _) = load_transactions(&data, &load)?;
    for (what, theirs, ours) in [
        ("timestamps", new.has.timestamp, old.has.timestamp),
        ("quantities", new.has.quantity, old.has.quantity),
        ("prices", new.has.price, old.has.price),
        ("ratings", new.has.rating, old.has.rating),
    ] {
        if ours && !theirs {
            return Err(UpdateError::Schema {
                path: new_path.to_owned(),
                what: format!("it has no {what}, the run's data has"),
            });
        }
    }
    let (first, last) = new.time_range().unwrap_or((0, 0));
    if first < end_day {
        return Err(UpdateError::Overlap {
            path: new_path.to_owned(),
            run: parent_id.to_owned(),
            first: day(first),
            end: day(end),
        });
    }
    // The parent's own lines: its window, without a hold-out it never trained on.
    let keep: Vec<bool> = old.timestamp.iter().map(|&ts| ts <= end).collect();
    old.retain_lines(&keep);
    let touched_users = used_names(&new.user, &new.users);
    let touched_items = used_names(&new.item, &new.items);
    let new_users = touched_users
        .iter()
        .filter(|u| parent.users.get(u).is_none())
        .count();
    let new_items = touched_items
        .iter()
        .filter(|i| parent.items.get(i).is_none())
        .count();
    let lines = new.len();
    old.append(&new);
    let mut spec = TrainSpec::refit(parent, Some(data), parent_id)?;
    spec.holdout = Holdout::None;
    let incremental = parent.model.model().updates_incrementally();
    // The run's window now reaches the new lines' last day.
    let interactions = &mut spec.config.interactions;
    if interactions.retention_date.is_some() || interactions.retention_days.is_some() {
        let added_days = ((last.div_euclid(86_400) - end.div_euclid(86_400)).max(0)) as u32;
        interactions.retention_date = Some(day(last).replace('-', ""));
        interactions.retention_days = interactions.retention_days.map(|d| d + added_days);
    }
    spec.warm = Some(WarmStart {
        run: Arc::clone(parent),
        touched_users: touched_users.clone(),
        touched_items: touched_items.clone(),
        passes,
    });
    Ok(Update {
        spec,
        lines: old,
        tag: UpdateTag {
            data: std::fs::canonicalize(new_path)
                .unwrap_or_else(|_| new_path.to_owned())
                .display()
                .to_string(),
            lines,
            first: day(first),
            last: day(last),
            touched_users: touched_users.len(),
            new_users,
            touched_items: touched_items.len(),
            new_items,
            method: if incremental { "incremental" } else { "refit" }.to_owned(),
        },
    })
}
