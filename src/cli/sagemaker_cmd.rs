//! `latent sagemaker train|serve`: the container entry points SageMaker calls.
//!
//! SageMaker runs the image with `train` or `serve` and a fixed layout under `/opt/ml`
//! (overridable with `--ml-root` or `LATENT_ML_ROOT`, for tests and local runs):
//!
//! ```text
//! input/config/hyperparameters.json   all values strings: model (als, als-explicit,
//!                                     popularity, item-knn), test_last_days, k, and the
//!                                     model's hyperparameters (als_rank, reg_param, ...)
//! input/config/als_spec.json          the seed job's file, read when there is no
//!                                     hyperparameters.json (see super::sagemaker_spec)
//! input/data/<channel>/               one CSV or Parquet file of transactions, and
//!                                     optionally workspace.toml for its mapping/cleaning
//! model/                              written by train: the bundle serve loads
//! output/data/recommendations.csv     written by train: reco_item products per customer
//! output/output.csv                   the same, where the seed job wrote it
//! output/failure                      written by train when it fails: the reason
//! ```

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::WorkspaceConfig;
use crate::experiment::{Stage, TrainSpec};
use crate::models::hyper::ParamsError;

/// `latent sagemaker` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum SagemakerCommand {
    /// Train from /opt/ml/input and write the bundle to /opt/ml/model.
    Train(TrainArgs),
    /// Serve /opt/ml/model on port 8080 (SageMaker's inference contract).
    Serve(ServeArgs),
}

/// Arguments of `latent sagemaker train`.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// The SageMaker root (default: LATENT_ML_ROOT, else /opt/ml).
    #[arg(long, value_name = "DIR")]
    pub ml_root: Option<PathBuf>,
    /// The input channel holding the transactions.
    #[arg(long, default_value = "train")]
    pub channel: String,
}

/// Arguments of `latent sagemaker serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The SageMaker root (default: LATENT_ML_ROOT, else /opt/ml).
    #[arg(long, value_name = "DIR")]
    pub ml_root: Option<PathBuf>,
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// SageMaker sends requests from outside the container: every interface by default.
    #[arg(long, default_value = "0.0.0.0")]
    pub host: String,
}

fn ml_root(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| std::env::var_os("LATENT_ML_ROOT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/opt/ml"))
}

/// Runs `latent sagemaker ...`.
pub fn run(cmd: &SagemakerCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        SagemakerCommand::Train(args) => {
            let root = ml_root(args.ml_root.as_deref());
            let result = train(&root, &args.channel, out);
            if let Err(e) = &result {
                // SageMaker shows this file as the job's failure reason.
                let dir = root.join("output");
                let written = std::fs::create_dir_all(&dir)
                    .and_then(|()| std::fs::write(dir.join("failure"), format!("{e:#}\n")));
                if let Err(w) = written {
                    tracing::error!("cannot write {}: {w}", dir.join("failure").display());
                }
            }
            result
        }
        SagemakerCommand::Serve(args) => {
            let root = ml_root(args.ml_root.as_deref());
            let addr = super::serve_cmd::address(&args.host, args.port)?;
            let dir = root.join("model");
            let model = crate::serve::load_model(&dir.to_string_lossy(), None)
                .with_context(|| format!("loading model '{}'", dir.display()))?;
            // SageMaker replaces the container to change models; SIGHUP and POST /reload
            // read model/ again all the same.
            let follow = crate::serve::Follow {
                source: Some(crate::serve::ModelSource {
                    spec: dir.to_string_lossy().into_owned(),
                    endpoint: None,
                }),
                watch: None,
            };
            super::serve_cmd::serve(model, addr, follow, out)
        }
    }
}

fn train(root: &Path, channel: &str, out: &mut dyn Write) -> anyhow::Result<()> {
    let job = super::sagemaker_spec::read(root)?;
    if let Some(source) = &job.source {
        tracing::info!("settings from '{}'", source.display());
    }
    let channel_dir = root.join("input/data").join(channel);
    let entries = std::fs::read_dir(&channel_dir).map_err(|e| {
        ParamsError::Invalid(format!(
            "cannot read input channel '{}': {e}",
            channel_dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "workspace.toml"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    let data = match files.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(ParamsError::Invalid(format!(
                "input channel '{}' holds no data file: put one CSV or Parquet file of transactions there",
                channel_dir.display()
            ))
            .into());
        }
        many => {
            return Err(ParamsError::Invalid(format!(
                "input channel '{}' holds {} files ({}): put exactly one CSV or Parquet file there",
                channel_dir.display(),
                many.len(),
                many.iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
    };
    let workspace = channel_dir.join("workspace.toml");
    let mut config = if workspace.exists() {
        WorkspaceConfig::load(&workspace)?
    } else {
        WorkspaceConfig::default()
    };
    job.interactions.apply(&mut config);
    let reco_item = config.recommend.reco_item;
    let spec = TrainSpec::new(config, data, job.model, &job.overrides, job.holdout, job.k)?;
    let mut run = crate::experiment::train(&spec, &mut |stage: Stage| {
        if let Stage::Evaluated(r) = &stage {
            tracing::info!(
                "precision@{} {:.4} (popularity {:.4})",
                r.k,
                r.model.precision,
                r.baseline.precision
            );
        }
        ControlFlow::Continue(())
    })?;
    run.meta.ignored_params = job.ignored.clone();
    let model_dir = root.join("model");
    let run_id = format!("sagemaker-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    crate::export::bundle::write(&run, &run_id, chrono::Utc::now(), &model_dir)
        .with_context(|| format!("writing the model to '{}'", model_dir.display()))?;
    writeln!(
        out,
        "trained {} on {} customers x {} products; bundle written to {}",
        spec.model.name(),
        run.meta.users,
        run.meta.items,
        model_dir.display()
    )?;
    let written = write_recommendations(&run, reco_item, &root.join("output"))?;
    writeln!(
        out,
        "{} products for each of {} customers written to {}",
        reco_item,
        run.meta.users,
        written.display()
    )?;
    if !job.ignored.is_empty() {
        writeln!(
            out,
            "ignored (kept in run.toml): {}",
            job.ignored
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    if let Some(report) = &run.metrics {
        super::report::write_eval(report, out)?;
    }
    Ok(())
}

/// The batch consumer's file: `reco_item` products per customer, the run's rules applied,
/// as `output/data/recommendations.csv`, and a copy at the seed's `output/output.csv`.
fn write_recommendations(
    run: &crate::store::Run,
    reco_item: usize,
    output: &Path,
) -> anyhow::Result<PathBuf> {
    let lists = crate::export::recs::batch(run, &run.config.overrides, reco_item);
    let path = output.join("data/recommendations.csv");
    crate::export::recs::write_csv(run, &lists, &path)?;
    crate::export::recs::write_csv(run, &lists, &output.join("output.csv"))?;
    Ok(path)
}
