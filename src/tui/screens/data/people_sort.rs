//! The orders of the Data screen's customers and countries lists (`s`): by the count
//! column, by lines, or by name. Applied to the lists once when the order changes, not
//! every frame.

use crate::jobs::profiling::people::People;

/// How the customers and countries lists are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PeopleSort {
    /// Customers by distinct products bought, countries by customers: most first.
    #[default]
    Most,
    /// By invoice lines, most first.
    Lines,
    /// By customer id or country name, A to Z.
    Name,
}

impl PeopleSort {
    pub fn next(self) -> Self {
        match self {
            Self::Most => Self::Lines,
            Self::Lines => Self::Name,
            Self::Name => Self::Most,
        }
    }

    /// The column it sorts by, in the words of the list shown (`countries`: true for the
    /// countries list).
    pub fn name(self, countries: bool) -> &'static str {
        match (self, countries) {
            (Self::Most, false) => "products",
            (Self::Most, true) => "customers",
            (Self::Lines, _) => "lines",
            (Self::Name, false) => "customer id",
            (Self::Name, true) => "name",
        }
    }

    /// Puts both lists in this order; ties by name, so the order is stable.
    pub fn apply(self, people: &mut People) {
        match self {
            Self::Most => {
                people.customers.sort_by(|a, b| {
                    b.products
                        .cmp(&a.products)
                        .then(b.lines.cmp(&a.lines))
                        .then_with(|| a.id.cmp(&b.id))
                });
                people.countries.sort_by(|a, b| {
                    b.customers
                        .cmp(&a.customers)
                        .then(b.lines.cmp(&a.lines))
                        .then_with(|| a.name.cmp(&b.name))
                });
            }
            Self::Lines => {
                people
                    .customers
                    .sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.id.cmp(&b.id)));
                people
                    .countries
                    .sort_by(|a, b| b.lines.cmp(&a.lines).then_with(|| a.name.cmp(&b.name)));
            }
            Self::Name => {
                people.customers.sort_by(|a, b| a.id.cmp(&b.id));
                people.countries.sort_by(|a, b| a.name.cmp(&b.name));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::profiling::people::{CountryCount, CustomerCount};

    #[test]
    fn each_order_sorts_both_lists_by_its_column() {
        let customer = |id: &str, products, lines| CustomerCount {
            id: id.into(),
            country: "UK".into(),
            products,
            lines,
            purchases: lines,
            first: None,
            last: None,
        };
        let country = |name: &str, customers, lines| CountryCount {
            name: name.into(),
            customers,
            lines,
        };
        let mut people = People {
            customers: vec![
                customer("b", 1, 9),
                customer("a", 5, 2),
                customer("c", 3, 3),
            ],
            countries: vec![country("France", 2, 30), country("Spain", 9, 10)],
        };
        let ids = |p: &People| p.customers.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        PeopleSort::Lines.apply(&mut people);
        assert_eq!(ids(&people), ["b", "c", "a"]);
        assert_eq!(people.countries[0].name, "France");
        PeopleSort::Most.apply(&mut people);
        assert_eq!(ids(&people), ["a", "c", "b"]);
        assert_eq!(people.countries[0].name, "Spain");
        PeopleSort::Name.apply(&mut people);
        assert_eq!(ids(&people), ["a", "b", "c"]);
        assert_eq!(PeopleSort::Most.name(true), "customers");
    }
}
