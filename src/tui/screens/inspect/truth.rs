//! The hold-out truth in Inspect: what the customer really bought after the cut-off, so a
//! business audience sees hits, not only scores.

use crate::eval::HoldoutLists;
use crate::store::Run;

/// What the shown customer bought after the run's cut-off.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Truth {
    /// Products bought after the cut-off that the model knows (sorted): new ones and, when
    /// lists show bought products, re-buys.
    pub bought: Vec<u32>,
    /// Of those, products they had bought before (sorted).
    pub rebought: Vec<u32>,
    /// What counts as a hit for the baseline: `bought` less re-buys when lists leave
    /// bought products out (sorted).
    pub relevant: Vec<u32>,
    /// The popularity baseline's list for this customer, best first.
    pub baseline: Vec<u32>,
    /// "in the next 30 days", "in the test file".
    pub period: String,
}

impl Truth {
    /// Whether `item` was bought after the cut-off.
    pub fn has(&self, item: u32) -> bool {
        self.bought.binary_search(&item).is_ok()
    }

    /// The summary line: "3 of these 10 were bought in the next 30 days; the 10 best
    /// sellers would have hit 1".
    pub fn summary(&self, shown: &[u32]) -> String {
        let hits = shown.iter().filter(|&&i| self.has(i)).count();
        let n = shown.len();
        let baseline_hits = self.baseline_hits(n);
        let were = if hits == 1 { "was" } else { "were" };
        format!(
            "{hits} of these {n} {were} bought {}; the {n} best sellers would have hit {}",
            self.period, baseline_hits
        )
    }

    /// The summary in a narrow panel: "7 of 10 suggested bought · best sellers 1".
    pub fn short_summary(&self, shown: &[u32]) -> String {
        let hits = shown.iter().filter(|&&i| self.has(i)).count();
        format!(
            "{hits} of {} suggested bought · best sellers {}",
            shown.len(),
            self.baseline_hits(shown.len())
        )
    }

    /// Hits of the baseline's first `n` products.
    fn baseline_hits(&self, n: usize) -> usize {
        self.baseline
            .iter()
            .take(n)
            .filter(|i| self.relevant.binary_search(i).is_ok())
            .count()
    }

    /// The shown customer's truth, when the run was evaluated on a hold-out.
    pub fn of(run: &Run, user: u32) -> Option<Truth> {
        let lists = run.holdout.as_ref()?;
        let period = period_words(&run.meta.holdout);
        let Some(row) = lists.position(user) else {
            return Some(Truth {
                period,
                ..Truth::default()
            });
        };
        let relevant = &lists.relevant[row];
        let mut bought: Vec<u32> = relevant
            .iter()
            .chain(&lists.rebought[row])
            .copied()
            .collect();
        bought.sort_unstable();
        bought.dedup();
        Some(Truth {
            bought,
            rebought: lists.rebought[row].clone(),
            relevant: relevant.clone(),
            baseline: lists.baseline[row].clone(),
            period,
        })
    }
}

/// Customers whose evaluated list of length `top` holds at least one purchase made after
/// the cut-off, the most hits first: where a demo finds a real story.
pub fn hit_customers(lists: &HoldoutLists, top: usize) -> Vec<u32> {
    let mut hits: Vec<(usize, u32)> = lists
        .users
        .iter()
        .zip(&lists.model)
        .zip(&lists.relevant)
        .filter_map(|((&u, list), relevant)| {
            let n = list
                .iter()
                .take(top)
                .filter(|i| relevant.binary_search(i).is_ok())
                .count();
            (n > 0).then_some((n, u))
        })
        .collect();
    hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    hits.into_iter().map(|(_, u)| u).collect()
}

/// The hold-out label of a run in words.
fn period_words(holdout: &str) -> String {
    let mut parts = holdout.split(':');
    match (parts.next(), parts.next()) {
        (Some("last-days" | "validation"), Some(days)) => format!("in the next {days} days"),
        (Some("file"), _) => "in the test file".to_owned(),
        _ => "after the cut-off".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_hits_against_the_best_sellers() {
        let t = Truth {
            bought: vec![2, 5, 9],
            rebought: vec![],
            relevant: vec![2, 5, 9],
            baseline: vec![9, 7, 8, 6, 2],
            period: period_words("last-days:30"),
        };
        assert_eq!(
            t.summary(&[1, 2, 3, 5]),
            "2 of these 4 were bought in the next 30 days; the 4 best sellers would have hit 1"
        );
        assert!(t.summary(&[9]).starts_with("1 of these 1 was bought"));
        assert_eq!(period_words("file:/x.csv"), "in the test file");
    }

    #[test]
    fn hit_customers_come_most_hits_first() {
        let lists = HoldoutLists {
            k: 2,
            users: vec![10, 11, 12],
            model: vec![vec![1, 2], vec![3, 4], vec![5, 6]],
            baseline: vec![vec![]; 3],
            relevant: vec![vec![2], vec![9], vec![5, 6]],
            rebought: vec![vec![]; 3],
        };
        assert_eq!(hit_customers(&lists, 2), [12, 10]);
        assert_eq!(hit_customers(&lists, 1), [12]);
    }
}
