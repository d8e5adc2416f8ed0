//! Offline evaluation: how good are a model's lists on held-out purchases?
//!
//! For each test customer with at least one relevant product (a test pair whose product the
//! model knows), `R` is the model's top-`k` list (training products excluded) and `T` the
//! set of relevant products. Metrics are averaged over those customers:
//!
//! | metric | definition |
//! | --- | --- |
//! | precision@k | `|R ∩ T| / k` (Spark's `precisionAt`) |
//! | recall@k | `|R ∩ T| / |T|` |
//! | MAP@k | `Σᵢ P(i)·rel(i) / min(|T|, k)`, `P(i)` the precision of the first `i` |
//! | NDCG@k | `DCG / IDCG`, binary gains, `DCG = Σᵢ rel(i) / log₂(i + 1)` |
//! | hit rate@k | 1 when `R ∩ T` is not empty |
//! | MRR | `1 / rank` of the first relevant product in `R`, 0 if none |
//!
//! Over all lists: **coverage** is the share of the catalogue that appears in some list;
//! **novelty** the mean self-information `−log₂(buyers(i) / customers)` of recommended
//! products (higher = less obvious); **popularity bias** the mean share of training
//! customers who bought a recommended product (the average recommended popularity);
//! **Gini** how unevenly products are shown; **personalisation** one minus the mean
//! overlap of two customers' lists ([`list_set`]). For explicit models **RMSE** and
//! **MAE** compare predicted and actual ratings of the test pairs.
//!
//! Every metric gets a 95 % interval by a seeded bootstrap over customers, runs are
//! compared by the paired bootstrap with a verdict ([`bootstrap`]), and [`segments`] cuts
//! the accuracy metrics by activity, country and new or returning customers. The lists
//! themselves are kept ([`holdout`]) for diffs, charts and Inspect's hold-out truth.
//!
//! When lists may show bought products, [`repeat`] reports repeat and explore hits apart.
//!
//! Every report puts the popularity baseline beside the model. The metrics above are of
//! **warm** customers (known to the model); **cold** customers are scored separately by
//! [`cold`], one line per cold-start policy, and [`impact`] measures what a set of
//! business rules changes.

pub mod audience;
pub mod bootstrap;
pub mod cold;
pub mod holdout;
pub mod impact;
pub mod list_metrics;
pub mod list_set;
pub mod metric;
pub mod metrics;
pub mod protocol;
pub mod rating_interval;
pub mod repeat;
pub mod segments;

pub use cold::{ColdCase, ColdReport, cold_cases, evaluate_cold};
pub use holdout::{CURVE_DEPTH, HoldoutLists, Side};
pub use impact::{RulesImpact, rules_impact};
pub use list_set::ListSet;
pub use metric::{Metric, MetricValues};
pub use metrics::{ListMetrics, RankingMetrics};
pub use protocol::{EvalReport, Evaluation, Intervals, MetricRow, TestSet, evaluate};
pub use repeat::RepeatReport;
pub use segments::Segment;
