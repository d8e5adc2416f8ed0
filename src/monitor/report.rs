//! The drift report: how a newer window of transactions differs from the window a run
//! was trained on, figure by figure, ending in a verdict.
//!
//! Product popularity is compared over ten popularity tiers of the reference window, each
//! holding a tenth of its lines (tier 1 = the few best sellers, tier 10 = the long tail);
//! products the reference never sold are reported apart as the new-product share. Tiers
//! keep PSI about where demand goes rather than the noise of thousands of small counts,
//! so an unchanged month reads as stable and a flip of the best sellers as significant.

use serde::Serialize;

use super::divergence::{Band, jensen_shannon, psi, shares};
use super::window::WindowStats;

/// Popularity tiers of the reference window.
pub const TIERS: usize = 10;
/// Products listed as rising and as falling.
pub const MOVERS: usize = 10;

/// A compared distribution: its divergences and both sides' shares, for charts.
#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    pub psi: f64,
    pub js: f64,
    pub band: Band,
    pub labels: Vec<String>,
    pub reference: Vec<f64>,
    pub newer: Vec<f64>,
}

impl Divergence {
    fn of(labels: Vec<String>, reference: &[f64], newer: &[f64]) -> Self {
        let p = psi(reference, newer);
        Self {
            psi: p,
            js: jensen_shannon(reference, newer),
            band: Band::of(p),
            labels,
            reference: shares(reference),
            newer: shares(newer),
        }
    }
}

/// A product whose share of lines moved most.
#[derive(Debug, Clone, Serialize)]
pub struct Mover {
    pub item_id: String,
    pub description: Option<String>,
    /// Share of the window's lines, reference then newer.
    pub reference_share: f64,
    pub newer_share: f64,
}

/// One window's size and dates.
#[derive(Debug, Clone, Serialize)]
pub struct WindowSummary {
    /// `YYYY-MM-DD`, first and last day with a line.
    pub first: Option<String>,
    pub last: Option<String>,
    pub lines: u64,
    pub customers: usize,
    pub products: usize,
}

/// Basket sizes compared.
#[derive(Debug, Clone, Serialize)]
pub struct BasketDrift {
    pub reference_mean: f64,
    pub newer_mean: f64,
    /// Over 1, 2-3, 4-7, 8-15, 16-31 and 32+ lines per basket.
    pub sizes: Divergence,
}

/// How the data moved.
#[derive(Debug, Clone, Serialize)]
pub struct DataDrift {
    pub reference: WindowSummary,
    pub newer: WindowSummary,
    /// Share of the newer window's lines bought by customers the reference never saw.
    pub new_customer_line_share: f64,
    /// Share of the newer window's customers the reference never saw.
    pub new_buyer_share: f64,
    /// Share of the newer window's lines on products the reference never sold.
    pub new_product_line_share: f64,
    pub popularity: Divergence,
    /// `None` without a country column.
    pub country: Option<Divergence>,
    pub basket: BasketDrift,
    pub rising: Vec<Mover>,
    pub falling: Vec<Mover>,
}

