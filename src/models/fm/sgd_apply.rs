//! Summing a mini-batch's gradients and stepping the weights, on every worker at once.
//!
//! The feature indices are cut into one contiguous range per worker, balanced by how
//! often each feature occurs in the training pairs. Every worker scans the batch's scored
//! pairs in the same order (chunk by chunk, pair by pair, feature by feature) and forms
//! and adds the gradients of its own features only, so each feature's gradient is summed
//! in exactly the order a single thread would sum it: the weights after a step are
//! bit-identical for any number of workers. The ranges are disjoint, so each worker owns
//! its slices of the weights, the gradient sums and AdaGrad's state, and no locking or
//! `unsafe` is needed.

use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::params::{FmSolver, ValidFmParams};
use super::sgd_kernel::Scratch;
use super::sgd_weights::TrainWeights;
use super::space::FeatureSpace;
use crate::data::CsrMatrix;

/// One worker's features `lo..hi`: their gradient sums and optimiser state.
///
/// A batch touches a few thousand features, so their sums live in compact arrays (one
/// slot per touched feature, in order of first touch) that stay in cache, rather than in
/// feature-sized arrays whose rows would each be a cache miss.
struct Part {
    lo: usize,
    hi: usize,
    /// Per feature of the part: its slot in this batch, or `NO_SLOT`.
    slot: Vec<u32>,
    /// Per slot: the feature (relative to `lo`), its linear sum and its `k` factor sums.
    touched: Vec<u32>,
    gw: Vec<f32>,
    gv: Vec<f32>,
    /// AdaGrad's sums of squared gradients (empty for plain SGD).
    hw: Vec<f32>,
    hv: Vec<f32>,
    /// Time spent summing and stepping since the last rebalance.
    spent: Duration,
}

const NO_SLOT: u32 = u32::MAX;

/// The step's constants, as MXNet's optimisers apply them.
#[derive(Clone, Copy)]
struct Step {
    rescale: f32,
    clip: Option<f32>,
    eps: f32,
}

impl Step {
    #[inline]
    fn grad(self, raw: f32, wd: f32, x: f32) -> f32 {
        let g = self.rescale * raw + wd * x;
        self.clip.map_or(g, |c| g.clamp(-c, c))
    }

    #[inline]
    fn sgd(self, x: &mut f32, raw: f32, lr: f32, wd: f32) {
        *x -= lr * self.grad(raw, wd, *x);
    }

    #[inline]
    fn adagrad(self, x: &mut f32, h: &mut f32, raw: f32, lr: f32, wd: f32) {
        let g = self.grad(raw, wd, *x);
        *h += g * g;
        *x -= lr * g / (h.sqrt() + self.eps);
    }
}

/// Gradient sums and optimiser state, split into one part per worker.
pub struct Optimizer {
    k: usize,
    adagrad: bool,
    /// Estimated cost of each feature's sums and steps, in any unit.
    work: Vec<f64>,
    parts: Vec<Part>,
    /// Steps taken; the parts are rebalanced after 64, 512 and 4096.
    steps: usize,
    /// AdaGrad's sum for the global bias.
    h0: f32,
}

impl Optimizer {
    /// Splits the features of `space` into `workers` ranges of about equal work. A
    /// feature's work is its gradient entries (one per training pair it takes part in)
    /// plus, weighted by what a step costs beside an addition, the batches it is stepped
    /// in: a customer id seen in a few pairs is stepped nearly once per pair, a country
    /// shared by thousands once per batch.
    pub fn new(
        space: &FeatureSpace,
        m: &CsrMatrix,
        k: usize,
        adagrad: bool,
        (workers, batch): (usize, usize),
    ) -> Self {
        /// A step (a row loaded, updated and written back) against an addition in cache.
        const STEP_COST: u64 = 8;
        let n = space.len();
        let mut pairs = vec![0u64; n];
        let mut item_pairs = vec![0u64; m.cols()];
        for &i in m.indices() {
            item_pairs[i as usize] += 1;
        }
        for u in 0..m.rows() {
            let p = m.row_nnz(u) as u64;
            for &f in space.user_rows.row(u).0 {
                pairs[f as usize] += p;
            }
        }
        for (i, &p) in item_pairs.iter().enumerate() {
            for &f in space.item_rows.row(i).0 {
                pairs[f as usize] += p;
            }
        }
        let batches = (m.nnz() / batch.max(1)).max(1) as u64;
        let work: Vec<u64> = pairs
            .iter()
            .map(|&p| p + STEP_COST * p.min(batches))
            .collect();
        let work: Vec<f64> = work.iter().map(|&w| w as f64).collect();
        let bounds = split(&work, workers.clamp(1, n.max(1)));
        let mut out = Self {
            k,
            adagrad,
            work,
            parts: Vec::new(),
            h0: 0.0,
            steps: 0,
        };
        out.build(&bounds, &[], &[]);
        out
    }

