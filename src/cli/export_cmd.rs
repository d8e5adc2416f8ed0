//! `latent export`: a trained run as files for Spark, implicit/numpy, the warehouse and
//! SageMaker, in a local folder or on S3.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use super::recommend_cmd::open_run;
use super::rule_args::RuleArgs;
use crate::export::s3::S3Url;
use crate::export::{ExportOptions, Format};

/// Arguments of `latent export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The run directory written by `latent train`.
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Where to write: a folder (created; must not exist unless --overwrite),
    /// s3://bucket/prefix, or postgresql://USER@HOST:PORT/DB?table=NAME (the password
    /// from the URL, PGPASSWORD or ~/.pgpass).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX|postgresql://...")]
    pub to: String,
    /// Formats, comma-separated: bundle, spark, implicit, recs, sagemaker,
    /// recs-partitioned, or all (every one of those); spark-job (a PySpark script +
    /// job.json) only when named.
    /// To PostgreSQL: recs (the default) and factors.
    #[arg(long, value_delimiter = ',', value_name = "F,...")]
    pub format: Vec<String>,
    /// Replace an existing export at the target.
    #[arg(long)]
    pub overwrite: bool,
    /// Products per customer in `recs` (default: [recommend] reco_item of the run, 10).
    #[arg(long, value_name = "K")]
    pub top: Option<usize>,
    /// S3-compatible endpoint (default: AWS_ENDPOINT_URL, else AWS).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Rules for `recs`, on top of the run's `[overrides]`.
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Parses `--format` values (`all` expands to every format).
pub fn parse_formats(values: &[String]) -> anyhow::Result<Vec<Format>> {
    let mut formats = Vec::new();
    for v in values {
        if v.trim().eq_ignore_ascii_case("all") {
            formats.extend(Format::ALL);
        } else if !v.trim().is_empty() {
            formats.push(Format::parse(v)?);
        }
    }
    if formats.is_empty() {
        anyhow::bail!(crate::export::ExportError::UnknownFormat(String::new()));
    }
    formats.sort();
    formats.dedup();
    Ok(formats)
}

/// Runs `latent export`.
pub fn run(args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let started = Instant::now();
    let database = crate::export::destination::is_database(&args.to);
    let shown = crate::export::destination::shown(&args.to);
    let s3 = if database {
        None
    } else {
        S3Url::parse(&args.to).transpose()?
    };
    let default_format = [if database { "recs" } else { "bundle" }.to_owned()];
    let formats = parse_formats(if args.format.is_empty() {
        &default_format
    } else {
        &args.format
    })?;

    let run = open_run(&args.run, "--top", args.top.unwrap_or(1))?;
    let run_id = crate::export::run_id(&args.run);
    crate::export::check_formats(&run, &run_id, &formats)?;
    let rules = args.rules.resolve(&run.config.overrides)?;
    // A list never outgrows the catalogue: a larger --top is capped, with a warning.
    let asked = args.top.unwrap_or(run.config.recommend.reco_item).max(1);
    let (top_k, capped) = crate::recommend::capped_top("--top", asked, run.items.len().max(1));
    if let Some(w) = capped {
        let _ = writeln!(std::io::stderr(), "warning: {w}");
    }
    let opts = ExportOptions {
        formats,
        rules,
        top_k,
        overwrite: args.overwrite,
    };
    let mut err = std::io::stderr();
    let mut progress = |line: &str| {
        tracing::info!("{line}");
        if s3.is_some() || database {
            let _ = writeln!(err, "{line}");
        }
    };
    let manifest = crate::export::export_to(
        &run,
        &run_id,
        &args.to,
        args.endpoint_url.as_deref(),
        &opts,
        &mut progress,
    )
    .with_context(|| match &s3 {
        Some(url) => format!("uploading the export to {url}"),
        None if database => format!("exporting run '{}' to {shown}", args.run.display()),
        None => format!("exporting run '{}'", args.run.display()),
    })?;
    if manifest.content == "postgresql" {
        let tables: Vec<String> = manifest
            .files
            .iter()
            .map(|t| format!("{} ({} rows)", t.path, t.rows.unwrap_or(0)))
            .collect();
        writeln!(
            out,
            "exported {} of run '{}' to {shown}: {} in {:.2}s",
            manifest.formats.join(","),
            run_id,
            tables.join(", "),
            started.elapsed().as_secs_f64()
        )?;
        return Ok(());
    }
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    writeln!(
        out,
        "exported {} of run '{}' to {}: {} files, {} bytes in {:.2}s",
        manifest.formats.join(","),
        run_id,
        args.to,
        manifest.files.len(),
        bytes,
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}