fn day(ts: Option<i64>) -> Option<String> {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn summary(w: &WindowStats) -> WindowSummary {
    WindowSummary {
        first: day(w.first),
        last: day(w.last),
        lines: w.lines,
        customers: w.customers.len(),
        products: w.items.len(),
    }
}

/// Compares `newer` with `reference`.
pub fn data_drift(reference: &WindowStats, newer: &WindowStats) -> DataDrift {
    let n_lines = newer.lines.max(1) as f64;
    let new_customer_lines: u64 = newer
        .customers
        .iter()
        .filter(|(c, _)| !reference.customers.contains_key(*c))
        .map(|(_, n)| n)
        .sum();
    let new_buyers = newer
        .customers
        .keys()
        .filter(|c| !reference.customers.contains_key(*c))
        .count();
    let new_product_lines: u64 = newer
        .items
        .iter()
        .filter(|(i, _)| !reference.items.contains_key(*i))
        .map(|(_, n)| n)
        .sum();
    DataDrift {
        reference: summary(reference),
        newer: summary(newer),
        new_customer_line_share: new_customer_lines as f64 / n_lines,
        new_buyer_share: new_buyers as f64 / newer.customers.len().max(1) as f64,
        new_product_line_share: new_product_lines as f64 / n_lines,
        popularity: popularity(reference, newer),
        country: country(reference, newer),
        basket: basket(reference, newer),
        rising: movers(reference, newer, true),
        falling: movers(reference, newer, false),
    }
}

/// Lines per popularity tier of the reference, on both sides (products the reference
/// never sold left out).
fn popularity(reference: &WindowStats, newer: &WindowStats) -> Divergence {
    let mut ranked: Vec<(&String, u64)> = reference.items.iter().map(|(k, v)| (k, *v)).collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let total = reference.lines.max(1) as f64;
    let mut tier_of = rustc_hash::FxHashMap::default();
    let mut before = 0u64;
    for (item, n) in ranked {
        let tier = ((before as f64 / total) * TIERS as f64).floor() as usize;
        tier_of.insert(item.as_str(), tier.min(TIERS - 1));
        before += n;
    }
    let mut r = vec![0.0; TIERS];
    let mut n = vec![0.0; TIERS];
    for (item, count) in &reference.items {
        r[tier_of[item.as_str()]] += *count as f64;
    }
    for (item, count) in &newer.items {
        if let Some(&t) = tier_of.get(item.as_str()) {
            n[t] += *count as f64;
        }
    }
    let labels = (1..=TIERS).map(|t| format!("tier {t}")).collect();
    Divergence::of(labels, &r, &n)
}

fn country(reference: &WindowStats, newer: &WindowStats) -> Option<Divergence> {
    if reference.countries.is_empty() && newer.countries.is_empty() {
        return None;
    }
    let mut labels: Vec<String> = reference
        .countries
        .keys()
        .chain(newer.countries.keys())
        .cloned()
        .collect();
    labels.sort();
    labels.dedup();
    let count = |w: &WindowStats| -> Vec<f64> {
        labels
            .iter()
            .map(|c| w.countries.get(c).copied().unwrap_or(0) as f64)
            .collect()
    };
    let (r, n) = (count(reference), count(newer));
    Some(Divergence::of(labels, &r, &n))
}

fn basket(reference: &WindowStats, newer: &WindowStats) -> BasketDrift {
    const EDGES: [u32; 6] = [1, 2, 4, 8, 16, 32];
    let labels = vec!["1", "2-3", "4-7", "8-15", "16-31", "32+"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let bins = |w: &WindowStats| -> Vec<f64> {
        let mut out = vec![0.0; EDGES.len()];
        for &b in &w.baskets {
            let i = EDGES.iter().rposition(|&e| b >= e).unwrap_or(0);
            out[i] += 1.0;
        }
        out
    };
    BasketDrift {
        reference_mean: reference.mean_basket(),
        newer_mean: newer.mean_basket(),
        sizes: Divergence::of(labels, &bins(reference), &bins(newer)),
    }
}

/// The products whose share of lines rose (or fell) most; a riser needs five lines in
/// the newer window, so one stray sale is not a trend.
fn movers(reference: &WindowStats, newer: &WindowStats, rising: bool) -> Vec<Mover> {
    let (rt, nt) = (reference.lines.max(1) as f64, newer.lines.max(1) as f64);
    let share =
        |w: &WindowStats, t: f64, item: &str| w.items.get(item).map_or(0.0, |&n| n as f64 / t);
    let mut all: Vec<Mover> = reference
        .items
        .keys()
        .chain(
            newer
                .items
                .keys()
                .filter(|i| !reference.items.contains_key(*i)),
        )
        .filter(|i| !rising || newer.items.get(*i).is_some_and(|&n| n >= 5))
        .map(|i| Mover {
            item_id: i.clone(),
            description: newer
                .descriptions
                .get(i)
                .or_else(|| reference.descriptions.get(i))
                .cloned(),
            reference_share: share(reference, rt, i),
            newer_share: share(newer, nt, i),
        })
        .collect();
    let change = |m: &Mover| m.newer_share - m.reference_share;
    if rising {
        all.sort_by(|a, b| {
            change(b)
                .total_cmp(&change(a))
                .then_with(|| a.item_id.cmp(&b.item_id))
        });
    } else {
        all.sort_by(|a, b| {
            change(a)
                .total_cmp(&change(b))
                .then_with(|| a.item_id.cmp(&b.item_id))
        });
    }
    all.truncate(MOVERS);
    all.retain(|m| {
        if rising {
            change(m) > 0.0
        } else {
            change(m) < 0.0
        }
    });
    all
}