    /// Replaces the parts with ranges `bounds`, handing over AdaGrad's sums.
    fn build(&mut self, bounds: &[usize], hw: &[f32], hv: &[f32]) {
        let (k, adagrad) = (self.k, self.adagrad);
        self.parts = bounds
            .windows(2)
            .map(|b| {
                let len = b[1] - b[0];
                let take = |all: &[f32], per: usize| -> Vec<f32> {
                    if !adagrad {
                        Vec::new()
                    } else if all.is_empty() {
                        vec![0.0; len * per]
                    } else {
                        all[b[0] * per..b[1] * per].to_vec()
                    }
                };
                Part {
                    lo: b[0],
                    hi: b[1],
                    slot: vec![NO_SLOT; len],
                    touched: Vec::new(),
                    gw: Vec::new(),
                    gv: Vec::new(),
                    hw: take(hw, 1),
                    hv: take(hv, k),
                    spent: Duration::ZERO,
                }
            })
            .collect();
    }

    /// Moves the boundaries so that each part's measured time becomes about equal.
    ///
    /// The first estimate counts pairs and steps but cannot know which rows stay in cache
    /// (a few thousand products do, two hundred thousand customers do not), so the work of
    /// each part's features is rescaled by the time the part actually took. Which worker
    /// sums which feature never changes a result, only how long a step takes.
    fn rebalance(&mut self) {
        let mut hw = Vec::new();
        let mut hv = Vec::new();
        for p in &mut self.parts {
            let work: f64 = self.work[p.lo..p.hi].iter().sum();
            let rate = p.spent.as_secs_f64() / work.max(f64::MIN_POSITIVE);
            if rate > 0.0 {
                for w in &mut self.work[p.lo..p.hi] {
                    *w *= rate;
                }
            }
            hw.append(&mut p.hw);
            hv.append(&mut p.hv);
        }
        let bounds = split(&self.work, self.parts.len());
        self.build(&bounds, &hw, &hv);
    }

    /// Sums the gradients of `chunks` and applies them to `w`, every part on its own worker.
    pub fn step(
        &mut self,
        params: &ValidFmParams,
        w: &mut TrainWeights,
        chunks: &[Scratch],
        batch: usize,
        pool: &rayon::ThreadPool,
    ) {
        let k = self.k;
        let step = Step {
            rescale: params.rescale_grad.unwrap_or(1.0 / batch.max(1) as f32),
            clip: params.clip_gradient,
            eps: params.eps,
        };
        let adagrad = params.solver == FmSolver::Adagrad;
        let g0: f64 = chunks
            .iter()
            .map(|s| {
                s.pair_grads()
                    .grads
                    .iter()
                    .map(|&g| f64::from(g))
                    .sum::<f64>()
            })
            .sum();
        let stride = w.stride;
        let (w0, mut ws, mut vs) = w.parts_mut();
        if adagrad {
            step.adagrad(w0, &mut self.h0, g0 as f32, params.bias_lr, params.bias_wd);
        } else {
            step.sgd(w0, g0 as f32, params.bias_lr, params.bias_wd);
        }
        let mut slices = Vec::with_capacity(self.parts.len());
        for p in &self.parts {
            let (a, rest) = std::mem::take(&mut ws).split_at_mut(p.hi - p.lo);
            let (b, rest_v) = std::mem::take(&mut vs).split_at_mut((p.hi - p.lo) * stride);
            slices.push((a, b));
            ws = rest;
            vs = rest_v;
        }
        let apply = |(p, (ww, wv)): (&mut Part, (&mut [f32], &mut [f32]))| {
            let start = Instant::now();
            p.sum(chunks, wv, (k, stride));
            p.apply(params, step, adagrad, ww, wv, (k, stride));
            p.spent += start.elapsed();
        };
        if self.parts.len() == 1 {
            self.parts.iter_mut().zip(slices).for_each(apply);
        } else {
            pool.install(|| self.parts.par_iter_mut().zip(slices).for_each(apply));
        }
        self.steps += 1;
        if self.parts.len() > 1 && matches!(self.steps, 64 | 512 | 4096) {
            self.rebalance();
        }
    }
}

