//! `latent eval`: score a trained run on a test file.

use std::io::Write;
use std::path::PathBuf;

use super::report::write_eval;
use crate::experiment::{evaluate_run_parts, load_test_file};

/// Arguments of `latent eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Test transactions, read with the run's mapping and cleaning.
    #[arg(long, value_name = "FILE")]
    pub test: PathBuf,
    /// List length.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Leave out (and do not count) products the customer bought in training.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "true|false")]
    pub exclude_seen: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `latent eval`.
pub fn run(args: &EvalArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = super::recommend_cmd::open_run(&args.run, "--k", args.k)?;
    let load = run.config.load_spec();
    let test = load_test_file(&args.test, &load)?;
    let report = evaluate_run_parts(
        &run.model,
        &run.users,
        &run.items,
        &run.train,
        &test,
        load.interactions.ranking_type,
        args.k,
        args.exclude_seen,
    )?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write_eval(&report, out)?;
    }
    Ok(())
}
