//! `latent bench …`: reproducible speed measurements on real or synthetic files.
//!
//! Benchmarks are commands, not timed tests: their figures go to BENCHMARKS.md together
//! with the command line that produced them.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;

use super::LoadArgs;

/// `latent bench` subcommands.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time file → cleaned transactions → CSR matrix, phase by phase, and peak memory.
    Load {
        /// The CSV or Parquet file (default: [data] path of --config).
        file: Option<PathBuf>,
        #[command(flatten)]
        load: LoadArgs,
        /// Number of timed repetitions; the report gives the best and the median.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Time ALS epochs and batch top-10 on a file's matrix (or a saved CSR matrix).
    Als(super::bench_als::BenchAlsArgs),
    /// Time factorization-machine SGD epochs on planted interactions with side features.
    Fm(super::bench_fm::BenchFmArgs),
    /// Time frames of every TUI screen and key-to-frame latency while training runs.
    Tui(super::bench_tui::BenchTuiArgs),
    /// Time search index build and open, and query latency over a realistic query mix.
    Search(super::bench_search::BenchSearchArgs),
    /// Time one customer's top-10 with a full set of business rules, fold-in and explain.
    Recommend(super::bench_recommend::BenchRecommendArgs),
}

/// Runs a `latent bench` subcommand.
pub fn run(cmd: BenchCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Als(args) => super::bench_als::run(&args, out),
        BenchCommand::Fm(args) => super::bench_fm::run(&args, out),
        BenchCommand::Tui(args) => super::bench_tui::run(&args, out),
        BenchCommand::Search(args) => super::bench_search::run(&args, out),
        BenchCommand::Recommend(args) => super::bench_recommend::run(&args, out),
        BenchCommand::Load { file, load, repeat } => {
            let config = load.workspace()?;
            let path = config.data_path(file.as_deref())?;
            super::bench_load::run(&path, &config.load_spec(), repeat, out)
        }
    }
}
