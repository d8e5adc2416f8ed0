//! A training job: [`crate::experiment::train_into`] on its own thread.

use std::ops::ControlFlow;
use std::path::PathBuf;

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::experiment::{RunError, Source, Stage, TrainSpec, chain_text, train_into};

/// Starts training `spec` in the background; the run is saved to `dir`.
pub fn spawn_training(
    id: JobId,
    spec: TrainSpec,
    dir: PathBuf,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let thread = std::thread::Builder::new()
        .name(format!("latent-train-{id}"))
        .spawn(move || {
            let _span = tracing::info_span!("job", id, model = spec.model.name()).entered();
            let event = run_training(id, &spec, dir, &token, &sink);
            if let JobEvent::Failed { message, .. } = &event {
                tracing::error!("training job {id} failed: {message}");
            }
            sink(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
}

fn run_training(
    id: JobId,
    spec: &TrainSpec,
    dir: PathBuf,
    token: &CancelToken,
    sink: &Sink,
) -> JobEvent {
    if !sink(JobEvent::Started {
        id,
        label: spec.model.name().to_owned(),
    }) {
        return JobEvent::Cancelled { id };
    }
    let mut listening = true;
    let mut on_stage = |stage: &Stage| {
        let event = match stage {
            Stage::Loaded {
                rows_read,
                rows_kept,
            } => JobEvent::Stage {
                id,
                message: format!("loaded {rows_read} lines, kept {rows_kept}"),
            },
            Stage::Matrix { users, items, nnz } => JobEvent::Stage {
                id,
                message: format!("matrix {users} x {items}, {nnz} pairs"),
            },
            Stage::Epoch(r) => JobEvent::Progress {
                id,
                iteration: r.iteration,
                of: r.of,
                loss: r.loss,
                elapsed: r.elapsed,
                validation: r.validation,
            },
            Stage::Evaluated(r) => JobEvent::Stage {
                id,
                message: format!(
                    "precision@{} {:.4} (popularity {:.4})",
                    r.k, r.model.precision, r.baseline.precision
                ),
            },
        };
        listening = listening && sink(event);
        if token.is_cancelled() || !listening {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    match train_into(spec, Source::File, &dir, &mut on_stage, &mut |_| {}) {
        Ok(run) => JobEvent::Finished {
            id,
            run: Box::new(run),
            dir,
        },
        Err(RunError::Cancelled) => JobEvent::Cancelled { id },
        Err(RunError::Start { source, .. } | RunError::Save { source, .. }) => JobEvent::Failed {
            id,
            message: chain_text(&source),
        },
        Err(RunError::Train(e)) => JobEvent::Failed {
            id,
            message: chain_text(&e),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::config::WorkspaceConfig;
    use crate::experiment::Holdout;
    use crate::models::ModelKind;
    use crate::models::hyper::RawValue;

    fn spec(iterations: usize) -> TrainSpec {
        let data =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/online_retail_sample.csv");
        TrainSpec::new(
            WorkspaceConfig::default(),
            data,
            ModelKind::Als,
            &[
                ("max_iter".into(), RawValue::Int(iterations as i64)),
                ("als_rank".into(), RawValue::Int(4)),
            ],
            Holdout::None,
            10,
        )
        .unwrap()
    }

    fn collect(rx: &mpsc::Receiver<JobEvent>) -> Vec<JobEvent> {
        let mut events = Vec::new();
        while let Ok(e) = rx.recv_timeout(Duration::from_secs(30)) {
            let last = matches!(
                e,
                JobEvent::Finished { .. } | JobEvent::Failed { .. } | JobEvent::Cancelled { .. }
            );
            events.push(e);
            if last {
                break;
            }
        }
        events
    }

    #[test]
    fn reports_every_sweep_then_saves_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let (tx, rx) = mpsc::channel();
        let mut job = spawn_training(
            7,
            spec(3),
            out.clone(),
            Box::new(move |e| tx.send(e).is_ok()),
        )
        .unwrap();
        let events = collect(&rx);
        assert!(matches!(events[0], JobEvent::Started { id: 7, .. }));
        let sweeps = events
            .iter()
            .filter(|e| matches!(e, JobEvent::Progress { .. }))
            .count();
        assert_eq!(sweeps, 3);
        assert!(
            matches!(events.last(), Some(JobEvent::Finished { id: 7, .. })),
            "{events:?}"
        );
        assert!(out.join("run.toml").exists());
        assert!(job.cancel_and_join(Duration::from_secs(5)));
    }

    #[test]
    fn cancel_stops_at_the_next_sweep_and_saves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let (tx, rx) = mpsc::channel();
        let mut job = spawn_training(
            8,
            spec(1000),
            out.clone(),
            Box::new(move |e| tx.send(e).is_ok()),
        )
        .unwrap();
        let mut last = None;
        while let Ok(e) = rx.recv_timeout(Duration::from_secs(30)) {
            if let JobEvent::Progress { iteration, .. } = e {
                assert!(iteration < 1000, "cancel was ignored");
                job.cancel.cancel();
            }
            let done = matches!(
                e,
                JobEvent::Finished { .. } | JobEvent::Failed { .. } | JobEvent::Cancelled { .. }
            );
            last = Some(e);
            if done {
                break;
            }
        }
        assert!(
            matches!(last, Some(JobEvent::Cancelled { id: 8 })),
            "{last:?}"
        );
        let status = crate::store::RunStatus::read(&out).unwrap();
        assert_eq!(status.state, crate::store::RunState::Cancelled);
        assert!(
            crate::store::Run::load(&out).is_err(),
            "a cancelled run has no model"
        );
        assert!(job.cancel_and_join(Duration::from_secs(5)));
    }
}
