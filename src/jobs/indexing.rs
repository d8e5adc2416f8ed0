//! Indexing a run for search: customers and products become searchable (tantivy, in
//! memory) on a worker thread while the Inspect screen is already usable.

use std::sync::Arc;

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::recommend::Catalog;
use crate::search::{CustomerDoc, ProductDoc, SearchIndex};
use crate::store::Run;

/// The search documents of a run: its products with buyers, its customers with their
/// segment, number of products and last purchase.
pub fn run_docs(run: &Run) -> (Vec<ProductDoc>, Vec<CustomerDoc>) {
    let products = (0..run.items.len() as u32)
        .map(|i| ProductDoc {
            id: run.items.name(i).to_owned(),
            description: run
                .descriptions
                .get(i as usize)
                .cloned()
                .unwrap_or_default(),
            buyers: run
                .popularity
                .counts
                .get(i as usize)
                .copied()
                .unwrap_or(0.0) as u32,
        })
        .collect();
    let indptr = run.train.indptr();
    let customers = (0..run.users.len() as u32)
        .map(|u| {
            let (a, b) = (indptr[u as usize], indptr[u as usize + 1]);
            let last = run
                .train_times
                .as_ref()
                .and_then(|t| t.get(a..b))
                .and_then(|t| t.iter().copied().filter(|&x| x != Catalog::NO_DATE).max())
                .unwrap_or(0);
            CustomerDoc {
                id: run.users.name(u).to_owned(),
                country: run
                    .catalog
                    .user_segment_name(u)
                    .unwrap_or_default()
                    .to_owned(),
                lines: (b - a) as u32,
                last_purchase: last,
            }
        })
        .collect();
    (products, customers)
}

/// Builds `run`'s search index in the background.
pub fn spawn_index_run(id: JobId, run: Arc<Run>, sink: Sink) -> std::io::Result<JobHandle> {
    let cancel = CancelToken::new();
    let thread = std::thread::Builder::new()
        .name(format!("latent-index-{id}"))
        .spawn(move || {
            let (products, customers) = run_docs(&run);
            let event = match SearchIndex::build_in_ram(&products, &customers) {
                Ok(index) => JobEvent::SearchReady {
                    id,
                    index: Arc::new(index),
                },
                Err(e) => JobEvent::Failed {
                    id,
                    knob: None,
                    message: format!("search index: {e}"),
                },
            };
            sink(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
}
