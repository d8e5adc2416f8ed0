//! Which column of a file holds the customer, the product, the date and the rest.
//!
//! A mapping names, for each role latent understands, the column that plays it. Roles
//! left unset are looked up among well-known headers, so the UCI Online Retail layout
//! (`InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID,
//! Country`), Online Retail II (`Invoice, …, Price, Customer ID, …`), MovieLens
//! (`user_id, item_id, rating, timestamp`) and latent's own split files load with no
//! configuration. Header matching ignores case, spaces, `_`, `-` and `.`.

use serde::{Deserialize, Serialize};

/// The roles a column can play, in the order latent reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    User,
    Item,
    Quantity,
    Timestamp,
    Price,
    Rating,
    Invoice,
    Description,
    Country,
}

impl Role {
    /// Every role, in report order.
    pub const ALL: [Role; 9] = [
        Role::User,
        Role::Item,
        Role::Quantity,
        Role::Timestamp,
        Role::Price,
        Role::Rating,
        Role::Invoice,
        Role::Description,
        Role::Country,
    ];

    /// The mapping key of this role in `[data]`.
    pub fn key(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Item => "item",
            Role::Quantity => "quantity",
            Role::Timestamp => "timestamp",
            Role::Price => "price",
            Role::Rating => "rating",
            Role::Invoice => "invoice",
            Role::Description => "description",
            Role::Country => "country",
        }
    }

    /// Normalised headers recognised for this role when the mapping leaves it unset.
    fn known_headers(self) -> &'static [&'static str] {
        match self {
            Role::User => &[
                "customerid",
                "customer",
                "userid",
                "user",
                "clientid",
                "client",
            ],
            Role::Item => &[
                "stockcode",
                "itemid",
                "item",
                "productid",
                "product",
                "sku",
                "movieid",
            ],
            Role::Quantity => &["quantity", "qty"],
            Role::Timestamp => &[
                "invoicedate",
                "timestamp",
                "datetime",
                "date",
                "time",
                "eventtime",
            ],
            Role::Price => &["unitprice", "price"],
            Role::Rating => &["rating", "score"],
            Role::Invoice => &["invoiceno", "invoice", "invoiceid", "orderid", "order"],
            Role::Description => &[
                "description",
                "productname",
                "itemname",
                "title",
                "movietitle",
                "name",
            ],
            Role::Country => &["country"],
        }
    }

    /// The header latent writes for this role in its own files.
    pub fn canonical_header(self) -> &'static str {
        match self {
            Role::User => "user_id",
            Role::Item => "item_id",
            other => other.key(),
        }
    }
}

/// The `[data]` table: where the transactions are, how to read their dates, and which
/// column plays which role (one optional column name per role, plus side features).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSpec {
    /// The CSV or Parquet file; relative paths are resolved against the workspace file.
    pub path: Option<std::path::PathBuf>,
    /// A chrono `strftime` pattern that replaces timestamp recognition (e.g. `%d/%m/%Y %H:%M`).
    pub date_format: Option<String>,
    /// Fail on unparseable timestamps instead of dropping and reporting them.
    pub strict_dates: bool,
    pub user: Option<String>,
    pub item: Option<String>,
    pub quantity: Option<String>,
    pub timestamp: Option<String>,
    pub price: Option<String>,
    pub rating: Option<String>,
    pub invoice: Option<String>,
    pub description: Option<String>,
    pub country: Option<String>,
    /// Columns describing customers (country, age, segment…) for factorization machines.
    pub user_features: Vec<String>,
    /// Columns describing products (category, price band…) for factorization machines.
    pub item_features: Vec<String>,
    /// A side table of customers keyed by id (e.g. MovieLens' `ml-100k.user`); when set,
    /// `user_features` are read from it instead of the transaction lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_file: Option<std::path::PathBuf>,
    /// A side table of products keyed by id (e.g. `ml-100k.item`); when set,
    /// `item_features` are read from it instead of the transaction lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_file: Option<std::path::PathBuf>,
}

