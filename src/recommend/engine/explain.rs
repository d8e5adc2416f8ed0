//! Why a list holds a product, in the model's own terms: the engine finds who the customer
//! is and what the model prepared; the model splits its score (see
//! [`crate::models::Model::explain`]).

use super::{Customer, Engine, Explanation};
use crate::models::Subject;

impl Engine<'_> {
    /// Why `customer`'s list holds `item`: each purchase's share of the score, or for an
    /// FM the terms of the customer's features (and of the id factor folded in from a new
    /// customer's purchases).
    ///
    /// ALS decomposes the solve (see [`crate::models::als::fold_in`]); item-kNN's score is
    /// a sum of similarities to past purchases already; an FM's is split into its largest
    /// feature and pair terms, for new customers too. `None` for popularity, and for
    /// customers of whom nothing is known.
    pub fn explain(&self, customer: Customer<'_>, item: u32, top: usize) -> Option<Explanation> {
        if item as usize >= self.view.items.len() {
            return None;
        }
        let who = match customer {
            Customer::Known(user) => Subject::Known {
                user,
                history: self.view.train.row(user as usize),
            },
            Customer::New { history, segment } => {
                Subject::New(self.new_customer_facts(history, segment))
            }
        };
        let mut why = self.view.model.model().explain(&self.prepared, who, item)?;
        why.parts.truncate(top);
        why.terms.truncate(top);
        Some(Explanation {
            item,
            score: why.score,
            parts: why.parts,
            method: why.method,
            terms: why.terms,
        })
    }
}
