//! Side features of customers and products, for factorization machines.
//!
//! A side feature is something known about a customer (country, age, occupation) or a
//! product (genres, price band) beyond its purchases. `[data] user_features` and
//! `item_features` name the columns; each name may carry a kind:
//!
//! | written | kind | becomes |
//! | --- | --- | --- |
//! | `Country` | categorical | one feature per value |
//! | `class:multi` | multi-valued | one feature per word (split on spaces, `\|`, `,`, `;`), weights summing to 1 |
//! | `age:numeric` or `age:numeric:8` | numeric | quantile bands (5 by default), one feature per band |
//!
//! The columns come from the transaction lines (a customer's most frequent value; a
//! product's median for numeric columns), or, when `[data] user_file` / `item_file` is
//! set, from a side table keyed by customer / product id, such as MovieLens'
//! `ml-100k.user` and `ml-100k.item`. Relative side-table paths are resolved against the
//! data file's folder. Derived recency / frequency / monetary bands per customer
//! ([`rfm_blocks`]) come from the lines themselves.

use super::mapping::normalise_header;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::LoadError;
use super::ids::IdMap;
use super::mapping::DataSpec;
use super::transactions::{FeatureColumn, Transactions};
use super::values::{normalise_id, parse_number};

/// One side feature's values for every customer (or every product).
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureBlock {
    /// The group name, e.g. `age` or `class`.
    pub name: String,
    /// The value of each feature of the block, e.g. `25..35` or `Comedy`.
    pub values: Vec<String>,
    /// Per customer (or product): `(value index, weight)`; empty when unknown.
    pub rows: Vec<Vec<(u32, f32)>>,
    /// True when no row holds more than one value.
    pub exclusive: bool,
}

/// How a column's text becomes features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    Categorical,
    Multi,
    Numeric { bands: usize },
}

/// Splits `age:numeric:8` into the column name and its kind.
pub fn parse_feature(spec: &str) -> Result<(String, FeatureKind), LoadError> {
    let mut parts = spec.split(':');
    let name = parts.next().unwrap_or("").trim().to_owned();
    let kind = parts.next().map(|k| k.trim().to_ascii_lowercase());
    let bad = |why: String| LoadError::BadFeature {
        feature: spec.to_owned(),
        message: why,
    };
    let kind = match kind.as_deref() {
        None | Some("categorical" | "category" | "token") => FeatureKind::Categorical,
        Some("multi" | "token_seq") => FeatureKind::Multi,
        Some("numeric" | "number" | "float") => {
            let bands = match parts.next() {
                None => 5,
                Some(b) => b
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|b| (2..=100).contains(b))
                    .ok_or_else(|| bad(format!("bands '{b}' must be a whole number in 2..=100")))?,
            };
            FeatureKind::Numeric { bands }
        }
        Some(other) => {
            return Err(bad(format!(
                "unknown kind '{other}': write categorical, multi or numeric[:bands]"
            )));
        }
    };
    if name.is_empty() {
        return Err(bad("the column name is empty".into()));
    }
    Ok((name, kind))
}

/// Customer and product side features for the entities of `users` and `items` (a model's
/// id maps), from the lines `t` and the side tables of `data`.
pub fn side_features(
    t: &Transactions,
    users: &IdMap,
    items: &IdMap,
    data: &DataSpec,
    base: &Path,
) -> Result<(Vec<FeatureBlock>, Vec<FeatureBlock>), LoadError> {
    let side = |specs: &[String],
                file: Option<&PathBuf>,
                columns: &[FeatureColumn],
                lines: &[u32],
                line_ids: &IdMap,
                ids: &IdMap,
                key_headers: &[&str]|
     -> Result<Vec<FeatureBlock>, LoadError> {
        match file {
            Some(file) => {
                let path = if file.is_relative() {
                    base.join(file)
                } else {
                    file.clone()
                };
                let table = SideTable::read(&path, key_headers)?;
                specs.iter().map(|s| table.block(s, ids)).collect()
            }
            None => {
                let to_model: Vec<u32> = line_ids
                    .names()
                    .iter()
                    .map(|n| ids.get(n).unwrap_or(u32::MAX))
                    .collect();
                columns
                    .iter()
                    .map(|c| line_block(c, lines, &to_model, ids.len()))
                    .collect()
            }
        }
    };
    let user_blocks = side(
        &data.user_features,
        data.user_file.as_ref(),
        &t.user_features,
        &t.user,
        &t.users,
        users,
        &USER_KEYS,
    )?;
    let item_blocks = side(
        &data.item_features,
        data.item_file.as_ref(),
        &t.item_features,
        &t.item,
        &t.items,
        items,
        &ITEM_KEYS,
    )?;
    Ok((user_blocks, item_blocks))
}

