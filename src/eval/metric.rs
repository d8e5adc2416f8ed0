//! The metrics a report names, and which way each one is better.
//!
//! One list of names for every table, chart, diff and `--metric` flag, so a metric added
//! here shows up everywhere without a special case.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A metric of a set of top-k lists against what customers went on to buy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    #[default]
    Precision,
    Recall,
    Map,
    Ndcg,
    HitRate,
    Mrr,
    Coverage,
    Novelty,
    PopularityBias,
    Gini,
    Personalisation,
}

/// Values of every metric, indexed by [`Metric`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MetricValues(pub [f64; Metric::COUNT]);

impl std::ops::Index<Metric> for MetricValues {
    type Output = f64;
    fn index(&self, m: Metric) -> &f64 {
        &self.0[m as usize]
    }
}

impl std::ops::IndexMut<Metric> for MetricValues {
    fn index_mut(&mut self, m: Metric) -> &mut f64 {
        &mut self.0[m as usize]
    }
}

impl Metric {
    pub const COUNT: usize = 11;

    /// Every metric, in report order: accuracy first, then beyond accuracy.
    pub const ALL: [Metric; Metric::COUNT] = [
        Metric::Precision,
        Metric::Recall,
        Metric::Map,
        Metric::Ndcg,
        Metric::HitRate,
        Metric::Mrr,
        Metric::Coverage,
        Metric::Novelty,
        Metric::PopularityBias,
        Metric::Gini,
        Metric::Personalisation,
    ];

    /// The accuracy metrics: means of one value per customer.
    pub const ACCURACY: [Metric; 6] = [
        Metric::Precision,
        Metric::Recall,
        Metric::Map,
        Metric::Ndcg,
        Metric::HitRate,
        Metric::Mrr,
    ];

    /// The name in JSON, flags and files.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::Map => "map",
            Metric::Ndcg => "ndcg",
            Metric::HitRate => "hit_rate",
            Metric::Mrr => "mrr",
            Metric::Coverage => "coverage",
            Metric::Novelty => "novelty",
            Metric::PopularityBias => "popularity_bias",
            Metric::Gini => "gini",
            Metric::Personalisation => "personalisation",
        }
    }

    /// The name with its list length where it has one: `precision@10`, `coverage`.
    pub fn label(self, k: usize) -> String {
        if self.at_k() {
            format!("{}@{k}", self.name())
        } else {
            self.name().to_owned()
        }
    }

    /// Whether the metric is named with its k (MRR and the list-set metrics are not).
    fn at_k(self) -> bool {
        matches!(
            self,
            Metric::Precision | Metric::Recall | Metric::Map | Metric::Ndcg | Metric::HitRate
        )
    }

    /// Higher is better for accuracy, coverage, novelty and personalisation; lower for
    /// popularity bias and Gini (lists that spread over the catalogue). A diff's verdict
    /// follows this.
    pub fn higher_is_better(self) -> bool {
        !matches!(self, Metric::PopularityBias | Metric::Gini)
    }

    /// Parses a metric name; `@k` suffixes and `p`/`r` short forms are accepted.
    pub fn parse(text: &str) -> Result<Metric, String> {
        let base = text.split('@').next().unwrap_or("").trim().to_lowercase();
        let found = match base.as_str() {
            "p" | "prec" => Some(Metric::Precision),
            "r" => Some(Metric::Recall),
            "hit" | "hr" | "hitrate" => Some(Metric::HitRate),
            "personalization" => Some(Metric::Personalisation),
            "popularity" | "pop" => Some(Metric::PopularityBias),
            other => Metric::ALL.into_iter().find(|m| m.name() == other),
        };
        found.ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            format!(
                "unknown metric '{text}': choose one of {}",
                names.join(", ")
            )
        })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One metric of a report, as tables and JSON show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    /// `precision@10`, `coverage`.
    pub metric: String,
    pub value: f64,
    /// The 95 % interval, for the per-customer metrics of a report that has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    pub baseline: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_ci_low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_ci_high: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.name()), Ok(m));
            assert_eq!(Metric::ALL[m as usize], m, "ALL is in index order");
        }
        assert_eq!(Metric::parse("NDCG@10"), Ok(Metric::Ndcg));
        assert_eq!(Metric::Precision.label(10), "precision@10");
        assert_eq!(Metric::Coverage.label(10), "coverage");
        let err = Metric::parse("accuracy").unwrap_err();
        assert!(
            err.contains("'accuracy'") && err.contains("personalisation"),
            "{err}"
        );
    }
}
