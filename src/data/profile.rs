//! A profile of a transaction file: what was read, what was kept, and the shape of the
//! resulting interaction matrix.
//!
//! The long tail decides which models and rules make sense: when the top 1 % of products
//! carry a large share of interactions, popularity is a strong baseline and "exclude
//! popular" rules matter. The profile puts those figures first.

use serde::Serialize;

use super::clean::CleaningReport;
use super::interactions::Interactions;
use super::timestamps::format_timestamp;
use super::transactions::Transactions;

/// Quantiles of a count distribution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantiles {
    pub min: f64,
    pub p25: f64,
    pub median: f64,
    pub p75: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Quantiles {
    /// Quantiles of `values` (nearest rank); all zero for an empty slice.
    pub fn of(values: &mut [f64]) -> Self {
        if values.is_empty() {
            return Self {
                min: 0.0,
                p25: 0.0,
                median: 0.0,
                p75: 0.0,
                p90: 0.0,
                p99: 0.0,
                max: 0.0,
                mean: 0.0,
            };
        }
        values.sort_by(f64::total_cmp);
        let q = |p: f64| {
            values[((p * (values.len() - 1) as f64).round() as usize).min(values.len() - 1)]
        };
        Self {
            min: values[0],
            p25: q(0.25),
            median: q(0.5),
            p75: q(0.75),
            p90: q(0.9),
            p99: q(0.99),
            max: values[values.len() - 1],
            mean: values.iter().sum::<f64>() / values.len() as f64,
        }
    }
}

/// A country with its lines and customers among kept lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryCount {
    pub country: String,
    pub lines: usize,
    pub customers: usize,
}

/// Everything `latent data profile` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Profile {
    pub file: String,
    pub cleaning: CleaningReport,
    pub ranking_type: String,
    pub users: usize,
    pub items: usize,
    pub nnz: usize,
    pub density: f64,
    /// First and last kept timestamp, `YYYY-MM-DD HH:MM:SS`.
    pub date_range: Option<(String, String)>,
    pub interactions_per_user: Quantiles,
    pub interactions_per_item: Quantiles,
    /// Share of interactions (stored pairs) on the most popular 1 % of items.
    pub top_1pct_item_share: f64,
    /// Share of interactions on the most popular 10 % of items.
    pub top_10pct_item_share: f64,
    /// Up to ten countries by kept lines.
    pub top_countries: Vec<CountryCount>,
}

/// The profile of a file whose every line was dropped: the cleaning report in full and
/// an empty matrix section (zero customers, products and pairs), so a JSON reader gets
/// the same shape whatever the data.
pub fn profile_without_matrix(file: &str, report: &CleaningReport, ranking_type: &str) -> Profile {
    Profile {
        file: file.to_owned(),
        cleaning: report.clone(),
        ranking_type: ranking_type.to_owned(),
        users: 0,
        items: 0,
        nnz: 0,
        density: 0.0,
        date_range: None,
        interactions_per_user: Quantiles::of(&mut []),
        interactions_per_item: Quantiles::of(&mut []),
        top_1pct_item_share: 0.0,
        top_10pct_item_share: 0.0,
        top_countries: Vec::new(),
    }
}

/// Builds the profile of cleaned `t`, its `report` and matrix `m`.
pub fn profile(file: &str, t: &Transactions, report: &CleaningReport, m: &Interactions) -> Profile {
    let mut per_user: Vec<f64> = (0..m.user_items.rows())
        .map(|r| m.user_items.row_nnz(r) as f64)
        .collect();
    let mut per_item: Vec<f64> = (0..m.item_users.rows())
        .map(|r| m.item_users.row_nnz(r) as f64)
        .collect();
    let mut sorted_items = per_item.clone();
    sorted_items.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = sorted_items.iter().sum();
    let share = |fraction: f64| {
        let n = ((sorted_items.len() as f64 * fraction).ceil() as usize)
            .max(1)
            .min(sorted_items.len());
        if total == 0.0 {
            0.0
        } else {
            sorted_items[..n].iter().sum::<f64>() / total
        }
    };
    let mut countries: Vec<(usize, rustc_hash::FxHashSet<u32>)> =
        vec![(0, rustc_hash::FxHashSet::default()); t.countries.len()];
    for (&c, &u) in t.country.iter().zip(&t.user) {
        if c != u32::MAX {
            countries[c as usize].0 += 1;
            countries[c as usize].1.insert(u);
        }
    }
    let mut top_countries: Vec<CountryCount> = countries
        .into_iter()
        .enumerate()
        .filter(|(_, (lines, _))| *lines > 0)
        .map(|(c, (lines, users))| CountryCount {
            country: t.countries.name(c as u32).to_owned(),
            lines,
            customers: users.len(),
        })
        .collect();
    top_countries.sort_by(|a, b| {
        b.lines
            .cmp(&a.lines)
            .then_with(|| a.country.cmp(&b.country))
    });
    top_countries.truncate(10);
    Profile {
        file: file.to_owned(),
        cleaning: report.clone(),
        ranking_type: m.ranking.name().to_owned(),
        users: m.users.len(),
        items: m.items.len(),
        nnz: m.nnz(),
        density: m.density(),
        date_range: t
            .has
            .timestamp
            .then(|| t.time_range())
            .flatten()
            .map(|(a, b)| (format_timestamp(a), format_timestamp(b))),
        interactions_per_user: Quantiles::of(&mut per_user),
        interactions_per_item: Quantiles::of(&mut per_item),
        top_1pct_item_share: share(0.01),
        top_10pct_item_share: share(0.10),
        top_countries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_hand() {
        let q = Quantiles::of(&mut [5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(
            (q.min, q.p25, q.median, q.p75, q.max, q.mean),
            (1.0, 2.0, 3.0, 4.0, 5.0, 3.0)
        );
        let empty = Quantiles::of(&mut []);
        assert_eq!(empty.max, 0.0);
    }
}
