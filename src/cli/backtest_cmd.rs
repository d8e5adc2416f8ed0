//! `latent backtest`: how quality decays with model age, and what retraining or updating
//! every so often buys back, on the analyst's own log.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;

use anyhow::Context;

use crate::models::ModelKind;
use crate::models::hyper::ParamsError;
use crate::monitor::backtest::{Backtest, BacktestSpec, Step, backtest};

/// Arguments of `latent backtest`.
#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// The workspace.toml whose data, cleaning, window length and rules apply.
    #[arg(long, value_name = "WORKSPACE_TOML")]
    pub config: PathBuf,
    /// The data file (default: [data] path of --config).
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Days between reference dates: 7d, 30d, ...
    #[arg(long, default_value = "30d", value_parser = days)]
    pub every: u32,
    /// Days scored after each reference date.
    #[arg(long, default_value = "30d", value_parser = days)]
    pub horizon: u32,
    /// The model.
    #[arg(long, default_value = "als", value_parser = super::train::parse_model)]
    pub model: ModelKind,
    /// A hyperparameter, e.g. --set als_rank=32 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The first reference date, YYYYMMDD (default: --every days into the log).
    #[arg(long, value_name = "YYYYMMDD")]
    pub from: Option<String>,
    /// List length.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Print the backtest as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `30d`, `30` or `4w` as days.
fn days(text: &str) -> Result<u32, String> {
    let t = text.trim().to_ascii_lowercase();
    let (number, unit) = match t.strip_suffix('w') {
        Some(n) => (n, 7),
        None => (t.strip_suffix('d').unwrap_or(&t), 1),
    };
    match number.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n * unit),
        _ => Err(format!(
            "'{text}' is not a number of days (e.g. 7d, 30d, 4w)"
        )),
    }
}

/// Runs `latent backtest`.
pub fn run(args: &BacktestArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let config = crate::config::WorkspaceConfig::load(&args.config)?;
    let data = config.data_path(args.data.as_deref())?;
    let overrides = args
        .set
        .iter()
        .map(|s| crate::models::hyper::parse_assignment(s))
        .collect::<Result<Vec<_>, _>>()?;
    let from = match &args.from {
        Some(text) => Some(crate::data::timestamps::parse_day(text).ok_or_else(|| {
            ParamsError::Invalid(format!("--from '{text}' is not a day: write YYYYMMDD"))
        })?),
        None => None,
    };
    let spec = BacktestSpec {
        config,
        data,
        model: args.model,
        overrides,
        every_days: args.every,
        horizon_days: args.horizon,
        from,
        k: args.k.max(1),
    };
    let mut err = std::io::stderr();
    let mut progress = |s: &Step| {
        let _ = writeln!(
            err,
            "{}: retrain {:.4}, update {:.4}, never {:.4}",
            s.date, s.retrain, s.update, s.never
        );
        ControlFlow::Continue(())
    };
    let result = backtest(&spec, &mut progress).context("backtesting")?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
    } else {
        write_text(&result, out)?;
    }
    Ok(())
}

/// The steps as a table, precision as bars per policy, and the answer.
pub fn write_text(b: &Backtest, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{} every {} days, each scored on the next {} days (precision@{})",
        b.model, b.every_days, b.horizon_days, b.k
    )?;
    writeln!(
        out,
        "{:<11} {:>4} {:>6}  {:>8} {:>8} {:>8} {:>8}  {:>6} {:>6}",
        "trained to", "age", "buyers", "never", "update", "retrain", "popular", "PSI", "new"
    )?;
    for s in &b.steps {
        writeln!(
            out,
            "{:<11} {:>4} {:>6}  {:>8.4} {:>8.4} {:>8.4} {:>8.4}  {:>6.3} {:>5.0}%",
            s.date,
            s.model_age_days,
            s.customers,
            s.never,
            s.update,
            s.retrain,
            s.popularity,
            s.psi_since_first,
            s.new_buyers_since_first * 100.0
        )?;
    }
    let top = b
        .steps
        .iter()
        .flat_map(|s| [s.never, s.update, s.retrain, s.popularity])
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    writeln!(
        out,
        "\nprecision@{} by model age (N never, U update, R retrain)",
        b.k
    )?;
    for s in &b.steps {
        let bar = |v: f64| "#".repeat((v / top * 30.0).round() as usize);
        writeln!(out, "{:>4}d N {}", s.model_age_days, bar(s.never))?;
        writeln!(out, "      U {}", bar(s.update))?;
        writeln!(out, "      R {}", bar(s.retrain))?;
    }
    let mean = |name: &str| b.mean.iter().find(|(n, _)| n == name).map_or(0.0, |m| m.1);
    let (never, update, retrain, popular) = (
        mean("never"),
        mean("update"),
        mean("retrain"),
        mean("popularity"),
    );
    writeln!(
        out,
        "\nmean precision@{}: retrain every {} days {retrain:.4}, incremental updates {update:.4}, never retrain {never:.4}, popularity {popular:.4}",
        b.k, b.every_days
    )?;
    let loss = |x: f64| {
        if retrain > 0.0 {
            (1.0 - x / retrain) * 100.0
        } else {
            0.0
        }
    };
    writeln!(
        out,
        "never retraining loses {:.0} % of the retrain's precision, updating loses {:.0} %; {} steps in {:.1}s",
        loss(never),
        loss(update),
        b.steps.len(),
        b.seconds
    )?;
    Ok(())
}
