//! Mini-batch SGD and AdaGrad for factorization machines, as SageMaker's FM trains them.
//!
//! Each mini-batch's gradient is taken at the same weights (a true mini-batch step, not
//! Hogwild): the batch is cut into fixed chunks whose per-example gradients are computed
//! in parallel, then summed in chunk order and applied once. The result is therefore
//! identical for any number of threads. Gradients are scaled by `rescale_grad` (1 / batch
//! size by default, MXNet's convention), weight decay is added for the weights the batch
//! touched, and each component is clipped to `clip_gradient` when set.
//!
//! Objectives: squared error (regressor); logistic loss on bought pairs against
//! `num_negatives` sampled products (binary_classifier); BPR, `−ln σ(ŷ(u,i) − ŷ(u,j))`
//! for a bought `i` and a sampled `j` (ranking).

use std::ops::ControlFlow;
use std::time::Instant;

use rayon::prelude::*;

use super::fit::{
    Examples, FmEpochReport, FmFit, FmFitError, FmWeights, metric_of, validation_metric,
};
use super::params::{FmSolver, Init, InitMethod, ValidFmParams};
use super::sgd_apply::Optimizer;
use super::sgd_kernel::{Scratch, Step, chunk_gradients};
use super::sgd_order::EpochOrder;
use super::sgd_weights::TrainWeights;
use super::space::FeatureSpace;
use crate::data::CsrMatrix;
use crate::rng::Rng;

/// Examples per parallel task: fixed, so the summation order never depends on threads.
const CHUNK: usize = 64;

/// Initial weights drawn as `params` says.
pub fn init_weights(params: &ValidFmParams, n: usize, k: usize) -> FmWeights {
    let draw = |init: &Init, stream: u64, index: usize| -> f32 {
        let mut r = Rng::at(params.seed, stream, index as u64);
        match init.method {
            InitMethod::Normal => (r.normal() * f64::from(init.sigma)) as f32,
            InitMethod::Uniform => ((r.uniform() * 2.0 - 1.0) * f64::from(init.scale)) as f32,
            InitMethod::Constant => init.value,
        }
    };
    FmWeights {
        w0: draw(&params.bias_init, 1, 0),
        w: (0..n).map(|f| draw(&params.linear_init, 2, f)).collect(),
        v: (0..n * k)
            .map(|e| draw(&params.factors_init, 3, e))
            .collect(),
        k,
    }
}

/// Score of (u, i) with its factor sum in `sum`.
fn score(w: &FmWeights, space: &FeatureSpace, u: u32, i: u32, sum: &mut [f32]) -> f32 {
    w.score(
        space.user_rows.row(u as usize),
        space.item_rows.row(i as usize),
        sum,
    )
}