const USER_KEYS: [&str; 5] = ["userid", "customerid", "customer", "user", "clientid"];
const ITEM_KEYS: [&str; 7] = [
    "itemid",
    "stockcode",
    "productid",
    "item",
    "product",
    "sku",
    "movieid",
];

/// A block from a feature column of the lines: each entity's most frequent value (its
/// median for numeric columns).
fn line_block(
    column: &FeatureColumn,
    entity_of_line: &[u32],
    to_model: &[u32],
    n: usize,
) -> Result<FeatureBlock, LoadError> {
    let (name, kind) = parse_feature(&column.name)?;
    let mut per: Vec<FxHashMap<u32, u32>> = vec![FxHashMap::default(); n];
    for (&e, &code) in entity_of_line.iter().zip(&column.codes) {
        let m = to_model.get(e as usize).copied().unwrap_or(u32::MAX);
        if m != u32::MAX && code != FeatureColumn::MISSING {
            *per[m as usize].entry(code).or_default() += 1;
        }
    }
    if let FeatureKind::Numeric { bands } = kind {
        let parsed: Vec<Option<f64>> = column
            .values
            .names()
            .iter()
            .map(|v| {
                parse_number(v).map_err(|()| LoadError::BadFeature {
                    feature: column.name.clone(),
                    message: format!(
                        "'{v}' is not a number; drop ':numeric' to use it as a category"
                    ),
                })
            })
            .collect::<Result<_, _>>()?;
        let values: Vec<Option<f64>> = per
            .iter()
            .map(|counts| {
                let mut xs: Vec<(f64, u32)> = counts
                    .iter()
                    .filter_map(|(&c, &k)| parsed[c as usize].map(|x| (x, k)))
                    .collect();
                weighted_median(&mut xs)
            })
            .collect();
        return Ok(banded(&name, &values, bands));
    }
    let texts: Vec<Option<&str>> = per
        .iter()
        .map(|counts| {
            counts
                .iter()
                .max_by_key(|&(&c, &k)| (k, std::cmp::Reverse(c)))
                .map(|(&c, _)| column.values.name(c))
        })
        .collect();
    Ok(categorical(&name, &texts, kind == FeatureKind::Multi))
}

fn weighted_median(xs: &mut [(f64, u32)]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: u32 = xs.iter().map(|x| x.1).sum();
    let mut seen = 0;
    for &(x, k) in xs.iter() {
        seen += k;
        if 2 * seen >= total {
            return Some(x);
        }
    }
    xs.last().map(|x| x.0)
}

/// A categorical or multi-valued block from each entity's text.
fn categorical(name: &str, texts: &[Option<&str>], multi: bool) -> FeatureBlock {
    let mut values = IdMap::new();
    let mut exclusive = true;
    let rows = texts
        .iter()
        .map(|t| {
            let Some(t) = t else { return Vec::new() };
            if multi {
                let mut codes: Vec<u32> = t
                    .split(|c: char| c.is_whitespace() || matches!(c, '|' | ',' | ';'))
                    .filter(|w| !w.is_empty())
                    .map(|w| values.intern(w))
                    .collect();
                codes.sort_unstable();
                codes.dedup();
                exclusive &= codes.len() <= 1;
                let x = 1.0 / codes.len().max(1) as f32;
                codes.into_iter().map(|c| (c, x)).collect()
            } else {
                vec![(values.intern(t.trim()), 1.0)]
            }
        })
        .collect();
    FeatureBlock {
        name: name.to_owned(),
        values: values.names().to_vec(),
        rows,
        exclusive,
    }
}