impl DataSpec {
    fn configured(&self, role: Role) -> Option<&str> {
        match role {
            Role::User => self.user.as_deref(),
            Role::Item => self.item.as_deref(),
            Role::Quantity => self.quantity.as_deref(),
            Role::Timestamp => self.timestamp.as_deref(),
            Role::Price => self.price.as_deref(),
            Role::Rating => self.rating.as_deref(),
            Role::Invoice => self.invoice.as_deref(),
            Role::Description => self.description.as_deref(),
            Role::Country => self.country.as_deref(),
        }
        .filter(|name| !name.trim().is_empty())
    }
}

/// A mapping matched against a real header: column positions per role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedColumns {
    /// `(role, index into the header)` for every role present.
    pub roles: Vec<(Role, usize)>,
    /// `(column name, index)` of user side features.
    pub user_features: Vec<(String, usize)>,
    /// `(column name, index)` of item side features.
    pub item_features: Vec<(String, usize)>,
}

impl ResolvedColumns {
    /// The header index of `role`, if the file has it.
    pub fn index(&self, role: Role) -> Option<usize> {
        self.roles.iter().find(|(r, _)| *r == role).map(|&(_, i)| i)
    }

    /// Every header index the loader must read, without repeats, in header order.
    pub fn needed_indices(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .roles
            .iter()
            .map(|&(_, i)| i)
            .chain(self.user_features.iter().map(|(_, i)| *i))
            .chain(self.item_features.iter().map(|(_, i)| *i))
            .collect();
        all.sort_unstable();
        all.dedup();
        all
    }
}

/// Why a mapping does not fit a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingProblem {
    /// A configured column is not in the header.
    ConfiguredMissing { key: String, column: String },
    /// A required role (user or item) was neither configured nor recognised.
    Unrecognised { key: &'static str },
    /// Two roles were configured to the same column (`user = item = "id"`), which would
    /// read every line as a customer buying themselves.
    SharedColumn {
        column: String,
        first: &'static str,
        second: &'static str,
    },
}

