//! How sure a metric is: 95 % intervals by the bootstrap over customers.
//!
//! A metric at k is a mean over the evaluated customers, and which customers happened to
//! buy in the test period is luck. Resampling the customers with replacement (seeded, so
//! a report is the same every time) and taking the 2.5th and 97.5th percentiles of the
//! resampled means gives the percentile interval (Efron & Tibshirani 1993, ch. 13): 0.058
//! and 0.061 with intervals of ±0.004 are not told apart. Every column is resampled with
//! the same customers, so the intervals of one report belong together.
//!
//! Two runs are compared by the **paired** bootstrap: each resample draws the same
//! customers for both, and the interval is of the difference. Customers that are easy or
//! hard for every model cancel out, so real differences show with far fewer customers than
//! two separate intervals would need. The verdict is "B better" or "A better" only when the
//! whole interval lies on one side of zero.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::list_set::ListSet;
use super::metric::{Metric, MetricValues};
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

/// The intervals of a report's metrics, by name (`precision`, `coverage`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MetricIntervals(pub BTreeMap<String, Interval>);

impl MetricIntervals {
    /// The interval of `m`, when the report has one (reports written before list-set
    /// intervals existed have the accuracy metrics only).
    pub fn get(&self, m: Metric) -> Option<Interval> {
        self.0.get(m.name()).copied()
    }

    fn from_values(intervals: &[Interval]) -> Self {
        Self(
            Metric::ALL
                .iter()
                .zip(intervals)
                .map(|(m, iv)| (m.name().to_owned(), *iv))
                .collect(),
        )
    }
}

/// How each customer is weighted in resample `r` of `n`: the times it was drawn.
pub(super) fn draw_counts(n: usize, seed: u64, r: usize) -> Vec<u32> {
    let mut rng = Rng::at(seed, 0xb00, r as u64);
    let mut counts = vec![0u32; n];
    for _ in 0..n {
        counts[rng.below(n)] += 1;
    }
    counts
}

/// Percentile intervals of every metric of `set`: customers resampled, every metric
/// (accuracy and list-set alike) recomputed on each resample.
pub fn set_intervals(set: &ListSet) -> MetricIntervals {
    let n = set.len();
    if n == 0 {
        return MetricIntervals::from_values(&[Interval::default(); Metric::COUNT]);
    }
    let resampled: Vec<MetricValues> = (0..RESAMPLES)
        .into_par_iter()
        .map(|r| set.values(Some(&draw_counts(n, SEED, r))))
        .collect();
    MetricIntervals::from_values(&by_metric(&resampled, &set.values(None)))
}

/// The percentile interval of each metric over resampled values. The list-set metrics
/// (coverage, Gini, personalisation, …) are not means: a resample repeats some customers
/// and misses about a third, which by itself lowers coverage and personalisation. Their
/// interval is the resamples' spread, moved so the resamples' mean sits on `point`.
fn by_metric(resampled: &[MetricValues], point: &MetricValues) -> Vec<Interval> {
    Metric::ALL
        .iter()
        .map(|&m| {
            let values: Vec<f64> = resampled.iter().map(|v| v[m]).collect();
            let shift = if Metric::ACCURACY.contains(&m) {
                0.0
            } else {
                point[m] - values.iter().sum::<f64>() / values.len().max(1) as f64
            };
            let iv = percentiles(values);
            Interval {
                low: iv.low + shift,
                high: iv.high + shift,
            }
        })
        .collect()
}

/// What a paired difference says, in words an analyst can repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    #[serde(rename = "B better")]
    BBetter,
    #[serde(rename = "no detectable difference")]
    NoDifference,
    #[serde(rename = "A better")]
    ABetter,
}

impl Verdict {
    /// The verdict of a difference `b − a` whose 95 % interval is `iv`: better only when
    /// the whole interval lies on one side of zero, in the direction the metric prefers.
    pub fn of(iv: Interval, higher_is_better: bool) -> Self {
        let b_higher = iv.low > 0.0;
        let b_lower = iv.high < 0.0;
        match (b_higher, b_lower, higher_is_better) {
            (true, _, true) | (_, true, false) => Verdict::BBetter,
            (true, _, false) | (_, true, true) => Verdict::ABetter,
            _ => Verdict::NoDifference,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Verdict::BBetter => "B better",
            Verdict::NoDifference => "no detectable difference",
            Verdict::ABetter => "A better",
        }
    }
}

/// One metric's paired difference `b − a`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedDelta {
    /// The metric of `a` and of `b`.
    pub a: f64,
    pub b: f64,
    pub delta: f64,
    pub interval: Interval,
    pub verdict: Verdict,
}

/// The difference `b − a` of every metric with its 95 % interval, by the paired bootstrap:
/// `a` and `b` score the same customers in the same order, and each resample draws the
/// same customers for both, so what the customers have in common cancels out.
pub fn paired(a: &ListSet, b: &ListSet) -> Vec<(Metric, PairedDelta)> {
    debug_assert_eq!(a.len(), b.len(), "paired sets score the same customers");
    let n = a.len().min(b.len());
    let (va, vb) = (a.values(None), b.values(None));
    let point = diff(&vb, &va);
    let resampled: Vec<MetricValues> = if n == 0 {
        vec![MetricValues::default()]
    } else {
        (0..RESAMPLES)
            .into_par_iter()
            .map(|r| {
                let w = draw_counts(n, SEED, r);
                diff(&b.values(Some(&w)), &a.values(Some(&w)))
            })
            .collect()
    };
    Metric::ALL
        .iter()
        .zip(by_metric(&resampled, &point))
        .map(|(&m, interval)| {
            (
                m,
                PairedDelta {
                    a: va[m],
                    b: vb[m],
                    delta: point[m],
                    interval,
                    verdict: Verdict::of(interval, m.higher_is_better()),
                },
            )
        })
        .collect()
}

