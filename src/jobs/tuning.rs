//! A tune job: [`crate::tune::run_tune`] on its own thread, each finished trial sent as it
//! comes (the Train screen charts and tables them), the chosen run opened when it is
//! written. A cancel ends the search and keeps the best so far.

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::tune::{TuneEvent, TuneSpec, run_tune};
use crate::workspace::Workspace;

/// Starts `spec` in the background, saving the chosen run in `ws` (whose lock the caller
/// holds).
pub fn spawn_tune(
    id: JobId,
    ws: Workspace,
    spec: TuneSpec,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    let cancel = CancelToken::new();
    let token = cancel.clone();
    let thread = std::thread::Builder::new()
        .name(format!("latent-tune-{id}"))
        .spawn(move || {
            let label = match spec.models.as_slice() {
                [one] => format!("tune {}", one.name()),
                _ => "tune auto".to_owned(),
            };
            if !sink(JobEvent::Started { id, label }) {
                return;
            }
            let mut on_event = |event: TuneEvent| {
                let e = match event {
                    TuneEvent::Loaded { lines } => JobEvent::Stage {
                        id,
                        message: format!("loaded {lines} lines"),
                    },
                    TuneEvent::Validation { label, customers } => JobEvent::Stage {
                        id,
                        message: format!(
                            "trials scored on {label} ({customers} customers); the test period stays unseen"
                        ),
                    },
                    TuneEvent::LeftOut { model, why } => JobEvent::Stage {
                        id,
                        message: format!("{} left out: {why}", model.name()),
                    },
                    TuneEvent::Trial(trial) => JobEvent::Trial {
                        id,
                        trial: Box::new(trial),
                    },
                    TuneEvent::Retraining { trial } => JobEvent::Stage {
                        id,
                        message: format!(
                            "retraining trial {trial}, the best, on the whole training window; the test period is scored once"
                        ),
                    },
                };
                if !sink(e) {
                    token.cancel();
                }
            };
            let mut dir_for = |model: crate::models::ModelKind| {
                ws.claim_run_dir(&format!("{}-tuned", model.name()))
            };
            let event = match run_tune(&spec, &mut dir_for, &mut on_event, &|| {
                token.is_cancelled()
            }) {
                Ok(report) => match report.run {
                    Some((dir, run)) => JobEvent::Finished {
                        id,
                        run: Box::new(run),
                        dir,
                    },
                    None if token.is_cancelled() => JobEvent::Cancelled { id },
                    None => JobEvent::Failed {
                        id,
                        knob: None,
                        message: "no trial finished: every one failed (see the trials)".into(),
                    },
                },
                Err(e) => JobEvent::failed(id, &e, e.knob()),
            };
            sink(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
}
