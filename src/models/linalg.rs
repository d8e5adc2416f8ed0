//! Small dense linear algebra for per-row least-squares solves.
//!
//! ALS and ALS-style FM solvers solve one k × k symmetric positive definite system per
//! row, with k at most a few hundred: a plain Cholesky factorisation in f64 is exact
//! enough and faster than calling out to a general library for each row.

use pulp::{Arch, Simd, WithSimd};

/// Dot product on the widest SIMD the CPU offers, fused multiply-adds where they are fast.
///
/// The `*_simd` kernels take the [`Simd`] token of a [`pulp::Arch::dispatch`] so hot loops
/// are compiled once per instruction set and chosen at run time; `a` and `b` must have the
/// same length.
#[inline(always)]
pub fn dot_simd<S: Simd>(simd: S, a: &[f32], b: &[f32]) -> f32 {
    let (ah, at) = S::as_simd_f32s(a);
    let (bh, bt) = S::as_simd_f32s(b);
    let (mut acc0, mut acc1) = (simd.splat_f32s(0.0), simd.splat_f32s(0.0));
    let (ah2, ah1) = pulp::as_arrays::<2, _>(ah);
    let (bh2, bh1) = pulp::as_arrays::<2, _>(bh);
    for ([x0, x1], [y0, y1]) in ah2.iter().zip(bh2) {
        acc0 = simd.mul_add_e_f32s(*x0, *y0, acc0);
        acc1 = simd.mul_add_e_f32s(*x1, *y1, acc1);
    }
    for (x, y) in ah1.iter().zip(bh1) {
        acc0 = simd.mul_add_e_f32s(*x, *y, acc0);
    }
    let mut sum = simd.reduce_sum_f32s(simd.add_f32s(acc0, acc1));
    for (x, y) in at.iter().zip(bt) {
        sum += x * y;
    }
    sum
}

/// `y += alpha · x` (same lengths).
#[inline(always)]
pub fn axpy_simd<S: Simd>(simd: S, alpha: f32, x: &[f32], y: &mut [f32]) {
    let (xh, xt) = S::as_simd_f32s(x);
    let (yh, yt) = S::as_mut_simd_f32s(y);
    let a = simd.splat_f32s(alpha);
    for (yv, xv) in yh.iter_mut().zip(xh) {
        *yv = simd.mul_add_e_f32s(a, *xv, *yv);
    }
    for (yv, xv) in yt.iter_mut().zip(xt) {
        *yv += alpha * xv;
    }
}

/// `out = m · v` for a symmetric row-major `k × k` matrix.
#[inline(always)]
pub fn symv_simd<S: Simd>(simd: S, m: &[f32], v: &[f32], out: &mut [f32]) {
    // m·v = Σⱼ vⱼ·m[j, :] for symmetric m: a weighted sum of rows, accumulated in registers.
    const ROWS: [u32; 512] = {
        let mut rows = [0u32; 512];
        let mut i = 0;
        while i < 512 {
            rows[i] = i as u32;
            i += 1;
        }
        rows
    };
    let k = v.len();
    out[..k].fill(0.0);
    weighted_rows_simd(simd, m, &ROWS[..k], v, &mut out[..k]);
}

/// `out[j] = y[rows[j]] · v` for rows of a row-major matrix `y` with `v.len()` columns.
///
/// The dot products are independent, so the CPU overlaps them instead of waiting for
/// each horizontal sum as an interleaved dot-then-axpy loop would.
#[inline(always)]
pub fn row_dots_simd<S: Simd>(simd: S, y: &[f32], rows: &[u32], v: &[f32], out: &mut [f32]) {
    let k = v.len();
    let row = |r: u32| &y[r as usize * k..(r as usize + 1) * k];
    let (vh, vt) = S::as_simd_f32s(v);
    let (rows4, rest) = pulp::as_arrays::<4, _>(rows);
    let (out4, out_rest) = pulp::as_arrays_mut::<4, _>(out);
    // Four rows at a time share each load of `v` and run four independent FMA chains.
    for (quad, o) in rows4.iter().zip(out4) {
        let ys = [row(quad[0]), row(quad[1]), row(quad[2]), row(quad[3])];
        let heads = [
            S::as_simd_f32s(ys[0]).0,
            S::as_simd_f32s(ys[1]).0,
            S::as_simd_f32s(ys[2]).0,
            S::as_simd_f32s(ys[3]).0,
        ];
        let mut acc = [simd.splat_f32s(0.0); 4];
        for (t, &vv) in vh.iter().enumerate() {
            for q in 0..4 {
                acc[q] = simd.mul_add_e_f32s(heads[q][t], vv, acc[q]);
            }
        }
        for q in 0..4 {
            let mut sum = simd.reduce_sum_f32s(acc[q]);
            let start = k - vt.len();
            for (a, b) in ys[q][start..].iter().zip(vt) {
                sum += a * b;
            }
            o[q] = sum;
        }
    }
    for (o, &r) in out_rest.iter_mut().zip(rest) {
        *o = dot_simd(simd, row(r), v);
    }
}

