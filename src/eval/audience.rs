//! How good is a campaign list? The customers an audience names, against those who
//! bought the product after the cut-off, beside the obvious list: the most active
//! customers.

use serde::{Deserialize, Serialize};

use super::holdout::HoldoutLists;
use crate::data::CsrMatrix;
use crate::recommend::{AudienceError, AudienceMember, Engine};

/// A campaign list for some products and, when the run kept its hold-out, how it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    /// The products asked for (run indices, sorted).
    pub items: Vec<u32>,
    /// The customers, most likely first.
    pub members: Vec<AudienceMember>,
    pub report: Option<AudienceReport>,
}

impl Campaign {
    /// True when the most active customers bought more on the hold-out than the list:
    /// the list must not be mailed without saying so.
    pub fn below_baseline(&self) -> bool {
        self.report
            .as_ref()
            .is_some_and(AudienceReport::below_baseline)
    }
}

/// The `top` customers most likely to buy any of `items` by `engine` (its rules applied),
/// checked against `holdout` when there is one: the one computation behind `latent
/// audience` and the workbench's audience table.
pub fn campaign(
    engine: &Engine<'_>,
    holdout: Option<&HoldoutLists>,
    items: &[u32],
    top: usize,
) -> Result<Campaign, AudienceError> {
    let members = engine.audience(items, top)?;
    let report = holdout.map(|h| {
        let listed: Vec<u32> = members.iter().map(|m| m.user).collect();
        let baseline = engine.most_active(items, members.len());
        audience_report(
            &listed,
            &baseline,
            &new_buyers(h, engine.view().train, items),
        )
    });
    Ok(Campaign {
        items: items.to_vec(),
        members,
        report,
    })
}

/// Customers who bought one of `items` after the cut-off and none before (sorted): a
/// re-buy was bought before, so it never counts as a campaign's success.
pub fn new_buyers(holdout: &HoldoutLists, train: &CsrMatrix, items: &[u32]) -> Vec<u32> {
    let mut buyers: Vec<u32> = holdout
        .users
        .iter()
        .zip(&holdout.relevant)
        .filter(|(u, rel)| {
            let before = train.row(**u as usize).0;
            items.iter().any(|i| rel.binary_search(i).is_ok())
                && !items.iter().any(|i| before.binary_search(i).is_ok())
        })
        .map(|(&u, _)| u)
        .collect();
    buyers.sort_unstable();
    buyers
}

/// An audience's precision on the hold-out, beside the most-active-customers baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceReport {
    /// Customers listed.
    pub listed: usize,
    /// Customers who bought one of the products after the cut-off and not before.
    pub buyers: usize,
    pub hits: usize,
    /// Share of the listed customers who bought.
    pub precision: f64,
    /// The same for the same number of the most active customers.
    pub baseline_hits: usize,
    pub baseline_precision: f64,
}

impl AudienceReport {
    /// True when the most active customers bought more than the list did.
    pub fn below_baseline(&self) -> bool {
        self.precision < self.baseline_precision
    }

    /// The check in one sentence, the hold-out named by `holdout` ("last-days:30").
    pub fn sentence(&self, holdout: &str) -> String {
        format!(
            "hold-out ({holdout}): {} of these {} bought it after the cut-off (precision {:.3}); the {} most active customers: {} ({:.3}); {} new buyers in all",
            self.hits,
            self.listed,
            self.precision,
            self.listed,
            self.baseline_hits,
            self.baseline_precision,
            self.buyers
        )
    }

    /// What to do when the list is below the most active customers.
    pub fn warning(&self) -> String {
        format!(
            "the {} most active customers did better on the hold-out ({:.3} against {:.3}): prefer them, or mail both lists",
            self.listed, self.baseline_precision, self.precision
        )
    }
}

/// Scores `listed` and `baseline` (customer indices, best first, the same length) against
/// `buyers` (sorted).
pub fn audience_report(listed: &[u32], baseline: &[u32], buyers: &[u32]) -> AudienceReport {
    let hits = |list: &[u32]| {
        list.iter()
            .filter(|u| buyers.binary_search(u).is_ok())
            .count()
    };
    let (h, b) = (hits(listed), hits(baseline));
    let share = |h: usize, n: usize| if n == 0 { 0.0 } else { h as f64 / n as f64 };
    AudienceReport {
        listed: listed.len(),
        buyers: buyers.len(),
        hits: h,
        precision: share(h, listed.len()),
        baseline_hits: b,
        baseline_precision: share(b, baseline.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_are_counted_against_the_buyers() {
        let r = audience_report(&[4, 1, 7, 9], &[2, 3, 4, 5], &[1, 4, 8]);
        assert_eq!((r.hits, r.baseline_hits, r.buyers), (2, 1, 3));
        assert!((r.precision - 0.5).abs() < 1e-12 && (r.baseline_precision - 0.25).abs() < 1e-12);
        assert_eq!(audience_report(&[], &[], &[1]).precision, 0.0);
    }
}