/// Boundaries cutting `work` into `parts` contiguous ranges of about equal sums.
fn split(work: &[f64], parts: usize) -> Vec<usize> {
    let n = work.len();
    let total: f64 = work.iter().sum();
    let mut bounds = vec![0usize];
    let mut acc = 0f64;
    for (f, &w) in work.iter().enumerate() {
        acc += w;
        if bounds.len() < parts && acc * parts as f64 >= total * bounds.len() as f64 {
            bounds.push(f + 1);
        }
    }
    while bounds.len() < parts {
        bounds.push(n);
    }
    bounds.push(n);
    bounds
}

impl Part {
    /// Adds the gradients of this part's features in `chunks`, in chunk, pair and
    /// feature order, forming them from each pair's derivative and factor sums and the
    /// weights `wv` before the step.
    #[inline]
    fn sum(&mut self, chunks: &[Scratch], wv: &[f32], (k, stride): (usize, usize)) {
        let lo = self.lo as u32;
        // The slot table and the rows span every feature of the part and do not stay in
        // cache: the next chunk's are loaded in a lean loop before each chunk is summed,
        // so that their misses overlap and they are still in cache when used.
        let touch = |slot: &[u32], s: &Scratch| {
            let mut acc = 0u32;
            for &f in s.pair_grads().feats {
                let l = f.wrapping_sub(lo) as usize;
                if let Some(s) = slot.get(l) {
                    acc = acc.wrapping_add(*s ^ wv[l * stride].to_bits());
                }
            }
            std::hint::black_box(acc);
        };
        if let Some(s) = chunks.first() {
            touch(&self.slot, s);
        }
        for (c, s) in chunks.iter().enumerate() {
            if let Some(next) = chunks.get(c + 1) {
                touch(&self.slot, next);
            }
            let g = s.pair_grads();
            for (p, &d) in g.grads.iter().enumerate() {
                if d == 0.0 {
                    continue;
                }
                let span = g.starts[p] as usize..g.starts[p + 1] as usize;
                let sum = &g.sums[p * k..(p + 1) * k];
                for (&f, &x) in g.feats[span.clone()].iter().zip(&g.xs[span]) {
                    let l = f.wrapping_sub(lo) as usize;
                    let Some(&s) = self.slot.get(l) else {
                        continue;
                    };
                    let gx = d * x;
                    let v = &wv[l * stride..l * stride + k];
                    if s == NO_SLOT {
                        self.slot[l] = self.touched.len() as u32;
                        self.touched.push(l as u32);
                        self.gw.push(gx);
                        self.gv
                            .extend(sum.iter().zip(v).map(|(&a, &v)| gx * (a - v * x)));
                    } else {
                        let s = s as usize;
                        self.gw[s] += gx;
                        for ((g, &a), &v) in self.gv[s * k..(s + 1) * k].iter_mut().zip(sum).zip(v)
                        {
                            *g += gx * (a - v * x);
                        }
                    }
                }
            }
        }
    }