/// `out += Σⱼ w[j] · y[rows[j]]`, accumulating eight SIMD vectors of `out` in registers
/// across all rows, so `out` is read and written once rather than once per row.
#[inline(always)]
pub fn weighted_rows_simd<S: Simd>(simd: S, y: &[f32], rows: &[u32], w: &[f32], out: &mut [f32]) {
    const BLOCK: usize = 8;
    let k = out.len();
    let lanes = core::mem::size_of::<S::f32s>() / core::mem::size_of::<f32>();
    let vectors = k / lanes;
    let (out_head, out_tail) = S::as_mut_simd_f32s(out);
    let mut start = 0;
    while start < vectors {
        let width = BLOCK.min(vectors - start);
        let mut acc = [simd.splat_f32s(0.0); BLOCK];
        for (&r, &wj) in rows.iter().zip(w) {
            let (yh, _) = S::as_simd_f32s(&y[r as usize * k..(r as usize + 1) * k]);
            let wv = simd.splat_f32s(wj);
            if width == BLOCK {
                let block = &yh[start..start + BLOCK];
                for t in 0..BLOCK {
                    acc[t] = simd.mul_add_e_f32s(wv, block[t], acc[t]);
                }
            } else {
                for t in 0..width {
                    acc[t] = simd.mul_add_e_f32s(wv, yh[start + t], acc[t]);
                }
            }
        }
        for t in 0..width {
            out_head[start + t] = simd.add_f32s(out_head[start + t], acc[t]);
        }
        start += width;
    }
    let tail_start = vectors * lanes;
    for (t, o) in out_tail.iter_mut().enumerate() {
        let c = tail_start + t;
        *o += rows
            .iter()
            .zip(w)
            .map(|(&r, &wj)| wj * y[r as usize * k + c])
            .sum::<f32>();
    }
}

/// [`dot_simd`] dispatched on its own, for code off the hot paths.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    struct Op<'a>(&'a [f32], &'a [f32]);
    impl WithSimd for Op<'_> {
        type Output = f32;
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) -> f32 {
            dot_simd(simd, self.0, self.1)
        }
    }
    let n = a.len().min(b.len());
    Arch::new().dispatch(Op(&a[..n], &b[..n]))
}

/// [`axpy_simd`] dispatched on its own, for code off the hot paths.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    struct Op<'a>(f32, &'a [f32], &'a mut [f32]);
    impl WithSimd for Op<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, simd: S) {
            axpy_simd(simd, self.0, self.1, self.2);
        }
    }
    let n = x.len().min(y.len());
    Arch::new().dispatch(Op(alpha, &x[..n], &mut y[..n]));
}

/// Cosine between row `item` of `y` and every row; `None` for a row `y` does not have.
/// Product neighbours of factor models are these.
pub fn cosine_to_row(y: &ndarray::ArrayView2<'_, f32>, item: u32) -> Option<Vec<f32>> {
    if item as usize >= y.nrows() {
        return None;
    }
    let target = y.row(item as usize);
    let own = target.dot(&target).sqrt().max(f32::MIN_POSITIVE);
    Some(
        y.rows()
            .into_iter()
            .map(|r| r.dot(&target) / (own * r.dot(&r).sqrt().max(f32::MIN_POSITIVE)))
            .collect(),
    )
}

/// Solves `a · x = b` in place for symmetric positive definite row-major `a` (k × k,
/// overwritten by its Cholesky factor); `false` when `a` is not positive definite.
pub fn cholesky_solve(a: &mut [f64], b: &mut [f64]) -> bool {
    let k = b.len();
    for j in 0..k {
        let mut d = a[j * k + j];
        for p in 0..j {
            d -= a[j * k + p] * a[j * k + p];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * k + j] = d;
        for i in j + 1..k {
            let mut s = a[i * k + j];
            for p in 0..j {
                s -= a[i * k + p] * a[j * k + p];
            }
            a[i * k + j] = s / d;
        }
    }
    cholesky_resolve(a, b);
    true
}

/// Solves `a · x = b` in place again, with `a` already factored by [`cholesky_solve`]
/// (its lower triangle holds the factor): solvers that keep one matrix across steps
/// factor it once.
pub fn cholesky_resolve(l: &[f64], b: &mut [f64]) {
    let k = b.len();
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= l[i * k + p] * b[p];
        }
        b[i] = s / l[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for p in i + 1..k {
            s -= l[p * k + i] * b[p];
        }
        b[i] = s / l[i * k + i];
    }
}

