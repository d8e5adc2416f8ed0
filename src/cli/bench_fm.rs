//! `latent bench fm`: factorization-machine SGD throughput on synthetic interactions.
//!
//! The target is an epoch over 10M interactions with three side features at
//! 5M samples/s on two cores. Transaction files of that size with side columns are not
//! at hand, so the data is planted in memory: customers carry one categorical side
//! feature (a "country"), products two (a "category" and a "price band"), and each
//! rating is a noisy function of hidden user and product blocks, so the fit has
//! something to learn and the validation metric shows it.

use std::io::Write;
use std::ops::ControlFlow;
use std::time::Instant;

use crate::data::{CsrMatrix, IdMap};
use crate::format::thousands;
use crate::models::FmModel;
use crate::models::fm::{FeatureBlock, FeatureSpace, FmParams};
use crate::models::hyper::parse_assignment;
use crate::rng::Rng;

/// Arguments of `latent bench fm`.
#[derive(Debug, clap::Args)]
pub struct BenchFmArgs {
    /// Observed (customer, product) pairs.
    #[arg(long, default_value_t = 10_000_000, value_parser = at_least_one())]
    pub interactions: usize,
    #[arg(long, default_value_t = 200_000, value_parser = at_least_one())]
    pub users: usize,
    #[arg(long, default_value_t = 20_000, value_parser = at_least_one())]
    pub items: usize,
    /// Latent factors (`num_factors`).
    #[arg(long, default_value_t = 16)]
    pub factors: usize,
    /// Timed epochs.
    #[arg(long, default_value_t = 3)]
    pub epochs: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// `regressor`, `binary_classifier` or `ranking`.
    #[arg(long, default_value = "regressor")]
    pub predictor: String,
    /// More FM hyperparameters (repeatable), e.g. --set solver=adagrad.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// A count of 1 or more: clap names the option and the value otherwise.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..)
}

/// Hidden blocks the planted ratings depend on.
const BLOCKS: usize = 8;

/// The planted data: pairs with ratings 1..=5, and the feature space with three side
/// features (customer country; product category and price band).
pub fn planted(users: usize, items: usize, interactions: usize) -> (FeatureSpace, CsrMatrix) {
    let per_user = interactions.div_ceil(users.max(1));
    let mut triplets: Vec<(u32, u32, f32)> = (0..users)
        .flat_map(|u| {
            let mut r = Rng::at(7, u as u64, 0);
            (0..per_user).map(move |_| {
                // Seven purchases in ten come from the customer's own block, so implicit
                // feedback (ranking) has a structure to learn as well as the ratings.
                let i = if r.uniform() < 0.7 {
                    let per_block = items.div_ceil(BLOCKS);
                    (r.below(per_block) * BLOCKS + u % BLOCKS).min(items - 1)
                } else {
                    r.below(items)
                };
                let affinity = if (u % BLOCKS) == (i % BLOCKS) {
                    4.0
                } else {
                    2.0
                };
                let y = (affinity + r.normal()).round().clamp(1.0, 5.0) as f32;
                (u as u32, i as u32, y)
            })
        })
        .take(interactions)
        .collect();
    // A customer drawing the same product twice keeps the first draw's rating, so that
    // ratings stay in 1..=5 rather than being summed as repeat purchases would be.
    for same_user in triplets.chunk_by_mut(|a, b| a.0 == b.0) {
        same_user.sort_by_key(|t| t.1);
    }
    triplets.dedup_by_key(|t| (t.0, t.1));
    let m = CsrMatrix::from_triplets(users, items, &triplets);
    let ids = |n: usize, p: &str| IdMap::from_names((0..n).map(|x| format!("{p}{x}")));
    let block = |name: &str, values: usize, n: usize, of: &dyn Fn(usize) -> usize| FeatureBlock {
        name: name.to_owned(),
        values: (0..values).map(|v| v.to_string()).collect(),
        rows: (0..n).map(|x| vec![(of(x) as u32, 1.0)]).collect(),
        exclusive: true,
    };
    let country = block("country", 40, users, &|u| (u % BLOCKS) * 5 + u % 5);
    let category = block("category", 100, items, &|i| (i % BLOCKS) * 12 + i % 12);
    let price = block("price", 10, items, &|i| (i * 7919) % 10);
    let space = FeatureSpace::new(
        &ids(users, "u"),
        &ids(items, "i"),
        &[country],
        &[category, price],
    );
    (space, m)
}

