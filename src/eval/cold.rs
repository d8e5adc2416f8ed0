//! Customers the model never saw: how good is what they get?
//!
//! A test customer absent from training has no factors, so the cold-start policy decides
//! their list. To measure it, each such customer's **first day** of purchases in the test
//! period is revealed as what the shop knows when they come back (their history, and their
//! segment from the same lines), and the products they buy **after** that day are the
//! relevant set. Every policy is scored on the same customers, so the best one can be made
//! the default on evidence.

use serde::{Deserialize, Serialize};

use super::metrics::{ListMetrics, RankingMetrics, score_list};
use crate::data::{IdMap, Transactions};
use crate::recommend::{Catalog, ColdStartPolicy, Customer, Engine, Overrides, RunView};

/// One cold test customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ColdCase {
    /// Products of the first day (run indices, sorted).
    pub history: Vec<u32>,
    /// Segment index in the run's catalog.
    pub segment: Option<u32>,
    /// Products bought later (run indices, sorted, none of the history).
    pub relevant: Vec<u32>,
}

/// Metrics of every cold-start policy on the same cold customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColdReport {
    /// Cold test customers with a later purchase of a known product.
    pub users: usize,
    /// Cold test customers seen only on one day (or only unknown products): not scored.
    pub single_visit: usize,
    /// The policy the run's rules use.
    pub policy: ColdStartPolicy,
    /// Per policy, in [`ColdStartPolicy::ALL`] order.
    pub by_policy: Vec<(ColdStartPolicy, RankingMetrics)>,
    /// Each customer's metrics per policy (same order), for the "new customers" segment.
    #[serde(skip)]
    pub per_user: Vec<Vec<ListMetrics>>,
}

impl ColdReport {
    /// The metrics of `policy`.
    pub fn metrics(&self, policy: ColdStartPolicy) -> Option<&RankingMetrics> {
        self.by_policy
            .iter()
            .find(|(p, _)| *p == policy)
            .map(|(_, m)| m)
    }
}

/// Splits the cold customers of `test` (raw lines) into first-day history and later
/// purchases, in the ids of `users` / `items` / `catalog`. Returns the cases and the count
/// of cold customers that could not be scored.
pub fn cold_cases(
    test: &Transactions,
    users: &IdMap,
    items: &IdMap,
    catalog: &Catalog,
) -> (Vec<ColdCase>, usize) {
    let mut lines_of: Vec<Vec<usize>> = vec![Vec::new(); test.users.len()];
    for (line, &u) in test.user.iter().enumerate() {
        lines_of[u as usize].push(line);
    }
    let mut cases = Vec::new();
    let mut single = 0;
    for (tu, lines) in lines_of.iter().enumerate() {
        if lines.is_empty() || users.get(test.users.name(tu as u32)).is_some() {
            continue;
        }
        let first_day = lines
            .iter()
            .map(|&l| test.timestamp[l].div_euclid(86_400))
            .min()
            .unwrap_or(0);
        let mut history = Vec::new();
        let mut later = Vec::new();
        let mut segment = None;
        for &l in lines {
            if test.quantity[l] <= 0.0 {
                continue;
            }
            let Some(i) = items.get(test.items.name(test.item[l])) else {
                continue;
            };
            if test.timestamp[l].div_euclid(86_400) == first_day {
                history.push(i);
                if segment.is_none() && test.country[l] != u32::MAX {
                    segment = catalog.segment(test.countries.name(test.country[l]));
                }
            } else {
                later.push(i);
            }
        }
        history.sort_unstable();
        history.dedup();
        later.sort_unstable();
        later.dedup();
        later.retain(|i| history.binary_search(i).is_err());
        if history.is_empty() || later.is_empty() {
            single += 1;
            continue;
        }
        cases.push(ColdCase {
            history,
            segment,
            relevant: later,
        });
    }
    (cases, single)
}

/// Scores every cold-start policy on `cases` with `rules`' other settings.
pub fn evaluate_cold(
    view: RunView<'_>,
    rules: &Overrides,
    cases: &[ColdCase],
    single_visit: usize,
    k: usize,
) -> ColdReport {
    let scored: Vec<(ColdStartPolicy, RankingMetrics, Vec<ListMetrics>)> = ColdStartPolicy::ALL
        .iter()
        .map(|&policy| {
            let engine = Engine::new(
                view,
                &Overrides {
                    cold_start: policy,
                    ..rules.clone()
                },
            );
            let mut scratch = Vec::new();
            let (per_user, lists): (Vec<ListMetrics>, Vec<Vec<u32>>) = cases
                .iter()
                .map(|c| {
                    let who = Customer::New {
                        history: &c.history,
                        segment: c.segment,
                    };
                    let list: Vec<u32> = engine
                        .recommend(who, k, &mut scratch)
                        .iter()
                        .map(|s| s.item)
                        .collect();
                    (score_list(&list, &c.relevant, k), list)
                })
                .unzip();
            (
                policy,
                RankingMetrics::aggregate(
                    &per_user,
                    &lists,
                    &view.popularity.counts,
                    view.train.rows(),
                    k,
                ),
                per_user,
            )
        })
        .collect();
    let (by_policy, per_user) = scored
        .into_iter()
        .map(|(policy, metrics, per_user)| ((policy, metrics), per_user))
        .unzip();
    ColdReport {
        users: cases.len(),
        single_visit,
        policy: rules.cold_start,
        by_policy,
        per_user,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::transactions::PresentColumns;

    #[test]
    fn first_day_is_history_later_days_are_relevant() {
        let day = 86_400;
        let test = Transactions {
            users: IdMap::from_names(["old", "new", "once"]),
            items: IdMap::from_names(["x", "y", "z", "unknown"]),
            countries: IdMap::from_names(["Spain"]),
            user: vec![0, 1, 1, 1, 1, 1, 2],
            item: vec![0, 0, 3, 1, 0, 2, 1],
            timestamp: vec![0, 10 * day, 10 * day + 5, 12 * day, 13 * day, 14 * day, day],
            quantity: vec![1.0, 1.0, 1.0, 1.0, 1.0, -1.0, 1.0],
            country: vec![0; 7],
            has: PresentColumns {
                timestamp: true,
                country: true,
                ..PresentColumns::default()
            },
            ..Transactions::default()
        };
        let users = IdMap::from_names(["old"]);
        let items = IdMap::from_names(["z", "y", "x"]);
        let catalog = Catalog {
            segments: vec!["Spain".into()],
            ..Catalog::default()
        };
        let (cases, single) = cold_cases(&test, &users, &items, &catalog);
        // "new": day 10 bought x (and an unknown product); later y, x again, a return of z.
        assert_eq!(
            cases,
            [ColdCase {
                history: vec![2],
                segment: Some(0),
                relevant: vec![1],
            }]
        );
        assert_eq!(single, 1, "'once' came on one day only");
    }
}