/// Non-negative least squares on the normal equations: minimises `½xᵀAx − bᵀx` subject to
/// `x ≥ 0` by projected coordinate descent (the problem Spark's NNLS solves per row).
pub fn nnls(a: &[f64], b: &[f64], x: &mut [f64], sweeps: usize) {
    let k = b.len();
    for _ in 0..sweeps {
        let mut change = 0.0f64;
        for j in 0..k {
            let diag = a[j * k + j];
            if diag <= 0.0 {
                continue;
            }
            let mut grad = -b[j];
            for p in 0..k {
                grad += a[j * k + p] * x[p];
            }
            let new = (x[j] - grad / diag).max(0.0);
            change = change.max((new - x[j]).abs());
            x[j] = new;
        }
        if change < 1e-10 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn dot_and_axpy_by_hand() {
        let a: Vec<f32> = (1..=11).map(|v| v as f32).collect();
        let b = vec![1.0f32; 11];
        assert_abs_diff_eq!(dot(&a, &b), 66.0);
        let mut y = vec![1.0f32; 3];
        axpy(2.0, &[1.0, 2.0, 3.0], &mut y);
        assert_eq!(y, [3.0, 5.0, 7.0]);
    }

    #[test]
    fn row_kernels_match_naive_sums() {
        struct Op;
        impl WithSimd for Op {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                for k in [1usize, 3, 8, 13, 64, 72, 130] {
                    let y: Vec<f32> = (0..5 * k).map(|v| ((v * 7 % 11) as f32) - 5.0).collect();
                    let v: Vec<f32> = (0..k).map(|v| (v % 5) as f32 * 0.5).collect();
                    let rows = [4u32, 0, 2];
                    let mut dots = [0f32; 3];
                    row_dots_simd(simd, &y, &rows, &v, &mut dots);
                    for (d, &r) in dots.iter().zip(&rows) {
                        let naive: f32 = (0..k).map(|c| y[r as usize * k + c] * v[c]).sum();
                        assert!((d - naive).abs() < 1e-3, "k={k}");
                    }
                    let w = [0.5f32, -1.0, 2.0];
                    let mut out = vec![1.0f32; k];
                    weighted_rows_simd(simd, &y, &rows, &w, &mut out);
                    for c in 0..k {
                        let naive: f32 = 1.0
                            + rows
                                .iter()
                                .zip(&w)
                                .map(|(&r, &wj)| wj * y[r as usize * k + c])
                                .sum::<f32>();
                        assert!((out[c] - naive).abs() < 1e-3, "k={k} c={c}");
                    }
                }
            }
        }
        Arch::new().dispatch(Op);
        Op.with_simd(pulp::Scalar);
    }

    #[test]
    fn cholesky_three_by_three_oracle() {
        // A = [[4,2,0],[2,5,1],[0,1,3]], x = [1,-1,2] → b = A·x = [2,-1,5].
        let mut a = vec![4.0, 2.0, 0.0, 2.0, 5.0, 1.0, 0.0, 1.0, 3.0];
        let mut b = vec![2.0, -1.0, 5.0];
        assert!(cholesky_solve(&mut a, &mut b));
        assert_abs_diff_eq!(b[0], 1.0, epsilon = 1e-12);
        assert_abs_diff_eq!(b[1], -1.0, epsilon = 1e-12);
        assert_abs_diff_eq!(b[2], 2.0, epsilon = 1e-12);
        let mut singular = vec![1.0, 1.0, 1.0, 1.0];
        assert!(!cholesky_solve(&mut singular, &mut [1.0, 1.0]));
    }

    #[test]
    fn nnls_clamps_at_zero() {
        // Unconstrained optimum of A=I, b=[1,-2] is [1,-2]; constrained it is [1,0].
        let a = [1.0, 0.0, 0.0, 1.0];
        let mut x = [0.5, 0.5];
        nnls(&a, &[1.0, -2.0], &mut x, 50);
        assert_abs_diff_eq!(x[0], 1.0, epsilon = 1e-9);
        assert_abs_diff_eq!(x[1], 0.0, epsilon = 1e-9);
    }

    proptest::proptest! {
        #[test]
        fn cholesky_solves_spd_systems(vals in proptest::collection::vec(-1.0f64..1.0, 16), rhs in proptest::collection::vec(-5.0f64..5.0, 4)) {
            // M·Mᵀ + I is symmetric positive definite.
            let k = 4;
            let mut a = vec![0.0; k * k];
            for i in 0..k { for j in 0..k { for p in 0..k { a[i * k + j] += vals[i * k + p] * vals[j * k + p]; } } a[i * k + i] += 1.0; }
            let orig = a.clone();
            let mut x = rhs.clone();
            proptest::prop_assert!(cholesky_solve(&mut a, &mut x));
            for i in 0..k {
                let ax: f64 = (0..k).map(|j| orig[i * k + j] * x[j]).sum();
                proptest::prop_assert!((ax - rhs[i]).abs() < 1e-8);
            }
        }
    }
}
