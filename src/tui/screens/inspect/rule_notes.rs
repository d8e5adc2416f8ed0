//! What a rule changed in the list shown, said when it is set: a rule that does nothing
//! for this customer says why rather than looking broken.
//!
//! `c` switches the cold-start policy, which decides only for customers the model has
//! not seen; `:include` forces products in, except ones the customer already bought or
//! the run does not know.

use super::InspectState;
use crate::recommend::{ColdStartPolicy, Overrides, PopularCut};

impl InspectState {
    /// Turns "leave out the top 5 % most popular products" on or off (`x`).
    pub fn toggle_exclude_popular(&mut self) -> String {
        let cut = match self.rules.exclude_popular {
            Some(_) => None,
            None => Some(PopularCut::Percent(5.0)),
        };
        self.set_popular_cut(cut)
    }

    /// Sets the popular cut (`x`, `:popular 5%`, `:popular off`) and says how many
    /// products it hides.
    pub fn set_popular_cut(&mut self, cut: Option<PopularCut>) -> String {
        self.rules.exclude_popular = cut;
        self.recompile();
        let n = self.run.as_ref().map_or(0, |r| r.items.len());
        match cut {
            Some(cut) => format!(
                "hiding the top {cut} best sellers: {} of {n} products ({} hidden by every rule)",
                cut.count(n),
                self.compiled.as_ref().map_or(0, |c| c.hidden_count())
            ),
            None => "best sellers shown again".to_owned(),
        }
    }

    /// Shows the customer's bought products again, ranked by the re-buy blend (the run's
    /// `rebuy`, else 0.8), or leaves them out again (`r`); says how many are in the list.
    pub fn toggle_rebuys(&mut self) -> String {
        self.rules.exclude_seen = !self.rules.exclude_seen;
        self.recompile();
        if self.rules.exclude_seen {
            return "bought products left out of the list again".to_owned();
        }
        let again = self
            .recommendations
            .iter()
            .filter(|r| self.history.iter().any(|h| h.0 == r.item))
            .count();
        format!(
            "bought products blended back in as re-buys: {again} of {} in the list",
            self.recommendations.len()
        )
    }

    /// Never shows the highlighted recommendation again this session (`e`).
    pub fn exclude_highlighted(&mut self) -> String {
        let Some(item) = self.recommendations.get(self.selected).map(|r| r.item) else {
            return "no product highlighted to exclude".to_owned();
        };
        let id = self.item_id(item).to_owned();
        self.rules.exclude_items.push(id.clone());
        let keep = self.selected;
        self.recompile();
        self.selected = keep.min(self.recommendations.len().saturating_sub(1));
        self.refresh_similar();
        format!(
            "excluded {id} for this session ({} excluded; E clears them)",
            self.rules.exclude_items.len()
        )
    }

    /// Excludes products by id (`:exclude ID...`); names any the run does not know.
    pub fn exclude_ids(&mut self, ids: &[&str]) -> String {
        let unknown: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| self.run.as_ref().is_some_and(|r| r.items.get(id).is_none()))
            .collect();
        self.rules
            .exclude_items
            .extend(ids.iter().map(|s| (*s).to_owned()));
        self.recompile();
        let mut note = format!(
            "excluded {} product{} for this session (E clears them)",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        );
        if !unknown.is_empty() {
            note = format!("{note}; not products of this run: {}", unknown.join(", "));
        }
        note
    }

    /// Empties the exclude list (`E`).
    pub fn clear_exclusions(&mut self) -> String {
        let n = self.rules.exclude_items.len();
        self.rules.exclude_items.clear();
        self.recompile();
        match n {
            0 => "no exclusions to clear".to_owned(),
            1 => "cleared 1 exclusion".to_owned(),
            n => format!("cleared {n} exclusions"),
        }
    }

    /// Puts back the rules the run was trained with (`:rules reset`).
    pub fn reset_rules(&mut self, base: Overrides) -> String {
        self.rules = base;
        self.recompile();
        format!("rules back to the run's own: {}", self.rules_summary())
    }

    /// Sets how many suggestions show (`:top N`).
    pub fn set_top(&mut self, n: usize) -> String {
        self.top = n;
        self.show(self.customer);
        if self.customer.is_none() && self.searched_newcomer().is_none() {
            return format!("lists show the top {n}: pick a customer to see one");
        }
        let shown = self.recommendations.len();
        if shown < n {
            format!("showing the top {n}: {shown} products qualify for this customer")
        } else {
            format!("showing the top {n}")
        }
    }
    /// Switches to the next cold-start policy and says what that changed for the
    /// customer shown.
    pub fn cycle_cold_start(&mut self) -> String {
        let all = crate::recommend::ColdStartPolicy::ALL;
        let at = all
            .iter()
            .position(|&p| p == self.rules.cold_start)
            .unwrap_or(0);
        self.set_cold_start(all[(at + 1) % all.len()])
    }

    /// Sets the cold-start policy (`c`, `:cold-start NAME`) and says what that changed
    /// for the customer shown, or why nothing did.
    pub fn set_cold_start(&mut self, policy: ColdStartPolicy) -> String {
        let before: Vec<u32> = self.recommendations.iter().map(|r| r.item).collect();
        self.rules.cold_start = policy;
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