/// A header as matched against names: its type suffix dropped (RecBole's atomic files
/// write `user_id:token`, `rating:float`), spaces, `_`, `-` and `.` removed, lower case,
/// so `Customer ID`, `customer_id` and `CustomerID` are one column.
pub(crate) fn normalise_header(header: &str) -> String {
    let header = header.split_once(':').map_or(header, |(name, _)| name);
    header
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Matches `mapping` against `header`; user and item are required, the rest optional.
pub fn resolve(mapping: &DataSpec, header: &[String]) -> Result<ResolvedColumns, MappingProblem> {
    let normalised: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
    let find_exact = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .or_else(|| normalised.iter().position(|h| *h == normalise_header(name)))
    };
    let mut roles = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    for role in Role::ALL {
        if let Some(name) = mapping.configured(role) {
            let index = find_exact(name).ok_or_else(|| MappingProblem::ConfiguredMissing {
                key: role.key().to_owned(),
                column: name.to_owned(),
            })?;
            if let Some(&(other, _)) = roles.iter().find(|&&(_, i)| i == index) {
                return Err(MappingProblem::SharedColumn {
                    column: header[index].clone(),
                    first: Role::key(other),
                    second: role.key(),
                });
            }
            roles.push((role, index));
            taken.push(index);
        }
    }
    for role in Role::ALL {
        if mapping.configured(role).is_some() {
            continue;
        }
        let found = role.known_headers().iter().find_map(|known| {
            normalised
                .iter()
                .enumerate()
                .find(|(i, h)| h == known && !taken.contains(i))
                .map(|(i, _)| i)
        });
        if let Some(index) = found {
            roles.push((role, index));
            taken.push(index);
        } else if matches!(role, Role::User | Role::Item) {
            return Err(MappingProblem::Unrecognised { key: role.key() });
        }
    }
    roles.sort_by_key(|&(role, _)| role);
    let features = |names: &[String], key: &str| -> Result<Vec<(String, usize)>, MappingProblem> {
        names
            .iter()
            .map(|name| {
                find_exact(name).map(|i| (name.clone(), i)).ok_or_else(|| {
                    MappingProblem::ConfiguredMissing {
                        key: key.to_owned(),
                        column: name.clone(),
                    }
                })
            })
            .collect()
    };
    // Features of a side table are not columns of the transaction file.
    let lines_only = |names: &[String], table: &Option<std::path::PathBuf>| {
        if table.is_some() {
            Vec::new()
        } else {
            names.to_vec()
        }
    };
    Ok(ResolvedColumns {
        roles,
        user_features: features(
            &lines_only(&mapping.user_features, &mapping.user_file),
            "user_features",
        )?,
        item_features: features(
            &lines_only(&mapping.item_features, &mapping.item_file),
            "item_features",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn recognises_the_three_reference_layouts() {
        let uci = header(&[
            "InvoiceNo",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "UnitPrice",
            "CustomerID",
            "Country",
        ]);
        let r = resolve(&DataSpec::default(), &uci).unwrap();
        assert_eq!(r.index(Role::User), Some(6));
        assert_eq!(r.index(Role::Item), Some(1));
        assert_eq!(r.index(Role::Timestamp), Some(4));
        assert_eq!(r.index(Role::Price), Some(5));
        assert_eq!(r.index(Role::Invoice), Some(0));

        let ii = header(&[
            "Invoice",
            "StockCode",
            "Description",
            "Quantity",
            "InvoiceDate",
            "Price",
            "Customer ID",
            "Country",
        ]);
        let r = resolve(&DataSpec::default(), &ii).unwrap();
        assert_eq!(r.index(Role::User), Some(6));
        assert_eq!(r.index(Role::Price), Some(5));
        assert_eq!(r.index(Role::Invoice), Some(0));

        let ml = header(&["user_id", "item_id", "rating", "timestamp"]);
        let r = resolve(&DataSpec::default(), &ml).unwrap();
        assert_eq!(r.index(Role::Rating), Some(2));
        assert_eq!(r.index(Role::Quantity), None);
    }

    #[test]
    fn configured_names_win_and_missing_ones_are_named() {
        let h = header(&["cust", "sku", "when", "CustomerID"]);
        let mapping = DataSpec {
            user: Some("cust".into()),
            timestamp: Some("when".into()),
            ..Default::default()
        };
        let r = resolve(&mapping, &h).unwrap();
        assert_eq!(r.index(Role::User), Some(0));
        assert_eq!(r.index(Role::Item), Some(1));
        let bad = DataSpec {
            item: Some("product".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve(&bad, &h),
            Err(MappingProblem::ConfiguredMissing {
                key: "item".into(),
                column: "product".into()
            })
        );
        assert_eq!(
            resolve(&DataSpec::default(), &header(&["a", "b"])),
            Err(MappingProblem::Unrecognised { key: "user" })
        );
    }

    #[test]
    fn two_roles_on_one_column_are_refused() {
        let h = header(&["id", "sku", "when"]);
        let mapping = DataSpec {
            user: Some("id".into()),
            item: Some("ID".into()),
            ..Default::default()
        };
        assert_eq!(
            resolve(&mapping, &h),
            Err(MappingProblem::SharedColumn {
                column: "id".into(),
                first: "user",
                second: "item"
            })
        );
        // A role recognised by name never takes a configured role's column.
        let mapping = DataSpec {
            item: Some("when".into()),
            ..Default::default()
        };
        assert!(resolve(&mapping, &header(&["user", "when"])).is_ok());
    }

    #[test]
    fn features_resolve_by_name() {
        let h = header(&["user", "item", "Country", "age"]);
        let mapping = DataSpec {
            user_features: vec!["age".into()],
            ..Default::default()
        };
        let r = resolve(&mapping, &h).unwrap();
        assert_eq!(r.user_features, vec![("age".to_owned(), 3)]);
        assert_eq!(r.needed_indices(), vec![0, 1, 2, 3]);
    }
}
