//! 95 % intervals for a rating predictor's errors, by the same customer bootstrap as
//! every other metric.
//!
//! RMSE and MAE are means over rated pairs, and a customer's pairs are not independent:
//! one harsh rater moves all of theirs. So customers are resampled, not pairs, each
//! bringing all their pairs, and RMSE is recomputed on each resample as the root of the
//! summed squared errors over the summed pair counts.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::bootstrap::{Interval, RESAMPLES, SEED, draw_counts, percentiles};

/// One customer's errors, summed.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    squared: f64,
    absolute: f64,
    pairs: f64,
}

/// The 95 % intervals of RMSE and MAE over `errors` (`(customer, prediction − truth)`),
/// resampling customers.
pub fn rating_intervals(errors: impl IntoIterator<Item = (u32, f64)>) -> (Interval, Interval) {
    let mut by_user: BTreeMap<u32, Sums> = BTreeMap::new();
    for (u, e) in errors {
        let s = by_user.entry(u).or_default();
        s.squared += e * e;
        s.absolute += e.abs();
        s.pairs += 1.0;
    }
    let sums: Vec<Sums> = by_user.into_values().collect();
    if sums.is_empty() {
        return (Interval::default(), Interval::default());
    }
    let (rmse, mae): (Vec<f64>, Vec<f64>) = (0..RESAMPLES)
        .into_par_iter()
        .map(|r| {
            let counts = draw_counts(sums.len(), SEED, r);
            let mut total = Sums::default();
            for (s, &c) in sums.iter().zip(&counts) {
                let c = f64::from(c);
                total.squared += c * s.squared;
                total.absolute += c * s.absolute;
                total.pairs += c * s.pairs;
            }
            let n = total.pairs.max(1.0);
            ((total.squared / n).sqrt(), total.absolute / n)
        })
        .unzip();
    (percentiles(rmse), percentiles(mae))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_customer_gives_a_point_and_the_interval_holds_the_value() {
        // A single customer: every resample is that customer, so the interval is a point.
        let (rmse, mae) = rating_intervals([(3, 1.0), (3, -3.0)]);
        assert!((rmse.low - 5f64.sqrt()).abs() < 1e-12 && (rmse.high - rmse.low).abs() < 1e-12);
        assert!((mae.low - 2.0).abs() < 1e-12 && (mae.high - 2.0).abs() < 1e-12);
        // Many customers: the point value lies inside, and the interval has width.
        let errors: Vec<(u32, f64)> = (0..200u32)
            .flat_map(|u| (0..3).map(move |j| (u, f64::from((u * 7 + j) % 5) - 2.0)))
            .collect();
        let n = errors.len() as f64;
        let point = (errors.iter().map(|(_, e)| e * e).sum::<f64>() / n).sqrt();
        let (rmse, _) = rating_intervals(errors);
        assert!(rmse.low < point && point < rmse.high, "{rmse:?} {point}");
        assert!(rmse.high - rmse.low > 0.01);
    }
}
