//! The evaluation protocol: a test set mapped onto a trained model, scored side by side
//! with the popularity baseline.

use serde::{Deserialize, Serialize};

use super::bootstrap::{self, MetricIntervals};
use super::holdout::{CURVE_DEPTH, HoldoutLists};
use super::list_set::ListSet;
use super::metric::Metric;
pub use super::metric::MetricRow;
use super::metrics::{ListMetrics, RankingMetrics, score_list};
use super::rating_interval;
use super::repeat::{self, RepeatReport, Split};
use super::segments::Segment;
use crate::data::{CsrMatrix, IdMap, Interactions};
use crate::models::Recommender;
use crate::models::popularity::PopularityModel;
use crate::recommend::{SeenPolicy, recommend_all};

/// Held-out pairs expressed in a model's indices.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TestSet {
    /// Customers with at least one relevant product, and those products (sorted).
    pub relevant: Vec<(u32, Vec<u32>)>,
    /// `(user, item, value)` of every known pair, for rating errors.
    pub pairs: Vec<(u32, u32, f32)>,
    /// Test customers the model has never seen.
    pub cold_users: usize,
    /// Test pairs whose product the model has never seen.
    pub unknown_item_pairs: usize,
    /// Test pairs left out because the customer bought the product in training.
    pub seen_pairs_removed: usize,
    /// Per customer of `relevant`: the products they bought again (sorted), left out of
    /// `relevant` by `exclude_seen`; shown as the hold-out truth, never scored.
    pub rebought: Vec<Vec<u32>>,
}

impl TestSet {
    /// Maps `test` (aggregated test lines) onto the training ids. With `exclude_seen`,
    /// pairs already in `train` are not relevant: the lists leave them out, so they could
    /// never be hit.
    pub fn new(
        test: &Interactions,
        users: &IdMap,
        items: &IdMap,
        train: &CsrMatrix,
        exclude_seen: bool,
    ) -> Self {
        let mut set = TestSet::default();
        for tu in 0..test.users.len() {
            let Some(u) = users.get(test.users.name(tu as u32)) else {
                set.cold_users += 1;
                continue;
            };
            let (cols, vals) = test.user_items.row(tu);
            let mut relevant = Vec::new();
            let mut again = Vec::new();
            for (&ti, &v) in cols.iter().zip(vals) {
                let Some(i) = items.get(test.items.name(ti)) else {
                    set.unknown_item_pairs += 1;
                    continue;
                };
                set.pairs.push((u, i, v));
                if exclude_seen && train.row(u as usize).0.binary_search(&i).is_ok() {
                    set.seen_pairs_removed += 1;
                    again.push(i);
                    continue;
                }
                relevant.push(i);
            }
            if !relevant.is_empty() {
                relevant.sort_unstable();
                set.relevant.push((u, relevant));
                again.sort_unstable();
                set.rebought.push(again);
            }
        }
        set
    }
}

/// A model's metrics beside the popularity baseline's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub k: usize,
    /// Customers evaluated (known, with at least one relevant product).
    pub users: usize,
    pub cold_users: usize,
    pub unknown_item_pairs: usize,
    pub seen_pairs_removed: usize,
    pub model_name: String,
    pub model: RankingMetrics,
    pub baseline: RankingMetrics,
    /// 95 % intervals of the per-customer metrics (a seeded bootstrap over customers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervals: Option<Intervals>,
    /// Repeat and explore hits apart, when lists may show bought products.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<super::repeat::RepeatReport>,
    /// Cold customers, when the test lines have dates to split their visits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold: Option<super::cold::ColdReport>,
    /// The accuracy metrics per group of customers (activity, country, new or returning).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
}

/// A report and the lists it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub report: EvalReport,
    pub lists: HoldoutLists,
    /// The model's and the baseline's lists at the report's k, scored (segments are cut
    /// from these).
    pub model_set: ListSet,
    pub baseline_set: ListSet,
}

/// The model's and the baseline's intervals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Intervals {
    pub model: MetricIntervals,
    pub baseline: MetricIntervals,
}

