//! A customer the model never saw, such as one who first bought in the held-out month:
//! Inspect looks them up in the run's data (a job) and serves them from their real
//! purchases and country, as the server does with a request's `history`, instead of the
//! blank list of a stranger.

use std::sync::Arc;

use crate::experiment::customer_lookup::DataCustomer;
use crate::jobs::JobEvent;
use crate::tui::app::{AppState, Command, Status};

impl AppState {
    /// Starts looking the searched customer up in the open run's data.
    pub(crate) fn lookup_customer(&mut self) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            return Vec::new();
        };
        let customer = self.inspect.query.trim().to_owned();
        if customer.is_empty() {
            return Vec::new();
        }
        let id = self.next_internal_id();
        self.inspect.lookup = Some(id);
        self.status = Status::info(format!(
            "customer {customer} is not in the model: looking for their purchases in the data…"
        ));
        vec![Command::LookupCustomer {
            id,
            run: Arc::clone(&run),
            customer,
        }]
    }

    pub(crate) fn on_customer_looked(&mut self, event: JobEvent) -> Result<Vec<Command>, JobEvent> {
        if self.inspect.lookup != Some(event.id()) {
            return Err(event);
        }
        self.inspect.lookup = None;
        match event {
            JobEvent::CustomerLooked { wanted, found, .. } => {
                let policy = self.inspect.rules.cold_start.name();
                self.status = Status::info(match &*found {
                    Some(c) => format!(
                        "customer {} is new to the model: served from their {} product{} in the data{}, cold start {policy}",
                        c.id,
                        c.history.len(),
                        if c.history.len() == 1 { "" } else { "s" },
                        c.country
                            .as_deref()
                            .map_or_else(String::new, |c| format!(" and their country ({c})"))
                    ),
                    None => format!(
                        "customer {wanted} is in neither the model nor its data: they get what any new customer gets (cold start {policy})"
                    ),
                });
                self.inspect.newcomer = *found;
                if self.inspect.customer.is_none() {
                    self.inspect.show(None);
                }
            }
            JobEvent::Failed { message, .. } => self.status = Status::error(message),
            _ => {}
        }
        Ok(Vec::new())
    }
}

/// The searched customer's line for a newcomer: "customer 12349 · Italy · new to the model
/// · 5 products in the data · last bought 2011-11-21".
pub fn newcomer_line(
    c: &DataCustomer,
    data: Option<&crate::jobs::profiling::people::CustomerCount>,
) -> String {
    let mut parts = vec![format!("customer {}", c.id)];
    if let Some(country) = &c.country {
        parts.push(country.clone());
    }
    let n = c.history.len();
    parts.push(format!(
        "new to the model · {n} product{} in the data",
        if n == 1 { "" } else { "s" }
    ));
    if c.unknown_products > 0 {
        parts.push(format!("{} unknown to it", c.unknown_products));
    }
    parts.extend(super::who::purchase_parts(data, c.last));
    parts.join(" · ")
}
