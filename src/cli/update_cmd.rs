//! `latent update`: a run's model refreshed with newer transactions, as a new run.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::experiment::update::UpdateRequest;
use crate::experiment::{RunError, Source, Stage, log_line, train_into};
use crate::store::Run;
use crate::workspace::Workspace;

/// Arguments of `latent update`.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// The run to update (it is only read).
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Newer transactions, in the run's layout, all after the run's window.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Take only the file's lines after the run's window (a log that kept growing, e.g.
    /// the workspace's own file) instead of refusing a file that overlaps it.
    #[arg(long)]
    pub newer_only: bool,
    /// Where the updated run goes.
    #[arg(long, value_name = "RUN_DIR", required_unless_present = "workspace")]
    pub out: Option<PathBuf>,
    /// Save the updated run in this workspace's `runs/` (under its lock).
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub workspace: Option<PathBuf>,
    /// Alternating passes over the touched customers and products after the first solve.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub passes: usize,
}

/// Runs `latent update`.
pub fn run(args: &UpdateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let parent = Arc::new(
        Run::load(&args.run).with_context(|| format!("loading run '{}'", args.run.display()))?,
    );
    let parent_id = crate::export::run_id(&args.run);
    let started = std::time::Instant::now();
    let update = UpdateRequest {
        parent: Arc::clone(&parent),
        parent_id: parent_id.clone(),
        data: args.data.clone(),
        passes: args.passes,
        newer_only: args.newer_only,
    }
    .prepare()
    .with_context(|| format!("updating run '{parent_id}' with '{}'", args.data.display()))?;
    let workspace = args.workspace.as_deref().map(Workspace::open).transpose()?;
    let _lock = workspace
        .as_ref()
        .map(|ws| ws.lock("latent update"))
        .transpose()?;
    let dir = match (&args.out, &workspace) {
        (Some(dir), _) => dir.clone(),
        (None, Some(ws)) => ws
            .claim_run_dir(&format!("{}-update", parent.meta.model.name()))
            .with_context(|| format!("creating a run folder in '{}'", ws.runs_dir().display()))?,
        (None, None) => anyhow::bail!("choose --out RUN_DIR or --workspace DIR"),
    };
    let tag = update.tag.clone();
    let mut on_stage = |stage: &Stage| {
        tracing::info!("{}", log_line(stage));
        ControlFlow::Continue(())
    };
    let run = match train_into(
        &update.spec,
        Source::Loaded {
            transactions: &update.lines,
            fingerprint: None,
        },
        &dir,
        &mut on_stage,
        &mut |run| run.meta.update = Some(tag.clone()),
    ) {
        Ok(run) => run,
        Err(RunError::Train(e)) => return Err(e.into()),
        Err(e) => return Err(e.into()),
    };
    writeln!(out, "updated run {parent_id} with {}", tag.summary())?;
    let how = if tag.method == "incremental" {
        "re-solved incrementally"
    } else {
        "refit on the combined data (this model has no incremental update)"
    };
    writeln!(
        out,
        "{how} in {:.3}s ({:.2}s in all); the parent's full fit took {:.3}s",
        run.meta.train_seconds,
        started.elapsed().as_secs_f64(),
        parent.meta.train_seconds
    )?;
    writeln!(
        out,
        "{} customers x {} products ({} pairs); run written to {}",
        run.meta.users,
        run.meta.items,
        run.meta.nnz,
        dir.display()
    )?;
    Ok(())
}
