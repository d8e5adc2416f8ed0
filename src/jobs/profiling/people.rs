//! Who buys: every customer with their country, products and lines, and every country
//! with its customers and lines, for the Data screen's customers and countries lists.

use crate::data::{Interactions, Transactions};

/// One customer of the kept lines.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerCount {
    pub id: String,
    /// Their country (the first kept line's), empty when the data has none.
    pub country: String,
    /// Distinct products bought.
    pub products: u64,
    pub lines: u64,
    /// Purchases: distinct invoices (each line counts as one without an invoice column).
    pub purchases: u64,
    /// First and last day bought (seconds), when the data has dates.
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// One country of the kept lines.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryCount {
    pub name: String,
    pub customers: u64,
    pub lines: u64,
}

/// The customers and countries lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct People {
    /// Most products first (ties: more lines, then the id).
    pub customers: Vec<CustomerCount>,
    /// Most customers first (ties: more lines, then the name).
    pub countries: Vec<CountryCount>,
}

/// Counts the customers and countries of the cleaned lines `t` aggregated into `m`.
pub fn people(t: &Transactions, m: &Interactions) -> People {
    let mut lines = vec![0u64; t.users.len()];
    let mut country = vec![u32::MAX; t.users.len()];
    let mut span = vec![(i64::MAX, i64::MIN); t.users.len()];
    for (line, (&u, &c)) in t.user.iter().zip(&t.country).enumerate() {
        lines[u as usize] += 1;
        if country[u as usize] == u32::MAX {
            country[u as usize] = c;
        }
        if let Some(&when) = t.timestamp.get(line).filter(|&&s| s != 0) {
            let s = &mut span[u as usize];
            *s = (s.0.min(when), s.1.max(when));
        }
    }
    // Purchases are invoices: a basket of ten lines is one purchase.
    let mut baskets: Vec<(u32, u32)> = t
        .user
        .iter()
        .zip(&t.invoice)
        .filter(|(_, i)| **i != u32::MAX)
        .map(|(&u, &i)| (u, i))
        .collect();
    baskets.sort_unstable();
    baskets.dedup();
    let mut purchases = vec![0u64; t.users.len()];
    for &(u, _) in &baskets {
        purchases[u as usize] += 1;
    }
    let country_name = |c: u32| {
        if c == u32::MAX {
            String::new()
        } else {
            t.countries.name(c).to_owned()
        }
    };
    let mut customers: Vec<CustomerCount> = (0..t.users.len())
        .filter(|&u| lines[u] > 0)
        .map(|u| {
            let id = t.users.name(u as u32);
            CustomerCount {
                id: id.to_owned(),
                country: country_name(country[u]),
                products: m
                    .users
                    .get(id)
                    .map_or(0, |v| m.user_items.row_nnz(v as usize) as u64),
                lines: lines[u],
                purchases: if purchases[u] == 0 {
                    lines[u]
                } else {
                    purchases[u]
                },
                first: (span[u].0 != i64::MAX).then_some(span[u].0),
                last: (span[u].1 != i64::MIN).then_some(span[u].1),
            }
        })
        .collect();
    customers.sort_by(|a, b| {
        b.products
            .cmp(&a.products)
            .then(b.lines.cmp(&a.lines))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut by_country: std::collections::HashMap<u32, (u64, u64)> =
        std::collections::HashMap::new();
    for u in 0..t.users.len() {
        if lines[u] > 0 && country[u] != u32::MAX {
            let e = by_country.entry(country[u]).or_default();
            e.0 += 1;
        }
    }
    for &c in &t.country {
        if c != u32::MAX {
            by_country.entry(c).or_default().1 += 1;
        }
    }
    let mut countries: Vec<CountryCount> = by_country
        .into_iter()
        .map(|(c, (customers, lines))| CountryCount {
            name: country_name(c),
            customers,
            lines,
        })
        .collect();
    countries.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then(b.lines.cmp(&a.lines))
            .then_with(|| a.name.cmp(&b.name))
    });
    People {
        customers,
        countries,
    }
}
