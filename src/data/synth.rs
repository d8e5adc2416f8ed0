//! Synthetic Online-Retail-shaped transaction logs for benchmarks and tests.
//!
//! Real logs cannot be scaled up, so benchmarks from 100k to 50M lines use data drawn
//! from a small generative model with the properties that matter to a recommender:
//! - power-law product popularity and customer activity (the long tail);
//! - latent tastes: every product belongs to one of 24 themes and every customer favours
//!   one to three of them, so collaborative filtering beats popularity;
//! - repeat purchases, invoices of several lines, a year of dates;
//! - the faults the cleaner must handle: about 2 % cancellation invoices (`C…`, negative
//!   quantities), 20 % of invoices without a customer, postage lines.
//!
//! The output uses the UCI layout and its `M/D/YYYY H:MM` dates, so it loads with no
//! mapping. The same seed always writes the same bytes.

use crate::rng::Xoshiro as Rng;
use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use super::LoadError;
use super::reader::FileFormat;
use super::timestamps::{SECONDS_PER_DAY, civil_from_days, days_from_civil};
use super::write::write_atomically;

const THEMES: usize = 24;
const THEME_WORDS: [&str; THEMES] = [
    "HEART",
    "VINTAGE",
    "CHRISTMAS",
    "GARDEN",
    "KITCHEN",
    "PARTY",
    "RETRO",
    "CERAMIC",
    "LACE",
    "BIRD",
    "SPOT",
    "ROSE",
    "TEA",
    "CAKE",
    "CANDLE",
    "LANTERN",
    "BAG",
    "CLOCK",
    "DOLL",
    "WOODEN",
    "GLASS",
    "STAR",
    "PAPER",
    "JEWEL",
];
const OBJECT_WORDS: [&str; 12] = [
    "T-LIGHT HOLDER",
    "MUG",
    "SIGN",
    "BOX",
    "DECORATION",
    "CUSHION COVER",
    "NAPKINS",
    "TIN",
    "FRAME",
    "BUNTING",
    "PLATE",
    "NOTEBOOK",
];
const COUNTRIES: [&str; 10] = [
    "Germany",
    "France",
    "EIRE",
    "Spain",
    "Netherlands",
    "Belgium",
    "Switzerland",
    "Portugal",
    "Australia",
    "Norway",
];
const LINES_PER_CHUNK: usize = 200_000;

/// Samples an index with probability proportional to fixed weights (binary search on
/// cumulative sums).
struct Weighted(Vec<f64>);

impl Weighted {
    fn new(weights: impl Iterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        Self(
            weights
                .map(|w| {
                    acc += w;
                    acc
                })
                .collect(),
        )
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        self.0
            .partition_point(|&c| c <= x)
            .min(self.0.len().saturating_sub(1))
    }
}

struct Catalogue {
    codes: Vec<String>,
    descriptions: Vec<String>,
    prices: Vec<f64>,
    by_theme: Vec<(Vec<usize>, Weighted)>,
    global: Weighted,
}

fn catalogue(n_items: usize, rng: &mut Rng) -> Catalogue {
    let mut codes = Vec::with_capacity(n_items);
    let mut descriptions = Vec::with_capacity(n_items);
    let mut prices = Vec::with_capacity(n_items);
    let mut themes: Vec<(Vec<usize>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); THEMES];
    for i in 0..n_items {
        let suffix = if rng.below(5) == 0 {
            ["A", "B", "C", "L", "S"][rng.below(5)]
        } else {
            ""
        };
        codes.push(format!("{}{suffix}", 10_000 + i));
        let theme = rng.below(THEMES);
        let object = OBJECT_WORDS[rng.below(OBJECT_WORDS.len())];
        descriptions.push(format!(
            "{} {} {object}",
            THEME_WORDS[theme],
            THEME_WORDS[rng.below(THEMES)]
        ));
        prices.push(((0.3 * (rng.unit() * 4.0).exp() + 0.09) * 100.0).round() / 100.0);
        if i == 0 {
            continue; // item 0 is postage, never chosen by taste
        }
        themes[theme].0.push(i);
        themes[theme].1.push(popularity(i));
    }
    let global = Weighted::new((0..n_items).map(popularity));
    let by_theme = themes
        .into_iter()
        .map(|(items, w)| (items, Weighted::new(w.into_iter())))
        .collect();
    Catalogue {
        codes,
        descriptions,
        prices,
        by_theme,
        global,
    }
}

