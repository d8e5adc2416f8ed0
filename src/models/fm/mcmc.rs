//! Bayesian factorization machines by Gibbs sampling (Freudenthaler, Schmidt-Thieme and
//! Rendle 2011; libFM's and myFM's MCMC), for the regressor.
//!
//! Every weight `θ` has a Gaussian prior whose mean and precision are themselves drawn
//! each sweep, per feature group (customer ids, product ids, each side feature) and per
//! factor; the noise precision `α` too. Because `ŷ` is linear in each single weight,
//! `ŷ = g_θ + θ·h_θ`, the weight's conditional posterior is Gaussian:
//!
//! ```text
//! precision = α Σ_n h_n² + λ        mean = (α Σ_n h_n (e_n + θ h_n) + μ λ) / precision
//! ```
//!
//! with `e_n = y_n − ŷ_n` kept up to date after every draw (`h = x` for a linear weight,
//! `h = x (q_n − v x)` for a factor, with `q_n = Σ_j v_j x_nj`). So there is no learning
//! rate and no regularisation to tune. Predictions average every sample drawn after
//! `burn_in`; the fitted model keeps those samples.
//!
//! Features of an *exclusive* group never share an example, so their draws are
//! independent given everything else: they are drawn in parallel, then applied in feature
//! order. Every draw has its own counter-based random stream, so the chain is identical
//! for any number of threads.

use std::ops::ControlFlow;
use std::time::Instant;

use rayon::prelude::*;

use super::fit::{Examples, FmEpochReport, FmFit, FmFitError, FmWeights};
use super::params::ValidFmParams;
use super::space::FeatureSpace;
use crate::data::CsrMatrix;
use crate::rng::Rng;

/// Initial factor spread (libFM's and myFM's `init_stdev`).
const INIT_STDEV: f64 = 0.1;

/// The training examples by feature (compressed sparse columns).
struct Columns {
    ptr: Vec<usize>,
    example: Vec<u32>,
    x: Vec<f64>,
}

impl Columns {
    fn build(space: &FeatureSpace, train: &[(u32, u32, f32)]) -> Self {
        let n = space.len();
        let row = |&(u, i, _): &(u32, u32, f32)| {
            let a = space.user_rows.row(u as usize);
            let b = space.item_rows.row(i as usize);
            a.0.iter().zip(a.1).chain(b.0.iter().zip(b.1))
        };
        let mut ptr = vec![0usize; n + 1];
        for e in train {
            for (&f, _) in row(e) {
                ptr[f as usize + 1] += 1;
            }
        }
        for f in 0..n {
            ptr[f + 1] += ptr[f];
        }
        let mut next = ptr.clone();
        let mut example = vec![0u32; ptr[n]];
        let mut x = vec![0f64; ptr[n]];
        for (id, e) in train.iter().enumerate() {
            for (&f, &v) in row(e) {
                let at = &mut next[f as usize];
                example[*at] = id as u32;
                x[*at] = f64::from(v);
                *at += 1;
            }
        }
        Self { ptr, example, x }
    }

    fn of(&self, f: usize) -> (&[u32], &[f64]) {
        let r = self.ptr[f]..self.ptr[f + 1];
        (&self.example[r.clone()], &self.x[r])
    }
}

/// Draws `mean` and precision `lambda` of a group's prior from its current weights
/// (Normal–Gamma hyperpriors with μ₀ = 0, γ₀ = 1, α₀ = β₀ = 1, as libFM).
fn draw_prior(values: impl Iterator<Item = f64> + Clone, lambda: f64, rng: &mut Rng) -> (f64, f64) {
    let (n, sum) = values
        .clone()
        .fold((0f64, 0f64), |(n, s), v| (n + 1.0, s + v));
    let mu = sum / (n + 1.0) + rng.normal() / ((n + 1.0) * lambda).sqrt();
    let ss: f64 = values.map(|v| (v - mu) * (v - mu)).sum::<f64>() + mu * mu;
    let lambda = rng.gamma(f64::midpoint(2.0, n), f64::midpoint(1.0, ss));
    (mu, lambda.max(1e-9))
}

/// The sampler's state.
struct Chain<'a> {
    cols: Columns,
    groups: &'a [super::space::FeatureGroup],
    k: usize,
    w0: f64,
    w: Vec<f64>,
    v: Vec<f64>,
    /// `y − ŷ` per training example.
    e: Vec<f64>,
    alpha: f64,
    lambda_w: Vec<f64>,
    lambda_v: Vec<f64>,
    seed: u64,
}

