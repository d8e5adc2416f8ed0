//! An export job: the run's formats written to a folder or S3 on a worker thread, each
//! step reported, the manifest (paths, sizes, checksums) handed back at the end.

use super::{CancelToken, JobEvent, JobHandle, JobId, Sink};
use crate::export::ExportOptions;
use crate::store::Run;

/// Exports `run` (called `run_id`) to `destination` in the background.
pub fn spawn_export(
    id: JobId,
    run: std::sync::Arc<Run>,
    run_id: String,
    destination: String,
    opts: ExportOptions,
    sink: Sink,
) -> std::io::Result<JobHandle> {
    let cancel = CancelToken::new();
    let thread = std::thread::Builder::new()
        .name(format!("latent-export-{id}"))
        .spawn(move || {
            // The upload reports from its runtime's thread: one sender at a time.
            let sink = std::sync::Mutex::new(sink);
            let send = |e: JobEvent| sink.lock().is_ok_and(|s| s(e));
            let mut progress = |line: &str| {
                send(JobEvent::Stage {
                    id,
                    message: line.to_owned(),
                });
            };
            progress(&format!(
                "exporting {} to {}",
                opts.formats
                    .iter()
                    .map(|f| f.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::export::destination::shown(&destination)
            ));
            let event = match crate::export::export_to(
                &run,
                &run_id,
                &destination,
                None,
                &opts,
                &mut progress,
            ) {
                Ok(manifest) => JobEvent::Exported {
                    id,
                    destination: crate::export::destination::shown(&destination),
                    manifest: Box::new(manifest),
                },
                Err(e) => JobEvent::Failed {
                    id,
                    knob: e.knob(),
                    message: format!("{e:#}"),
                },
            };
            send(event);
        })?;
    Ok(JobHandle::new(id, cancel, thread))
}
