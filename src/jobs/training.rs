//! A training job: [`crate::experiment::train_into`] on its own thread.

use std::ops::ControlFlow;
use std::path::PathBuf;

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::experiment::update::UpdateRequest;
use crate::experiment::{RunError, Source, Stage, TrainSpec, train_into};

/// Starts training `spec` in the background; the run is saved to `dir`.
pub fn spawn_training(
    id: JobId,
    spec: TrainSpec,
    dir: PathBuf,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    let span = tracing::info_span!("job", id, model = spec.model.name());
    spawn_worker(id, "train", span, sink, move |token, sink| {
        run_training(id, &spec, dir, token, sink)
    })
}

/// Starts folding newer lines into a run's model (`latent update`) in the background:
/// the lines are read and checked on the worker, then trained as a training job is, and
/// the run saved to `dir` names its parent.
pub fn spawn_update(
    id: JobId,
    request: UpdateRequest,
    dir: PathBuf,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    let span = tracing::info_span!("job", id, update = request.parent_id);
    spawn_worker(id, "update", span, sink, move |token, sink| {
        run_update(id, &request, dir, token, sink)
    })
}

/// Runs `work` on a thread named for the job, in `span`, logs a failure and sends the
/// final event.
fn spawn_worker(
    id: JobId,
    kind: &'static str,
    span: tracing::Span,
    sink: Sink,
    work: impl FnOnce(&CancelToken, &Sink) -> JobEvent + Send + 'static,
) -> std::io::Result<JobHandle> {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let thread = std::thread::Builder::new()
        .name(format!("latent-{kind}-{id}"))
        .spawn(move || {
            let _span = span.entered();
            let event = work(&token, &sink);
            if let JobEvent::Failed { message, .. } = &event {
                tracing::error!("{kind} job {id} failed: {message}");
            }
            sink(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
}

fn run_update(
    id: JobId,
    request: &UpdateRequest,
    dir: PathBuf,
    token: &CancelToken,
    sink: &Sink,
) -> JobEvent {
    let label = format!("{} update", request.parent.meta.model.name());
    if !sink(JobEvent::Started { id, label }) {
        return JobEvent::Cancelled { id };
    }
    let _ = sink(JobEvent::Stage {
        id,
        message: format!(
            "reading run {}'s lines and {}",
            request.parent_id,
            request.data.display()
        ),
    });
    let update = match request.prepare() {
        Ok(u) => u,
        Err(e) => {
            return JobEvent::failed(id, &e, e.knob());
        }
    };
    if token.is_cancelled() {
        return JobEvent::Cancelled { id };
    }
    let tag = update.tag.clone();
    let _ = sink(JobEvent::Stage {
        id,
        message: format!("new: {}", tag.summary()),
    });
    let source = Source::Loaded {
        transactions: &update.lines,
        fingerprint: None,
    };
    let mut finish = |run: &mut crate::store::Run| run.meta.update = Some(tag.clone());
    train_job(id, &update.spec, source, dir, token, sink, &mut finish)
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
    train_job(id, spec, Source::File, dir, token, sink, &mut |_| {})
}

/// Trains `spec` from `source` into `dir`, reporting each stage to `sink`; `finish` sees
/// the run before it is saved.
fn train_job(
    id: JobId,
    spec: &TrainSpec,
    source: Source<'_>,
    dir: PathBuf,
    token: &CancelToken,
    sink: &Sink,
    finish: &mut dyn FnMut(&mut crate::store::Run),
) -> JobEvent {
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
    match train_into(spec, source, &dir, &mut on_stage, finish) {
        Ok(run) => JobEvent::Finished {
            id,
            run: Box::new(run),
            dir,
        },
        Err(RunError::Cancelled) => JobEvent::Cancelled { id },
        Err(RunError::Start { source, .. } | RunError::Save { source, .. }) => {
            JobEvent::failed(id, &source, None)
        }
        Err(RunError::Train(e)) => JobEvent::failed(id, &e, e.knob()),
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
