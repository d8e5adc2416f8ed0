//! Small dense linear algebra for per-row least-squares solves.
//!
//! ALS and ALS-style FM solvers solve one k × k symmetric positive definite system per
//! row, with k at most a few hundred: a plain Cholesky factorisation in f64 is exact
//! enough and faster than calling out to a general library for each row.

/// Dot product with eight independent accumulators, so the compiler can keep them in
/// SIMD registers; used on every hot path.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let chunks = n / 8;
    for c in 0..chunks {
        let (x, y) = (&a[c * 8..c * 8 + 8], &b[c * 8..c * 8 + 8]);
        for l in 0..8 {
            acc[l] = x[l].mul_add(y[l], acc[l]);
        }
    }
    let mut sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for i in chunks * 8..n {
        sum = a[i].mul_add(b[i], sum);
    }
    sum
}

/// `y += alpha · x`.
#[inline(always)]
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi = alpha.mul_add(*xi, *yi);
    }
}

/// `out = m · v` for a row-major `k × k` matrix.
#[inline(always)]
pub fn symv(m: &[f32], v: &[f32], out: &mut [f32]) {
    let k = v.len();
    for (i, o) in out.iter_mut().enumerate().take(k) {
        *o = dot(&m[i * k..(i + 1) * k], v);
    }
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
    for i in 0..k {
        let mut s = b[i];
        for p in 0..i {
            s -= a[i * k + p] * b[p];
        }
        b[i] = s / a[i * k + i];
    }
    for i in (0..k).rev() {
        let mut s = b[i];
        for p in i + 1..k {
            s -= a[p * k + i] * b[p];
        }
        b[i] = s / a[i * k + i];
    }
    true
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
