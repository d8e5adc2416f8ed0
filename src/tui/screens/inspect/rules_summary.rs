//! The rules in force in a few words, for the Inspect and Evaluate titles.

use crate::recommend::Overrides;

/// `rules` in a few words, as the Inspect and Evaluate titles show them.
pub fn rules_summary(rules: &Overrides) -> String {
    let mut parts = Vec::new();
    match rules.exclude_popular {
        Some(cut) => parts.push(format!("top {cut} popular hidden")),
        None => parts.push("popular shown".to_owned()),
    }
    if !rules.exclude_seen {
        parts.push(if rules.rebuy_weight() > 0.0 {
            format!("bought shown, re-buy {:.2}", rules.rebuy_weight())
        } else {
            "bought shown".to_owned()
        });
    }
    let forced: usize = rules.include.iter().map(|r| r.items.len()).sum();
    if forced > 0 {
        parts.push(format!("{forced} forced"));
    }
    if rules.include.iter().any(|r| r.new_within_days.is_some()) {
        parts.push("new products in".to_owned());
    }
    if !rules.exclude_items.is_empty() {
        parts.push(format!("{} excluded", rules.exclude_items.len()));
    }
    if !rules.exclude_matching.is_empty() {
        parts.push("exclusions".to_owned());
    }
    if !rules.boost.is_empty() {
        parts.push(format!("{} boosts", rules.boost.len()));
    }
    parts.push(format!("cold start {}", rules.cold_start.name()));
    parts.join(" · ")
}
