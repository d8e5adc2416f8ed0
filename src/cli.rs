//! The command line: the contract that scripts, pipelines and tests drive.
//!
//! Every subcommand reads its inputs, runs library code and writes results to stdout (or
//! files). Errors print as one line chain on stderr; the exit code is 2 when the input is
//! at fault (a missing file, a bad value) and 1 otherwise.

mod audience_cmd;
mod backtest_cmd;
mod bench;
mod bench_als;
mod bench_fm;
mod bench_load;
mod bench_recommend;
mod bench_search;
mod bench_tui;
mod data_cmd;
mod eval_cmd;
mod exit;
mod export_cmd;
mod import_cmd;
mod knob_flags;
mod monitor_cmd;
mod peak_memory;
mod predict_cmd;
mod recommend_cmd;
mod report;
mod rule_args;
mod runs_cmd;
mod sagemaker_cmd;
mod sagemaker_spec;
mod search_cmd;
mod serve_cmd;
mod sweep_cmd;
mod train;
mod tune_cmd;
mod update_cmd;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, WorkspaceConfig};
use crate::paths::Paths;

/// latent: load transactions, train recommenders, evaluate, inspect and export.
#[derive(Debug, Parser)]
#[command(name = "latent", version, about)]
pub struct Cli {
    /// Without a command, latent opens the terminal workbench on the demo workspace.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal workbench (the default).
    Tui {
        /// A workspace folder or its workspace.toml (default: workspaces/demo).
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Inspect, split and synthesise transaction data.
    #[command(subcommand)]
    Data(data_cmd::DataCommand),
    /// Train a model (and evaluate it when a test set is given); writes a run directory.
    Train(train::TrainArgs),
    /// Top-k recommendations from a run, as CSV.
    Recommend(recommend_cmd::RecommendArgs),
    /// Products most similar to one product, from a run (ALS, item-kNN or FM).
    Similar(recommend_cmd::SimilarArgs),
    /// Evaluate a run on a test file against the popularity baseline.
    Eval(eval_cmd::EvalArgs),
    /// The customers most likely to buy a product (or any product matching a search), rules
    /// applied: a campaign list, checked against the hold-out buyers.
    Audience(audience_cmd::AudienceArgs),
    /// What drifted since a run was trained (customers, products, popularity, countries,
    /// baskets, the lists) and whether to retrain.
    Monitor(monitor_cmd::MonitorArgs),
    /// Fold newer transactions into a run's model without a full retrain; a new run that
    /// names its parent.
    Update(update_cmd::UpdateArgs),
    /// Slide a reference date over the log: how quality decays with model age, never
    /// retraining against incremental updates and full retrains every so often.
    Backtest(backtest_cmd::BacktestArgs),
    /// Score every (customer, product) row of a file with a run: a rating, probability or score.
    Predict(predict_cmd::PredictArgs),
    /// Find products by stock code or description, customers by id or country.
    #[command(subcommand)]
    Search(search_cmd::SearchCommand),
    /// Search models and settings within a time budget; the best is written as a run,
    /// tested once on a period the search never saw.
    Tune(tune_cmd::TuneArgs),
    /// Try many hyperparameter configurations; every trial is a run, the best is tested.
    Sweep(sweep_cmd::SweepArgs),
    /// The runs of a workspace: list, compare, replay.
    #[command(subcommand)]
    Runs(runs_cmd::RunsCommand),
    /// Export a run for Spark, implicit/numpy, the warehouse and SageMaker (folder or S3).
    Export(export_cmd::ExportArgs),
    /// Import a model trained elsewhere (a Spark ALSModel) as a run.
    #[command(subcommand)]
    Import(import_cmd::ImportCommand),
    /// Serve an exported bundle over HTTP (SageMaker's /ping and /invocations).
    Serve(serve_cmd::ServeArgs),
    /// SageMaker container entry points: train from /opt/ml/input, serve /opt/ml/model.
    #[command(subcommand)]
    Sagemaker(sagemaker_cmd::SagemakerCommand),
    /// Measure latent's speed on real or synthetic data.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Options shared by every command that loads transactions.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// A workspace.toml whose `[data]`, `[cleaning]` and `[interactions]` tables apply.
    #[arg(long, value_name = "WORKSPACE_TOML")]
    pub config: Option<PathBuf>,
    /// Fail on unparseable dates instead of dropping and reporting them.
    #[arg(long)]
    pub strict: bool,
    /// A chrono strftime pattern for the date column, e.g. "%d/%m/%Y %H:%M".
    #[arg(long, value_name = "PATTERN")]
    pub date_format: Option<String>,
    /// How lines aggregate: count, quantity, revenue, binary or rating.
    #[arg(long, value_name = "TYPE")]
    pub ranking_type: Option<crate::data::RankingType>,
    /// Last day of the retention window, YYYYMMDD (default: the last day in the data).
    #[arg(long, value_name = "YYYYMMDD")]
    pub retention_date: Option<String>,
    /// Days in the retention window (default: all).
    #[arg(long, value_name = "DAYS")]
    pub retention_days: Option<u32>,
}

impl LoadArgs {
    /// The workspace (or defaults) with command-line overrides applied.
    pub fn workspace(&self) -> Result<WorkspaceConfig, ConfigError> {
        let mut config = match &self.config {
            Some(path) => WorkspaceConfig::load(path)?,
            None => WorkspaceConfig::default(),
        };
        if self.strict {
            config.data.strict_dates = true;
        }
        if let Some(f) = &self.date_format {
            config.data.date_format = Some(f.clone());
        }
        crate::config::SettingOverrides {
            ranking_type: self.ranking_type,
            retention_date: self.retention_date.clone(),
            retention_days: self.retention_days,
            reco_item: None,
        }
        .apply(&mut config);
        Ok(config)
    }
}

impl clap::ValueEnum for crate::data::RankingType {
    fn value_variants<'a>() -> &'a [Self] {
        use crate::data::RankingType as R;
        &[R::Count, R::Quantity, R::Revenue, R::Binary, R::Rating]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _guard = init_logging();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = run(cli, &mut out).and_then(|()| out.flush().map_err(anyhow::Error::from));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let message = knob_flags::with_flags(format!("{err:#}"), &err);
            tracing::error!("{message}");
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(exit::exit_code(&err))
        }
    }
}

