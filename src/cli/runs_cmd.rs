//! `latent runs list | diff | replay | delete | archive`: the run history of a workspace.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::store::{Run, RunState};
use crate::workspace::compare::diff;
use crate::workspace::replay::replay;
use crate::workspace::{RunSummary, Workspace};

/// `latent runs` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// Every run of the workspace: id, model, key hyperparameters, metrics, time, status.
    List {
        /// The workspace (default: the one of the current folder, else workspaces/demo).
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
        /// Sort by: time (newest first), precision, recall, ndcg, map, coverage, fit.
        #[arg(long, default_value = "time")]
        sort: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare two runs: settings, metric deltas, and how customers' top-k changed.
    Diff {
        /// Run ids of the workspace, or run folders.
        a: String,
        b: String,
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
        /// List length compared (1 to 50: the runs keep their evaluated lists that long).
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Customers compared (spread evenly over those both runs know).
        #[arg(long, default_value_t = 500)]
        sample: usize,
        #[arg(long)]
        json: bool,
    },
    /// Delete runs for good (asks for --yes: nothing brings them back).
    Delete {
        /// Run ids, as `latent runs list` shows them.
        #[arg(required = true)]
        runs: Vec<String>,
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
    /// Move runs to the workspace's archive/ folder: out of every list, kept on disk.
    Archive {
        #[arg(required = true)]
        runs: Vec<String>,
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Retrain a run from its stored configuration and check the metrics match.
    Replay {
        run: String,
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
        /// Retrain even when the data file changed since the run.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
}

fn workspace(dir: Option<&PathBuf>) -> anyhow::Result<Workspace> {
    Ok(match dir {
        Some(d) => Workspace::open(d)?,
        None => Workspace::discover(&std::env::current_dir()?)?,
    })
}

fn load(ws: &Workspace, id: &str) -> anyhow::Result<Run> {
    let dir = ws.run_dir(id);
    Run::load(&dir).with_context(|| format!("loading run '{id}'"))
}

/// Runs a `latent runs` subcommand.
pub fn run(cmd: &RunsCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        RunsCommand::List {
            workspace: dir,
            sort,
            json,
        } => {
            let ws = workspace(dir.as_ref())?;
            let mut runs = ws.list_runs();
            sort_runs(&mut runs, sort)?;
            if *json {
                let rows: Vec<serde_json::Value> = runs
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id,
                            "model": r.model,
                            "state": r.state.name(),
                            "created_unix": r.created_unix,
                            "params": r.meta.as_ref().map(|m| &m.params),
                            "holdout": r.meta.as_ref().map(|m| &m.holdout),
                            "parent": r.meta.as_ref().and_then(|m| m.parent.as_ref()),
                            "metrics": r.metrics,
                            "train_seconds": r.meta.as_ref().map(|m| m.train_seconds),
                            "error": r.error,
                        })
                    })
                    .collect();
                serde_json::to_writer_pretty(&mut *out, &rows)?;
                writeln!(out)?;
            } else {
                write_list(&ws, &runs, out)?;
            }
            Ok(())
        }
        RunsCommand::Diff {
            a,
            b,
            workspace: dir,
            k,
            sample,
            json,
        } => {
            let ws = workspace(dir.as_ref())?;
            let (ra, rb) = (load(&ws, a)?, load(&ws, b)?);
            let d = diff(&ra, &rb, *k, (*sample).max(1))?;
            if *json {
                serde_json::to_writer_pretty(&mut *out, &d)?;
                writeln!(out)?;
                return Ok(());
            }
            writeln!(out, "runs diff {a} → {b}")?;
            if d.settings.is_empty() {
                writeln!(out, "settings: identical")?;
            } else {
                writeln!(out, "settings:")?;
                for s in &d.settings {
                    writeln!(out, "  {:<36} {} → {}", s.key, s.a, s.b)?;
                }
            }
            if d.metrics.is_empty() {
                writeln!(out, "metrics: one of the runs was not evaluated")?;
            } else {
                write_metric_changes(&d, out)?;
            }
            writeln!(
                out,
                "top-{}: {} shared customers compared, overlap@{} {:.1}%, identical lists {:.1}%",
                d.k,
                d.customers,
                d.k,
                d.mean_overlap * 100.0,
                d.identical * 100.0
            )?;
            for c in d.examples.iter().filter(|c| !c.gained.is_empty()) {
                writeln!(
                    out,
                    "  customer {}: {} kept, gained {}, lost {}",
                    c.user_id,
                    c.overlap,
                    c.gained.join(" "),
                    c.lost.join(" ")
                )?;
            }
            Ok(())
        }
        RunsCommand::Delete {
            runs,
            workspace: dir,
            yes,
        } => {
            let ws = workspace(dir.as_ref())?;
            if !yes {
                anyhow::bail!(crate::models::hyper::ParamsError::Invalid(format!(
                    "deleting {} cannot be undone: add --yes, or archive them (latent runs archive)",
                    runs.join(", ")
                )));
            }
            let _lock = ws.lock("latent runs delete")?;
            for id in runs {
                ws.delete_run(id)?;
                writeln!(out, "deleted run {id}")?;
            }
            Ok(())
        }
        RunsCommand::Archive {
            runs,
            workspace: dir,
        } => {
            let ws = workspace(dir.as_ref())?;
            let _lock = ws.lock("latent runs archive")?;
            for id in runs {
                let to = ws.archive_run(id)?;
                writeln!(out, "archived run {id} to {}", to.display())?;
            }
            Ok(())
        }
        RunsCommand::Replay {
            run,
            workspace: dir,
            force,
            json,
        } => {
            let ws = workspace(dir.as_ref())?;
            let stored = load(&ws, run)?;
            let report = replay(
                &stored,
                *force,
                &mut |_| std::ops::ControlFlow::Continue(()),
            )?;
            if *json {
                serde_json::to_writer_pretty(&mut *out, &report)?;
                writeln!(out)?;
            } else {
                for c in &report.data_changes {
                    writeln!(out, "data changed: {c}")?;
                }
                if report.retrained {
                    writeln!(out, "{:<24}{:>12}{:>12}", "metric", "stored", "replayed")?;
                    for m in &report.metrics {
                        let mark = if (m.a - m.b).abs() <= 1e-9 {
                            ""
                        } else {
                            "  ≠"
                        };
                        writeln!(out, "{:<24}{:>12.6}{:>12.6}{mark}", m.metric, m.a, m.b)?;
                    }
                    writeln!(
                        out,
                        "{}",
                        if report.identical {
                            "replay matches: every metric is identical"
                        } else {
                            "replay DIFFERS from the stored run"
                        }
                    )?;
                } else {
                    writeln!(
                        out,
                        "not retrained: the input differs from the run's (use --force to retrain anyway)"
                    )?;
                }
            }
            if report.identical {
                Ok(())
            } else {
                Err(anyhow::anyhow!(crate::models::hyper::ParamsError::Invalid(
                    if report.retrained {
                        format!("replay of run '{run}' does not match its stored metrics")
                    } else {
                        format!(
                            "the data of run '{run}' changed: {}",
                            report.data_changes.join("; ")
                        )
                    }
                )))
            }
        }
    }
}

