//! Enter drills into a row. A customer on Data's list opens in Inspect; a country lists
//! its customers; a product, on Data or among Inspect's suggestions, lists the customers
//! most likely to buy it (its audience). The palette's `customer ID` ends here too.

use crate::tui::app::{AppState, Command, Screen, Status};
use crate::tui::screens::data::{DataList, DataState};

impl AppState {
    /// Shows customer `id` in Inspect: from the model, or for one it never saw (first
    /// seen in the hold-out), from their purchases once the data is read.
    pub(crate) fn open_customer(&mut self, id: String) -> Result<Vec<Command>, String> {
        let Some(run) = self.inspect.run.clone() else {
            return Err("no run open: train one or open one from Runs".into());
        };
        let known = run
            .users
            .get(crate::data::values::normalise_id(&id).unwrap_or(&id));
        self.inspect.audience = None;
        self.inspect.query = id;
        self.inspect.update_matches();
        self.inspect.show(known);
        self.screen = Screen::Inspect;
        if known.is_none() && self.inspect.searched_newcomer().is_none() {
            return Ok(self.lookup_customer());
        }
        Ok(Vec::new())
    }

    /// Enter on the Data screen's list.
    pub(crate) fn drill_into_data(&mut self) -> Vec<Command> {
        let DataState::Ready {
            products, people, ..
        } = &self.data
        else {
            return Vec::new();
        };
        let view = &self.products;
        match view.list {
            DataList::Products => {
                let Some(id) = view
                    .visible(products)
                    .get(view.selected)
                    .map(|&i| products[i].id.clone())
                else {
                    return Vec::new();
                };
                self.product_audience(&id)
            }
            DataList::Customers => {
                let Some(id) = view
                    .visible_customers(people)
                    .get(view.selected)
                    .map(|&i| people.customers[i].id.clone())
                else {
                    return Vec::new();
                };
                self.open_customer(id).unwrap_or_else(|message| {
                    self.status = Status::error(format!(
                        "{message}; Enter on a customer then shows them in Inspect"
                    ));
                    Vec::new()
                })
            }
            DataList::Countries => {
                let Some(name) = view
                    .visible_countries(people)
                    .get(view.selected)
                    .map(|&i| people.countries[i].name.clone())
                else {
                    return Vec::new();
                };
                self.products.list = DataList::Customers;
                self.products.filter_mut().text.clone_from(&name);
                self.products.selected = 0;
                self.status = Status::info(format!(
                    "customers in {name}: Enter opens one in Inspect, / changes the filter"
                ));
                Vec::new()
            }
        }
    }

    /// The audience of product `id` from the Data screen, in Inspect.
    fn product_audience(&mut self, id: &str) -> Vec<Command> {
        let Some(run) = self.inspect.run.clone() else {
            self.status = Status::error(format!(
                "no run open: open one (Runs, Enter) and Enter on {id} lists who is likely to buy it"
            ));
            return Vec::new();
        };
        let Some(item) = run.items.get(id) else {
            self.status = Status::error(format!(
                "product {id} is not in run {}: it was not bought in the data that run trained on; {} on Tune trains a run on the data loaded here",
                self.inspect.run_label,
                self.keymap.label(crate::tui::action::Action::Train)
            ));
            return Vec::new();
        };
        self.screen = Screen::Inspect;
        self.start_audience_of(item)
    }

    /// Enter on Inspect: opens the highlighted audience customer, or lists the audience
    /// of the highlighted suggestion.
    pub(crate) fn drill_into_inspect(&mut self) -> Vec<Command> {
        if self.inspect.audience.is_some() {
            self.open_audience_customer();
            Vec::new()
        } else {
            self.start_audience()
        }
    }
}