    /// Steps the touched weights `ww` (linear) and `wv` (factor rows `stride` apart) and
    /// clears the sums.
    #[inline]
    fn apply(
        &mut self,
        params: &ValidFmParams,
        step: Step,
        adagrad: bool,
        ww: &mut [f32],
        wv: &mut [f32],
        (k, stride): (usize, usize),
    ) {
        // Load every touched row first, so the misses overlap (see `sgd_kernel`).
        let mut acc = 0f32;
        for &l in &self.touched {
            let l = l as usize;
            acc += ww[l] + wv[l * stride] + wv[l * stride + k - 1];
            if adagrad {
                acc += self.hw[l] + self.hv[l * k] + self.hv[l * k + k - 1];
            }
        }
        std::hint::black_box(acc);
        for (s, &l) in self.touched.iter().enumerate() {
            let l = l as usize;
            let (gv, v) = (
                &self.gv[s * k..(s + 1) * k],
                &mut wv[l * stride..l * stride + k],
            );
            if adagrad {
                step.adagrad(
                    &mut ww[l],
                    &mut self.hw[l],
                    self.gw[s],
                    params.linear_lr,
                    params.linear_wd,
                );
                for ((x, h), g) in v
                    .iter_mut()
                    .zip(&mut self.hv[l * k..(l + 1) * k])
                    .zip(gv.iter())
                {
                    step.adagrad(x, h, *g, params.factors_lr, params.factors_wd);
                }
            } else {
                step.sgd(&mut ww[l], self.gw[s], params.linear_lr, params.linear_wd);
                for (x, g) in v.iter_mut().zip(gv.iter()) {
                    step.sgd(x, *g, params.factors_lr, params.factors_wd);
                }
            }
            self.slot[l] = NO_SLOT;
        }
        self.touched.clear();
        self.gw.clear();
        self.gv.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;

    #[test]
    fn parts_cover_every_feature_once_and_balance_the_work() {
        // Customer 0 has 8 pairs, the others 1 each: the first range must be short.
        let mut t = vec![];
        for i in 0..8 {
            t.push((0, i, 1.0));
        }
        for u in 1..8 {
            t.push((u, 0, 1.0));
        }
        let m = CsrMatrix::from_triplets(8, 8, &t);
        let ids = |p: &str| IdMap::from_names((0..8).map(|k| format!("{p}{k}")));
        let space = FeatureSpace::ids_only(&ids("u"), &ids("i"));
        let opt = Optimizer::new(&space, &m, 2, false, (3, 1));
        let ranges: Vec<(usize, usize)> = opt.parts.iter().map(|p| (p.lo, p.hi)).collect();
        assert_eq!(ranges.len(), 3);
        assert_eq!(ranges[0].0, 0);
        assert_eq!(ranges[2].1, 16);
        assert!(ranges.windows(2).all(|w| w[0].1 == w[1].0), "{ranges:?}");
        assert!(
            ranges[0].1 <= 3,
            "customer 0 is a third of the work: {ranges:?}"
        );
        // More workers than features still yields a valid cover.
        let opt = Optimizer::new(&space, &m, 2, true, (64, 1));
        assert_eq!(opt.parts.iter().map(|p| p.hi - p.lo).sum::<usize>(), 16);
    }

    #[test]
    fn rebalancing_follows_measured_time_and_keeps_adagrad_state() {
        let t: Vec<(u32, u32, f32)> = (0..20).map(|u| (u, u % 4, 1.0)).collect();
        let m = CsrMatrix::from_triplets(20, 4, &t);
        let ids = |p: &str, n: usize| IdMap::from_names((0..n).map(|k| format!("{p}{k}")));
        let space = FeatureSpace::ids_only(&ids("u", 20), &ids("i", 4));
        let mut opt = Optimizer::new(&space, &m, 2, true, (2, 4));
        let before: Vec<(usize, usize)> = opt.parts.iter().map(|p| (p.lo, p.hi)).collect();
        let mut e = 0f32;
        for p in &mut opt.parts {
            for h in p.hw.iter_mut().chain(p.hv.iter_mut()) {
                *h = e;
                e += 1.0;
            }
        }
        let state = |o: &Optimizer| -> (Vec<f32>, Vec<f32>) {
            (
                o.parts.iter().flat_map(|p| p.hw.clone()).collect(),
                o.parts.iter().flat_map(|p| p.hv.clone()).collect(),
            )
        };
        let kept = state(&opt);
        // The first part took three times as long as the second: it must shrink.
        opt.parts[0].spent = Duration::from_secs(3);
        opt.parts[1].spent = Duration::from_secs(1);
        opt.rebalance();
        let after: Vec<(usize, usize)> = opt.parts.iter().map(|p| (p.lo, p.hi)).collect();
        assert!(after[0].1 < before[0].1, "{before:?} → {after:?}");
        assert_eq!((after[0].0, after[1].1), (0, 24));
        assert_eq!(after[0].1, after[1].0);
        assert_eq!(state(&opt), kept, "AdaGrad's sums follow their features");
    }
}