/// One metric of both runs, and whether the difference is more than luck.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricChange {
    pub metric: String,
    pub a: f64,
    pub b: f64,
    /// `b − a`.
    pub delta: f64,
    /// The 95 % interval of the delta (paired bootstrap over the shared customers), when
    /// both runs kept their evaluated lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// "B better", "no detectable difference" or "A better", with the interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

impl MetricChange {
    /// Every metric of `a` and `b` (the same customers in the same order) at `k`, with the
    /// paired interval and verdict of `b − a`.
    pub fn paired_rows(a: &ListSet, b: &ListSet, k: usize) -> Vec<Self> {
        paired(a, b)
            .into_iter()
            .map(|(m, d)| Self {
                metric: m.label(k),
                a: d.a,
                b: d.b,
                delta: d.delta,
                ci_low: Some(d.interval.low),
                ci_high: Some(d.interval.high),
                verdict: Some(d.verdict),
            })
            .collect()
    }

    /// The interval as `[low, high]` with signs, `-` without one.
    pub fn interval_text(&self) -> String {
        match (self.ci_low, self.ci_high) {
            (Some(l), Some(h)) => format!("[{l:+.4}, {h:+.4}]"),
            _ => "-".to_owned(),
        }
    }

    /// A metric without an interval.
    pub fn plain(metric: &str, a: f64, b: f64) -> Self {
        Self {
            metric: metric.to_owned(),
            a,
            b,
            delta: b - a,
            ci_low: None,
            ci_high: None,
            verdict: None,
        }
    }
}

fn diff(b: &MetricValues, a: &MetricValues) -> MetricValues {
    let mut d = MetricValues::default();
    for m in Metric::ALL {
        d[m] = b[m] - a[m];
    }
    d
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
pub(super) fn percentiles(mut values: Vec<f64>) -> Interval {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::list_metrics::score_list;

    /// `n` customers, each wanting product 0; the lists of those in `hits` show it.
    fn set_hitting(n: usize, hits: impl Fn(usize) -> bool) -> ListSet {
        let lists: Vec<Vec<u32>> = (0..n)
            .map(|u| if hits(u) { vec![0, 1] } else { vec![2, 1] })
            .collect();
        let per_user = lists.iter().map(|l| score_list(l, &[0], 2)).collect();
        ListSet::new(per_user, lists, &[5.0, 5.0, 5.0], 10, 2)
    }

    #[test]
    fn identical_runs_show_no_detectable_difference() {
        let a = set_hitting(300, |u| u % 5 == 0);
        for (m, d) in paired(&a, &a.clone()) {
            assert_eq!(d.delta, 0.0, "{m}");
            assert_eq!((d.interval.low, d.interval.high), (0.0, 0.0), "{m}");
            assert_eq!(d.verdict, Verdict::NoDifference, "{m}");
        }
    }

    #[test]
    fn planted_better_lists_are_detected_and_a_small_change_is_not() {
        // B hits every customer A hits and 15 % more.
        let a = set_hitting(400, |u| u % 5 == 0);
        let b = set_hitting(400, |u| u % 5 == 0 || u % 7 == 1);
        let d = paired(&a, &b);
        let of = |m: Metric| d.iter().find(|(x, _)| *x == m).unwrap().1;
        let p = of(Metric::Precision);
        assert!(p.delta > 0.0 && p.interval.low > 0.0, "{p:?}");
        assert_eq!(p.verdict, Verdict::BBetter);
        assert_eq!(of(Metric::HitRate).verdict, Verdict::BBetter);
        // Swapped, A is better; and B shows product 0 more, so its Gini direction is judged
        // by the metric's own preference.
        assert_eq!(
            paired(&b, &a)
                .iter()
                .find(|(m, _)| *m == Metric::Precision)
                .unwrap()
                .1
                .verdict,
            Verdict::ABetter
        );
        // One more hit in 400 is luck.
        let c = set_hitting(400, |u| u % 5 == 0 || u == 1);
        let tiny = paired(&a, &c);
        assert_eq!(tiny[0].1.verdict, Verdict::NoDifference, "{:?}", tiny[0]);
    }

    #[test]
    fn list_set_intervals_agree_with_the_column_bootstrap() {
        let s = set_hitting(200, |u| u % 3 == 0);
        let iv = set_intervals(&s);
        let column: Vec<f64> = s.per_user().iter().map(|m| m.precision).collect();
        let plain = mean_intervals(&[&column], RESAMPLES, SEED)[0];
        let p = iv.get(Metric::Precision).unwrap();
        assert!((p.low - plain.low).abs() < 1e-12 && (p.high - plain.high).abs() < 1e-12);
        // Coverage is not a mean: resampling lowers it, and the interval is moved back
        // around the value.
        let coverage = iv.get(Metric::Coverage).unwrap();
        let value = s.values(None)[Metric::Coverage];
        assert!(
            coverage.low <= value && value <= coverage.high,
            "{coverage:?} {value}"
        );
    }

    #[test]
    fn verdicts_follow_the_metric_direction() {
        let up = Interval {
            low: 0.01,
            high: 0.03,
        };
        let across = Interval {
            low: -0.01,
            high: 0.03,
        };
        assert_eq!(Verdict::of(up, true), Verdict::BBetter);
        assert_eq!(Verdict::of(up, false), Verdict::ABetter);
        assert_eq!(Verdict::of(across, true), Verdict::NoDifference);
        assert_eq!(serde_json::to_value(Verdict::BBetter).unwrap(), "B better");
    }

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
