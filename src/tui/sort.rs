//! `s`: every table sorts by its columns in turn, and the status line and the table's
//! title say by which. One place for every screen, so the key means the same everywhere.

use crate::tui::app::{AppState, Screen, Status};
use crate::tui::screens::data::{DataList, DataState};

impl AppState {
    /// The next order of the table on screen, said on the status line.
    pub(crate) fn sort_screen(&mut self) {
        let said = match self.screen {
            Screen::Data => self.sort_data(),
            Screen::Runs => {
                self.runs.sort = self.runs.sort.next();
                self.runs.clamp();
                format!("runs sorted by {}", self.runs.sort.name(self.runs.metric))
            }
            Screen::Train => {
                self.trial_order = self.trial_order.next();
                format!("trials {}", self.trial_order.label())
            }
            Screen::Export if self.export.result.is_some() => {
                self.export.files_sort = self.export.files_sort.next();
                self.export.files_offset = 0;
                format!("exported files by {}", self.export.files_sort.name())
            }
            Screen::Export => "s sorts the exported files: export first (e)".to_owned(),
            Screen::Inspect => match (&mut self.inspect.audience, &self.inspect.run) {
                (Some(a), Some(run)) => {
                    a.sort = a.sort.next();
                    a.clamp(run);
                    format!("audience sorted by {}", a.sort.name())
                }
                _ => "the list is in the model's order; s sorts an audience (a)".to_owned(),
            },
            Screen::Tune | Screen::Evaluate | Screen::Monitor => return,
        };
        self.status = Status::info(said);
    }

    fn sort_data(&mut self) -> String {
        let DataState::Ready {
            products, people, ..
        } = &mut self.data
        else {
            return "the data is still loading".to_owned();
        };
        let view = &mut self.products;
        view.selected = 0;
        match view.list {
            DataList::Products => {
                view.sort = view.sort.next();
                view.sort.apply(products);
                format!("products sorted by {}", view.sort.name())
            }
            list => {
                view.people_sort = view.people_sort.next();
                view.people_sort.apply(people);
                let countries = list == DataList::Countries;
                format!(
                    "{} sorted by {}",
                    list.name(),
                    view.people_sort.name(countries)
                )
            }
        }
    }
}
