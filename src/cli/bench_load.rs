//! `latent bench load`: file → cleaned transactions → CSR matrix, phase by phase.
//!
//! The phases are timed inside the loader ([`LoadTimings`]), where the work is done. A
//! CSV's reading and splitting run on a second thread while the first cleans, so those
//! rows overlap the cleaning row; `streaming` is the wall time of that overlapped part and
//! `total` the wall time of the whole load.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::data::{LoadSpec, LoadTimings, load_interactions_timed};
use crate::format::thousands;

/// One timed load.
struct Run {
    timings: LoadTimings,
    total: Duration,
}

/// The rows of the breakdown: label, what it measures, how to read it off a run.
type Phase = (&'static str, &'static str, fn(&Run) -> Duration);

const PHASES: [Phase; 9] = [
    ("open", "sniff header / schema", |r| r.timings.open),
    (
        "read",
        "file reads (CSV, 2nd thread) or Parquet decode",
        |r| r.timings.read,
    ),
    ("split", "split + check records (2nd thread)", |r| {
        r.timings.split
    }),
    ("clean", "line rules: ids, dates, numbers, drops", |r| {
        r.timings.clean
    }),
    ("wait", "cleaner waiting for the 2nd thread", |r| {
        r.timings.wait
    }),
    ("streaming", "wall time of read + clean", |r| {
        if r.timings.wait.is_zero() {
            r.timings.read + r.timings.clean
        } else {
            r.timings.clean + r.timings.wait
        }
    }),
    ("finish", "dates, window, duplicates, id compaction", |r| {
        r.timings.finish
    }),
    ("matrix", "aggregate into CSR + transpose", |r| {
        r.timings.matrix
    }),
    ("total", "wall time, file to matrix", |r| r.total),
];

/// Loads `path` `repeat` times and prints the best and median of every phase, the
/// matrix's shape and the peak resident memory against the file's size.
pub fn run(path: &Path, spec: &LoadSpec, repeat: usize, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut runs = Vec::new();
    let mut shape = (0, 0, 0, 0);
    let mut ignore = |_| ControlFlow::Continue(());
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let (_, report, m, timings) = load_interactions_timed(path, spec, &mut ignore)?;
        let total = started.elapsed();
        shape = (report.rows_read, m.users.len(), m.items.len(), m.nnz());
        runs.push(Run { timings, total });
    }
    let (rows, users, items, nnz) = shape;
    writeln!(out, "bench load {}", path.display())?;
    writeln!(
        out,
        "rows {}  ->  {} users x {} items, nnz {}",
        thousands(rows),
        thousands(users),
        thousands(items),
        thousands(nnz)
    )?;
    writeln!(out, "{:<12}{:>10}{:>10}   what", "phase", "best", "median")?;
    for (name, what, of) in PHASES {
        let mut times: Vec<Duration> = runs.iter().map(of).collect();
        times.sort();
        writeln!(
            out,
            "{name:<12}{:>9.3}s{:>9.3}s   {what}",
            times[0].as_secs_f64(),
            times[times.len() / 2].as_secs_f64()
        )?;
    }
    if let Some(kib) = super::peak_memory::peak_rss_kib() {
        let file_mib = std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
        writeln!(
            out,
            "peak RSS {:.0} MiB (file {:.0} MiB, ratio {:.2})",
            kib as f64 / 1024.0,
            file_mib,
            kib as f64 / 1024.0 / file_mib.max(1e-9)
        )?;
    }
    Ok(())
}