/// Zipf-like weight of product `i` (0 is postage and never drawn by taste).
fn popularity(i: usize) -> f64 {
    if i == 0 {
        0.0
    } else {
        1.0 / (i as f64 + 10.0).powf(0.9)
    }
}

struct Customer {
    id: u32,
    country: &'static str,
    themes: Vec<usize>,
    history: Vec<usize>,
}

/// One generated line before formatting.
struct Line {
    invoice: u64,
    cancel: bool,
    item: usize,
    quantity: i64,
    seconds: i64,
    customer: Option<u32>,
    country: &'static str,
}

/// The most lines [`write_synthetic`] writes: four times the largest benchmark.
///
/// Lines are streamed to the file in chunks, but customers (one per 140 lines) and their
/// purchase histories (8 bytes a line) stay in memory, about 1.5 GB at this limit; a
/// larger request would fail to allocate (an abort, not an error) or fill the disk.
pub const MAX_SYNTH_ROWS: usize = 200_000_000;

/// Writes `rows` synthetic lines to `out` (CSV, or Parquet by extension).
pub fn write_synthetic(rows: usize, seed: u64, out: &Path) -> Result<(), LoadError> {
    if rows > MAX_SYNTH_ROWS {
        return Err(LoadError::TooManyRows {
            rows,
            limit: MAX_SYNTH_ROWS,
        });
    }
    let mut rng = Rng::new(seed);
    let n_items = ((4000.0 * (rows as f64 / 1e6).sqrt()) as usize).clamp(50, 40_000);
    let n_users = (rows / 140).max(20);
    let cat = catalogue(n_items, &mut rng);
    let activity = Weighted::new((0..n_users).map(|u| 1.0 / (u as f64 + 5.0).powf(0.7)));
    let mut customers: Vec<Customer> = (0..n_users)
        .map(|u| Customer {
            id: 12_346 + u as u32 * 3,
            country: if rng.below(10) == 0 {
                COUNTRIES[rng.below(COUNTRIES.len())]
            } else {
                "United Kingdom"
            },
            themes: (0..=rng.below(3)).map(|_| rng.below(THEMES)).collect(),
            history: Vec::new(),
        })
        .collect();
    let start = days_from_civil(2010, 12, 1).unwrap_or(0) * SECONDS_PER_DAY;
    let span_seconds = 373 * SECONDS_PER_DAY;
    let mut invoice_no = 536_365u64;
    let mut generated = 0usize;
    let mut lines: Vec<Line> = Vec::with_capacity(LINES_PER_CHUNK + 100);
    let format = FileFormat::detect(out, b"");
    write_atomically(out, |w| {
        let (mut parquet, mut csv) = match format {
            FileFormat::Parquet => (Some(ParquetWriter::new(w).batched(&schema())?), None),
            FileFormat::Csv => {
                writeln!(
                    w,
                    "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
                )?;
                (None, Some(w))
            }
        };
        while generated < rows {
            let u = activity.sample(&mut rng);
            let guest = rng.below(5) == 0;
            let cancel = !guest && rng.below(50) == 0;
            let n_lines = (1 + (rng.unit().ln() * -12.0) as usize).min(rows - generated);
            // Minutes within the day between 07:00 and 20:00, like a shop's opening hours.
            let day = start
                + (rng.unit() * span_seconds as f64) as i64 / SECONDS_PER_DAY * SECONDS_PER_DAY;
            let seconds = day + 7 * 3600 + rng.below(13 * 60) as i64 * 60;
            let customer = &mut customers[u];
            for k in 0..n_lines {
                let item = if k == 0 && rng.below(8) == 0 && !cancel {
                    0 // postage, a non-product line that the cleaner must drop
                } else if !customer.history.is_empty() && rng.below(10) < 3 {
                    customer.history[rng.below(customer.history.len())]
                } else if rng.below(4) == 0 {
                    cat.global.sample(&mut rng)
                } else {
                    let theme = customer.themes[rng.below(customer.themes.len())];
                    let (items, weights) = &cat.by_theme[theme];
                    if items.is_empty() {
                        cat.global.sample(&mut rng)
                    } else {
                        items[weights.sample(&mut rng)]
                    }
                };
                if !guest && !cancel && item != 0 {
                    customer.history.push(item);
                }
                let quantity = [1, 1, 2, 2, 3, 4, 6, 6, 12, 12, 24, 48][rng.below(12)];
                lines.push(Line {
                    invoice: invoice_no,
                    cancel,
                    item,
                    quantity: if cancel { -quantity } else { quantity },
                    seconds,
                    customer: (!guest).then_some(customer.id),
                    country: customer.country,
                });
            }
            generated += n_lines;
            invoice_no += 1;
            if lines.len() >= LINES_PER_CHUNK || generated >= rows {
                if let Some(writer) = parquet.as_mut() {
                    writer.write_batch(&chunk_frame(&lines, &cat)?)?;
                }
                if let Some(writer) = csv.as_mut() {
                    write_csv_chunk(writer, &lines, &cat)?;
                }
                lines.clear();
            }
        }
        if let Some(writer) = parquet.as_mut() {
            writer.finish()?;
        }
        Ok(())
    })
}

