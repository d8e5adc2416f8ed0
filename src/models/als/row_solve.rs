//! Solving one row's least-squares problem: the inner loop of ALS.
//!
//! Rows are solved inside a SIMD dispatch ([`SolveRows`]), so the kernels are compiled
//! for the CPU's widest instruction set (AVX2 + FMA on current x86) and chosen at run
//! time, and per-thread [`Scratch`] buffers mean no row allocates.

use pulp::{Simd, WithSimd};

use super::params::{AlsParams, Convention, SolverKind, ValidAlsParams};
use crate::data::CsrMatrix;
use crate::models::linalg::{
    axpy_simd, cholesky_solve, dot_simd, nnls, row_dots_simd, symv_simd, weighted_rows_simd,
};

/// Per-thread buffers.
pub struct Scratch {
    /// Per interaction of the row: confidence and preference, dot products, weights.
    conf: Vec<(f32, f32)>,
    q: Vec<f32>,
    w: Vec<f32>,
    r: Vec<f32>,
    p: Vec<f32>,
    ap: Vec<f32>,
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Scratch {
    /// Buffers for rank `k`.
    pub fn new(k: usize) -> Self {
        Self {
            conf: Vec::new(),
            q: Vec::new(),
            w: Vec::new(),
            r: vec![0.0; k],
            p: vec![0.0; k],
            ap: vec![0.0; k],
            a: vec![0.0; k * k],
            b: vec![0.0; k],
        }
    }
}

/// Confidence and preference of a stored value under the chosen convention.
#[inline(always)]
pub fn confidence(params: &AlsParams, v: f32) -> (f32, f32) {
    let pref = if v > 0.0 { 1.0 } else { 0.0 };
    match params.convention {
        Convention::Spark => (1.0 + params.alpha * v.abs(), pref),
        Convention::Implicit => (params.alpha * v, pref),
    }
}

/// λ of a row with `n` interactions: `reg_param · nᵛ`, ν the frequency scaling when set,
/// else 1 under Spark's ALS-WR and 0 under implicit's constant λ.
#[inline(always)]
pub fn row_lambda(params: &AlsParams, n: usize) -> f32 {
    match (params.reg_exponent, params.convention) {
        (Some(nu), _) => params.reg_param * (n as f32).powf(nu),
        (None, Convention::Spark) => params.reg_param * n as f32,
        (None, Convention::Implicit) => params.reg_param,
    }
}

/// A block of consecutive rows of `X` to solve against the fixed other side `y`.
pub struct SolveRows<'a> {
    pub params: &'a ValidAlsParams,
    /// `YᵀY` (row-major k × k), empty for explicit feedback.
    pub yty: &'a [f32],
    pub m: &'a CsrMatrix,
    pub y: &'a [f32],
    pub rows: &'a mut [f32],
    /// Index of the first row in `rows`.
    pub first: usize,
    pub scratch: &'a mut Scratch,
}

impl WithSimd for SolveRows<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let k = self.params.rank;
        let s = self.scratch;
        for (j, xu) in self.rows.chunks_exact_mut(k).enumerate() {
            let (cols, vals) = self.m.row(self.first + j);
            let row = Row {
                cols,
                vals,
                y: self.y,
                k,
            };
            if cols.is_empty() {
                xu.fill(0.0);
            } else if !self.params.implicit_prefs {
                solve_explicit(self.params, &row, xu, s);
            } else if self.params.solver == SolverKind::Cg {
                solve_cg(simd, self.params, self.yty, &row, xu, s);
            } else {
                solve_cholesky(self.params, self.yty, &row, xu, s);
            }
        }
    }
}

/// One row's interactions and the other side's factors.
struct Row<'a> {
    cols: &'a [u32],
    vals: &'a [f32],
    y: &'a [f32],
    k: usize,
}

impl Row<'_> {
    #[inline(always)]
    fn factor(&self, i: u32) -> &[f32] {
        &self.y[i as usize * self.k..(i as usize + 1) * self.k]
    }
}

