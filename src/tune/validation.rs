//! The inner validation split every trial is scored on: the last days of the training
//! window, carved out before any trial runs, so the test period is never seen while
//! choosing.
//!
//! The split, its matrix and its mapped test set are built once; a trial is then one fit
//! and one scoring. On a very large log the scored customers are sampled (seeded) so a
//! time budget still buys enough trials.

use std::ops::ControlFlow;
use std::time::Instant;

use crate::data::split::{SplitSpec, SplitStrategy, split};
use crate::data::timestamps::format_timestamp;
use crate::data::{Interactions, LoadError, LoadSpec, Transactions};
use crate::error::Error;
use crate::eval::TestSet;
use crate::eval::protocol::model_metrics;
use crate::experiment::{Holdout, Stage, TrainSpec, fit, hold_out};
use crate::models::{EpochReport, ModelParams};
use crate::recommend::SeenPolicy;
use crate::rng::Rng;
use crate::sweep::Metric;

/// Customers scored per trial at most; beyond it a seeded sample is scored.
pub const MAX_CUSTOMERS: usize = 20_000;

/// Training lines a trial fits on at most; beyond it the lines of a seeded sample of
/// customers are kept, so a minute's budget still runs ten trials on a 10M-line log. The
/// chosen model is retrained on every line.
pub const MAX_TRAIN_LINES: usize = 1_000_000;

/// The validation problem: the lines before the validation window, their matrix, and the
/// window's purchases mapped onto it.
pub struct Validation {
    lines: Transactions,
    matrix: Interactions,
    set: TestSet,
    /// The window, as dates, and how many customers are scored.
    pub label: String,
    pub customers: usize,
    /// Customers with a purchase in the window before sampling, when sampled.
    pub sampled_from: Option<usize>,
    /// Customers whose lines trials fit on, and all of them, when the lines were sampled.
    pub trained_on: Option<(usize, usize)>,
    /// The workspace's recency half-life, the one `matrix` was built with.
    half_life: Option<f64>,
}

/// How the validation lines are carved out of the training window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValidationSplit {
    /// The last `days` before the test period: mirrors a test period of the last days.
    LastDays(u32),
    /// Each customer's last `fraction` of training lines, by time: mirrors a test file
    /// made per customer (MovieLens' usual 80/20), where a window of the last days would
    /// hold a handful of customers.
    PerUser(f64),
}

impl ValidationSplit {
    /// The split that mirrors `holdout`, or the last `days` when given: the test period's
    /// length before a period of the last days, each customer's last fifth before a test
    /// file, the last 30 days before no test at all.
    pub fn mirroring(holdout: &Holdout, days: Option<u32>) -> Self {
        match (days, holdout) {
            (Some(d), _) => ValidationSplit::LastDays(d),
            (None, Holdout::LastDays { days, .. }) => ValidationSplit::LastDays(*days),
            (None, Holdout::File(_)) => ValidationSplit::PerUser(0.2),
            (None, _) => ValidationSplit::LastDays(30),
        }
    }
}