impl Chain<'_> {
    /// Draws one weight given its `h` over its examples; returns the new value.
    fn draw(
        &self,
        theta: f64,
        h: &[f64],
        examples: &[u32],
        mu: f64,
        lambda: f64,
        rng: &mut Rng,
    ) -> f64 {
        let (mut hh, mut he) = (0f64, 0f64);
        for (&n, &hn) in examples.iter().zip(h) {
            hh += hn * hn;
            he += hn * (self.e[n as usize] + theta * hn);
        }
        let precision = self.alpha * hh + lambda;
        let mean = (self.alpha * he + mu * lambda) / precision;
        mean + rng.normal() / precision.sqrt()
    }

    /// One Gibbs sweep over every weight; `sweep` numbers the random streams.
    fn sweep(&mut self, sweep: u64, q: &mut [f64]) {
        let seed = self.seed;
        let k = self.k;
        let n_ex = self.e.len() as f64;
        // Noise precision.
        let sse: f64 = self.e.iter().map(|e| e * e).sum();
        let mut rng = Rng::at(seed, sweep, u64::MAX);
        self.alpha = rng.gamma(f64::midpoint(1.0, n_ex), f64::midpoint(1.0, sse));
        // Global bias, with a flat prior.
        let sum_e: f64 = self.e.iter().sum();
        let mean = (sum_e + self.w0 * n_ex) / n_ex;
        let w0 = mean + rng.normal() / (self.alpha * n_ex).sqrt();
        let d = w0 - self.w0;
        self.e.iter_mut().for_each(|e| *e -= d);
        self.w0 = w0;
        // Linear weights, group by group.
        for (gi, g) in self.groups.iter().enumerate() {
            let range = g.start as usize..g.end as usize;
            let mut rng = Rng::at(seed, sweep, (1 << 40) | gi as u64);
            let (mu, lambda) = draw_prior(
                self.w[range.clone()].iter().copied(),
                self.lambda_w[gi],
                &mut rng,
            );
            self.lambda_w[gi] = lambda;
            let draw_w = |chain: &Chain<'_>, f: usize| {
                let (ex, x) = chain.cols.of(f);
                let mut rng = Rng::at(seed, sweep, (2 << 40) | f as u64);
                chain.draw(chain.w[f], x, ex, mu, lambda, &mut rng)
            };
            if g.exclusive {
                let new: Vec<f64> = range
                    .clone()
                    .into_par_iter()
                    .map(|f| draw_w(self, f))
                    .collect();
                for (f, value) in range.zip(new) {
                    self.set_w(f, value);
                }
            } else {
                for f in range {
                    let value = draw_w(self, f);
                    self.set_w(f, value);
                }
            }
        }
        // Factors, one column at a time.
        let mut h = Vec::new();
        for t in 0..k {
            q.fill(0.0);
            for f in 0..self.w.len() {
                let vf = self.v[f * k + t];
                let (ex, x) = self.cols.of(f);
                for (&n, &xv) in ex.iter().zip(x) {
                    q[n as usize] += vf * xv;
                }
            }
            for (gi, g) in self.groups.iter().enumerate() {
                let range = g.start as usize..g.end as usize;
                let mut rng = Rng::at(seed, sweep, (3 << 40) | ((t as u64) << 20) | gi as u64);
                let column = range.clone().map(|f| self.v[f * k + t]);
                let li = gi * k + t;
                let (mu, lambda) = draw_prior(column, self.lambda_v[li], &mut rng);
                self.lambda_v[li] = lambda;
                let draw_v = |chain: &Chain<'_>, q: &[f64], f: usize, h: &mut Vec<f64>| {
                    let (ex, x) = chain.cols.of(f);
                    let vf = chain.v[f * k + t];
                    h.clear();
                    h.extend(
                        ex.iter()
                            .zip(x)
                            .map(|(&n, &xv)| xv * (q[n as usize] - vf * xv)),
                    );
                    let mut rng = Rng::at(seed, sweep, (4 << 40) | ((t as u64) << 32) | f as u64);
                    chain.draw(vf, h, ex, mu, lambda, &mut rng)
                };
                if g.exclusive {
                    let qs: &[f64] = q;
                    let new: Vec<f64> = range
                        .clone()
                        .into_par_iter()
                        .map_init(Vec::new, |h, f| draw_v(self, qs, f, h))
                        .collect();
                    for (f, value) in range.zip(new) {
                        self.set_v(f, t, value, q);
                    }
                } else {
                    for f in range {
                        let value = draw_v(self, q, f, &mut h);
                        self.set_v(f, t, value, q);
                    }
                }
            }
        }
    }

    fn set_w(&mut self, f: usize, value: f64) {
        let d = value - self.w[f];
        let (ex, x) = self.cols.of(f);
        for (&n, &xv) in ex.iter().zip(x) {
            self.e[n as usize] -= d * xv;
        }
        self.w[f] = value;
    }

    fn set_v(&mut self, f: usize, t: usize, value: f64, q: &mut [f64]) {
        let k = self.k;
        let old = self.v[f * k + t];
        let d = value - old;
        let (ex, x) = self.cols.of(f);
        for (&n, &xv) in ex.iter().zip(x) {
            let n = n as usize;
            // h changes with q, so recompute the factor's share before and after.
            let before = xv * (q[n] - old * xv) * old;
            q[n] += d * xv;
            let after = xv * (q[n] - value * xv) * value;
            self.e[n] -= after - before;
        }
        self.v[f * k + t] = value;
    }

    fn weights(&self) -> FmWeights {
        FmWeights {
            w0: self.w0 as f32,
            w: self.w.iter().map(|&x| x as f32).collect(),
            v: self.v.iter().map(|&x| x as f32).collect(),
            k: self.k,
        }
    }
}