/// Fits by mini-batch SGD or AdaGrad with early stopping on the validation split.
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
    let mut w = TrainWeights::new(&init_weights(params, space.len(), k));
    let mut opt = Optimizer::new(
        space,
        m,
        k,
        params.solver == FmSolver::Adagrad,
        (pool.current_num_threads(), params.mini_batch_size),
    );
    let mut chunks: Vec<Scratch> = Vec::new();
    let (metric, larger_is_better) = metric_of(params.predictor_type);
    let mut best: Option<(f64, FmWeights)> = None;
    let mut epochs_without_gain = 0;
    let mut history = Vec::new();
    let mut order = EpochOrder::default();
    for epoch in 1..=params.epochs {
        let pass_start = Instant::now();
        let (mut loss, mut count) = (0f64, 0usize);
        // The batch loop runs on a worker of the pool, so each parallel step is a local
        // fork rather than a job injected from outside and its wake-up latency.
        pool.install(|| {
            let shuffled = order.shuffle(&examples.train, params.seed, epoch);
            for (b, batch) in shuffled.chunks(params.mini_batch_size).enumerate() {
                let used = batch.len().div_ceil(CHUNK);
                if chunks.len() < used {
                    chunks.resize_with(used, Default::default);
                }
                let grads = &mut chunks[..used];
                let step = Step {
                    params,
                    space,
                    m,
                    w: &w,
                    epoch,
                };
                let first = b * params.mini_batch_size;
                grads
                    .par_iter_mut()
                    .zip(batch.par_chunks(CHUNK))
                    .enumerate()
                    .for_each(|(c, (scratch, examples))| {
                        chunk_gradients(&step, examples, first + c * CHUNK, scratch);
                    });
                for c in grads.iter() {
                    loss += c.loss;
                    count += c.count;
                }
                opt.step(params, &mut w, grads, batch.len(), pool);
            }
        });
        let pass = pass_start.elapsed();
        let plain = w.to_weights();
        let train_loss = loss / count.max(1) as f64;
        if !train_loss.is_finite() || !plain.is_finite() {
            return Err(FmFitError::Diverged {
                epoch,
                loss: train_loss,
                bias_lr: params.bias_lr,
                linear_lr: params.linear_lr,
                factors_lr: params.factors_lr,
            });
        }
        let validation = (!examples.validation.is_empty()).then(|| {
            pool.install(|| {
                validation_metric(
                    params.predictor_type,
                    &examples.validation,
                    m,
                    params.seed,
                    &|u, i| score(&plain, space, u, i, &mut vec![0f32; k]),
                )
            })
        });
        let report = FmEpochReport {
            epoch,
            of: params.epochs,
            train_loss,
            validation,
            metric,
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
        if let Some(v) = validation {
            let better = best.as_ref().is_none_or(|(b, _)| {
                let margin = b.abs() * f64::from(params.early_stopping_tolerance);
                if larger_is_better {
                    v > b + margin
                } else {
                    v < b - margin
                }
            });
            if better {
                best = Some((v, plain));
                epochs_without_gain = 0;
            } else {
                epochs_without_gain += 1;
                if params.early_stopping_patience > 0
                    && epochs_without_gain >= params.early_stopping_patience
                {
                    tracing::info!(epoch, metric, "early stopping: no gain");
                    break;
                }
            }
        }
    }
    let weights = best.map_or_else(|| w.to_weights(), |(_, b)| b);
    Ok(FmFit {
        samples: vec![weights],
        history,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;
    use crate::models::fm::params::{FmParams, PredictorType};

    /// Ratings with a planted structure: user block × item block, plus biases.
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
        let m = CsrMatrix::from_triplets(n, n, &t);
        let ids = |p: &str| IdMap::from_names((0..n).map(|k| format!("{p}{k}")));
        (FeatureSpace::ids_only(&ids("u"), &ids("i")), m)
    }

    fn quiet(p: &FmParams, space: &FeatureSpace, m: &CsrMatrix) -> FmFit {
        super::super::train::fit(&p.check().unwrap(), space, m, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap()
    }

    fn regressor() -> FmParams {
        FmParams::new(4)
            .predictor_type(PredictorType::Regressor)
            .epochs(40)
            .mini_batch_size(32)
            .learning_rates(0.1, 0.1, 0.1)
            .factors_init_sigma(0.1)
    }

    #[test]
    fn regressor_learns_planted_ratings_and_validation_improves() {
        let (space, m) = planted(24);
        let f = quiet(&regressor().early_stopping_patience(0), &space, &m);
        let first = f.history[0].validation.unwrap();
        let last = f.history.last().unwrap().validation.unwrap();
        assert!(
            last < 0.4 && last < first,
            "validation rmse {first} → {last}"
        );
        assert!(f.history.last().unwrap().train_loss < f.history[0].train_loss);
    }

    #[test]
    fn identical_for_any_thread_count() {
        let (space, m) = planted(20);
        for predictor in [
            PredictorType::Regressor,
            PredictorType::Ranking,
            PredictorType::BinaryClassifier,
        ] {
            let p = regressor().epochs(3).predictor_type(predictor);
            let one = quiet(&p.clone().num_threads(1), &space, &m);
            let four = quiet(&p.num_threads(4), &space, &m);
            assert_eq!(one.samples, four.samples, "{predictor:?}");
        }
        // Hundreds of steps: the workers' feature ranges are rebalanced from measured
        // times mid-fit, AdaGrad's sums move with them, and nothing changes.
        let p = regressor()
            .solver(FmSolver::Adagrad)
            .mini_batch_size(2)
            .epochs(2);
        let one = quiet(&p.clone().num_threads(1), &space, &m);
        let three = quiet(&p.num_threads(3), &space, &m);
        assert_eq!(one.samples, three.samples, "adagrad, rebalanced");
    }

    #[test]
    fn ranking_puts_the_block_first() {
        let (space, m) = planted(24);
        let p = regressor()
            .predictor_type(PredictorType::Ranking)
            .epochs(30)
            .validation_fraction(0.2);
        let f = quiet(&p, &space, &m);
        let auc = f.history.last().unwrap().validation.unwrap();
        assert!(auc > 0.8, "validation AUC {auc}");
    }

    #[test]
    fn divergence_names_the_rates_and_cancel_stops() {
        let (space, m) = planted(12);
        let p = regressor()
            .solver(FmSolver::Sgd)
            .learning_rates(50.0, 50.0, 50.0)
            .mini_batch_size(1)
            .epochs(5)
            .check()
            .unwrap();
        let err = super::super::train::fit(&p, &space, &m, &mut |_| ControlFlow::Continue(()))
            .unwrap_err();
        assert!(matches!(err, FmFitError::Diverged { .. }), "{err}");
        assert!(err.to_string().contains("factors_lr 50"), "{err}");
        let p = regressor().epochs(5).check().unwrap();
        let err = super::super::train::fit(&p, &space, &m, &mut |r| {
            if r.epoch == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap_err();
        assert_eq!(
            err,
            FmFitError::Cancelled {
                completed: 2,
                planned: 5
            }
        );
    }

    #[test]
    fn early_stopping_keeps_the_best_epoch() {
        // Pure noise: whatever a 16-factor model learns beyond the biases is overfitting,
        // so the validation error turns up and training stops.
        let n = 30;
        let t: Vec<(u32, u32, f32)> = (0..n * n)
            .map(|k| {
                let noise = Rng::at(5, k as u64, 0).below(5) as f32 + 1.0;
                ((k / n) as u32, (k % n) as u32, noise)
            })
            .collect();
        let m = CsrMatrix::from_triplets(n, n, &t);
        let ids = |p: &str| IdMap::from_names((0..n).map(|k| format!("{p}{k}")));
        let space = FeatureSpace::ids_only(&ids("u"), &ids("i"));
        let p = FmParams::new(16)
            .predictor_type(PredictorType::Regressor)
            .learning_rates(0.1, 0.1, 0.1)
            .weight_decays(0.0, 0.0, 0.0)
            .factors_init_sigma(0.3)
            .mini_batch_size(16)
            .epochs(200)
            .validation_fraction(0.3)
            .early_stopping_patience(2);
        let f = quiet(&p, &space, &m);
        let stopped = f.history.len();
        assert!(stopped < 200, "never stopped");
        let vals: Vec<f64> = f.history.iter().map(|h| h.validation.unwrap()).collect();
        let best = vals.iter().copied().fold(f64::INFINITY, f64::min);
        assert_eq!(vals[stopped - 3], best, "{vals:?}");
        // The model returned is the best epoch's, not the last one's.
        let examples = Examples::split(&m, 0.3, p.seed);
        let w = &f.samples[0];
        let again = validation_metric(
            PredictorType::Regressor,
            &examples.validation,
            &m,
            p.seed,
            &|u, i| score(w, &space, u, i, &mut [0f32; 16]),
        );
        assert!((again - best).abs() < 1e-9, "{again} vs {best}");
    }

    #[test]
    fn nan_ratings_are_refused() {
        let space = FeatureSpace::ids_only(&IdMap::from_names(["a"]), &IdMap::from_names(["x"]));
        let m = CsrMatrix::from_triplets(1, 1, &[(0, 0, f32::NAN)]);
        let p = regressor().check().unwrap();
        let err = super::super::train::fit(&p, &space, &m, &mut |_| ControlFlow::Continue(()))
            .unwrap_err();
        assert!(err.to_string().contains("'NaN'"), "{err}");
    }
}
