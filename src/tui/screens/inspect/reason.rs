//! Why a recommendation is in the list, in words: a whole sentence where the table has
//! room, and a short label of whole words where it does not. A short label is never a
//! cut sentence (`popular (new`), and the explanation panel's title gives the long one.

use crate::recommend::{Reason, Scored};

/// The reason in full: the wide table's column and the explanation's title.
pub fn full(s: &Scored) -> &'static str {
    match s.reason {
        Reason::Model => "model score",
        Reason::Boosted => "model score, boosted",
        Reason::Rebuy => "re-buy",
        Reason::Forced => "forced by a rule",
        Reason::PopularityFallback => "popular (new customer)",
        Reason::SegmentPopularity => "popular in segment (new customer)",
        Reason::FoldIn => "from own purchases (new customer)",
    }
}

/// The reason in at most [`SHORT_WIDTH`] characters, for a narrow table.
pub fn short(s: &Scored) -> &'static str {
    match s.reason {
        Reason::Model => "model",
        Reason::Boosted => "model+boost",
        Reason::Rebuy => "re-buy",
        Reason::Forced => "rule",
        Reason::PopularityFallback => "popular·new",
        Reason::SegmentPopularity => "segment·new",
        Reason::FoldIn => "own buys·new",
    }
}

/// The widest short label.
pub const SHORT_WIDTH: u16 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_short_label_fits_its_width_and_differs_from_the_others() {
        let reasons = [
            Reason::Model,
            Reason::Boosted,
            Reason::Rebuy,
            Reason::Forced,
            Reason::PopularityFallback,
            Reason::SegmentPopularity,
            Reason::FoldIn,
        ];
        let labels: Vec<&str> = reasons
            .iter()
            .map(|&reason| {
                short(&Scored {
                    item: 0,
                    score: 0.0,
                    reason,
                })
            })
            .collect();
        for l in &labels {
            assert!(l.chars().count() <= usize::from(SHORT_WIDTH), "{l}");
        }
        let mut unique = labels.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), labels.len(), "{labels:?}");
    }
}
