//! Alternating least squares: pure math on a CSR matrix and two factor matrices.
//!
//! Each sweep fixes the item factors `Y` and solves every customer's row of `X`, then the
//! reverse. For implicit feedback (Hu, Koren and Volinsky 2008) row `u` solves
//!
//! ```text
//! (YᵀY + Σᵢ (cᵤᵢ − 1) yᵢyᵢᵀ + λᵤ I) xᵤ = Σᵢ cᵤᵢ pᵤᵢ yᵢ
//! ```
//!
//! over its own interactions only, because `YᵀY` is shared by all rows. The default solve
//! is a few conjugate-gradient steps started from the previous `xᵤ` (Takács et al. 2011):
//! each step costs one pass over the row's items, against k² per item for forming the
//! matrix. For explicit ratings (ALS-WR, Zhou et al. 2008) row `u` solves
//! `(Σᵢ yᵢyᵢᵀ + λ nᵤ I) xᵤ = Σᵢ rᵤᵢ yᵢ` exactly, optionally under `xᵤ ≥ 0`.
//!
//! Every row's result depends only on the other side's factors, and shared sums are taken
//! in a fixed order, so results are identical for any number of threads.

use std::ops::ControlFlow;
use std::time::Instant;

use ndarray::Array2;
use rayon::prelude::*;

use super::params::ValidAlsParams;
use crate::data::CsrMatrix;
use crate::rng::mix;
use pulp::Arch;

use super::gram::gram;
use super::loss::training_loss;
use super::row_solve::{Scratch, SolveRows};

pub use crate::models::fit::{EpochReport, FitError};

/// Fitted factors: one row per customer and per product.
#[derive(Debug, Clone, PartialEq)]
pub struct Factors {
    pub users: Array2<f32>,
    pub items: Array2<f32>,
    /// One report per completed sweep.
    pub history: Vec<EpochReport>,
}

/// Fits ALS to `user_items` (and its transpose `item_users`), calling `progress` after
/// every sweep; `ControlFlow::Break` from it cancels.
pub fn fit(
    params: &ValidAlsParams,
    user_items: &CsrMatrix,
    item_users: &CsrMatrix,
    progress: &mut dyn FnMut(&EpochReport) -> ControlFlow<()>,
) -> Result<Factors, FitError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(params.num_threads)
        .thread_name(|i| format!("latent-als-{i}"))
        .build()
        .map_err(|e| FitError::Threads(e.to_string()))?;
    let start = Instant::now();
    let k = params.rank;
    let scale = if params.implicit_prefs {
        0.01
    } else {
        1.0 / (k as f32).sqrt()
    };
    let mut x = init_factors(user_items.rows(), k, params.seed, 0, scale);
    let mut y = init_factors(item_users.rows(), k, params.seed, 1, scale);
    let mut history = Vec::with_capacity(params.max_iter);
    for iteration in 1..=params.max_iter {
        pool.install(|| {
            sweep(params, user_items, &y, &mut x);
            sweep(params, item_users, &x, &mut y);
        });
        let loss = if params.calculate_loss {
            pool.install(|| training_loss(params, user_items, &x, &y))
        } else {
            f64::NAN
        };
        let diverged = (params.calculate_loss && !loss.is_finite())
            || x.iter().chain(y.iter()).any(|v| !v.is_finite());
        if diverged {
            return Err(FitError::Diverged { iteration, loss });
        }
        let report = EpochReport {
            iteration,
            of: params.max_iter,
            loss,
            elapsed: start.elapsed(),
            validation: None,
        };
        history.push(report);
        if progress(&report).is_break() {
            return Err(FitError::Cancelled {
                completed: iteration,
                planned: params.max_iter,
            });
        }
    }
    Ok(Factors {
        users: x,
        items: y,
        history,
    })
}

/// Deterministic initial factors: entry `(r, j)` depends only on seed, side, row, column.
pub fn init_factors(rows: usize, k: usize, seed: u64, side: u64, scale: f32) -> Array2<f32> {
    Array2::from_shape_fn((rows, k), |(r, j)| {
        let h =
            mix(seed ^ mix(side.wrapping_mul(0x1000_0000_01b3) ^ ((r as u64) << 20) ^ j as u64));
        ((h >> 40) as f32 / (1u64 << 24) as f32) * scale
    })
}

