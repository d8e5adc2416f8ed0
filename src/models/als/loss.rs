//! The objective ALS minimises, reported after every sweep.

use ndarray::Array2;
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

use super::gram::gram;
use super::params::{Convention, ValidAlsParams};
use super::row_solve::confidence;
use crate::data::CsrMatrix;
use crate::models::linalg::{dot, dot_simd, symv_simd};

/// The regularised objective, normalised for display.
///
/// Implicit: `Σ_all cᵤᵢ(pᵤᵢ − xᵤ·yᵢ)² + regularisation`, divided by the total confidence
/// mass (as the implicit library reports it). Explicit: squared error over the ratings
/// plus regularisation, divided by the number of ratings. Per-row terms are summed in row
/// order, so the value does not depend on the thread count.
pub fn training_loss(
    params: &ValidAlsParams,
    m: &CsrMatrix,
    x: &Array2<f32>,
    y: &Array2<f32>,
) -> f64 {
    let k = params.rank;
    let yty = if params.implicit_prefs {
        gram(y)
    } else {
        Vec::new()
    };
    let ys = y.as_slice().expect("standard layout");
    let xs = x.as_slice().expect("standard layout");
    let weighted = matches!(params.convention, Convention::Spark) || !params.implicit_prefs;
    let arch = Arch::new();
    let per_row: Vec<(f64, f64, f64)> = (0..m.rows())
        .into_par_iter()
        .with_min_len(64)
        .map_init(
            || vec![0f32; k],
            |buf, u| {
                arch.dispatch(RowLoss {
                    params,
                    yty: &yty,
                    m,
                    ys,
                    xs,
                    u,
                    buf,
                    weighted,
                })
            },
        )
        .collect();
    let (mut loss, mut reg, mut weight) = (0f64, 0f64, 0f64);
    for (l, r, w) in per_row {
        loss += l;
        reg += r;
        weight += w;
    }
    let mut item_counts = vec![0usize; m.cols()];
    for &c in m.indices() {
        item_counts[c as usize] += 1;
    }
    for (i, yi) in ys.chunks_exact(k).enumerate() {
        let n = if weighted { item_counts[i] as f64 } else { 1.0 };
        reg += f64::from(params.reg_param) * n * f64::from(dot(yi, yi));
    }
    let norm = if params.implicit_prefs {
        m.rows() as f64 * m.cols() as f64 + weight
    } else {
        m.nnz() as f64
    };
    (loss + reg) / norm.max(1.0)
}

/// One row's loss, regularisation and extra confidence.
struct RowLoss<'a> {
    params: &'a ValidAlsParams,
    yty: &'a [f32],
    m: &'a CsrMatrix,
    ys: &'a [f32],
    xs: &'a [f32],
    u: usize,
    buf: &'a mut Vec<f32>,
    weighted: bool,
}

impl WithSimd for RowLoss<'_> {
    type Output = (f64, f64, f64);

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> (f64, f64, f64) {
        let k = self.params.rank;
        let xu = &self.xs[self.u * k..(self.u + 1) * k];
        let (cols, vals) = self.m.row(self.u);
        let (mut loss, mut weight) = (0f64, 0f64);
        if self.params.implicit_prefs {
            symv_simd(simd, self.yty, xu, self.buf);
            loss += f64::from(dot_simd(simd, self.buf, xu));
        }
        for (&i, &v) in cols.iter().zip(vals) {
            let s = f64::from(dot_simd(
                simd,
                &self.ys[i as usize * k..(i as usize + 1) * k],
                xu,
            ));
            if self.params.implicit_prefs {
                let (c, p) = confidence(self.params, v);
                let (c, p) = (f64::from(c), f64::from(p));
                loss += c * (p - s) * (p - s) - s * s;
                weight += c - 1.0;
            } else {
                loss += (f64::from(v) - s) * (f64::from(v) - s);
            }
        }
        let n = if self.weighted {
            cols.len() as f64
        } else {
            1.0
        };
        let reg = f64::from(self.params.reg_param) * n * f64::from(dot_simd(simd, xu, xu));
        (loss, reg, weight)
    }
}