/// Quantile bands of a numeric value; bands are named by the range of values they hold.
pub fn banded(name: &str, values: &[Option<f64>], bands: usize) -> FeatureBlock {
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mut cuts: Vec<f64> = (1..bands)
        .filter_map(|b| sorted.get(b * n / bands).copied())
        .collect();
    cuts.dedup();
    let band = |v: f64| cuts.partition_point(|&c| c <= v);
    let mut lo = vec![f64::INFINITY; cuts.len() + 1];
    let mut hi = vec![f64::NEG_INFINITY; cuts.len() + 1];
    for &v in &sorted {
        let b = band(v);
        lo[b] = lo[b].min(v);
        hi[b] = hi[b].max(v);
    }
    let used: Vec<usize> = (0..lo.len()).filter(|&b| lo[b].is_finite()).collect();
    let mut index = vec![u32::MAX; lo.len()];
    for (k, &b) in used.iter().enumerate() {
        index[b] = k as u32;
    }
    let fmt = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            format!("{x:.2}")
        }
    };
    FeatureBlock {
        name: name.to_owned(),
        values: used
            .iter()
            .map(|&b| format!("{}..{}", fmt(lo[b]), fmt(hi[b])))
            .collect(),
        rows: values
            .iter()
            .map(|v| v.map_or_else(Vec::new, |v| vec![(index[band(v)], 1.0)]))
            .collect(),
        exclusive: true,
    }
}

/// Recency (days since the last line), frequency (invoices, or lines without an invoice
/// column) and monetary value (quantity × price, or quantity) of each customer of
/// `users`, each cut into `bands` quantile bands. Recency needs dates.
pub fn rfm_blocks(t: &Transactions, users: &IdMap, bands: usize) -> Vec<FeatureBlock> {
    let n = users.len();
    let to_model: Vec<u32> = t
        .users
        .names()
        .iter()
        .map(|name| users.get(name).unwrap_or(u32::MAX))
        .collect();
    let mut last = vec![i64::MIN; n];
    let mut invoices: Vec<rustc_hash::FxHashSet<u32>> = vec![rustc_hash::FxHashSet::default(); n];
    let mut lines = vec![0f64; n];
    let mut money = vec![0f64; n];
    for l in 0..t.len() {
        let u = to_model[t.user[l] as usize];
        if u == u32::MAX {
            continue;
        }
        let u = u as usize;
        last[u] = last[u].max(t.timestamp[l]);
        if t.invoice[l] != u32::MAX {
            invoices[u].insert(t.invoice[l]);
        }
        lines[u] += 1.0;
        let q = f64::from(t.quantity[l]);
        money[u] += if t.has.price {
            q * f64::from(t.price[l])
        } else {
            q
        };
    }
    let now = t.time_range().map_or(0, |(_, max)| max);
    let mut out = Vec::new();
    if t.has.timestamp {
        let recency: Vec<Option<f64>> = last
            .iter()
            .map(|&l| (l != i64::MIN).then(|| ((now - l) / 86_400) as f64))
            .collect();
        out.push(banded("recency_days", &recency, bands));
    }
    let frequency: Vec<Option<f64>> = (0..n)
        .map(|u| {
            Some(if t.has.invoice {
                invoices[u].len() as f64
            } else {
                lines[u]
            })
        })
        .collect();
    out.push(banded("frequency", &frequency, bands));
    let monetary: Vec<Option<f64>> = money.iter().map(|&m| Some(m)).collect();
    out.push(banded("monetary", &monetary, bands));
    out
}

/// A delimited side table: a header and rows keyed by their id column.
struct SideTable {
    path: PathBuf,
    header: Vec<String>,
    rows: FxHashMap<String, Vec<String>>,
}

