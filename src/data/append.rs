//! Appending one table of transaction lines to another read from a different file: ids
//! are matched by name, so a customer or product both files know stays one.

use super::transactions::{FeatureColumn, Transactions};

impl Transactions {
    /// Appends `other`'s lines, interning its customers, products, countries, invoices,
    /// descriptions and feature values into this table's maps. A feature column `other`
    /// lacks is missing on its lines; one only `other` has is dropped (this table's
    /// columns decide the schema).
    pub fn append(&mut self, other: &Transactions) {
        let users: Vec<u32> = other
            .users
            .names()
            .iter()
            .map(|n| self.users.intern(n))
            .collect();
        let items: Vec<u32> = other
            .items
            .names()
            .iter()
            .map(|n| self.items.intern(n))
            .collect();
        if self.item_descriptions.len() < self.items.len() {
            self.item_descriptions.resize(self.items.len(), None);
        }
        for (i, &to) in items.iter().enumerate() {
            let slot = &mut self.item_descriptions[to as usize];
            if slot.is_none() {
                *slot = other.item_descriptions.get(i).cloned().flatten();
            }
        }
        let map = |from: &super::IdMap, to: &mut super::IdMap| -> Vec<u32> {
            from.names().iter().map(|n| to.intern(n)).collect()
        };
        let countries = map(&other.countries, &mut self.countries);
        let invoices = map(&other.invoices, &mut self.invoices);
        let descriptions = map(&other.descriptions, &mut self.descriptions);
        let code = |codes: &[u32], c: u32| {
            if c == u32::MAX {
                u32::MAX
            } else {
                codes[c as usize]
            }
        };
        self.reserve(other.len());
        for line in 0..other.len() {
            self.user.push(users[other.user[line] as usize]);
            self.item.push(items[other.item[line] as usize]);
            self.timestamp.push(other.timestamp[line]);
            self.quantity.push(other.quantity[line]);
            self.price.push(other.price[line]);
            self.rating.push(other.rating[line]);
            self.invoice.push(code(&invoices, other.invoice[line]));
            self.country.push(code(&countries, other.country[line]));
            self.description
                .push(code(&descriptions, other.description[line]));
        }
        let lines = other.len();
        let append_features = |mine: &mut Vec<FeatureColumn>, theirs: &[FeatureColumn]| {
            for f in mine.iter_mut() {
                match theirs.iter().find(|t| t.name == f.name) {
                    Some(t) => {
                        let values = map(&t.values, &mut f.values);
                        f.codes.extend(t.codes.iter().map(|&c| code(&values, c)));
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
}
