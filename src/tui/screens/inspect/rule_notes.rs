//! What a rule changed in the list shown, said when it is set: a rule that does nothing
//! for this customer says why rather than looking broken.
//!
//! `c` switches the cold-start policy, which decides only for customers the model has
//! not seen; `:include` forces products in, except ones the customer already bought or
//! the run does not know.

use super::InspectState;

impl InspectState {
    /// Switches to the next cold-start policy and says what that changed for the
    /// customer shown.
    pub fn cycle_cold_start(&mut self) -> String {
        let all = crate::recommend::ColdStartPolicy::ALL;
        let at = all
            .iter()
            .position(|&p| p == self.rules.cold_start)
            .unwrap_or(0);
        let before: Vec<u32> = self.recommendations.iter().map(|r| r.item).collect();
        self.rules.cold_start = all[(at + 1) % all.len()];
        self.recompile();
        let after: Vec<u32> = self.recommendations.iter().map(|r| r.item).collect();
        let policy = self.rules.cold_start.name();
        if before != after {
            let differ = after.iter().filter(|i| !before.contains(i)).count();
            return format!(
                "cold start {policy}: {differ} of {} products changed for this new customer",
                after.len()
            );
        }
        if let Some(id) = self.customer_id() {
            return format!(
                "cold start {policy}: customer {id} is known to the model, so their list is the model's; the policy decides only for customers it has not seen"
            );
        }
        match self.searched_newcomer() {
            Some(c) if c.history.is_empty() && c.segment.is_none() => format!(
                "cold start {policy}: the same list, since this customer has no purchases or country the run knows, every policy falls back to the best sellers"
            ),
            Some(_) => format!("cold start {policy}: the same list for this customer"),
            None => format!(
                "cold start {policy}: the same list, since nothing is known about this customer, every policy falls back to the best sellers"
            ),
        }
    }

    /// What `:include ids` did for the customer shown: how many are in the list now,
    /// and for each one that is not, why.
    pub fn include_note(&self, ids: &[&str]) -> String {
        let Some(run) = &self.run else {
            return "no run open".to_owned();
        };
        let mut shown = 0;
        let mut why: Vec<String> = Vec::new();
        for id in ids {
            let Some(item) = run.items.get(id) else {
                why.push(format!("'{id}' is not a product of this run"));
                continue;
            };
            if self.recommendations.iter().any(|r| r.item == item) {
                shown += 1;
            } else if self.history.iter().any(|h| h.0 == item) {
                why.push(format!(
                    "{id} was bought already, so the list leaves it out (r blends re-buys in)"
                ));
            } else {
                why.push(format!(
                    "{id} is held back by another rule (an exclusion or the popular cut)"
                ));
            }
        }
        let mut note = format!("include: {shown} of {} in the list", ids.len());
        if !why.is_empty() {
            note.push_str("; ");
            note.push_str(&why.join("; "));
        }
        note
    }
}
