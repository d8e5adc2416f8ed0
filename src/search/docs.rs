//! The documents search finds: one per product and one per customer of the loaded data.
//!
//! A document carries what a person needs to recognise the thing in a list of hits (a
//! description, a country) and a popularity figure that breaks ties between equally good
//! matches, so that of two "HEART" products the one more customers bought comes first.

use serde::{Deserialize, Serialize};

use crate::data::Transactions;

/// One product of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDoc {
    /// The stock code as written in the data, e.g. `85123A`.
    pub id: String,
    /// The product's description, empty when the data has none.
    pub description: String,
    /// Distinct customers with at least one kept line of this product.
    pub buyers: u32,
}

/// One customer of the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDoc {
    /// The customer id as normalised by loading, e.g. `17850`.
    pub id: String,
    /// The country most of the customer's lines carry, empty when unknown.
    pub country: String,
    /// Kept lines of this customer.
    pub lines: u32,
    /// The time of the customer's latest line, in seconds since 1970 on the data's clock
    /// (0 when the data has no dates).
    pub last_purchase: i64,
}

/// The product and customer documents of the cleaned lines `t`, in id-map order.
///
/// Every product and customer of the id maps gets a document, even one whose lines a
/// split left out, so search finds everything the workbench can show.
pub fn docs_from_transactions(t: &Transactions) -> (Vec<ProductDoc>, Vec<CustomerDoc>) {
    let mut pairs: Vec<(u32, u32)> = t.item.iter().copied().zip(t.user.iter().copied()).collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut buyers = vec![0_u32; t.items.len()];
    for &(item, _) in &pairs {
        if let Some(n) = buyers.get_mut(item as usize) {
            *n += 1;
        }
    }
    let products = t
        .items
        .names()
        .iter()
        .zip(&buyers)
        .enumerate()
        .map(|(i, (id, &buyers))| ProductDoc {
            id: id.clone(),
            description: t.description(i as u32).to_owned(),
            buyers,
        })
        .collect();

    let mut lines = vec![0_u32; t.users.len()];
    let mut last = vec![i64::MIN; t.users.len()];
    for (&u, &at) in t.user.iter().zip(&t.timestamp) {
        let u = u as usize;
        if let (Some(n), Some(l)) = (lines.get_mut(u), last.get_mut(u)) {
            *n += 1;
            *l = (*l).max(at);
        }
    }
    let countries = t.user_countries();
    let customers = t
        .users
        .names()
        .iter()
        .enumerate()
        .map(|(u, id)| CustomerDoc {
            id: id.clone(),
            country: match countries.get(u) {
                Some(&c) if c != u32::MAX && (c as usize) < t.countries.len() => {
                    t.countries.name(c).to_owned()
                }
                _ => String::new(),
            },
            lines: lines[u],
            last_purchase: if last[u] == i64::MIN { 0 } else { last[u] },
        })
        .collect();
    (products, customers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;

    /// Three customers, two products: 17850 buys A twice and B once, 12346 buys A.
    fn tiny() -> Transactions {
        Transactions {
            users: IdMap::from_names(["17850", "12346", "99999"]),
            items: IdMap::from_names(["85123A", "71053"]),
            item_descriptions: vec![Some("WHITE HANGING HEART T-LIGHT HOLDER".into()), None],
            countries: IdMap::from_names(["United Kingdom", "France"]),
            user: vec![0, 0, 0, 1],
            item: vec![0, 0, 1, 0],
            timestamp: vec![100, 300, 200, 50],
            country: vec![0, 0, 1, 1],
            ..Transactions::default()
        }
    }

    #[test]
    fn buyers_count_distinct_customers() {
        let (products, _) = docs_from_transactions(&tiny());
        assert_eq!(
            products,
            vec![
                ProductDoc {
                    id: "85123A".into(),
                    description: "WHITE HANGING HEART T-LIGHT HOLDER".into(),
                    buyers: 2,
                },
                ProductDoc {
                    id: "71053".into(),
                    description: String::new(),
                    buyers: 1,
                },
            ]
        );
    }

    #[test]
    fn customers_carry_their_main_country_lines_and_last_purchase() {
        let (_, customers) = docs_from_transactions(&tiny());
        assert_eq!(
            customers,
            vec![
                CustomerDoc {
                    id: "17850".into(),
                    country: "United Kingdom".into(),
                    lines: 3,
                    last_purchase: 300,
                },
                CustomerDoc {
                    id: "12346".into(),
                    country: "France".into(),
                    lines: 1,
                    last_purchase: 50,
                },
                // In the id map but without a line: still findable, with zeros.
                CustomerDoc {
                    id: "99999".into(),
                    country: String::new(),
                    lines: 0,
                    last_purchase: 0,
                },
            ]
        );
    }
}
