//! How sure a metric is: 95 % intervals by the bootstrap over customers.
//!
//! A metric at k is a mean over the evaluated customers, and which customers happened to
//! buy in the test period is luck. Resampling the customers with replacement (seeded, so
//! a report is the same every time) and taking the 2.5th and 97.5th percentiles of the
//! resampled means gives the percentile interval (Efron & Tibshirani 1993, ch. 13): 0.058
//! and 0.061 with intervals of ±0.004 are not told apart. Every column is resampled with
//! the same customers, so the intervals of one report belong together.

use serde::{Deserialize, Serialize};

use super::metrics::ListMetrics;
use crate::rng::Rng;

/// Resamples drawn: enough for the 2.5 % tails to rest on 25 draws each.
pub const RESAMPLES: usize = 1000;

/// The seed of every report's resamples.
pub const SEED: u64 = 0xb0075;

/// A 95 % interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Half the width, for `± x` displays.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// The intervals of the per-customer metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricIntervals {
    pub precision: Interval,
    pub recall: Interval,
    pub map: Interval,
    pub ndcg: Interval,
    pub hit_rate: Interval,
    pub mrr: Interval,
}

/// Percentile intervals of the mean of each column (all of one length, one value per
/// customer), every resample drawing the same customers for every column.
pub fn mean_intervals(columns: &[&[f64]], resamples: usize, seed: u64) -> Vec<Interval> {
    let n = columns.first().map_or(0, |c| c.len());
    if n == 0 || resamples == 0 {
        return vec![Interval::default(); columns.len()];
    }
    let mut means: Vec<Vec<f64>> = vec![Vec::with_capacity(resamples); columns.len()];
    let mut sums = vec![0.0; columns.len()];
    for r in 0..resamples {
        let mut rng = Rng::at(seed, 0xb00, r as u64);
        sums.fill(0.0);
        for _ in 0..n {
            let i = rng.below(n);
            for (s, c) in sums.iter_mut().zip(columns) {
                *s += c[i];
            }
        }
        for (m, s) in means.iter_mut().zip(&sums) {
            m.push(s / n as f64);
        }
    }
    means.into_iter().map(percentiles).collect()
}

/// The 2.5th and 97.5th percentiles of `values` (nearest rank).
fn percentiles(mut values: Vec<f64>) -> Interval {
    values.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
        values[rank - 1]
    };
    Interval {
        low: at(0.025),
        high: at(0.975),
    }
}

/// The intervals of customers' list metrics.
pub fn list_intervals(per_user: &[ListMetrics]) -> MetricIntervals {
    let column = |f: fn(&ListMetrics) -> f64| per_user.iter().map(f).collect::<Vec<f64>>();
    let columns = [
        column(|m| m.precision),
        column(|m| m.recall),
        column(|m| m.average_precision),
        column(|m| m.ndcg),
        column(|m| m.hit),
        column(|m| m.reciprocal_rank),
    ];
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let iv = mean_intervals(&refs, RESAMPLES, SEED);
    MetricIntervals {
        precision: iv[0],
        recall: iv[1],
        map: iv[2],
        ndcg: iv[3],
        hit_rate: iv[4],
        mrr: iv[5],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_column_has_a_point_interval_and_percentiles_are_nearest_rank() {
        let iv = mean_intervals(&[&[0.3; 50]], 200, 1);
        assert!((iv[0].low - 0.3).abs() < 1e-12 && (iv[0].high - 0.3).abs() < 1e-12);
        // By hand: 40 values 1..=40; nearest rank 2.5 % of 40 is the 1st, 97.5 % the 39th.
        let v: Vec<f64> = (1..=40).map(f64::from).collect();
        assert_eq!(
            percentiles(v),
            Interval {
                low: 1.0,
                high: 39.0
            }
        );
    }

    #[test]
    fn hits_of_one_in_four_customers_get_the_binomial_width() {
        // 400 customers, a hit for every fourth: the mean 0.25 has a standard error of
        // sqrt(0.25 · 0.75 / 400) = 0.02165, so the interval is about ±1.96 · 0.02165.
        let hits: Vec<f64> = (0..400).map(|i| f64::from(u8::from(i % 4 == 0))).collect();
        let iv = mean_intervals(&[&hits], RESAMPLES, SEED)[0];
        assert!(iv.low < 0.25 && 0.25 < iv.high, "{iv:?}");
        let expected = 1.96 * (0.25f64 * 0.75 / 400.0).sqrt();
        assert!(
            (iv.half_width() - expected).abs() < 0.15 * expected,
            "{iv:?} against ±{expected}"
        );
    }

    #[test]
    fn the_interval_covers_the_true_mean_about_95_times_in_100() {
        // Customers drawn from a known population (a hit with probability 0.1): over 200
        // samples, the 95 % interval must hold 0.1 between 88 % and 99 % of the time.
        let mut covered = 0;
        for trial in 0..200u64 {
            let mut rng = Rng::at(99, 7, trial);
            let sample: Vec<f64> = (0..300)
                .map(|_| f64::from(u8::from(rng.uniform() < 0.1)))
                .collect();
            let iv = mean_intervals(&[&sample], 400, trial)[0];
            covered += usize::from(iv.low <= 0.1 && 0.1 <= iv.high);
        }
        assert!((176..=198).contains(&covered), "covered {covered} of 200");
    }

    #[test]
    fn the_same_seed_gives_the_same_interval_and_columns_share_resamples() {
        let a: Vec<f64> = (0..100).map(|i| f64::from(i % 7)).collect();
        let first = mean_intervals(&[&a, &a], 300, 5);
        assert_eq!(first, mean_intervals(&[&a, &a], 300, 5));
        assert_eq!(first[0], first[1], "one set of customers per resample");
    }
}