/// A few conjugate-gradient steps on the row's implicit normal equations, from `xu`
/// (the implicit library's algorithm).
///
/// Each product with the row's part of the matrix runs in two phases: all dot products
/// `yᵢ·v` first, then one weighted sum of the `yᵢ`, so neither phase waits on the other.
#[inline(always)]
fn solve_cg<S: Simd>(
    simd: S,
    params: &ValidAlsParams,
    yty: &[f32],
    row: &Row<'_>,
    xu: &mut [f32],
    s: &mut Scratch,
) {
    let n = row.cols.len();
    let lambda = row_lambda(params, n);
    s.conf.clear();
    s.conf
        .extend(row.vals.iter().map(|&v| confidence(params, v)));
    s.q.resize(n, 0.0);
    s.w.resize(n, 0.0);
    // r = b − A·x = Σ cᵢpᵢyᵢ − (YᵀY + λI)x − Σ (cᵢ − 1)(yᵢ·x) yᵢ
    symv_simd(simd, yty, xu, &mut s.r);
    for (r, &x) in s.r.iter_mut().zip(xu.iter()) {
        *r = -*r - lambda * x;
    }
    row_dots_simd(simd, row.y, row.cols, xu, &mut s.q);
    for ((w, &q), &(c, p)) in s.w.iter_mut().zip(&s.q).zip(&s.conf) {
        *w = c * p - (c - 1.0) * q;
    }
    weighted_rows_simd(simd, row.y, row.cols, &s.w, &mut s.r);
    s.p.copy_from_slice(&s.r);
    let mut rs_old = dot_simd(simd, &s.r, &s.r);
    for _ in 0..params.cg_steps {
        if rs_old < 1e-20 {
            break;
        }
        symv_simd(simd, yty, &s.p, &mut s.ap);
        axpy_simd(simd, lambda, &s.p, &mut s.ap);
        row_dots_simd(simd, row.y, row.cols, &s.p, &mut s.q);
        for ((w, &q), &(c, _)) in s.w.iter_mut().zip(&s.q).zip(&s.conf) {
            *w = (c - 1.0) * q;
        }
        weighted_rows_simd(simd, row.y, row.cols, &s.w, &mut s.ap);
        let p_ap = dot_simd(simd, &s.p, &s.ap);
        if p_ap <= 0.0 || !p_ap.is_finite() {
            break;
        }
        let step = rs_old / p_ap;
        axpy_simd(simd, step, &s.p, xu);
        axpy_simd(simd, -step, &s.ap, &mut s.r);
        let rs_new = dot_simd(simd, &s.r, &s.r);
        let beta = rs_new / rs_old;
        for (p, &r) in s.p.iter_mut().zip(s.r.iter()) {
            *p = r + beta * *p;
        }
        rs_old = rs_new;
    }
}

/// The exact implicit solve: forms the row's k × k system and factorises it.
fn solve_cholesky(
    params: &ValidAlsParams,
    yty: &[f32],
    row: &Row<'_>,
    xu: &mut [f32],
    s: &mut Scratch,
) {
    let k = row.k;
    let lambda = f64::from(row_lambda(params, row.cols.len()));
    for (a, &g) in s.a.iter_mut().zip(yty) {
        *a = f64::from(g);
    }
    s.b.fill(0.0);
    for (&i, &v) in row.cols.iter().zip(row.vals) {
        let yi = row.factor(i);
        let (c, p) = confidence(params, v);
        add_outer(&mut s.a, yi, f64::from(c - 1.0));
        for (b, &yv) in s.b.iter_mut().zip(yi) {
            *b += f64::from(c * p) * f64::from(yv);
        }
    }
    for d in 0..k {
        s.a[d * k + d] += lambda;
    }
    if cholesky_solve(&mut s.a, &mut s.b) {
        for (x, &b) in xu.iter_mut().zip(&s.b) {
            *x = b as f32;
        }
    }
}

/// The explicit (ALS-WR) solve, under `x ≥ 0` when asked.
fn solve_explicit(params: &ValidAlsParams, row: &Row<'_>, xu: &mut [f32], s: &mut Scratch) {
    let k = row.k;
    s.a.fill(0.0);
    s.b.fill(0.0);
    for (&i, &v) in row.cols.iter().zip(row.vals) {
        let yi = row.factor(i);
        add_outer(&mut s.a, yi, 1.0);
        for (b, &yv) in s.b.iter_mut().zip(yi) {
            *b += f64::from(v) * f64::from(yv);
        }
    }
    // Explicit ALS is ALS-WR (ν 1) unless a frequency scaling is set.
    let nu = f64::from(params.reg_exponent.unwrap_or(1.0));
    let lambda = f64::from(params.reg_param) * (row.cols.len() as f64).powf(nu);
    for d in 0..k {
        // A tiny ridge keeps rows with fewer ratings than factors solvable when λ = 0.
        s.a[d * k + d] += lambda.max(1e-9);
    }
    if params.nonnegative {
        for (b, &x) in s.r.iter_mut().zip(xu.iter()) {
            *b = x.max(0.0);
        }
        let mut x: Vec<f64> = s.r.iter().map(|&v| f64::from(v)).collect();
        nnls(&s.a, &s.b, &mut x, 100);
        for (o, v) in xu.iter_mut().zip(x) {
            *o = v as f32;
        }
    } else if cholesky_solve(&mut s.a, &mut s.b) {
        for (x, &b) in xu.iter_mut().zip(&s.b) {
            *x = b as f32;
        }
    }
}

#[inline(always)]
fn add_outer(a: &mut [f64], v: &[f32], weight: f64) {
    let k = v.len();
    for (i, &vi) in v.iter().enumerate() {
        let wi = weight * f64::from(vi);
        for (aij, &vj) in a[i * k..(i + 1) * k].iter_mut().zip(v) {
            *aij += wi * f64::from(vj);
        }
    }
}
