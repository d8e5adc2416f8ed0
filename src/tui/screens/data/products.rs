//! The Data screen's product list: every product with its buyers, most bought first,
//! narrowed by the `/` filter (code or description) and stepped through with ↑↓.
//!
//! The list itself arrives with the profile ([`crate::tui::app::DataState::Ready`]); this is
//! only what the analyst did to it, so a reload keeps the filter.

use crate::jobs::profiling::ProductCount;
use crate::jobs::profiling::people::People;
use crate::tui::filter::TableFilter;

/// Filter, order and highlight of the product list.
#[derive(Debug, Clone, Default)]
pub struct ProductsView {
    /// Each list's own `/` filter, by [`DataList`]: a country typed for the customers
    /// does not empty the products when `v` comes back to them.
    filters: [TableFilter; 3],
    /// Position in [`ProductsView::visible`].
    pub selected: usize,
    pub sort: ProductSort,
    /// The order of the customers and countries lists.
    pub people_sort: super::PeopleSort,
    /// Which list the panel shows (`v` cycles).
    pub list: DataList,
}

/// The Data screen's lists: what is bought, who buys, and where they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DataList {
    #[default]
    Products,
    Customers,
    Countries,
}

impl DataList {
    pub fn next(self) -> Self {
        match self {
            Self::Products => Self::Customers,
            Self::Customers => Self::Countries,
            Self::Countries => Self::Products,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Products => "products",
            Self::Customers => "customers",
            Self::Countries => "countries",
        }
    }
}

/// The product list's order (`s` cycles it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductSort {
    #[default]
    Buyers,
    Lines,
    Code,
    Description,
}

impl ProductSort {
    pub fn next(self) -> Self {
        match self {
            Self::Buyers => Self::Lines,
            Self::Lines => Self::Code,
            Self::Code => Self::Description,
            Self::Description => Self::Buyers,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Buyers => "buyers",
            Self::Lines => "lines",
            Self::Code => "code",
            Self::Description => "description",
        }
    }

    /// Puts `products` in this order (most first for counts, A to Z for text; ties by
    /// code), once when the order or the list changes rather than every frame.
    pub fn apply(self, products: &mut [ProductCount]) {
        match self {
            Self::Buyers => products.sort_by(|a, b| {
                b.buyers
                    .cmp(&a.buyers)
                    .then(b.lines.cmp(&a.lines))
                    .then_with(|| a.id.cmp(&b.id))
            }),
            Self::Lines => products.sort_by(|a, b| {
                b.lines
                    .cmp(&a.lines)
                    .then(b.buyers.cmp(&a.buyers))
                    .then_with(|| a.id.cmp(&b.id))
            }),
            Self::Code => products.sort_by(|a, b| a.id.cmp(&b.id)),
            Self::Description => products.sort_by(|a, b| {
                a.description
                    .cmp(&b.description)
                    .then_with(|| a.id.cmp(&b.id))
            }),
        }
    }
}

impl ProductsView {
    /// The `/` filter of the list shown.
    pub fn filter(&self) -> &TableFilter {
        &self.filters[self.list as usize]
    }

    pub fn filter_mut(&mut self) -> &mut TableFilter {
        &mut self.filters[self.list as usize]
    }

    /// Indices into `products` of the rows shown, in order.
    pub fn visible(&self, products: &[ProductCount]) -> Vec<usize> {
        let m = self.filters[DataList::Products as usize].matcher();
        (0..products.len())
            .filter(|&i| m.matches([products[i].id.as_str(), products[i].description.as_str()]))
            .collect()
    }

    /// Indices into `people.customers` of the customers shown (id or country).
    pub fn visible_customers(&self, people: &People) -> Vec<usize> {
        let m = self.filters[DataList::Customers as usize].matcher();
        (0..people.customers.len())
            .filter(|&i| {
                let c = &people.customers[i];
                m.matches([c.id.as_str(), c.country.as_str()])
            })
            .collect()
    }

    /// Indices into `people.countries` of the countries shown.
    pub fn visible_countries(&self, people: &People) -> Vec<usize> {
        let m = self.filters[DataList::Countries as usize].matcher();
        (0..people.countries.len())
            .filter(|&i| m.matches([people.countries[i].name.as_str()]))
            .collect()
    }

    /// Rows of the list shown.
    pub fn shown_len(&self, products: &[ProductCount], people: &People) -> usize {
        match self.list {
            DataList::Products => self.visible(products).len(),
            DataList::Customers => self.visible_customers(people).len(),
            DataList::Countries => self.visible_countries(people).len(),
        }
    }

    /// Moves the highlight by `delta` rows of the list shown.
    pub fn step_in(&mut self, products: &[ProductCount], people: &People, delta: isize) {
        let n = self.shown_len(products, people);
        self.selected = if n == 0 {
            0
        } else {
            (self.selected as isize + delta).clamp(0, n as isize - 1) as usize
        };
    }

    /// Moves the highlight by `delta` rows.
    pub fn step(&mut self, products: &[ProductCount], delta: isize) {
        let n = self.visible(products).len();
        self.selected = if n == 0 {
            0
        } else {
            (self.selected as isize + delta).clamp(0, n as isize - 1) as usize
        };
    }

    /// Keeps the highlight on a shown row after the list or the filter changed.
    pub fn clamp(&mut self, products: &[ProductCount]) {
        self.selected = self
            .selected
            .min(self.visible(products).len().saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, description: &str, buyers: u64) -> ProductCount {
        ProductCount {
            id: id.into(),
            description: description.into(),
            buyers,
            lines: buyers,
            monthly: Vec::new(),
        }
    }

    #[test]
    fn each_order_sorts_the_list() {
        let mut products = vec![
            product("B", "zebra", 1),
            product("A", "apple", 3),
            product("C", "mango", 2),
        ];
        products[0].lines = 9;
        let ids = |p: &[ProductCount]| p.iter().map(|p| p.id.clone()).collect::<String>();
        ProductSort::Buyers.apply(&mut products);
        assert_eq!(ids(&products), "ACB");
        ProductSort::Lines.apply(&mut products);
        assert_eq!(ids(&products), "BAC");
        ProductSort::Code.apply(&mut products);
        assert_eq!(ids(&products), "ABC");
        ProductSort::Description.apply(&mut products);
        assert_eq!(ids(&products), "ACB");
        assert_eq!(ProductSort::Description.next(), ProductSort::Buyers);
    }

    #[test]
    fn the_filter_matches_codes_and_descriptions_and_the_highlight_follows() {
        let products = [
            product("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 9),
            product("22423", "REGENCY CAKESTAND 3 TIER", 8),
            product("20725", "LUNCH BAG RED RETROSPOT", 7),
            product("22382", "LUNCH BAG SPACEBOY DESIGN", 6),
        ];
        let mut view = ProductsView::default();
        view.step(&products, 3);
        assert_eq!(view.selected, 3);
        view.step(&products, 5);
        assert_eq!(view.selected, 3, "stops at the last row");
        view.filter_mut().text = "lunch".into();
        view.clamp(&products);
        assert_eq!(view.visible(&products), [2, 3]);
        assert_eq!(view.selected, 1);
        view.filter_mut().text = "2242".into();
        view.clamp(&products);
        assert_eq!(view.visible(&products), [1]);
        assert_eq!(view.selected, 0);
        view.filter_mut().text = "nothing like it".into();
        view.clamp(&products);
        assert!(view.visible(&products).is_empty());
        view.step(&products, 1);
        assert_eq!(view.selected, 0);
    }
}
