//! A profiling job: load the workspace's data and summarise it for the Data screen.
//!
//! The loader's progress callback becomes [`JobEvent::Loading`] messages, one per block
//! of work, so the Data screen can draw a gauge; the same callback stops the load as soon
//! as the job is cancelled or nobody listens any more.

pub mod people;

use std::ops::ControlFlow;
use std::path::PathBuf;

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::data::profile::profile;
use crate::data::timestamps::civil_from_days;
use crate::data::{Interactions, LoadError, LoadSpec, Transactions};

/// A product as the Data screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCount {
    /// The product code.
    pub id: String,
    /// Its description, empty when the data has none.
    pub description: String,
    /// Customers who bought it (kept lines).
    pub buyers: u64,
    /// Kept lines naming it.
    pub lines: u64,
    /// Kept lines naming it per month, in the order of [`monthly_lines`]: the product's
    /// own seasonality, drawn when it is highlighted.
    pub monthly: Vec<u32>,
}

/// Starts loading and profiling `path` in the background.
pub fn spawn_profile(
    id: JobId,
    path: PathBuf,
    spec: LoadSpec,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let thread = std::thread::Builder::new()
        .name(format!("latent-profile-{id}"))
        .spawn(move || {
            if !sink(JobEvent::Started {
                id,
                label: format!("loading {}", path.display()),
            }) {
                return;
            }
            if !path.is_file() {
                sink(JobEvent::Failed {
                    id,
                    knob: None,
                    message: format!(
                        "'{}' is not a file: check the path, or pick another data file",
                        path.display()
                    ),
                });
                return;
            }
            let mut report = |progress| {
                if token.is_cancelled() || !sink(JobEvent::Loading { id, progress }) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            let loaded = crate::data::load_interactions_with_progress(&path, &spec, &mut report);
            let event = match loaded {
                _ if token.is_cancelled() => JobEvent::Cancelled { id },
                Err(LoadError::Cancelled) => JobEvent::Cancelled { id },
                Ok((t, report, m)) => JobEvent::Profiled {
                    id,
                    profile: Box::new(profile(&path.display().to_string(), &t, &report, &m)),
                    monthly_lines: monthly_lines(&t),
                    item_popularity: item_popularity(&m),
                    products: product_counts(&t, &m),
                    people: Box::new(people::people(&t, &m)),
                },
                Err(e) => JobEvent::failed(id, &e, e.knob()),
            };
            if let JobEvent::Failed { message, .. } = &event {
                tracing::error!("profile job {id} failed: {message}");
            }
            sink(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
}

/// Buyers per product, most bought first: the long-tail chart's data.
pub fn item_popularity(m: &Interactions) -> Vec<u64> {
    let mut popularity: Vec<u64> = (0..m.item_users.rows())
        .map(|i| m.item_users.row_nnz(i) as u64)
        .collect();
    popularity.sort_unstable_by(|a, b| b.cmp(a));
    popularity
}

/// Every product with its buyers and lines, most buyers first (ties: more lines, then
/// the code), for the Data screen's product list.
pub fn product_counts(t: &Transactions, m: &Interactions) -> Vec<ProductCount> {
    let mut lines = vec![0u64; t.items.len()];
    for &i in &t.item {
        lines[i as usize] += 1;
    }
    // The months the log has lines in, numbered as `monthly_lines` lists them.
    let month_of = |ts: i64| {
        let (y, m, _) = civil_from_days(ts.div_euclid(crate::data::timestamps::SECONDS_PER_DAY));
        y * 12 + m
    };
    let present: std::collections::BTreeSet<i64> = if t.has.timestamp {
        t.timestamp.iter().map(|&ts| month_of(ts)).collect()
    } else {
        std::collections::BTreeSet::new()
    };
    let first = present.first().copied().unwrap_or(0);
    let span = present.last().map_or(0, |l| (l - first + 1) as usize);
    let mut slot = vec![u32::MAX; span];
    for (n, k) in present.iter().enumerate() {
        slot[(k - first) as usize] = n as u32;
    }
    let mut monthly = vec![vec![0u32; present.len()]; t.items.len()];
    if t.has.timestamp {
        for (&i, &ts) in t.item.iter().zip(&t.timestamp) {
            let n = slot[(month_of(ts) - first) as usize] as usize;
            monthly[i as usize][n] += 1;
        }
    }
    let mut monthly = monthly.into_iter();
    let mut products: Vec<ProductCount> = (0..t.items.len())
        .map(|i| ProductCount {
            id: t.items.name(i as u32).to_owned(),
            description: t.description(i as u32).to_owned(),
            // The matrix keeps only products with a positive pair and numbers them
            // afresh, so a product is found by its code, not its position.
            buyers: m
                .items
                .get(t.items.name(i as u32))
                .map_or(0, |j| m.item_users.row_nnz(j as usize) as u64),
            lines: lines[i],
            monthly: monthly.next().unwrap_or_default(),
        })
        .collect();
    products.sort_by(|a, b| {
        b.buyers
            .cmp(&a.buyers)
            .then(b.lines.cmp(&a.lines))
            .then_with(|| a.id.cmp(&b.id))
    });
    products
}

/// Kept lines per calendar month, `("2011-03", lines)`, in time order.
pub fn monthly_lines(t: &Transactions) -> Vec<(String, u64)> {
    if !t.has.timestamp {
        return Vec::new();
    }
    let mut months: std::collections::BTreeMap<(i64, i64), u64> = std::collections::BTreeMap::new();
    for &ts in &t.timestamp {
        let (y, m, _) = civil_from_days(ts.div_euclid(crate::data::timestamps::SECONDS_PER_DAY));
        *months.entry((y, m)).or_default() += 1;
    }
    months
        .into_iter()
        .map(|((y, m), n)| (format!("{y:04}-{m:02}"), n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/online_retail_sample.csv")
    }

    /// Runs a profiling job on the CSV sample to its end.
    fn run(sink: Sink) {
        let handle =
            spawn_profile(1, sample(), LoadSpec::default(), sink).expect("a worker thread");
        while handle.is_running() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn the_job_reports_loading_progress_then_the_profile() {
        let (tx, rx) = std::sync::mpsc::channel();
        run(Box::new(move |e| tx.send(e).is_ok()));
        let events: Vec<JobEvent> = rx.try_iter().collect();
        let fractions: Vec<f64> = events
            .iter()
            .filter_map(|e| match e {
                JobEvent::Loading { progress, .. } => Some(progress.fraction),
                _ => None,
            })
            .collect();
        assert!(fractions.len() >= 4, "{fractions:?}");
        assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
        assert_eq!(fractions.last(), Some(&1.0));
        let Some(JobEvent::Profiled { products, .. }) = events.last() else {
            panic!("{events:?}")
        };
        assert!(products.windows(2).all(|w| w[0].buyers >= w[1].buyers));
        assert!(products.iter().any(|p| !p.description.is_empty()));
    }

    #[test]
    fn a_sink_that_stops_listening_stops_the_load() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        // Accepts the start, then refuses everything: the first progress report cancels,
        // so the job only tries to send its cancellation after it.
        run(Box::new(move |_| {
            counted.fetch_add(1, Ordering::SeqCst) == 0
        }));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "started, one progress, cancelled"
        );
    }

    #[test]
    fn buyers_follow_the_product_when_the_matrix_drops_one() {
        // Under `net`, P1's only purchase is returned: the matrix keeps P2 and P3 only and
        // numbers them afresh, and each count must still land on its own product.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.csv");
        std::fs::write(
            &path,
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n\
             1,P1,ALPHA,2,2011-01-01 10:00,1.0,100,UK\n\
             C2,P1,ALPHA,-2,2011-01-02 10:00,1.0,100,UK\n\
             3,P2,BETA,1,2011-01-03 10:00,1.0,100,UK\n\
             4,P2,BETA,1,2011-01-03 10:00,1.0,200,UK\n\
             5,P3,GAMMA,1,2011-01-04 10:00,1.0,200,UK\n",
        )
        .unwrap();
        let mut spec = LoadSpec::default();
        spec.cleaning.cancellations = crate::data::CancellationPolicy::Net;
        let (t, _) = crate::data::load_transactions(&path, &spec).unwrap();
        let m = Interactions::from_transactions(&t, spec.interactions.ranking_type).unwrap();
        assert_eq!(m.items.names(), ["P2", "P3"]);
        let products = product_counts(&t, &m);
        let buyers: Vec<(&str, u64)> = products.iter().map(|p| (p.id.as_str(), p.buyers)).collect();
        assert_eq!(buyers, [("P2", 2), ("P3", 1), ("P1", 0)]);
    }
}
