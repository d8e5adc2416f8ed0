//! A customer the model never saw, read from the run's own data: what they bought and
//! where they live, so Inspect serves them from their real purchases (fold-in, segment
//! popularity) instead of the blank list of a stranger.
//!
//! The typical case is a customer whose first purchase falls in the held-out month: the
//! data knows them, the model does not.

use std::path::PathBuf;

use crate::data::{LoadError, load_transactions};
use crate::store::Run;

/// What the data says of one customer, in the run's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataCustomer {
    /// The id as the data spells it.
    pub id: String,
    /// Their products the run knows (run indices, sorted, distinct).
    pub history: Vec<u32>,
    /// Distinct products they bought that the run has never seen.
    pub unknown_products: usize,
    pub country: Option<String>,
    /// Their country as a segment of the run, when the run has it.
    pub segment: Option<u32>,
    /// Lines of theirs kept by the run's cleaning and window.
    pub lines: usize,
    /// First and last purchase, seconds since 1970, when the data has dates.
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// Reads `run`'s data file with the run's cleaning and window and returns customer `id`,
/// or `None` when the data has no line of theirs.
pub fn customer_from_data(run: &Run, id: &str) -> Result<Option<DataCustomer>, LoadError> {
    let path = run
        .config
        .data
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from(&run.meta.data));
    let (t, _) = load_transactions(&path, &run.config.load_spec())?;
    let id = crate::data::values::normalise_id(id).unwrap_or(id);
    let Some(u) = t.users.get(id) else {
        return Ok(None);
    };
    let lines: Vec<usize> = (0..t.user.len()).filter(|&l| t.user[l] == u).collect();
    let mut history: Vec<u32> = Vec::new();
    let mut unknown = std::collections::BTreeSet::new();
    for &l in &lines {
        let name = t.items.name(t.item[l]);
        match run.items.get(name) {
            Some(i) => history.push(i),
            None => {
                unknown.insert(name);
            }
        }
    }
    history.sort_unstable();
    history.dedup();
    let country = lines
        .iter()
        .map(|&l| t.country[l])
        .find(|&c| c != u32::MAX)
        .map(|c| t.countries.name(c).to_owned());
    let dated = lines.iter().map(|&l| t.timestamp[l]).filter(|&s| s != 0);
    Ok(Some(DataCustomer {
        id: id.to_owned(),
        segment: country.as_deref().and_then(|c| run.catalog.segment(c)),
        history,
        unknown_products: unknown.len(),
        country,
        lines: lines.len(),
        first: dated.clone().min(),
        last: dated.max(),
    }))
}