/// The metric table of a diff: values, the delta with its paired 95 % interval, and the
/// verdict.
fn write_metric_changes(
    d: &crate::workspace::compare::RunDiff,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match &d.scored {
        Some(s) => writeln!(
            out,
            "metrics on {} customers both runs evaluated (paired bootstrap, 95 %){}",
            s.shared,
            s.note.as_ref().map_or(String::new(), |n| format!("; {n}"))
        )?,
        None => writeln!(
            out,
            "metrics as stored (a run kept no evaluated lists: retrain it for intervals and verdicts)"
        )?,
    }
    writeln!(
        out,
        "{:<20}{:>10}{:>10}{:>10}  {:<21}verdict",
        "metric", "a", "b", "delta", "95 % interval"
    )?;
    for m in &d.metrics {
        let interval = m.interval_text();
        let verdict = m.verdict.map_or("", |v| v.text());
        writeln!(
            out,
            "{:<20}{:>10.4}{:>10.4}{:>+10.4}  {interval:<21}{verdict}",
            m.metric, m.a, m.b, m.delta
        )?;
    }
    Ok(())
}

fn sort_runs(runs: &mut [RunSummary], by: &str) -> anyhow::Result<()> {
    let metric = |r: &RunSummary| -> f64 {
        let Some(m) = &r.metrics else {
            return f64::NEG_INFINITY;
        };
        match by {
            "precision" => m.model.precision,
            "recall" => m.model.recall,
            "ndcg" => m.model.ndcg,
            "map" => m.model.map,
            "coverage" => m.model.coverage,
            _ => f64::NEG_INFINITY,
        }
    };
    match by {
        "time" => {}
        "fit" => runs.sort_by(|a, b| {
            let t = |r: &RunSummary| r.meta.as_ref().map_or(f64::INFINITY, |m| m.train_seconds);
            t(a).total_cmp(&t(b))
        }),
        "precision" | "recall" | "ndcg" | "map" | "coverage" => {
            runs.sort_by(|a, b| metric(b).total_cmp(&metric(a)));
        }
        other => {
            return Err(crate::models::hyper::ParamsError::BadValue {
                key: "--sort".into(),
                value: other.to_owned(),
                expected: "time, precision, recall, ndcg, map, coverage or fit",
            }
            .into());
        }
    }
    Ok(())
}

fn write_list(ws: &Workspace, runs: &[RunSummary], out: &mut dyn Write) -> std::io::Result<()> {
    if runs.is_empty() {
        return writeln!(out, "no runs in {}", ws.runs_dir().display());
    }
    writeln!(
        out,
        "{:<32} {:<12} {:<36} {:>8} {:>8} {:>8} {:>7} {:<11}",
        "run", "model", "settings", "P@k", "NDCG@k", "popular", "fit", "status"
    )?;
    for r in runs {
        let (p, n, base) = match &r.metrics {
            Some(m) => (
                format!("{:.4}", m.model.precision),
                format!("{:.4}", m.model.ndcg),
                format!("{:.4}", m.baseline.precision),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let fit = r
            .meta
            .as_ref()
            .map_or_else(|| "-".to_owned(), |m| format!("{:.2}s", m.train_seconds));
        let best = r
            .meta
            .as_ref()
            .and_then(|m| m.sweep.as_ref())
            .is_some_and(|t| t.best);
        let below = r
            .metrics
            .as_ref()
            .is_some_and(crate::eval::EvalReport::is_below_baseline);
        let status = match (&r.state, &r.error) {
            (RunState::Failed, Some(e)) => format!("failed: {e}"),
            (s, _) if below => format!("{} ✗ worse than its baseline: do not deploy", s.name()),
            (s, _) if best => format!("{} ★ best of sweep", s.name()),
            (s, _) => s.name().to_owned(),
        };
        writeln!(
            out,
            "{:<32} {:<12} {:<36} {p:>8} {n:>8} {base:>8} {fit:>7} {status}",
            r.id,
            r.model,
            r.settings(3),
        )?;
    }
    Ok(())
}
