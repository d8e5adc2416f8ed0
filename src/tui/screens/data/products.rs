//! The Data screen's product list: every product with its buyers, most bought first,
//! narrowed by the `/` filter (code or description) and stepped through with ↑↓.
//!
//! The list itself arrives with the profile ([`crate::tui::app::DataState::Ready`]); this is
//! only what the analyst did to it, so a reload keeps the filter.

use crate::jobs::profiling::ProductCount;
use crate::tui::filter::TableFilter;

/// Filter and highlight of the product list.
#[derive(Debug, Clone, Default)]
pub struct ProductsView {
    pub filter: TableFilter,
    /// Position in [`ProductsView::visible`].
    pub selected: usize,
}

impl ProductsView {
    /// Indices into `products` of the rows shown, in order.
    pub fn visible(&self, products: &[ProductCount]) -> Vec<usize> {
        let m = self.filter.matcher();
        (0..products.len())
            .filter(|&i| m.matches([products[i].id.as_str(), products[i].description.as_str()]))
            .collect()
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
        view.filter.text = "lunch".into();
        view.clamp(&products);
        assert_eq!(view.visible(&products), [2, 3]);
        assert_eq!(view.selected, 1);
        view.filter.text = "2242".into();
        view.clamp(&products);
        assert_eq!(view.visible(&products), [1]);
        assert_eq!(view.selected, 0);
        view.filter.text = "nothing like it".into();
        view.clamp(&products);
        assert!(view.visible(&products).is_empty());
        view.step(&products, 1);
        assert_eq!(view.selected, 0);
    }
}
