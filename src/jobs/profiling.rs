//! A profiling job: load the workspace's data and summarise it for the Data screen.

use std::path::PathBuf;

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::data::profile::profile;
use crate::data::timestamps::civil_from_days;
use crate::data::{Interactions, LoadSpec, Transactions, load_transactions};

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
            let event = match load_transactions(&path, &spec) {
                _ if token.is_cancelled() => JobEvent::Cancelled { id },
                Ok((t, report)) => {
                    match Interactions::from_transactions(&t, spec.interactions.ranking_type) {
                        Ok(m) => {
                            let p = profile(&path.display().to_string(), &t, &report, &m);
                            let mut popularity: Vec<u64> = (0..m.item_users.rows())
                                .map(|i| m.item_users.row_nnz(i) as u64)
                                .collect();
                            popularity.sort_unstable_by(|a, b| b.cmp(a));
                            JobEvent::Profiled {
                                id,
                                profile: Box::new(p),
                                monthly_lines: monthly_lines(&t),
                                item_popularity: popularity,
                            }
                        }
                        Err(e) => JobEvent::Failed {
                            id,
                            message: format!("{:#}", anyhow::Error::from(e)),
                        },
                    }
                }
                Err(e) => JobEvent::Failed {
                    id,
                    message: format!("{:#}", anyhow::Error::from(e)),
                },
            };
            if let JobEvent::Failed { message, .. } = &event {
                tracing::error!("profile job {id} failed: {message}");
            }
            sink(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
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