impl EvalReport {
    /// Every metric beside the baseline's, with intervals where the report has them: the
    /// one table the CLI prints and `--json` carries.
    pub fn metric_rows(&self) -> Vec<MetricRow> {
        let mut rows: Vec<MetricRow> = Metric::ALL
            .iter()
            .map(|&m| {
                let (mi, bi) = match &self.intervals {
                    Some(iv) => (iv.model.get(m), iv.baseline.get(m)),
                    None => (None, None),
                };
                MetricRow {
                    metric: m.label(self.k),
                    value: self.model.get(m),
                    ci_low: mi.map(|i| i.low),
                    ci_high: mi.map(|i| i.high),
                    baseline: self.baseline.get(m),
                    baseline_ci_low: bi.map(|i| i.low),
                    baseline_ci_high: bi.map(|i| i.high),
                }
            })
            .collect();
        // A rating predictor's errors, beside the mean rating's (lower is better).
        let rating = [
            ("rmse", self.model.rmse, self.baseline.rmse),
            ("mae", self.model.mae, self.baseline.mae),
        ];
        for (name, value, baseline) in rating {
            let (Some(value), Some(baseline)) = (value, baseline) else {
                continue;
            };
            let (mi, bi) = match &self.intervals {
                Some(iv) => (iv.model.0.get(name), iv.baseline.0.get(name)),
                None => (None, None),
            };
            rows.push(MetricRow {
                metric: name.to_owned(),
                value,
                ci_low: mi.map(|i| i.low),
                ci_high: mi.map(|i| i.high),
                baseline,
                baseline_ci_low: bi.map(|i| i.low),
                baseline_ci_high: bi.map(|i| i.high),
            });
        }
        rows
    }

    /// Relative precision@k gain over the baseline (0.3 = 30 % better).
    pub fn precision_lift(&self) -> f64 {
        if self.baseline.precision == 0.0 {
            f64::INFINITY
        } else {
            self.model.precision / self.baseline.precision - 1.0
        }
    }

    /// Why this model should not be deployed as it is: a rating predictor whose RMSE is
    /// above the mean rating's, a ranker below the popularity baseline's precision@k, or,
    /// when lists show bought products, below the customers' own products alone.
    /// The sentence every report (CLI, Train, Runs) shows in the error colour; `None` when
    /// the model does at least as well as its baselines.
    pub fn below_baseline(&self) -> Option<String> {
        self.verdict().map(|(why, _)| why)
    }

    /// The setting [`Self::below_baseline`]'s sentence asks to change (the re-buy blend,
    /// when the customers' own products alone do better), for each edge to name its way.
    pub fn remedy(&self) -> Option<crate::knob::Knob> {
        self.verdict().and_then(|(_, knob)| knob)
    }

    fn verdict(&self) -> Option<(String, Option<crate::knob::Knob>)> {
        if !self.is_below_baseline() {
            return None;
        }
        // A rating predictor is judged on its ratings, against the mean rating.
        if let (Some(m), Some(b)) = (self.model.rmse, self.baseline.rmse) {
            let why = format!(
                "{} predicts ratings worse than the mean rating: RMSE {m:.4} against {b:.4}; do not deploy it as it is",
                self.model_name
            );
            return Some((why, None));
        }
        if self.model.precision >= self.baseline.precision
            && let Some(own) = self.own_products_precision()
        {
            let why = format!(
                "{} ranks below the customers' own products alone: precision@{} {:.4} against {own:.4}; blend re-buys in, or let a search choose the blend",
                self.model_name, self.k, self.model.precision
            );
            return Some((why, Some(crate::knob::Knob::Rebuy)));
        }
        let why = format!(
            "{} ranks below the popularity baseline: precision@{} {:.4} against {:.4}; do not deploy it as it is",
            self.model_name, self.k, self.model.precision, self.baseline.precision
        );
        Some((why, None))
    }

    /// The precision@k of the customers' own products alone, when lists show them.
    fn own_products_precision(&self) -> Option<f64> {
        self.repeat.as_ref().map(|r| r.rebuy_only_precision)
    }

    /// True when the model does worse than its baseline: [`EvalReport::below_baseline`]
    /// without building the sentence (the run tables ask it for every row they draw).
    pub fn is_below_baseline(&self) -> bool {
        if self.users == 0 {
            return false;
        }
        match (self.model.rmse, self.baseline.rmse) {
            (Some(m), Some(b)) => m > b,
            _ => {
                self.model.precision < self.baseline.precision
                    || self
                        .own_products_precision()
                        .is_some_and(|own| self.model.precision < own)
            }
        }
    }
}

/// One ranker's lists, scored.
#[derive(Default)]
struct Scored {
    metrics: RankingMetrics,
    /// Repeat and explore apart, when the lists may show bought products.
    split: Option<Split>,
    /// The lists at k, scored: intervals and segments are computed from it.
    set: ListSet,
    /// The lists as recommended, up to `depth` long.
    lists: Vec<Vec<u32>>,
}