fn code_of(cat: &Catalogue, item: usize) -> &str {
    if item == 0 { "POST" } else { &cat.codes[item] }
}

fn description_of(cat: &Catalogue, item: usize) -> &str {
    if item == 0 {
        "POSTAGE"
    } else {
        &cat.descriptions[item]
    }
}

fn us_date(seconds: i64) -> String {
    let (y, m, d) = civil_from_days(seconds.div_euclid(SECONDS_PER_DAY));
    let rem = seconds.rem_euclid(SECONDS_PER_DAY);
    format!("{m}/{d}/{y} {}:{:02}", rem / 3600, rem / 60 % 60)
}

fn write_csv_chunk(w: &mut impl Write, lines: &[Line], cat: &Catalogue) -> std::io::Result<()> {
    for l in lines {
        let c = if l.cancel { "C" } else { "" };
        write!(
            w,
            "{c}{},{},{},{},{},{:.2},",
            l.invoice,
            code_of(cat, l.item),
            description_of(cat, l.item),
            l.quantity,
            us_date(l.seconds),
            cat.prices[l.item]
        )?;
        match l.customer {
            Some(id) => writeln!(w, "{id}.0,{}", l.country)?,
            None => writeln!(w, ",{}", l.country)?,
        }
    }
    Ok(())
}

fn schema() -> Schema {
    Schema::from_iter([
        Field::new("InvoiceNo".into(), DataType::String),
        Field::new("StockCode".into(), DataType::String),
        Field::new("Description".into(), DataType::String),
        Field::new("Quantity".into(), DataType::Int64),
        Field::new(
            "InvoiceDate".into(),
            DataType::Datetime(TimeUnit::Milliseconds, None),
        ),
        Field::new("UnitPrice".into(), DataType::Float64),
        Field::new("CustomerID".into(), DataType::Float64),
        Field::new("Country".into(), DataType::String),
    ])
}

fn chunk_frame(lines: &[Line], cat: &Catalogue) -> PolarsResult<DataFrame> {
    let invoices: Vec<String> = lines
        .iter()
        .map(|l| format!("{}{}", if l.cancel { "C" } else { "" }, l.invoice))
        .collect();
    let dates = Column::new(
        "InvoiceDate".into(),
        lines.iter().map(|l| l.seconds * 1000).collect::<Vec<i64>>(),
    )
    .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?;
    DataFrame::new(
        lines.len(),
        vec![
            Column::new("InvoiceNo".into(), invoices),
            Column::new(
                "StockCode".into(),
                lines
                    .iter()
                    .map(|l| code_of(cat, l.item))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "Description".into(),
                lines
                    .iter()
                    .map(|l| description_of(cat, l.item))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "Quantity".into(),
                lines.iter().map(|l| l.quantity).collect::<Vec<i64>>(),
            ),
            dates,
            Column::new(
                "UnitPrice".into(),
                lines
                    .iter()
                    .map(|l| cat.prices[l.item])
                    .collect::<Vec<f64>>(),
            ),
            Column::new(
                "CustomerID".into(),
                lines
                    .iter()
                    .map(|l| l.customer.map(f64::from))
                    .collect::<Vec<Option<f64>>>(),
            ),
            Column::new(
                "Country".into(),
                lines.iter().map(|l| l.country).collect::<Vec<_>>(),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_uniform_enough() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[a.below(4)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn too_many_rows_is_refused_before_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("huge.csv");
        let err = write_synthetic(usize::MAX, 1, &out).unwrap_err();
        assert!(matches!(err, LoadError::TooManyRows { .. }), "{err}");
        assert!(err.to_string().contains("200000000"), "{err}");
        assert!(!out.exists());
    }

    #[test]
    fn us_dates_match_the_uci_csv_style() {
        let s = days_from_civil(2010, 12, 1).unwrap() * SECONDS_PER_DAY + 8 * 3600 + 26 * 60;
        assert_eq!(us_date(s), "12/1/2010 8:26");
    }
}
