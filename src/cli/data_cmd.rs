//! `latent data …`: profile, split and synthesise transaction files.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;

use super::LoadArgs;
use crate::data::profile::{Profile, Quantiles, profile, profile_without_matrix};
use crate::data::split::{SplitSpec, SplitStrategy, split};
use crate::data::timestamps::parse_day;
use crate::data::{DropReason, Interactions, LoadError, load_transactions};
use crate::format::{percent, thousands};

/// `latent data` subcommands.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Read, clean and aggregate a file; report drops by reason and the matrix's shape.
    Profile {
        /// The CSV or Parquet file (default: [data] path of --config).
        file: Option<PathBuf>,
        /// The same as FILE, for symmetry with `latent train --data`.
        #[arg(long, value_name = "FILE", conflicts_with = "file")]
        data: Option<PathBuf>,
        #[command(flatten)]
        load: LoadArgs,
        /// Print the profile as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Split cleaned transactions into train and test files (CSV or Parquet by extension).
    Split {
        /// The CSV or Parquet file (default: [data] path of --config).
        file: Option<PathBuf>,
        /// The same as FILE, for symmetry with `latent train --data`.
        #[arg(long, value_name = "FILE", conflicts_with = "file")]
        data: Option<PathBuf>,
        #[command(flatten)]
        load: LoadArgs,
        /// Where the training lines go.
        #[arg(long, value_name = "FILE")]
        train_out: PathBuf,
        /// Where the test lines go.
        #[arg(long, value_name = "FILE")]
        test_out: PathBuf,
        /// Global cutoff: lines on or after this day (YYYYMMDD or YYYY-MM-DD) are test.
        #[arg(long, value_name = "DATE", group = "strategy")]
        test_from: Option<String>,
        /// Global cutoff: the last N days of the data are test.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), group = "strategy")]
        test_last_days: Option<u32>,
        /// Per customer: the last fraction of their lines, by time, is test.
        #[arg(long, value_name = "FRACTION", group = "strategy")]
        per_user_fraction: Option<f64>,
        /// Per customer: their last invoice is test.
        #[arg(long, group = "strategy")]
        per_user_last_invoice: bool,
        /// Random by (customer, product) pair: this fraction is test.
        #[arg(long, value_name = "FRACTION", group = "strategy")]
        random: Option<f64>,
        /// Seed of --random.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Keep only test pairs the customer did not buy in the training part.
        #[arg(long)]
        new_items_only: bool,
    },
    /// Write Online-Retail-shaped synthetic transactions for benchmarks.
    Synth {
        /// Number of lines.
        #[arg(long)]
        rows: usize,
        /// Random seed; the same seed writes the same file.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output file, CSV or Parquet by extension.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs a `latent data` subcommand.
pub fn run(cmd: DataCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        DataCommand::Profile {
            file,
            data,
            load,
            json,
        } => run_profile(file.or(data).as_deref(), &load, json, out),
        DataCommand::Split {
            file,
            data,
            load,
            train_out,
            test_out,
            test_from,
            test_last_days,
            per_user_fraction,
            per_user_last_invoice,
            random,
            seed,
            new_items_only,
        } => {
            let strategy = if let Some(day) = test_from {
                SplitStrategy::TestFrom(parse_day(&day).ok_or_else(|| {
                    LoadError::BadSplit(format!(
                        "--test-from '{day}' is not a day: use YYYYMMDD or YYYY-MM-DD"
                    ))
                })?)
            } else if let Some(days) = test_last_days {
                SplitStrategy::TestLastDays(days)
            } else if let Some(f) = per_user_fraction {
                SplitStrategy::PerUserFraction(f)
            } else if per_user_last_invoice {
                SplitStrategy::PerUserLastInvoice
            } else if let Some(fraction) = random {
                SplitStrategy::Random { fraction, seed }
            } else {
                return Err(LoadError::BadSplit(
                    "choose one of --test-from, --test-last-days, --per-user-fraction, --per-user-last-invoice, --random".into(),
                )
                .into());
            };
            let spec = SplitSpec {
                strategy,
                new_items_only,
            };
            run_split(
                file.or(data).as_deref(),
                &load,
                &spec,
                &train_out,
                &test_out,
                out,
            )
        }
        DataCommand::Synth {
            rows,
            seed,
            out: path,
        } => {
            crate::data::synth::write_synthetic(rows, seed, &path)
                .with_context(|| format!("writing synthetic data to '{}'", path.display()))?;
            writeln!(
                out,
                "wrote {} synthetic lines to {}",
                thousands(rows),
                path.display()
            )?;
            Ok(())
        }
    }
}

fn run_profile(
    file: Option<&Path>,
    load: &LoadArgs,
    json: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let config = load.workspace()?;
    let path = config.data_path(file)?;
    let spec = config.load_spec();
    let file_name = path.display().to_string();
    let loaded = match load_transactions(&path, &spec) {
        Ok((t, report)) => {
            match Interactions::from_transactions(&t, spec.interactions.ranking_type) {
                Ok(m) => Ok((t, report, m)),
                Err(LoadError::NoInteractions) => Err(report),
                Err(e) => return Err(e.into()),
            }
        }
        // Every line dropped is what a profile is for: report it, do not fail.
        Err(LoadError::NothingKept { report, .. }) => Err(*report),
        Err(e) => return Err(e.into()),
    };
    let (transactions, report, matrix) = match loaded {
        Ok(parts) => parts,
        Err(report) if json => {
            let ranking = spec.interactions.ranking_type.name();
            let p = profile_without_matrix(&file_name, &report, ranking);
            serde_json::to_writer_pretty(&mut *out, &p)?;
            writeln!(out)?;
            return Ok(());
        }
        Err(report) => {
            write_cleaning(&report, out)?;
            writeln!(out, "no interactions left after cleaning")?;
            return Ok(());
        }
    };
    let p = profile(&file_name, &transactions, &report, &matrix);
    if json {
        serde_json::to_writer_pretty(&mut *out, &p)?;
        writeln!(out)?;
    } else {
        write_profile(&p, out)?;
    }
    Ok(())
}

fn write_cleaning(r: &crate::data::CleaningReport, out: &mut dyn Write) -> std::io::Result<()> {
    let kept_share = if r.rows_read == 0 {
        0.0
    } else {
        r.rows_kept as f64 / r.rows_read as f64
    };
    writeln!(out, "rows read              {:>12}", thousands(r.rows_read))?;
    writeln!(
        out,
        "rows kept              {:>12}  ({})",
        thousands(r.rows_kept),
        percent(kept_share)
    )?;
    writeln!(
        out,
        "customers read         {:>12}",
        thousands(r.customers_read)
    )?;
    writeln!(
        out,
        "products read          {:>12}",
        thousands(r.items_read)
    )?;
    writeln!(out, "dropped, by reason (first that applies)")?;
    for reason in DropReason::ALL {
        writeln!(
            out,
            "  {:<26}{:>10}",
            reason.label(),
            thousands(r.dropped_for(reason))
        )?;
    }
    if r.returns_netted > 0 {
        writeln!(
            out,
            "returns netted         {:>12}",
            thousands(r.returns_netted)
        )?;
    }
    writeln!(
        out,
        "missing descriptions   {:>12}  (counted, not dropped)",
        thousands(r.missing_descriptions)
    )?;
    for (at, value) in &r.bad_date_examples {
        writeln!(out, "  unparseable date at {at}: '{value}'")?;
    }
    for reason in [DropReason::AbsurdAmount, DropReason::ImplausibleDate] {
        if let Some(e) = r.example_of(reason) {
            writeln!(out, "  {} at {}: {}", reason.label(), e.location, e.value)?;
        }
    }
    Ok(())
}

fn write_quantiles(label: &str, q: &Quantiles, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "  {label:<14}{:>7}{:>7}{:>7}{:>7}{:>7}{:>7}{:>8}{:>9.1}",
        q.min, q.p25, q.median, q.p75, q.p90, q.p99, q.max, q.mean
    )
}

