//! Who the model works for: the accuracy metrics per group of customers, beside the
//! baseline, each with its interval.
//!
//! An average hides that a model can be excellent for loyal customers and useless for
//! one-off buyers. Three cuts:
//! - **activity**: products bought in training (1, 2-5, 6-20, more than 20);
//! - **country** (or whichever column the run's segments come from), countries with fewer
//!   than [`MIN_GROUP`] customers pooled;
//! - **customers**: returning (known to the model) against new ones (first seen in the
//!   test period, scored under the run's cold-start policy against plain popularity).

use serde::{Deserialize, Serialize};

use super::bootstrap::{RESAMPLES, SEED, mean_intervals};
use super::cold::ColdReport;
use super::list_metrics::ListMetrics;
use super::list_set::ListSet;
use super::metric::{Metric, MetricRow};
use crate::recommend::ColdStartPolicy;

/// The cuts, in report order.
pub const KINDS: [&str; 3] = ["activity", "country", "customers"];

/// The activity bands: (name, fewest, most products bought in training).
const ACTIVITY: [(&str, usize, usize); 4] = [
    ("1", 1, 1),
    ("2-5", 2, 5),
    ("6-20", 6, 20),
    (">20", 21, usize::MAX),
];

/// Countries with fewer evaluated customers are pooled into one "other countries" row:
/// an interval on a handful of customers says nothing.
pub const MIN_GROUP: usize = 10;

/// One group of customers and its metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// `activity`, `country` or `customers`.
    pub kind: String,
    /// `2-5`, `United Kingdom`, `new`.
    pub name: String,
    /// Customers evaluated in the group.
    pub customers: usize,
    pub metrics: Vec<MetricRow>,
}

/// What the segments are cut by, per evaluated customer (in the report's order).
pub struct SegmentInput<'a> {
    pub model: &'a ListSet,
    pub baseline: &'a ListSet,
    /// Products each customer bought in training.
    pub activity: Vec<usize>,
    /// Each customer's segment name, when the run has segments.
    pub country: Option<Vec<Option<&'a str>>>,
    pub cold: Option<&'a ColdReport>,
    pub k: usize,
}

/// A segment asked for that the report does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no segment '{wanted}' in this evaluation: choose among {}", known.join(", "))]
pub struct UnknownSegment {
    pub wanted: String,
    /// Every segment the report has, as `kind:name`.
    pub known: Vec<String>,
}

/// The segments matching any of `wanted`: a kind (`activity`, `country`, `customers`), a
/// name (`2-5`, `new`, `United Kingdom`) or both (`country:Germany`), case ignored. A
/// wanted segment that matches none is refused with the ones there are.
pub fn select(all: &[Segment], wanted: &[String]) -> Result<Vec<Segment>, UnknownSegment> {
    let matches = |w: &str, s: &Segment| {
        let w = w.trim().to_lowercase();
        let (kind, name) = (s.kind.to_lowercase(), s.name.to_lowercase());
        w == kind || w == name || w == format!("{kind}:{name}")
    };
    if let Some(w) = wanted.iter().find(|w| !all.iter().any(|s| matches(w, s))) {
        return Err(UnknownSegment {
            wanted: w.clone(),
            known: all
                .iter()
                .map(|s| format!("{}:{}", s.kind, s.name))
                .collect(),
        });
    }
    Ok(all
        .iter()
        .filter(|s| wanted.iter().any(|w| matches(w, s)))
        .cloned()
        .collect())
}

/// The segment table of a report.
pub fn segments(input: &SegmentInput<'_>) -> Vec<Segment> {
    let (model, baseline) = (input.model.per_user(), input.baseline.per_user());
    let group = |kind: &str, name: &str, rows: &[usize]| Segment {
        kind: kind.to_owned(),
        name: name.to_owned(),
        customers: rows.len(),
        metrics: rows_of(&pick(model, rows), &pick(baseline, rows), input.k),
    };
    let mut out = Vec::new();
    for (name, low, high) in ACTIVITY {
        let rows: Vec<usize> = (0..input.activity.len())
            .filter(|&r| (low..=high).contains(&input.activity[r]))
            .collect();
        if !rows.is_empty() {
            out.push(group("activity", name, &rows));
        }
    }
    if let Some(country) = &input.country {
        let mut by_name: std::collections::BTreeMap<&str, Vec<usize>> =
            std::collections::BTreeMap::new();
        for (r, c) in country.iter().enumerate() {
            by_name.entry(c.unwrap_or("unknown")).or_default().push(r);
        }
        let (mut groups, small): (Vec<(&str, Vec<usize>)>, Vec<_>) = by_name
            .into_iter()
            .partition(|(_, rows)| rows.len() >= MIN_GROUP);
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        out.extend(
            groups
                .iter()
                .map(|(name, rows)| group("country", name, rows)),
        );
        if !small.is_empty() {
            let rows: Vec<usize> = small.iter().flat_map(|(_, r)| r.iter().copied()).collect();
            let name = format!("{} other countries", small.len());
            out.push(group("country", &name, &rows));
        }
    }
    let all: Vec<usize> = (0..model.len()).collect();
    out.push(group("customers", "returning", &all));
    if let Some(cold) = input.cold
        && cold.users > 0
    {
        let of = |p: ColdStartPolicy| {
            ColdStartPolicy::ALL
                .iter()
                .position(|&q| q == p)
                .and_then(|i| cold.per_user.get(i))
        };
        if let (Some(policy), Some(popular)) = (of(cold.policy), of(ColdStartPolicy::Popularity)) {
            out.push(Segment {
                kind: "customers".into(),
                name: "new".into(),
                customers: policy.len(),
                metrics: rows_of(policy, popular, input.k),
            });
        }
    }
    out
}