/// Solves every row of `target` given the fixed `other` side.
pub fn sweep(
    params: &ValidAlsParams,
    m: &CsrMatrix,
    other: &Array2<f32>,
    target: &mut Array2<f32>,
) {
    const ROWS_PER_TASK: usize = 32;
    let k = params.rank;
    let yty = if params.implicit_prefs {
        gram(other)
    } else {
        Vec::new()
    };
    let y = other.as_slice().expect("standard layout");
    let x = target.as_slice_mut().expect("standard layout");
    let arch = Arch::new();
    x.par_chunks_mut(ROWS_PER_TASK * k)
        .enumerate()
        .for_each_init(
            || Scratch::new(k),
            |scratch, (task, rows)| {
                arch.dispatch(SolveRows {
                    params,
                    yty: &yty,
                    m,
                    y,
                    rows,
                    first: task * ROWS_PER_TASK,
                    scratch,
                });
            },
        );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::als::params::{AlsParams, Convention, SolverKind};
    use crate::models::linalg::dot;

    /// Two blocks of users who buy two disjoint blocks of items, with a few holes.
    fn checkerboard(n: usize) -> CsrMatrix {
        let mut t = Vec::new();
        for u in 0..n {
            for i in 0..n {
                if (u < n / 2) == (i < n / 2) && (u + 2 * i) % 5 != 0 {
                    t.push((u as u32, i as u32, 1.0 + ((u * i) % 3) as f32));
                }
            }
        }
        CsrMatrix::from_triplets(n, n, &t)
    }

    fn fit_quiet(p: &AlsParams, m: &CsrMatrix) -> Factors {
        fit(&p.check().unwrap(), m, &m.transpose(), &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap()
    }

    #[test]
    fn cg_matches_cholesky_after_one_iteration() {
        let m = checkerboard(30);
        let base = AlsParams::new(8).max_iter(1).reg_param(0.05);
        let exact = fit_quiet(&base.clone().solver(SolverKind::Cholesky), &m);
        let cg = fit_quiet(&base.solver(SolverKind::Cg).cg_steps(16), &m);
        for (a, b) in exact
            .users
            .iter()
            .zip(cg.users.iter())
            .chain(exact.items.iter().zip(cg.items.iter()))
        {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn identical_for_any_thread_count() {
        let m = checkerboard(40);
        let p = AlsParams::new(6).max_iter(3);
        let one = fit_quiet(&p.clone().num_threads(1), &m);
        let four = fit_quiet(&p.num_threads(4), &m);
        assert_eq!(one.users, four.users);
        assert_eq!(one.items, four.items);
        assert_eq!(
            one.history.iter().map(|h| h.loss).collect::<Vec<_>>(),
            four.history.iter().map(|h| h.loss).collect::<Vec<_>>()
        );
    }

    #[test]
    fn loss_never_rises_with_exact_solves() {
        for convention in [Convention::Spark, Convention::Implicit] {
            let m = checkerboard(24);
            let f = fit_quiet(
                &AlsParams::new(4)
                    .max_iter(8)
                    .solver(SolverKind::Cholesky)
                    .convention(convention)
                    .alpha(5.0),
                &m,
            );
            for w in f.history.windows(2) {
                assert!(
                    w[1].loss <= w[0].loss + 1e-9,
                    "{convention:?}: {} then {}",
                    w[0].loss,
                    w[1].loss
                );
            }
            assert!(f.users.iter().all(|v| v.is_finite()));
        }
        let explicit = fit_quiet(
            &AlsParams::new(4).max_iter(8).implicit_prefs(false),
            &checkerboard(24),
        );
        for w in explicit.history.windows(2) {
            assert!(w[1].loss <= w[0].loss + 1e-9);
        }
    }

    #[test]
    fn implicit_scores_follow_the_blocks() {
        let m = checkerboard(20);
        let f = fit_quiet(&AlsParams::new(4).max_iter(10), &m);
        let score = |u: usize, i: usize| {
            dot(
                f.users.row(u).as_slice().unwrap(),
                f.items.row(i).as_slice().unwrap(),
            )
        };
        // User 0 is in the first block: its hole at item 0 (0 % 5 == 0) scores above any second-block item.
        assert!(
            score(0, 0) > score(0, 15),
            "{} vs {}",
            score(0, 0),
            score(0, 15)
        );
        assert!(score(15, 15) > score(15, 0));
    }

    #[test]
    fn explicit_nonnegative_keeps_factors_non_negative_and_fits_ratings() {
        let m = checkerboard(20);
        let f = fit_quiet(
            &AlsParams::new(4)
                .max_iter(15)
                .implicit_prefs(false)
                .nonnegative(true)
                .reg_param(0.01),
            &m,
        );
        assert!(f.users.iter().chain(f.items.iter()).all(|&v| v >= 0.0));
        let last = f.history.last().unwrap().loss;
        assert!(last < 1.0, "mean squared error plus regularisation {last}");
    }

    #[test]
    fn cancel_stops_and_says_where() {
        let m = checkerboard(10);
        let p = AlsParams::new(2).max_iter(5).check().unwrap();
        let err = fit(&p, &m, &m.transpose(), &mut |r| {
            if r.iteration == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap_err();
        assert_eq!(
            err,
            FitError::Cancelled {
                completed: 2,
                planned: 5
            }
        );
    }

    #[test]
    fn one_user_or_one_item_fits() {
        let one_user = CsrMatrix::from_triplets(1, 3, &[(0, 0, 1.0), (0, 2, 2.0)]);
        let f = fit_quiet(&AlsParams::new(3).max_iter(2), &one_user);
        assert!(f.users.iter().all(|v| v.is_finite()));
        let one_item = CsrMatrix::from_triplets(3, 1, &[(0, 0, 1.0), (2, 0, 1.0)]);
        let f = fit_quiet(
            &AlsParams::new(3).max_iter(2).implicit_prefs(false),
            &one_item,
        );
        assert!(f.items.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn gram_matches_naive() {
        let f = init_factors(50, 3, 1, 0, 1.0);
        let g = gram(&f);
        for a in 0..3 {
            for b in 0..3 {
                let naive: f32 = (0..50).map(|r| f[[r, a]] * f[[r, b]]).sum();
                assert!((g[a * 3 + b] - naive).abs() < 1e-4);
            }
        }
    }
}
