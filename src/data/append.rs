//! Appending one table of transaction lines to another read from a different file: ids
//! are matched by name, so a customer or product both files know stays one.

use super::transactions::{FeatureColumn, Transactions};

impl Transactions {
    /// Appends `other`'s lines, interning the customers, products, countries, invoices,
    /// descriptions and feature values they use into this table's maps. Names `other`'s
    /// maps hold but none of its lines use (lines it dropped) are not added. A feature
    /// column `other` lacks is missing on its lines; one only `other` has is dropped (this
    /// table's columns decide the schema).
    pub fn append(&mut self, other: &Transactions) {
        let mut users = Lazy::new(&other.users);
        let mut items = Lazy::new(&other.items);
        let mut countries = Lazy::new(&other.countries);
        let mut invoices = Lazy::new(&other.invoices);
        let mut descriptions = Lazy::new(&other.descriptions);
        self.reserve(other.len());
        for line in 0..other.len() {
            let user = users.code(other.user[line], &mut self.users);
            let item = items.code(other.item[line], &mut self.items);
            self.user.push(user);
            self.item.push(item);
            self.timestamp.push(other.timestamp[line]);
            self.quantity.push(other.quantity[line]);
            self.price.push(other.price[line]);
            self.rating.push(other.rating[line]);
            self.invoice
                .push(invoices.code(other.invoice[line], &mut self.invoices));
            self.country
                .push(countries.code(other.country[line], &mut self.countries));
            self.description
                .push(descriptions.code(other.description[line], &mut self.descriptions));
        }
        if self.item_descriptions.len() < self.items.len() {
            self.item_descriptions.resize(self.items.len(), None);
        }
        for (i, to) in items.mapped() {
            let slot = &mut self.item_descriptions[to as usize];
            if slot.is_none() {
                *slot = other.item_descriptions.get(i).cloned().flatten();
            }
        }
        let lines = other.len();
        let append_features = |mine: &mut Vec<FeatureColumn>, theirs: &[FeatureColumn]| {
            for f in mine.iter_mut() {
                match theirs.iter().find(|t| t.name == f.name) {
                    Some(t) => {
                        let mut values = Lazy::new(&t.values);
                        f.codes
                            .extend(t.codes.iter().map(|&c| values.code(c, &mut f.values)));
                    }
                    None => f
                        .codes
                        .extend(std::iter::repeat_n(FeatureColumn::MISSING, lines)),
                }
            }
        };
        append_features(&mut self.user_features, &other.user_features);
        append_features(&mut self.item_features, &other.item_features);
    }
}

/// One of `other`'s maps translated into this table's on first use: `u32::MAX` (missing)
/// stays missing.
struct Lazy<'a> {
    from: &'a super::IdMap,
    to: Vec<u32>,
}

impl<'a> Lazy<'a> {
    fn new(from: &'a super::IdMap) -> Self {
        Self {
            from,
            to: vec![u32::MAX; from.len()],
        }
    }

    fn code(&mut self, c: u32, into: &mut super::IdMap) -> u32 {
        if c == u32::MAX {
            return u32::MAX;
        }
        let slot = &mut self.to[c as usize];
        if *slot == u32::MAX {
            *slot = into.intern(&self.from.names()[c as usize]);
        }
        *slot
    }

    /// `(their id, our id)` of every name a line used.
    fn mapped(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.to
            .iter()
            .enumerate()
            .filter(|(_, to)| **to != u32::MAX)
            .map(|(i, to)| (i, *to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;

    fn table(users: &[&str], items: &[&str], lines: &[(u32, u32, i64)]) -> Transactions {
        let mut t = Transactions {
            users: IdMap::from_names(users.iter().copied()),
            items: IdMap::from_names(items.iter().copied()),
            item_descriptions: items.iter().map(|i| Some(format!("about {i}"))).collect(),
            ..Transactions::default()
        };
        for &(u, i, ts) in lines {
            t.user.push(u);
            t.item.push(i);
            t.timestamp.push(ts);
            t.quantity.push(1.0);
            t.price.push(1.0);
            t.rating.push(f32::NAN);
            t.invoice.push(u32::MAX);
            t.country.push(u32::MAX);
            t.description.push(u32::MAX);
        }
        t
    }

    #[test]
    fn shared_names_stay_one_id_and_new_ones_are_added() {
        let mut a = table(&["c1", "c2"], &["p1"], &[(0, 0, 10), (1, 0, 20)]);
        let b = table(&["c2", "c3"], &["p2", "p1"], &[(0, 0, 30), (1, 1, 40)]);
        a.append(&b);
        assert_eq!(a.len(), 4);
        assert_eq!(a.users.names(), ["c1", "c2", "c3"]);
        assert_eq!(a.items.names(), ["p1", "p2"]);
        assert_eq!(&a.user[2..], [1, 2]);
        assert_eq!(&a.item[2..], [1, 0]);
        assert_eq!(&a.timestamp[2..], [30, 40]);
        assert_eq!(a.description(1), "about p2");
    }

    #[test]
    fn names_no_line_uses_are_not_added() {
        let mut a = table(&["c1"], &["p1"], &[(0, 0, 10)]);
        // c9 and p9 are in b's maps, but the line that used them was dropped.
        let b = table(&["c9", "c2"], &["p9", "p1"], &[(1, 1, 30)]);
        a.append(&b);
        assert_eq!(a.users.names(), ["c1", "c2"]);
        assert_eq!(a.items.names(), ["p1"]);
        assert_eq!(a.item_descriptions.len(), 1);
    }
}
