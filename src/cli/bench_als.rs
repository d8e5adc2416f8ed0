//! `latent bench als`: ALS epoch time, batch top-10 time and peak memory.
//!
//! The matrix comes from a transaction file, or from a CSR matrix saved as `.npy` files
//! (`indptr.npy` u64, `indices.npy` u32, `data.npy` f32, `shape.npy` u64) so that
//! `scripts/bench_als.py` can run the Python library `implicit` on exactly the same matrix.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::LoadArgs;
use super::peak_memory::peak_rss_kib;
use crate::data::{CsrMatrix, Interactions, load_transactions};
use crate::format::thousands;
use crate::models::AlsModel;
use crate::models::als::{AlsParams, Convention, SolverKind};
use crate::models::hyper::parse_assignment;
use crate::recommend::recommend_all;
use crate::store::npy;

/// Arguments of `latent bench als`.
#[derive(Debug, clap::Args)]
pub struct BenchAlsArgs {
    /// A transaction file (default: [data] path of --config) …
    pub file: Option<PathBuf>,
    /// … or a folder with a saved CSR matrix (see --save-matrix).
    #[arg(long, value_name = "DIR")]
    pub matrix: Option<PathBuf>,
    /// Save the matrix to DIR as .npy files and stop.
    #[arg(long, value_name = "DIR")]
    pub save_matrix: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Latent factors.
    #[arg(long, default_value_t = 64)]
    pub factors: usize,
    /// Timed iterations.
    #[arg(long, default_value_t = 5)]
    pub iterations: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// More ALS hyperparameters (repeatable), e.g. --set solver=cholesky.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

fn save_matrix(dir: &Path, m: &CsrMatrix) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let put = |name: &str,
               f: &dyn Fn(&mut BufWriter<File>) -> std::io::Result<()>|
     -> anyhow::Result<()> {
        let mut w = BufWriter::new(File::create(dir.join(name))?);
        f(&mut w)?;
        w.flush()?;
        Ok(())
    };
    let indptr: Vec<u64> = m.indptr().iter().map(|&p| p as u64).collect();
    put("indptr.npy", &|w| npy::write(w, &[indptr.len()], &indptr))?;
    put("indices.npy", &|w| npy::write(w, &[m.nnz()], m.indices()))?;
    put("data.npy", &|w| npy::write(w, &[m.nnz()], m.data()))?;
    put("shape.npy", &|w| {
        npy::write(w, &[2], &[m.rows() as u64, m.cols() as u64])
    })
}

fn read_matrix(dir: &Path) -> anyhow::Result<CsrMatrix> {
    fn get<T: npy::Element>(dir: &Path, name: &str) -> anyhow::Result<Vec<T>> {
        let f = File::open(dir.join(name))
            .map_err(|e| anyhow::anyhow!("'{}': {e}", dir.join(name).display()))?;
        Ok(npy::read(BufReader::new(f))
            .map_err(|e| anyhow::anyhow!("'{}': {e}", dir.join(name).display()))?
            .1)
    }
    let shape: Vec<u64> = get(dir, "shape.npy")?;
    let indptr: Vec<u64> = get(dir, "indptr.npy")?;
    let m = CsrMatrix::from_parts(
        shape[0] as usize,
        shape[1] as usize,
        indptr.into_iter().map(|p| p as usize).collect(),
        get(dir, "indices.npy")?,
        get(dir, "data.npy")?,
    );
    m.ok_or_else(|| anyhow::anyhow!("'{}' does not hold a consistent CSR matrix", dir.display()))
}

/// Runs `latent bench als`.
pub fn run(args: &BenchAlsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let matrix = match &args.matrix {
        Some(dir) => read_matrix(dir)?,
        None => {
            let config = args.load.workspace()?;
            let path = config.data_path(args.file.as_deref())?;
            let spec = config.load_spec();
            let (t, _) = load_transactions(&path, &spec)?;
            Interactions::from_transactions(&t, spec.interactions.ranking_type)?.user_items
        }
    };
    let load_seconds = t0.elapsed().as_secs_f64();
    if let Some(dir) = &args.save_matrix {
        save_matrix(dir, &matrix)?;
        writeln!(
            out,
            "saved {} x {} matrix ({} nnz) to {}",
            matrix.rows(),
            matrix.cols(),
            matrix.nnz(),
            dir.display()
        )?;
        return Ok(());
    }
    let transpose = matrix.transpose();
    // The implicit library's conventions, so the side-by-side comparison is like for like.
    let mut params = AlsParams::new(args.factors)
        .max_iter(args.iterations)
        .num_threads(args.threads)
        .convention(Convention::Implicit)
        .solver(SolverKind::Cg)
        .reg_param(0.01)
        .calculate_loss(false);
    for s in &args.set {
        let (k, v) = parse_assignment(s)?;
        params.set(&k, &v)?;
    }
    let params = params.check()?;
    let mut epochs = Vec::new();
    let mut last = Instant::now();
    let fit_start = Instant::now();
    let model = AlsModel::fit(&params, &matrix, &transpose, &mut |_| {
        epochs.push(last.elapsed().as_secs_f64());
        last = Instant::now();
        ControlFlow::Continue(())
    })?;
    let fit_seconds = fit_start.elapsed().as_secs_f64();
    let users: Vec<u32> = (0..matrix.rows() as u32).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    let t = Instant::now();
    let lists = pool.install(|| recommend_all(&model, &matrix, &users, 10, true));
    let topk_seconds = t.elapsed().as_secs_f64();
    let mut sorted = epochs.clone();
    sorted.sort_by(f64::total_cmp);
    writeln!(
        out,
        "bench als: {} users x {} items, nnz {}, factors {}, threads {}",
        thousands(matrix.rows()),
        thousands(matrix.cols()),
        thousands(matrix.nnz()),
        args.factors,
        args.threads
    )?;
    writeln!(out, "matrix load      {load_seconds:>9.3}s")?;
    writeln!(
        out,
        "fit ({} iter)     {fit_seconds:>9.3}s",
        args.iterations
    )?;
    writeln!(
        out,
        "epoch median     {:>9.3}s  ({} CG steps{})",
        sorted[sorted.len() / 2],
        params.cg_steps,
        if params.calculate_loss {
            ", with the loss"
        } else {
            ""
        }
    )?;
    writeln!(out, "epoch best       {:>9.3}s", sorted[0])?;
    writeln!(
        out,
        "top-10 all users {topk_seconds:>9.3}s  ({} lists)",
        lists.len()
    )?;
    if let Some(kib) = peak_rss_kib() {
        writeln!(out, "peak RSS         {:>9.1} MiB", kib as f64 / 1024.0)?;
    }
    Ok(())
}