/// The metrics of `model`'s lists at `k` (recommended `depth` long), and those lists'
/// repeat/explore split when they may show bought products.
fn ranking_metrics(
    model: &dyn Recommender,
    train: &CsrMatrix,
    test: &TestSet,
    (k, depth): (usize, usize),
    seen: SeenPolicy,
    popularity: &PopularityModel,
) -> Scored {
    let users: Vec<u32> = test.relevant.iter().map(|(u, _)| *u).collect();
    let model = seen.apply(model);
    let recommended = recommend_all(&model, train, &users, depth.max(k), seen.exclude_seen);
    let lists: Vec<Vec<u32>> = recommended
        .iter()
        .map(|l| l.iter().map(|s| s.item).collect())
        .collect();
    let at_k: Vec<Vec<u32>> = lists.iter().map(|l| l[..l.len().min(k)].to_vec()).collect();
    let per_user: Vec<ListMetrics> = at_k
        .iter()
        .zip(&test.relevant)
        .map(|(list, (_, rel))| score_list(list, rel, k))
        .collect();
    let split = (!seen.exclude_seen).then(|| repeat::split(&at_k, &test.relevant, train, k));
    let set = ListSet::new(per_user, at_k, &popularity.counts, train.rows(), k);
    Scored {
        metrics: RankingMetrics::from_values(&set.values(None)),
        split,
        set,
        lists,
    }
}

/// `model`'s metrics alone, without the baseline: what a tuning trial needs.
pub fn model_metrics(
    model: &dyn Recommender,
    train: &CsrMatrix,
    test: &TestSet,
    k: usize,
    seen: SeenPolicy,
    predict: Option<&(dyn Fn(u32, u32) -> f32 + Sync)>,
) -> RankingMetrics {
    let popularity = PopularityModel::fit(train);
    scored_metrics(model, train, test, (k, k), seen, predict, &popularity).metrics
}

/// `model`'s ranking metrics, with rating errors when `predict` is given.
fn scored_metrics(
    model: &dyn Recommender,
    train: &CsrMatrix,
    test: &TestSet,
    k: (usize, usize),
    seen: SeenPolicy,
    predict: Option<&(dyn Fn(u32, u32) -> f32 + Sync)>,
    popularity: &PopularityModel,
) -> Scored {
    let mut scored = ranking_metrics(model, train, test, k, seen, popularity);
    let metrics = &mut scored.metrics;
    if let Some(predict) = predict {
        let n = test.pairs.len().max(1) as f64;
        let (mut se, mut ae) = (0.0, 0.0);
        for &(u, i, v) in &test.pairs {
            let e = f64::from(predict(u, i) - v);
            se += e * e;
            ae += e.abs();
        }
        metrics.rmse = Some((se / n).sqrt());
        metrics.mae = Some(ae / n);
    }
    scored
}

/// The mean of every training rating: a rating predictor's baseline.
fn mean_rating(train: &CsrMatrix) -> f64 {
    let (sum, count) = (0..train.rows()).fold((0.0, 0usize), |(s, c), u| {
        let values = train.row(u).1;
        (
            s + values.iter().map(|&v| f64::from(v)).sum::<f64>(),
            c + values.len(),
        )
    });
    sum / count.max(1) as f64
}

