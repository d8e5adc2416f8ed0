//! The verdict a drift report ends with: retrain, watch, or stable, and the figures that
//! decided it, in one sentence.
//!
//! | figure | watch from | retrain from |
//! | --- | --- | --- |
//! | PSI of popularity, country mix, basket size | 0.1 | 0.25 |
//! | share of buyers the model never saw | 15 % | 30 % |
//! | share of lines on products the model never saw | 5 % | 15 % |
//! | share of list slots on products no longer sold | 10 % | 20 % |

use serde::Serialize;

use super::recs_drift::RecsDrift;
use super::report::DataDrift;

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Stable,
    Watch,
    Retrain,
}

/// The decision and why.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub action: Action,
    /// Every figure past its watch level, worst first.
    pub reasons: Vec<String>,
    pub sentence: String,
}

fn percent(x: f64) -> String {
    format!("{:.0} %", x * 100.0)
}

/// Judges `data` (and the lists, when measured).
pub fn verdict(data: &DataDrift, recs: Option<&RecsDrift>) -> Verdict {
    let mut found: Vec<(Action, f64, String)> = Vec::new();
    let mut judge = |value: f64, watch: f64, retrain: f64, text: String| {
        let action = if value >= retrain {
            Action::Retrain
        } else if value >= watch {
            Action::Watch
        } else {
            return;
        };
        found.push((action, value / retrain, text));
    };
    let p = data.popularity.psi;
    judge(p, 0.1, 0.25 + 1e-12, format!("popularity PSI {p:.2}"));
    if let Some(c) = &data.country {
        judge(
            c.psi,
            0.1,
            0.25 + 1e-12,
            format!("country PSI {:.2}", c.psi),
        );
    }
    let b = data.basket.sizes.psi;
    judge(b, 0.1, 0.25 + 1e-12, format!("basket-size PSI {b:.2}"));
    let n = data.new_buyer_share;
    judge(n, 0.15, 0.30, format!("{} of buyers are new", percent(n)));
    let np = data.new_product_line_share;
    judge(
        np,
        0.05,
        0.15,
        format!("{} of lines are on new products", percent(np)),
    );
    if let Some(r) = recs {
        let s = r.not_sold_share;
        judge(
            s,
            0.10,
            0.20,
            format!("{} of recommended slots sold nothing since", percent(s)),
        );
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)));
    let action = found.first().map_or(Action::Stable, |f| f.0);
    let reasons: Vec<String> = found.into_iter().map(|f| f.2).collect();
    let sentence = match action {
        Action::Retrain => format!("retrain recommended: {}", reasons.join(", ")),
        Action::Watch => format!("watch: {}", reasons.join(", ")),
        Action::Stable => format!(
            "stable: no figure past its watch level (popularity PSI {p:.2}, {} of buyers new)",
            percent(n)
        ),
    };
    Verdict {
        action,
        reasons,
        sentence,
    }
}
