//! `latent monitor`: what drifted since a run was trained, and whether to retrain.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::config::WorkspaceConfig;
use crate::monitor::report::{Divergence, Mover};
use crate::monitor::{MonitorReport, monitor};

/// Arguments of `latent monitor`.
#[derive(Debug, clap::Args)]
pub struct MonitorArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// A file with newer transactions (its lines after the run's window are compared).
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// A workspace.toml whose mapping and cleaning read the newer file (default: the
    /// run's own).
    #[arg(long, value_name = "WORKSPACE_TOML")]
    pub config: Option<PathBuf>,
    /// Compare only this many days after the run's window (default: every newer line);
    /// at least 1, as no day holds no line to compare.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub days: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `latent monitor`.
pub fn run(args: &MonitorArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let run = super::recommend_cmd::open_run(&args.run, "--days", 1)?;
    let spec = match &args.config {
        Some(path) => WorkspaceConfig::load(path)?.load_spec(),
        None => run.config.load_spec(),
    };
    let label = crate::export::run_id(&args.run);
    let report = monitor(&run, &label, &args.data, &spec, args.days)
        .with_context(|| format!("monitoring run '{}'", args.run.display()))?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write_text(&report, out)?;
    }
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn divergence_line(name: &str, d: &Divergence) -> String {
    format!(
        "{name:<18} PSI {:>5.3} ({})   Jensen-Shannon {:.3} bits",
        d.psi,
        d.band.name(),
        d.js
    )
}

fn movers(title: &str, list: &[Mover], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "\n{title}")?;
    for m in list {
        writeln!(
            out,
            "  {:<10} {:<40} {:>7} -> {:>7}",
            m.item_id,
            m.description.as_deref().unwrap_or(""),
            format!("{:.2} %", m.reference_share * 100.0),
            format!("{:.2} %", m.newer_share * 100.0)
        )?;
    }
    Ok(())
}

/// The report for a person: the windows, each figure with its band, the popularity tiers
/// as bars, the movers, the lists, and the verdict last.
pub fn write_text(r: &MonitorReport, out: &mut dyn Write) -> std::io::Result<()> {
    let d = &r.data;
    let window = |w: &crate::monitor::report::WindowSummary| {
        format!(
            "{} .. {}: {} lines, {} customers, {} products",
            w.first.as_deref().unwrap_or("?"),
            w.last.as_deref().unwrap_or("?"),
            w.lines,
            w.customers,
            w.products
        )
    };
    writeln!(out, "run {} ({})", r.run, r.model)?;
    writeln!(out, "trained on  {}", window(&d.reference))?;
    writeln!(out, "newer       {} ({})", window(&d.newer), r.newer_file)?;
    writeln!(out)?;
    writeln!(out, "{}", divergence_line("popularity", &d.popularity))?;
    if let Some(c) = &d.country {
        writeln!(out, "{}", divergence_line("country mix", c))?;
    }
    writeln!(
        out,
        "{}   mean {:.1} -> {:.1} lines",
        divergence_line("basket size", &d.basket.sizes),
        d.basket.reference_mean,
        d.basket.newer_mean
    )?;
    writeln!(
        out,
        "new buyers         {} of customers, {} of lines",
        pct(d.new_buyer_share),
        pct(d.new_customer_line_share)
    )?;
    writeln!(
        out,
        "new products       {} of lines",
        pct(d.new_product_line_share)
    )?;
    writeln!(
        out,
        "\npopularity tiers (share of lines; tier 1 = best sellers when trained)"
    )?;
    for (i, label) in d.popularity.labels.iter().enumerate() {
        let (a, b) = (d.popularity.reference[i], d.popularity.newer[i]);
        writeln!(
            out,
            "  {label:<8} {:>6} {:<25} {:>6} {}",
            pct(a),
            "#".repeat((a * 100.0).round() as usize),
            pct(b),
            "=".repeat((b * 100.0).round() as usize)
        )?;
    }
    movers(
        "rising products (share of lines, trained -> newer)",
        &d.rising,
        out,
    )?;
    movers("falling products", &d.falling, out)?;
    let l = &r.recommendations;
    writeln!(
        out,
        "\nrecommendations (top {}, {} known customers of the newer window)",
        l.k, l.customers_scored
    )?;
    writeln!(
        out,
        "  customers the model never saw  {}",
        pct(l.customers_unknown_share)
    )?;
    writeln!(
        out,
        "  catalogue coverage             {}",
        pct(l.catalogue_coverage)
    )?;
    writeln!(
        out,
        "  popularity of recommended      {} of customers (bought now: {})",
        pct(l.avg_recommended_popularity),
        pct(l.avg_bought_popularity)
    )?;
    writeln!(
        out,
        "  slots on products not sold since {}",
        pct(l.not_sold_share)
    )?;
    writeln!(out, "\n{}", r.verdict.sentence)?;
    Ok(())
}