/// Evaluates `model` and the popularity baseline on `test`, their lists treating bought
/// products as `seen` says (the baseline never blends: it is the bar, not a contender);
/// `predict` gives rating errors for explicit models.
pub fn evaluate(
    model: &dyn Recommender,
    train: &CsrMatrix,
    test: &TestSet,
    k: usize,
    seen: SeenPolicy,
    predict: Option<&(dyn Fn(u32, u32) -> f32 + Sync)>,
) -> Evaluation {
    let popularity = PopularityModel::fit(train);
    let deep = (k, CURVE_DEPTH);
    let scored = scored_metrics(model, train, test, deep, seen, predict, &popularity);
    let plain = SeenPolicy { rebuy: 0.0, ..seen };
    let base = ranking_metrics(&popularity, train, test, deep, plain, &popularity);
    let mut intervals = Intervals {
        model: bootstrap::set_intervals(&scored.set),
        baseline: bootstrap::set_intervals(&base.set),
    };
    let mut baseline = base.metrics;
    if predict.is_some() {
        // A rating predictor's baseline is the training ratings' mean for every pair.
        let mean = mean_rating(train);
        let n = test.pairs.len().max(1) as f64;
        let errors = test.pairs.iter().map(|&(_, _, v)| f64::from(v) - mean);
        baseline.rmse = Some((errors.clone().map(|e| e * e).sum::<f64>() / n).sqrt());
        baseline.mae = Some(errors.map(f64::abs).sum::<f64>() / n);
    }
    if let Some(predict) = predict {
        // Rating errors get their intervals by the same customer bootstrap.
        let mean = mean_rating(train);
        let model_errors = test
            .pairs
            .iter()
            .map(|&(u, i, v)| (u, f64::from(predict(u, i) - v)));
        let mean_errors = test.pairs.iter().map(|&(u, _, v)| (u, mean - f64::from(v)));
        for (side, errors) in [
            (
                &mut intervals.model,
                rating_interval::rating_intervals(model_errors),
            ),
            (
                &mut intervals.baseline,
                rating_interval::rating_intervals(mean_errors),
            ),
        ] {
            side.0.insert("rmse".into(), errors.0);
            side.0.insert("mae".into(), errors.1);
        }
    }
    // Own products alone, then popularity: what a model must beat on re-buys.
    let rebuy_only = (!seen.exclude_seen).then(|| {
        let own = SeenPolicy {
            exclude_seen: false,
            rebuy: 1.0,
        };
        ranking_metrics(&popularity, train, test, (k, k), own, &popularity)
    });
    let report = EvalReport {
        k,
        users: test.relevant.len(),
        cold_users: test.cold_users,
        unknown_item_pairs: test.unknown_item_pairs,
        seen_pairs_removed: test.seen_pairs_removed,
        model_name: model.kind().name().to_owned(),
        model: scored.metrics,
        baseline,
        intervals: Some(intervals),
        repeat: scored.split.zip(base.split).map(|(model, baseline)| {
            let own = rebuy_only.unwrap_or_default();
            RepeatReport {
                truth_repeat_share: repeat::truth_repeat_share(&test.relevant, train),
                model,
                baseline,
                rebuy_only: own.split.unwrap_or_default(),
                rebuy_only_precision: own.metrics.precision,
            }
        }),
        cold: None,
        segments: Vec::new(),
    };
    let lists = HoldoutLists {
        k,
        users: test.relevant.iter().map(|(u, _)| *u).collect(),
        model: scored.lists,
        baseline: base.lists,
        relevant: test.relevant.iter().map(|(_, r)| r.clone()).collect(),
        rebought: test.rebought.clone(),
    };
    Evaluation {
        report,
        lists,
        model_set: scored.set,
        baseline_set: base.set,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_below_popularity_is_flagged_and_one_above_is_not() {
        let metrics = |precision: f64| RankingMetrics {
            precision,
            ..RankingMetrics::default()
        };
        let mut r = EvalReport {
            k: 10,
            users: 100,
            cold_users: 0,
            unknown_item_pairs: 0,
            seen_pairs_removed: 0,
            model_name: "als".into(),
            model: metrics(0.02),
            baseline: metrics(0.03),
            intervals: None,
            repeat: None,
            cold: None,
            segments: Vec::new(),
        };
        let why = r.below_baseline().unwrap();
        assert!(why.contains("precision@10 0.0200 against 0.0300"), "{why}");
        assert!(r.is_below_baseline());
        assert_eq!(r.remedy(), None, "below popularity, no setting fixes it");
        r.model = metrics(0.03);
        assert_eq!(
            r.below_baseline(),
            None,
            "matching the baseline is not below it"
        );
        r.model = metrics(0.05);
        assert_eq!(r.below_baseline(), None);
        // With bought products shown, the customers' own products are a bar too.
        r.repeat = Some(RepeatReport {
            rebuy_only_precision: 0.08,
            ..RepeatReport::default()
        });
        let why = r.below_baseline().unwrap();
        assert!(
            why.contains(
                "below the customers' own products alone: precision@10 0.0500 against 0.0800"
            ),
            "{why}"
        );
        assert_eq!(r.remedy(), Some(crate::knob::Knob::Rebuy));
        r.model = metrics(0.08);
        assert_eq!(r.below_baseline(), None);
        r.repeat = None;
        // A rating predictor is judged on RMSE against the mean rating, not on ranking.
        r.model = RankingMetrics {
            rmse: Some(0.94),
            ..metrics(0.01)
        };
        r.baseline.rmse = Some(1.12);
        assert_eq!(r.below_baseline(), None);
        assert!(!r.is_below_baseline());
        r.model.rmse = Some(1.3);
        assert!(r.is_below_baseline());
        let why = r.below_baseline().unwrap();
        assert!(why.contains("RMSE 1.3000 against 1.1200"), "{why}");
    }
}
