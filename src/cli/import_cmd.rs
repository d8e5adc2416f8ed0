//! `latent import spark-model`: a Spark ALSModel folder (from latent's `spark` export,
//! its `spark-job`, or any Spark job) as a latent run that `recommend`, `eval` and the
//! workbench use.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use crate::config::WorkspaceConfig;
use crate::export::import_spark::{ImportError, ImportOptions, import_spark_model};

/// `latent import …`.
#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Turn a Spark ALSModel folder (with or without latent_sidecar.json) into a run.
    SparkModel(SparkModelArgs),
}

/// Arguments of `latent import spark-model`.
#[derive(Debug, clap::Args)]
pub struct SparkModelArgs {
    /// The ALSModel folder (metadata/, userFactors/, itemFactors/).
    #[arg(value_name = "DIR")]
    pub model: PathBuf,
    /// The run folder to write (must not exist or be empty).
    #[arg(long, value_name = "RUN_DIR")]
    pub out: PathBuf,
    /// A workspace.toml whose [data], [cleaning], [interactions], [recommend] and
    /// [overrides] tables the run keeps (and --data is read with).
    #[arg(long, value_name = "WORKSPACE_TOML")]
    pub config: Option<PathBuf>,
    /// The data the model was trained on: rebuilds the training matrix (what each
    /// customer bought, left out of lists). Without it the matrix is empty.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
}

/// Runs `latent import`.
pub fn run(cmd: &ImportCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        ImportCommand::SparkModel(args) => run_spark_model(args, out),
    }
}

fn run_spark_model(args: &SparkModelArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let config = match &args.config {
        Some(path) => WorkspaceConfig::load(path)?,
        None => WorkspaceConfig::default(),
    };
    let opts = ImportOptions {
        config,
        data: args.data.clone(),
    };
    let context = || format!("importing Spark model '{}'", args.model.display());
    // The inner error goes into the chain as itself, so the exit code classifies it.
    let imported = import_spark_model(&args.model, &opts).map_err(|e| match e {
        ImportError::Model(e) => anyhow::Error::new(e).context(context()),
        ImportError::Data(e) => anyhow::Error::new(e).context(context()),
    })?;
    let log = std::iter::once(format!(
        "imported Spark ALSModel '{}'",
        args.model.display()
    ))
    .chain(imported.notes.iter().cloned())
    .collect::<Vec<_>>()
    .join("\n");
    imported
        .run
        .save(&args.out, &log)
        .with_context(|| format!("writing run '{}'", args.out.display()))?;
    let run = &imported.run;
    writeln!(
        out,
        "imported Spark ALSModel '{}' (rank {}, {}): {} customers x {} products, {} training pairs",
        args.model.display(),
        run.meta.params.get("als_rank").map_or("?", String::as_str),
        if imported.has_sidecar {
            "with latent's sidecar"
        } else {
            "no sidecar"
        },
        run.meta.users,
        run.meta.items,
        run.meta.nnz
    )?;
    for note in &imported.notes {
        writeln!(out, "note: {note}")?;
    }
    writeln!(out, "run written to {}", args.out.display())?;
    Ok(())
}