impl Validation {
    /// Carves the validation lines `how` says out of `spec`'s training window (the data
    /// before its test period) in `transactions`.
    pub fn carve(
        spec: &TrainSpec,
        transactions: &Transactions,
        how: ValidationSplit,
        seed: u64,
    ) -> Result<Self, Error> {
        let load: LoadSpec = spec.config.load_spec();
        let (before_test, _) = hold_out(&spec.holdout, transactions, &load)?;
        let new_items_only = matches!(
            spec.holdout,
            Holdout::LastDays {
                new_items_only: true,
                ..
            }
        );
        let (lines, window) = match how {
            ValidationSplit::LastDays(days) => {
                let inner = Holdout::LastDays {
                    days,
                    new_items_only,
                };
                let (lines, window) = hold_out(&inner, &before_test, &load)?;
                (lines, window.unwrap_or_default())
            }
            ValidationSplit::PerUser(fraction) => {
                let parts = split(
                    &before_test,
                    &SplitSpec {
                        strategy: SplitStrategy::PerUserFraction(fraction),
                        new_items_only,
                    },
                )?;
                (parts.train, parts.test)
            }
        };
        let span = |t: &Transactions| t.time_range().map(|(a, b)| (day_of(a), day_of(b)));
        let (from, to) = span(&window)
            .or_else(|| span(&before_test))
            .unwrap_or_default();
        let what = match how {
            ValidationSplit::LastDays(days) => {
                format!("{from} to {to}, the last {days} days before the test period")
            }
            ValidationSplit::PerUser(f) => format!(
                "each customer's last {:.0} % of training lines ({from} to {to})",
                f * 100.0
            ),
        };
        let mut lines = lines;
        let trained_on = sample_lines(&mut lines, MAX_TRAIN_LINES, seed);
        let ranking = load.interactions.ranking_type;
        let matrix = Interactions::for_training(&lines, &load.interactions)?;
        let window_matrix = match Interactions::from_transactions(&window, ranking) {
            Ok(m) => m,
            Err(LoadError::NoInteractions) => return Err(no_customers(&what)),
            Err(e) => return Err(e.into()),
        };
        let exclude_seen = spec.config.overrides.exclude_seen;
        let mut set = TestSet::new(
            &window_matrix,
            &matrix.users,
            &matrix.items,
            &matrix.user_items,
            exclude_seen,
        );
        if set.relevant.is_empty() {
            return Err(no_customers(&what));
        }
        let sampled_from = (set.relevant.len() > MAX_CUSTOMERS).then_some(set.relevant.len());
        if sampled_from.is_some() {
            sample(&mut set.relevant, MAX_CUSTOMERS, seed);
        }
        let customers = set.relevant.len();
        let label = match trained_on {
            Some((kept, all)) => format!(
                "{what}; trials fit on the lines of a seeded sample of {kept} of {all} customers"
            ),
            None => what,
        };
        Ok(Self {
            label,
            lines,
            matrix,
            set,
            customers,
            sampled_from,
            trained_on,
            half_life: load.interactions.recency_half_life_days,
        })
    }

    /// Products in the trials' training matrix.
    pub fn products(&self) -> usize {
        self.matrix.items.len()
    }

    /// Fits `params` on the lines weighted with `lists.half_life` and scores `metric` on
    /// the window's lists; `on_epoch` may stop the fit.
    pub fn score(
        &self,
        spec: &TrainSpec,
        params: &ModelParams,
        lists: Lists,
        metric: Metric,
        on_epoch: &mut dyn FnMut(&EpochReport) -> ControlFlow<()>,
    ) -> Result<(f64, f64), Error> {
        let started = Instant::now();
        let Lists { half_life, rebuy } = lists;
        // Weights change the values, never the shape: the window stays mapped.
        let reweighted;
        let matrix = if half_life == self.half_life {
            &self.matrix
        } else {
            let mut interactions = spec.config.interactions.clone();
            interactions.recency_half_life_days = half_life;
            reweighted = Interactions::for_training(&self.lines, &interactions)?;
            &reweighted
        };
        // The experiment's own fit: the same side features and errors as `latent train`.
        let (model, _) = fit(
            spec,
            params,
            &self.lines,
            matrix,
            &mut |stage| match stage {
                Stage::Epoch(r) => on_epoch(&r),
                _ => ControlFlow::Continue(()),
            },
        )?;
        let predict = model.rating_fn();
        // The model alone: the baseline is the same for every trial.
        let metrics = model_metrics(
            model.as_recommender(),
            &matrix.user_items,
            &self.set,
            spec.k,
            SeenPolicy {
                exclude_seen: spec.config.overrides.exclude_seen,
                rebuy,
            },
            predict.as_deref(),
        );
        let value = metric.of(&metrics).ok_or_else(|| {
            crate::models::hyper::ParamsError::Invalid(format!(
                "{} predicts no ratings, so it has no {}: choose a ranking metric (precision, ndcg, …)",
                params.kind().name(),
                metric.name()
            ))
        })?;
        Ok((value, started.elapsed().as_secs_f64()))
    }
}

/// What a trial sets beyond the model: the data's recency half-life and the lists'
/// re-buy weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lists {
    pub half_life: Option<f64>,
    pub rebuy: f32,
}

