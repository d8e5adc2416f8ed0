//! `YᵀY`, the product factors' Gram matrix: every implicit customer system starts from it,
//! so the solver, the training loss, fold-in and explanations all need it.

use ndarray::Array2;
use pulp::{Arch, Simd, WithSimd};
use rayon::prelude::*;

use crate::models::linalg::{axpy, weighted_rows_simd};

/// `FᵀF`, summed over fixed blocks of rows in order so the result never depends on the
/// thread count. Blocks are small enough that both cores share even a few thousand rows.
pub fn gram(f: &Array2<f32>) -> Vec<f32> {
    const BLOCK: usize = 256;
    let k = f.ncols();
    let data = f.as_slice().expect("factor matrices are standard layout");
    let arch = Arch::new();
    let partials: Vec<Vec<f32>> = data
        .par_chunks(BLOCK * k)
        .map(|block| arch.dispatch(BlockGram { block, k }))
        .collect();
    let mut g = vec![0f32; k * k];
    for p in &partials {
        axpy(1.0, p, &mut g);
    }
    g
}

/// `BᵀB` of one block of rows: row `i` of the result is `Σ_r B[r, i] · B[r, :]`.
struct BlockGram<'a> {
    block: &'a [f32],
    k: usize,
}

impl WithSimd for BlockGram<'_> {
    type Output = Vec<f32>;

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> Vec<f32> {
        let k = self.k;
        let n = self.block.len() / k;
        let rows: Vec<u32> = (0..n as u32).collect();
        let mut column = vec![0f32; n];
        let mut g = vec![0f32; k * k];
        for i in 0..k {
            for (c, row) in column.iter_mut().zip(self.block.chunks_exact(k)) {
                *c = row[i];
            }
            weighted_rows_simd(simd, self.block, &rows, &column, &mut g[i * k..(i + 1) * k]);
        }
        g
    }
}