impl SideTable {
    fn read(path: &Path, key_headers: &[&str]) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                LoadError::NotFound {
                    path: path.to_owned(),
                }
            } else {
                LoadError::Io {
                    path: path.to_owned(),
                    message: e.to_string(),
                }
            }
        })?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let first = lines.next().ok_or_else(|| LoadError::Empty {
            path: path.to_owned(),
        })?;
        let delimiter = ['\t', ',', ';', '|']
            .into_iter()
            .max_by_key(|&d| (split_line(first, d).len(), std::cmp::Reverse(d as u32)))
            .unwrap_or(',');
        let header: Vec<String> = split_line(first, delimiter);
        let normalised: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
        let key = key_headers
            .iter()
            .find_map(|k| normalised.iter().position(|h| h == k))
            .unwrap_or(0);
        let mut rows = FxHashMap::default();
        for (n, line) in lines.enumerate() {
            let cells = split_line(line, delimiter);
            if cells.len() != header.len() {
                return Err(LoadError::Ragged {
                    path: path.to_owned(),
                    line: n + 2,
                    expected: header.len(),
                    found: cells.len(),
                });
            }
            if let Some(id) = normalise_id(&cells[key]) {
                rows.entry(id.to_owned()).or_insert(cells);
            }
        }
        Ok(Self {
            path: path.to_owned(),
            header,
            rows,
        })
    }

    fn block(&self, spec: &str, ids: &IdMap) -> Result<FeatureBlock, LoadError> {
        let (name, kind) = parse_feature(spec)?;
        let wanted = normalise_header(&name);
        let col = self
            .header
            .iter()
            .position(|h| *h == name || normalise_header(h) == wanted)
            .ok_or_else(|| LoadError::MissingColumn {
                path: self.path.clone(),
                key: "features".into(),
                column: Some(name.clone()),
                found: self.header.clone(),
            })?;
        let cell = |id: &str| {
            self.rows
                .get(id)
                .map(|r| r[col].trim())
                .filter(|v| !super::values::is_missing_marker(v))
        };
        let texts: Vec<Option<&str>> = ids.names().iter().map(|id| cell(id)).collect();
        match kind {
            FeatureKind::Numeric { bands } => {
                let values: Vec<Option<f64>> = texts
                    .iter()
                    .map(|t| match t {
                        None => Ok(None),
                        Some(t) => parse_number(t).map_err(|()| LoadError::BadNumber {
                            path: self.path.clone(),
                            column: name.clone(),
                            location: "side table".into(),
                            value: (*t).to_owned(),
                        }),
                    })
                    .collect::<Result<_, _>>()?;
                Ok(banded(&name, &values, bands))
            }
            _ => Ok(categorical(&name, &texts, kind == FeatureKind::Multi)),
        }
    }
}

/// Splits one line on `d`, honouring double quotes.
fn split_line(line: &str, d: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == d && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_bad_kinds_are_named() {
        assert_eq!(
            parse_feature("Country").unwrap().1,
            FeatureKind::Categorical
        );
        assert_eq!(parse_feature("class:multi").unwrap().1, FeatureKind::Multi);
        assert_eq!(
            parse_feature("age:numeric:8").unwrap(),
            ("age".to_owned(), FeatureKind::Numeric { bands: 8 })
        );
        let err = parse_feature("age:fuzzy").unwrap_err().to_string();
        assert!(
            err.contains("'age:fuzzy'") && err.contains("fuzzy"),
            "{err}"
        );
        assert!(parse_feature("age:numeric:1").is_err());
    }

    #[test]
    fn quantile_bands_by_hand() {
        let values: Vec<Option<f64>> = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
            .into_iter()
            .map(Some)
            .chain([None])
            .collect();
        let b = banded("age", &values, 4);
        assert_eq!(b.values, ["1..2", "3..4", "5..6", "7..8"]);
        assert_eq!(b.rows[0], [(0, 1.0)]);
        assert_eq!(b.rows[7], [(3, 1.0)]);
        assert!(b.rows[8].is_empty());
        // Ties never split across bands.
        let same = banded("x", &[Some(1.0), Some(1.0), Some(1.0), Some(2.0)], 4);
        assert_eq!(same.values, ["1..1", "2..2"]);
    }

    #[test]
    fn side_table_joins_by_id_and_names_missing_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.tsv");
        std::fs::write(
            &path,
            "user_id:token\tage:token\tgender:token\tgenres\n1\t24\tM\tComedy|Drama\n2\t53\tF\t\n3\told\tF\tDrama\n",
        )
        .unwrap();
        let table = SideTable::read(&path, &USER_KEYS).unwrap();
        let ids = IdMap::from_names(["2", "1", "9"]);
        let g = table.block("gender", &ids).unwrap();
        assert_eq!(g.values, ["F", "M"]);
        assert_eq!(g.rows, [vec![(0, 1.0)], vec![(1, 1.0)], vec![]]);
        let m = table.block("genres:multi", &ids).unwrap();
        assert!(!m.exclusive);
        assert_eq!(m.rows[1], [(0, 0.5), (1, 0.5)]);
        let err = table.block("income", &ids).unwrap_err().to_string();
        assert!(
            err.contains("'income'") && err.contains("gender:token"),
            "{err}"
        );
        let err = table
            .block("age:numeric", &IdMap::from_names(["3"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'old' is not a number"), "{err}");
    }
}