fn pick(per_user: &[ListMetrics], rows: &[usize]) -> Vec<ListMetrics> {
    rows.iter().map(|&r| per_user[r]).collect()
}

/// The accuracy rows of one group: the model's and the baseline's means, resampled
/// together.
fn rows_of(model: &[ListMetrics], baseline: &[ListMetrics], k: usize) -> Vec<MetricRow> {
    let column = |per: &[ListMetrics], m: Metric| -> Vec<f64> {
        per.iter().map(|x| accuracy(x, m)).collect()
    };
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for m in Metric::ACCURACY {
        columns.push(column(model, m));
        columns.push(column(baseline, m));
    }
    let refs: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let intervals = mean_intervals(&refs, RESAMPLES, SEED);
    let mean = |c: &[f64]| c.iter().sum::<f64>() / c.len().max(1) as f64;
    Metric::ACCURACY
        .iter()
        .enumerate()
        .map(|(j, m)| MetricRow {
            metric: m.label(k),
            value: mean(&columns[2 * j]),
            ci_low: Some(intervals[2 * j].low),
            ci_high: Some(intervals[2 * j].high),
            baseline: mean(&columns[2 * j + 1]),
            baseline_ci_low: Some(intervals[2 * j + 1].low),
            baseline_ci_high: Some(intervals[2 * j + 1].high),
        })
        .collect()
}

/// One accuracy metric of one list.
fn accuracy(m: &ListMetrics, metric: Metric) -> f64 {
    match metric {
        Metric::Precision => m.precision,
        Metric::Recall => m.recall,
        Metric::Map => m.average_precision,
        Metric::Ndcg => m.ndcg,
        Metric::HitRate => m.hit,
        _ => m.reciprocal_rank,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::list_metrics::score_list;

    #[test]
    fn customers_fall_into_activity_bands_and_countries_with_their_counts() {
        // Four customers: activities 1, 3, 3, 40; the first two hit, the others miss.
        let lists: Vec<Vec<u32>> = vec![vec![0], vec![1], vec![2], vec![3]];
        let relevant = [vec![0], vec![1], vec![9], vec![9]];
        let per = |ls: &[Vec<u32>]| -> Vec<ListMetrics> {
            ls.iter()
                .zip(&relevant)
                .map(|(l, r)| score_list(l, r, 1))
                .collect()
        };
        let model = ListSet::new(per(&lists), lists.clone(), &[1.0; 10], 4, 1);
        let base_lists = vec![vec![9]; 4];
        let baseline = ListSet::new(per(&base_lists), base_lists, &[1.0; 10], 4, 1);
        let input = SegmentInput {
            model: &model,
            baseline: &baseline,
            activity: vec![1, 3, 3, 40],
            country: Some(vec![Some("Spain"), Some("France"), Some("Spain"), None]),
            cold: None,
            k: 1,
        };
        let seg = segments(&input);
        let names: Vec<(&str, &str, usize)> = seg
            .iter()
            .map(|s| (s.kind.as_str(), s.name.as_str(), s.customers))
            .collect();
        assert_eq!(
            names,
            [
                ("activity", "1", 1),
                ("activity", "2-5", 2),
                ("activity", ">20", 1),
                ("country", "3 other countries", 4),
                ("customers", "returning", 4),
            ]
        );
        let p = |s: &Segment| s.metrics[0].value;
        assert_eq!(seg[0].metrics[0].metric, "precision@1");
        assert_eq!((p(&seg[0]), p(&seg[1]), p(&seg[2])), (1.0, 0.5, 0.0));
        assert_eq!(
            seg[1].metrics[0].baseline,
            1.0 / 2.0,
            "the baseline hits customer 2's 9"
        );
        assert_eq!(p(&seg[4]), 0.5);
    }
}
