//! A sweep job: [`crate::sweep::run_sweep`] on its own thread, each finished trial
//! reported as one step of progress (its validation metric charted), the chosen run
//! opened when it is done.

use std::time::Instant;

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::store::Run;
use crate::sweep::{SweepEvent, SweepSpec, run_sweep};
use crate::workspace::Workspace;

/// Starts `spec` in the background, saving runs in `ws`.
pub fn spawn_sweep(
    id: JobId,
    ws: Workspace,
    spec: SweepSpec,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let thread = std::thread::Builder::new()
        .name(format!("latent-sweep-{id}"))
        .spawn(move || {
            let total = spec.configurations.len();
            if !sink(JobEvent::Started {
                id,
                label: format!("sweep ×{total}"),
            }) {
                return;
            }
            // Trials finish on two threads; the sink is for one at a time.
            let sink = std::sync::Mutex::new(sink);
            let send = |e: JobEvent| sink.lock().is_ok_and(|s| s(e));
            let started = Instant::now();
            let done = std::sync::atomic::AtomicUsize::new(0);
            let on_event = |event: SweepEvent| {
                let e = match event {
                    SweepEvent::Loaded { lines } => JobEvent::Stage {
                        id,
                        message: format!("loaded {lines} lines once for {total} trials"),
                    },
                    SweepEvent::TrialFinished(t) => {
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                        JobEvent::Progress {
                            id,
                            iteration: n,
                            of: total,
                            loss: t.validation.unwrap_or(0.0),
                            elapsed: started.elapsed(),
                            validation: None,
                        }
                    }
                    SweepEvent::FinalStarted { trial } => JobEvent::Stage {
                        id,
                        message: format!("retraining trial {trial}, the best, for the test"),
                    },
                };
                if !send(e) {
                    token.cancel();
                }
            };
            let event = match run_sweep(&ws, &spec, &on_event, &|| token.is_cancelled()) {
                Ok(_) if token.is_cancelled() => JobEvent::Cancelled { id },
                Ok(report) => match report.final_dir {
                    Some(dir) => match Run::load(&dir) {
                        Ok(run) => JobEvent::Finished {
                            id,
                            run: Box::new(run),
                            dir,
                        },
                        Err(e) => JobEvent::Failed {
                            id,
                            knob: None,
                            message: e.to_string(),
                        },
                    },
                    None => JobEvent::Failed {
                        id,
                        knob: None,
                        message: report
                            .final_error
                            .unwrap_or_else(|| "no trial produced a metric".into()),
                    },
                },
                Err(e) => JobEvent::failed(id, &e, e.knob()),
            };
            send(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::config::WorkspaceConfig;
    use crate::experiment::{Holdout, TrainSpec};
    use crate::models::ModelKind;
    use crate::models::hyper::RawValue;
    use crate::sweep::Metric;

    #[test]
    fn trials_are_progress_and_the_best_run_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("workspace.toml"), "").unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let data =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/online_retail_sample.csv");
        let spec = SweepSpec {
            base: TrainSpec::new(
                WorkspaceConfig::default(),
                data,
                ModelKind::Als,
                &[("max_iter".into(), RawValue::Int(2))],
                Holdout::LastDays {
                    days: 20,
                    new_items_only: false,
                },
                10,
            )
            .unwrap(),
            configurations: vec![
                vec![("als_rank".into(), "2".into())],
                vec![("als_rank".into(), "6".into())],
            ],
            metric: Metric::Ndcg,
            validation_days: 20,
            parallel: 2,
        };
        let (tx, rx) = mpsc::channel();
        let mut job = spawn_sweep(3, ws, spec, Box::new(move |e| tx.send(e).is_ok())).unwrap();
        let mut events = Vec::new();
        while let Ok(e) = rx.recv_timeout(Duration::from_secs(60)) {
            let last = matches!(
                e,
                JobEvent::Finished { .. } | JobEvent::Failed { .. } | JobEvent::Cancelled { .. }
            );
            events.push(e);
            if last {
                break;
            }
        }
        let progress = events
            .iter()
            .filter(|e| matches!(e, JobEvent::Progress { of: 2, .. }))
            .count();
        assert_eq!(progress, 2, "{events:?}");
        let Some(JobEvent::Finished { dir, .. }) = events.last() else {
            panic!("{events:?}")
        };
        assert!(dir.to_string_lossy().ends_with("-best"), "{dir:?}");
        assert!(job.cancel_and_join(Duration::from_secs(5)));
    }
}
