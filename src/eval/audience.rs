//! How good is a campaign list? The customers an audience names, against those who
//! bought the product after the cut-off, beside the obvious list: the most active
//! customers.

use serde::{Deserialize, Serialize};

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
