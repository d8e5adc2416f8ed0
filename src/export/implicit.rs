//! The `implicit` format: what the Python library implicit (0.7.x) loads.
//!
//! ```text
//! model.npz        user_factors, item_factors (float32) and the hyperparameter keys
//!                  AlternatingLeastSquares.save writes: factors, regularization, alpha,
//!                  iterations, use_native, use_cg, cg_steps, calculate_training_loss,
//!                  num_threads, random_state, dtype
//! user_items.npz   the training matrix as scipy.sparse.save_npz writes it (CSR), for
//!                  recommend(..., user_items[u]) to leave out what was bought
//! ids.json         {"users": [...], "items": [...]}: row i is the i-th id
//! ```
//!
//! `implicit.cpu.als.AlternatingLeastSquares.load("model.npz")` gives a model whose
//! `recommend` ranks as latent does (a dot product of the factors). The regularization
//! stored is latent's `reg_param`; under the spark convention latent scales it by each
//! row's count, which implicit does not (see `convention` in the run's als_spec.json).

use std::path::Path;

use super::npz::Npz;
use super::{ExportError, create_dir, write_bytes};
use crate::models::AlsModel;
use crate::models::als::params::SolverKind;
use crate::store::Run;

/// Writes the implicit model of `run` (an ALS run) into `dir`.
pub fn write(run: &Run, dir: &Path) -> Result<(), ExportError> {
    let Some(m) = run.model.downcast_ref::<AlsModel>() else {
        return Err(ExportError::NeedsAls {
            format: "implicit",
            run: run.meta.data.clone(),
            model: run.meta.model.name(),
        });
    };
    create_dir(dir)?;
    let p = &m.params;
    let mut npz = Npz::new();
    for (name, f) in [
        ("user_factors", &m.user_factors),
        ("item_factors", &m.item_factors),
    ] {
        let data = f.as_standard_layout();
        npz.array(
            name,
            &[f.nrows(), f.ncols()],
            data.as_slice().unwrap_or(&[]),
        );
    }
    npz.scalar("regularization", f64::from(p.reg_param));
    npz.scalar("factors", p.rank as i64);
    npz.scalar("num_threads", p.num_threads as i64);
    npz.scalar("iterations", p.max_iter as i64);
    npz.boolean("use_native", true);
    npz.boolean("use_cg", p.solver == SolverKind::Cg);
    npz.scalar("cg_steps", p.cg_steps as i64);
    npz.boolean("calculate_training_loss", p.calculate_loss);
    npz.text("dtype", "float32");
    npz.scalar("random_state", p.seed as i64);
    npz.scalar("alpha", f64::from(p.alpha));
    npz.write(&dir.join("model.npz"))?;

    let train = &run.train;
    let mut csr = Npz::new();
    let indptr: Vec<i64> = train.indptr().iter().map(|&x| x as i64).collect();
    let indices: Vec<i32> = train.indices().iter().map(|&x| x as i32).collect();
    csr.array("indices", &[indices.len()], &indices);
    csr.array("indptr", &[indptr.len()], &indptr);
    csr.text("format", "csr");
    csr.array(
        "shape",
        &[2],
        &[run.users.len() as i64, run.items.len() as i64],
    );
    csr.array("data", &[train.nnz()], train.data());
    csr.write(&dir.join("user_items.npz"))?;

    let path = dir.join("ids.json");
    let ids = serde_json::json!({
        "users": run.users.names(),
        "items": run.items.names(),
    });
    let text = serde_json::to_vec(&ids).map_err(|e| ExportError::write(&path, e))?;
    write_bytes(&path, &text)
}