/// Keeps the lines of a seeded share of customers when `lines` has more than `max`, so
/// about `max` remain; the customers kept and all customers with a line, when sampled.
fn sample_lines(lines: &mut Transactions, max: usize, seed: u64) -> Option<(usize, usize)> {
    if lines.len() <= max {
        return None;
    }
    let share = max as f64 / lines.len() as f64;
    let mut has_line = vec![false; lines.users.len()];
    for &u in &lines.user {
        has_line[u as usize] = true;
    }
    let chosen: Vec<bool> = (0..lines.users.len() as u64)
        .map(|u| Rng::at(seed, 0x5a4, u).uniform() < share)
        .collect();
    let keep: Vec<bool> = lines.user.iter().map(|&u| chosen[u as usize]).collect();
    lines.retain_lines(&keep);
    let all = has_line.iter().filter(|&&h| h).count();
    let kept = (has_line.iter().zip(&chosen))
        .filter(|&(&h, &c)| h && c)
        .count();
    Some((kept, all))
}

/// Keeps `keep` of `relevant`'s customers, chosen by `seed`, in their order.
fn sample(relevant: &mut Vec<(u32, Vec<u32>)>, keep: usize, seed: u64) {
    let mut rng = Rng::at(seed, 0x5a3, relevant.len() as u64);
    let mut order: Vec<usize> = (0..relevant.len()).collect();
    for i in 0..keep.min(order.len()) {
        let j = i + rng.below(order.len() - i);
        order.swap(i, j);
    }
    let mut chosen = order[..keep.min(order.len())].to_vec();
    chosen.sort_unstable();
    let all = std::mem::take(relevant);
    let mut it = chosen.into_iter().peekable();
    for (i, entry) in all.into_iter().enumerate() {
        if it.peek() == Some(&i) {
            relevant.push(entry);
            it.next();
        }
    }
}

/// The date of a timestamp, `YYYY-MM-DD`.
fn day_of(seconds: i64) -> String {
    format_timestamp(seconds).chars().take(10).collect()
}

fn no_customers(what: &str) -> Error {
    LoadError::EmptyValidation {
        window: what.to_owned(),
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_training_window_keeps_whole_customers_of_a_seeded_sample() {
        let mut t = Transactions::default();
        for u in 0..1000u32 {
            let user = t.users.intern(&format!("c{u}"));
            for i in 0..10u32 {
                let item = t.items.intern(&format!("p{i}"));
                t.user.push(user);
                t.item.push(item);
            }
        }
        let n = t.user.len();
        for column in [&mut t.quantity, &mut t.price, &mut t.rating] {
            column.resize(n, 1.0);
        }
        t.timestamp.resize(n, 0);
        for column in [&mut t.invoice, &mut t.country, &mut t.description] {
            column.resize(n, u32::MAX);
        }
        let mut small = t.clone();
        assert_eq!(
            sample_lines(&mut small, n, 7),
            None,
            "under the bound: untouched"
        );
        let mut a = t.clone();
        let (kept, all) = sample_lines(&mut a, 2_500, 7).unwrap();
        assert_eq!(all, 1000);
        assert!((150..350).contains(&kept), "{kept}");
        assert_eq!(a.len(), kept * 10, "every line of a kept customer");
        let mut b = t.clone();
        sample_lines(&mut b, 2_500, 7);
        assert_eq!(a.user, b.user, "the same seed keeps the same customers");
        let mut c = t;
        sample_lines(&mut c, 2_500, 8);
        assert_ne!(a.user, c.user);
    }

    #[test]
    fn sampling_keeps_the_asked_number_in_order_and_depends_on_the_seed() {
        let all: Vec<(u32, Vec<u32>)> = (0..100).map(|u| (u, vec![u])).collect();
        let mut a = all.clone();
        sample(&mut a, 10, 1);
        assert_eq!(a.len(), 10);
        assert!(a.windows(2).all(|w| w[0].0 < w[1].0));
        let mut b = all.clone();
        sample(&mut b, 10, 1);
        assert_eq!(a, b);
        let mut c = all;
        sample(&mut c, 10, 2);
        assert_ne!(a, c);
    }
}