/// Runs `latent bench fm`.
pub fn run(args: &BenchFmArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let t = Instant::now();
    let (space, m) = planted(args.users, args.items, args.interactions);
    writeln!(
        out,
        "data: {} pairs, {} customers x {} products, {} features (ids + country, category, price band), built in {:.2} s",
        thousands(m.nnz()),
        thousands(args.users),
        thousands(args.items),
        thousands(space.len()),
        t.elapsed().as_secs_f64()
    )?;
    let mut params = FmParams::new(args.factors);
    // SageMaker's default rates (factors_lr 0.0001 on the batch mean) barely move the
    // weights in a few epochs; these let the timed epochs show the fit learning.
    for (key, value) in [
        ("predictor_type", args.predictor.as_str()),
        ("solver", "sgd"),
        ("early_stopping_patience", "0"),
        ("bias_lr", "0.5"),
        ("linear_lr", "0.5"),
        ("factors_lr", "0.5"),
        ("factors_init_sigma", "0.1"),
    ] {
        params.set(key, &crate::models::hyper::RawValue::Text(value.to_owned()))?;
    }
    params.epochs = args.epochs;
    params.num_threads = args.threads;
    for a in &args.set {
        let (key, value) = parse_assignment(a)?;
        params.set(&key, &value)?;
    }
    let params = params.check()?;
    let train_pairs =
        crate::models::fm::fit::Examples::split(&m, params.validation_fraction, params.seed)
            .train
            .len();
    writeln!(
        out,
        "fm {} solver={:?} num_factors={} mini_batch_size={} threads={}: {} training pairs per epoch",
        args.predictor,
        params.solver,
        params.num_factors,
        params.mini_batch_size,
        args.threads,
        thousands(train_pairs)
    )?;
    let mut last = std::time::Duration::ZERO;
    let mut rates = Vec::new();
    let mut report = |r: &crate::models::fm::FmEpochReport| {
        rates.push((
            r.epoch,
            r.pass,
            r.elapsed.saturating_sub(last),
            r.train_loss,
            r.validation,
        ));
        last = r.elapsed;
        ControlFlow::Continue(())
    };
    let model = FmModel::fit(&params, space, &m, &mut report)?;
    for (epoch, pass, took, loss, validation) in rates {
        writeln!(
            out,
            "epoch {epoch}: pass {:.2} s ({:.2} s with validation), {} samples/s, train loss {loss:.4}, validation {}",
            pass.as_secs_f64(),
            took.as_secs_f64(),
            if pass.is_zero() {
                "-".to_owned()
            } else {
                thousands((train_pairs as f64 / pass.as_secs_f64()) as usize)
            },
            validation.map_or("-".into(), |v| format!("{v:.4}")),
        )?;
    }
    drop(model);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_pairs_are_distinct_and_ratings_stay_in_range() {
        // One customer, two products, a hundred draws: two pairs, each a 1..=5 rating.
        let (_, m) = planted(1, 2, 100);
        assert_eq!(m.nnz(), 2);
        assert!(
            m.data().iter().all(|&y| (1.0..=5.0).contains(&y)),
            "{:?}",
            m.data()
        );
        let (space, m) = planted(50, 20, 400);
        assert_eq!(space.user_rows.rows(), 50);
        assert!(m.data().iter().all(|&y| (1.0..=5.0).contains(&y)));
    }
}