/// Runs one parsed command, writing its report to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    match cli.command {
        None => crate::tui::run(&crate::workspace::demo()?),
        Some(Command::Tui { workspace }) => {
            crate::tui::run(&workspace.map_or_else(crate::workspace::demo, Ok)?)
        }
        Some(Command::Data(cmd)) => data_cmd::run(cmd, out),
        Some(Command::Train(args)) => train::run(&args, out),
        Some(Command::Recommend(args)) => recommend_cmd::run(&args, out),
        Some(Command::Eval(args)) => eval_cmd::run(&args, out),
        Some(Command::Audience(args)) => audience_cmd::run(&args, out),
        Some(Command::Monitor(args)) => monitor_cmd::run(&args, out),
        Some(Command::Update(args)) => update_cmd::run(&args, out),
        Some(Command::Backtest(args)) => backtest_cmd::run(&args, out),
        Some(Command::Predict(args)) => predict_cmd::run(&args, out),
        Some(Command::Similar(args)) => recommend_cmd::run_similar(&args, out),
        Some(Command::Search(cmd)) => search_cmd::run(cmd, out),
        Some(Command::Bench(cmd)) => bench::run(cmd, out),
        Some(Command::Runs(cmd)) => runs_cmd::run(&cmd, out),
        Some(Command::Sweep(args)) => sweep_cmd::run(&args, out),
        Some(Command::Tune(args)) => tune_cmd::run(&args, out),
        Some(Command::Export(args)) => export_cmd::run(&args, out),
        Some(Command::Import(cmd)) => import_cmd::run(&cmd, out),
        Some(Command::Serve(args)) => serve_cmd::run(&args, out),
        Some(Command::Sagemaker(cmd)) => sagemaker_cmd::run(&cmd, out),
    }
}

/// A closed stdout (`latent … | head`) is the reader's choice, not a failure.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Sends tracing output to a daily file under the data folder; logging is best effort
/// and never stops a command.
fn init_logging() -> Option<()> {
    let dir = Paths::discover().log_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("latent.log");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    // The log names files, buckets and endpoints: it is the user's alone, like a shell
    // history. A log made by an older latent is tightened too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    let file = options.open(&path).ok()?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("LATENT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .ok()
}