fn write_profile(p: &Profile, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "profile of {}", p.file)?;
    write_cleaning(&p.cleaning, out)?;
    if let Some((start, end)) = p.cleaning.window {
        let from = start.map_or_else(|| "start".to_owned(), crate::data::timestamps::format_day);
        let to =
            crate::data::timestamps::format_day(end - crate::data::timestamps::SECONDS_PER_DAY);
        writeln!(out, "retention window       {from} .. {to}")?;
    }
    writeln!(
        out,
        "interaction matrix (ranking_type = {})",
        p.ranking_type
    )?;
    writeln!(out, "  customers            {:>12}", thousands(p.users))?;
    writeln!(out, "  products             {:>12}", thousands(p.items))?;
    writeln!(out, "  pairs (nnz)          {:>12}", thousands(p.nnz))?;
    writeln!(
        out,
        "  density              {:>12}",
        format!("{:.3} %", p.density * 100.0)
    )?;
    if let Some((a, b)) = &p.date_range {
        writeln!(out, "  dates                {a} .. {b}")?;
    }
    writeln!(
        out,
        "pairs per            {:>7}{:>7}{:>7}{:>7}{:>7}{:>7}{:>8}{:>9}",
        "min", "p25", "median", "p75", "p90", "p99", "max", "mean"
    )?;
    write_quantiles("customer", &p.interactions_per_user, out)?;
    write_quantiles("product", &p.interactions_per_item, out)?;
    writeln!(
        out,
        "long tail: the top 1 % of products hold {} of pairs, the top 10 % hold {}",
        percent(p.top_1pct_item_share),
        percent(p.top_10pct_item_share)
    )?;
    if !p.top_countries.is_empty() {
        writeln!(
            out,
            "top countries          {:>10}{:>11}",
            "lines", "customers"
        )?;
        for c in &p.top_countries {
            writeln!(
                out,
                "  {:<20} {:>10}{:>11}",
                c.country,
                thousands(c.lines),
                thousands(c.customers)
            )?;
        }
    }
    Ok(())
}

fn run_split(
    file: Option<&Path>,
    load: &LoadArgs,
    spec: &SplitSpec,
    train_out: &Path,
    test_out: &Path,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let config = load.workspace()?;
    let path = config.data_path(file)?;
    crate::data::write::check_distinct_outputs(
        &path,
        &[("--train-out", train_out), ("--test-out", test_out)],
    )?;
    let (transactions, report) = load_transactions(&path, &config.load_spec())?;
    let parts = split(&transactions, spec)?;
    crate::data::write::write_transactions(&parts.train, train_out)?;
    crate::data::write::write_transactions(&parts.test, test_out)?;
    writeln!(
        out,
        "read {} lines, kept {}",
        thousands(report.rows_read),
        thousands(report.rows_kept)
    )?;
    writeln!(
        out,
        "train: {} lines -> {}",
        thousands(parts.train.len()),
        train_out.display()
    )?;
    writeln!(
        out,
        "test:  {} lines -> {}",
        thousands(parts.test.len()),
        test_out.display()
    )?;
    if spec.new_items_only {
        writeln!(
            out,
            "test lines dropped as repeat purchases: {}",
            thousands(parts.repeat_pairs_removed)
        )?;
    }
    Ok(())
}
