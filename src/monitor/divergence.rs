//! How far one distribution moved from another: the Population Stability Index and the
//! Jensen-Shannon divergence, with the bands risk teams read PSI by.

use serde::Serialize;

/// Shares below this are floored before logarithms: a category absent on one side would
/// otherwise make PSI infinite (the usual smoothing of PSI implementations).
const FLOOR: f64 = 1e-4;

/// The conventional reading of a PSI value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    /// Below 0.1: no meaningful change.
    Stable,
    /// 0.1 to 0.25: a change worth watching.
    Moderate,
    /// Above 0.25: the population has shifted.
    Significant,
}

impl Band {
    pub fn of(psi: f64) -> Self {
        if psi > 0.25 {
            Band::Significant
        } else if psi >= 0.1 {
            Band::Moderate
        } else {
            Band::Stable
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Band::Stable => "stable",
            Band::Moderate => "moderate",
            Band::Significant => "significant",
        }
    }
}

/// Normalises counts to shares (all zero stays all zero).
pub fn shares(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return vec![0.0; counts.len()];
    }
    counts.iter().map(|c| c / total).collect()
}

/// PSI of `new` against `reference`, both counts over the same categories:
/// `Σ (new − ref) · ln(new / ref)` over shares, each floored at 1e-4.
pub fn psi(reference: &[f64], new: &[f64]) -> f64 {
    let (r, n) = (shares(reference), shares(new));
    r.iter()
        .zip(&n)
        .map(|(&a, &b)| {
            let (a, b) = (a.max(FLOOR), b.max(FLOOR));
            (b - a) * (b / a).ln()
        })
        .sum()
}

/// Jensen-Shannon divergence in bits (0 = the same, 1 = disjoint) of two count vectors.
pub fn jensen_shannon(reference: &[f64], new: &[f64]) -> f64 {
    let (r, n) = (shares(reference), shares(new));
    let kl = |p: &[f64], m: &[f64]| -> f64 {
        p.iter()
            .zip(m)
            .filter(|(pi, _)| **pi > 0.0)
            .map(|(pi, mi)| pi * (pi / mi).log2())
            .sum()
    };
    let m: Vec<f64> = r.iter().zip(&n).map(|(a, b)| (a + b) / 2.0).collect();
    (0.5 * kl(&r, &m) + 0.5 * kl(&n, &m)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_shares_do_not_drift_and_a_flip_does() {
        let a = [50.0, 30.0, 15.0, 5.0];
        assert!(psi(&a, &[100.0, 60.0, 30.0, 10.0]).abs() < 1e-12);
        assert!(jensen_shannon(&a, &a) < 1e-12);
        let flipped = [5.0, 15.0, 30.0, 50.0];
        let p = psi(&a, &flipped);
        assert!(p > 0.25, "{p}");
        assert_eq!(Band::of(p), Band::Significant);
        assert!(jensen_shannon(&a, &flipped) > 0.1);
        assert!((jensen_shannon(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn psi_matches_a_hand_computation() {
        // Shares 0.5/0.5 against 0.6/0.4.
        let p = psi(&[1.0, 1.0], &[6.0, 4.0]);
        let want = 0.1 * (0.6f64 / 0.5).ln() + (-0.1) * (0.4f64 / 0.5).ln();
        assert!((p - want).abs() < 1e-12);
        assert_eq!(Band::of(0.05), Band::Stable);
        assert_eq!(Band::of(0.1), Band::Moderate);
    }
}