/// Runs the sampler for `epochs` sweeps and keeps the samples after `burn_in`.
pub fn fit(
    params: &ValidFmParams,
    space: &FeatureSpace,
    m: &CsrMatrix,
    pool: &rayon::ThreadPool,
    start: Instant,
    progress: &mut dyn FnMut(&FmEpochReport) -> ControlFlow<()>,
) -> Result<FmFit, FmFitError> {
    let k = params.num_factors;
    let examples = Examples::split(m, params.validation_fraction, params.seed);
    if examples.train.is_empty() {
        return Err(FmFitError::BadData(
            "no training pairs left after the validation split: lower validation_fraction".into(),
        ));
    }
    let n = space.len();
    let mut chain = Chain {
        cols: Columns::build(space, &examples.train),
        groups: &space.groups,
        k,
        w0: 0.0,
        w: vec![0.0; n],
        v: (0..n * k)
            .map(|j| Rng::at(params.seed, 3, j as u64).normal() * INIT_STDEV)
            .collect(),
        e: Vec::new(),
        alpha: 1.0,
        lambda_w: vec![1.0; space.groups.len()],
        lambda_v: vec![1.0; space.groups.len() * k],
        seed: params.seed,
    };
    let start_weights = chain.weights();
    let mut sum = vec![0f32; k];
    chain.e = examples
        .train
        .iter()
        .map(|&(u, i, y)| {
            f64::from(y)
                - f64::from(start_weights.score(
                    space.user_rows.row(u as usize),
                    space.item_rows.row(i as usize),
                    &mut sum,
                ))
        })
        .collect();
    let mut q = vec![0f64; examples.train.len()];
    let mut samples = Vec::new();
    let mut history = Vec::new();
    // Running sum of validation predictions of the kept samples.
    let mut averaged = vec![0f64; examples.validation.len()];
    for epoch in 1..=params.epochs {
        let pass_start = Instant::now();
        pool.install(|| chain.sweep(epoch as u64, &mut q));
        let train_loss = chain.e.iter().map(|e| e * e).sum::<f64>() / chain.e.len() as f64;
        if !train_loss.is_finite() {
            return Err(FmFitError::Diverged {
                epoch,
                loss: train_loss,
                bias_lr: params.bias_lr,
                linear_lr: params.linear_lr,
                factors_lr: params.factors_lr,
            });
        }
        let pass = pass_start.elapsed();
        let weights = chain.weights();
        let kept = epoch > params.burn_in;
        let validation = (!examples.validation.is_empty()).then(|| {
            let predictions: Vec<f64> = pool.install(|| {
                examples
                    .validation
                    .par_iter()
                    .map_init(
                        || vec![0f32; k],
                        |s, &(u, i, _)| {
                            f64::from(weights.score(
                                space.user_rows.row(u as usize),
                                space.item_rows.row(i as usize),
                                s,
                            ))
                        },
                    )
                    .collect()
            });
            let kept_count = epoch.saturating_sub(params.burn_in) as f64;
            let se: f64 = examples
                .validation
                .iter()
                .zip(&predictions)
                .zip(averaged.iter_mut())
                .map(|((&(_, _, y), &p), avg)| {
                    let shown = if kept {
                        *avg += p;
                        *avg / kept_count
                    } else {
                        p
                    };
                    (shown - f64::from(y)).powi(2)
                })
                .sum();
            (se / examples.validation.len() as f64).sqrt()
        });
        if kept {
            samples.push(weights);
        }
        let report = FmEpochReport {
            epoch,
            of: params.epochs,
            train_loss,
            validation,
            metric: "rmse",
            elapsed: start.elapsed(),
            pass,
        };
        history.push(report);
        if progress(&report).is_break() {
            return Err(FmFitError::Cancelled {
                completed: epoch,
                planned: params.epochs,
            });
        }
    }
    Ok(FmFit { samples, history })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;
    use crate::models::fm::params::{FmParams, FmSolver, PredictorType};

    fn planted(n: usize) -> (FeatureSpace, CsrMatrix) {
        let mut t = Vec::new();
        for u in 0..n {
            for i in 0..n {
                if (u * 7 + i * 3) % 4 != 0 {
                    let same = (u < n / 2) == (i < n / 2);
                    let y = 3.0 + if same { 1.0 } else { -1.0 } + (i % 3) as f32 * 0.2;
                    t.push((u as u32, i as u32, y));
                }
            }
        }
        let ids = |p: &str| IdMap::from_names((0..n).map(|k| format!("{p}{k}")));
        (
            FeatureSpace::ids_only(&ids("u"), &ids("i")),
            CsrMatrix::from_triplets(n, n, &t),
        )
    }

    fn mcmc(epochs: usize) -> FmParams {
        FmParams::new(4)
            .predictor_type(PredictorType::Regressor)
            .solver(FmSolver::Mcmc)
            .epochs(epochs)
            .burn_in(epochs / 4)
            .validation_fraction(0.2)
    }

    fn run(p: &FmParams, space: &FeatureSpace, m: &CsrMatrix) -> FmFit {
        super::super::train::fit(&p.check().unwrap(), space, m, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap()
    }

    #[test]
    fn residuals_stay_exact_after_every_draw() {
        let (space, m) = planted(16);
        let p = mcmc(3).check().unwrap();
        let examples = Examples::split(&m, 0.0, 1);
        let n = space.len();
        let mut chain = Chain {
            cols: Columns::build(&space, &examples.train),
            groups: &space.groups,
            k: 4,
            w0: 0.0,
            w: vec![0.0; n],
            v: (0..n * 4)
                .map(|j| Rng::at(1, 3, j as u64).normal() * 0.1)
                .collect(),
            e: Vec::new(),
            alpha: 1.0,
            lambda_w: vec![1.0; space.groups.len()],
            lambda_v: vec![1.0; space.groups.len() * 4],
            seed: p.seed,
        };
        let mut s = [0f32; 4];
        let residuals = |c: &Chain<'_>, s: &mut [f32]| -> Vec<f64> {
            let w = c.weights();
            examples
                .train
                .iter()
                .map(|&(u, i, y)| {
                    f64::from(y)
                        - f64::from(w.score(
                            space.user_rows.row(u as usize),
                            space.item_rows.row(i as usize),
                            s,
                        ))
                })
                .collect()
        };
        chain.e = residuals(&chain, &mut s);
        let mut q = vec![0f64; examples.train.len()];
        for sweep in 1..=3 {
            chain.sweep(sweep, &mut q);
            for (a, b) in chain.e.iter().zip(residuals(&chain, &mut s)) {
                assert!((a - b).abs() < 1e-3, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn sampler_fits_planted_ratings_identically_on_any_thread_count() {
        let (space, m) = planted(24);
        let one = run(&mcmc(40).num_threads(1), &space, &m);
        let four = run(&mcmc(40).num_threads(4), &space, &m);
        assert_eq!(one.samples, four.samples);
        assert_eq!(one.samples.len(), 30);
        let rmse = one.history.last().unwrap().validation.unwrap();
        assert!(rmse < 0.35, "validation rmse {rmse}");
    }
}
