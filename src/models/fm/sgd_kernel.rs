//! The per-example work of SGD: score a pair and take the loss's derivative, keeping
//! what the optimiser needs to form the gradient of every feature the pair touches.
//!
//! This is where an epoch spends its time, and on data larger than the CPU caches the time
//! goes to waiting for memory: an example's customer row, then its features, then their
//! weights, each load depending on the one before. A chunk of examples is therefore
//! processed in stages (gather every pair's row bounds, then every pair's features, then
//! touch every feature's weights, then compute), so that each stage is a short loop of
//! independent loads the processor can keep in flight together. The arithmetic loops keep
//! per-factor sums so they vectorise.

use super::fit::{negative_among, softplus};
use super::params::{PredictorType, ValidFmParams};
use super::sgd_weights::TrainWeights;
use super::space::FeatureSpace;
use crate::data::CsrMatrix;
use crate::rng::Rng;

/// A chunk's pairs, their gathered features, scores and loss derivatives, reused from
/// batch to batch. The optimiser forms the features' gradients from it ([`PairGrads`]).
#[derive(Default)]
pub struct Scratch {
    /// The chunk's summed loss and the number of terms in it.
    pub loss: f64,
    pub count: usize,
    /// Scored pairs (customer, product).
    pairs: Vec<(u32, u32)>,
    /// Per pair: the customer's and the product's row bounds.
    bounds: Vec<[usize; 4]>,
    /// Per pair: its features' span in `feats` / `xs`.
    starts: Vec<u32>,
    feats: Vec<u32>,
    xs: Vec<f32>,
    /// Per pair: `Σ_f v_f x_f` (k values) and the score.
    sums: Vec<f32>,
    scores: Vec<f32>,
    /// Per pair: the loss derivative with respect to its score.
    grads: Vec<f32>,
    sq: Vec<f32>,
}

impl Scratch {
    /// Collects the features of every pair, stage by stage.
    #[inline]
    fn gather(&mut self, space: &FeatureSpace) {
        let (up, ui, ux) = (
            space.user_rows.indptr(),
            space.user_rows.indices(),
            space.user_rows.data(),
        );
        let (ip, ii, ix) = (
            space.item_rows.indptr(),
            space.item_rows.indices(),
            space.item_rows.data(),
        );
        // Row bounds: independent loads across pairs.
        self.bounds.clear();
        self.bounds.extend(self.pairs.iter().map(|&(u, i)| {
            [
                up[u as usize],
                up[u as usize + 1],
                ip[i as usize],
                ip[i as usize + 1],
            ]
        }));
        // Touch each row's first entries in a loop of a few instructions per pair, so many
        // misses are in flight at once; the copying loop below is too long for that.
        let mut acc = 0u32;
        for b in &self.bounds {
            for (idx, data, at) in [(ui, ux, b[0]), (ii, ix, b[2])] {
                if let (Some(f), Some(x)) = (idx.get(at), data.get(at)) {
                    acc = acc.wrapping_add(*f ^ x.to_bits());
                }
            }
        }
        std::hint::black_box(acc);
        self.starts.clear();
        self.feats.clear();
        self.xs.clear();
        // Rows are a few entries long: element loops beat `memcpy` calls here.
        for b in &self.bounds {
            self.starts.push(self.feats.len() as u32);
            for (&f, &x) in ui[b[0]..b[1]].iter().zip(&ux[b[0]..b[1]]) {
                self.feats.push(f);
                self.xs.push(x);
            }
            for (&f, &x) in ii[b[2]..b[3]].iter().zip(&ix[b[2]..b[3]]) {
                self.feats.push(f);
                self.xs.push(x);
            }
        }
        self.starts.push(self.feats.len() as u32);
    }

    /// Loads one word of every feature's weights so that the cache misses overlap; the
    /// scoring loop then finds them in cache.
    #[inline]
    fn touch(&self, w: &TrainWeights) {
        let mut acc = 0f32;
        // Each pair's first feature (its customer's id, the likely miss) in a lean loop
        // first, then the rest, so that the misses are not spread thin among hits.
        for &at in &self.starts[..self.pairs.len()] {
            if let Some(&f) = self.feats.get(at as usize) {
                acc += w.w[f as usize] + w.factors(f)[0];
            }
        }
        for &f in &self.feats {
            let v = w.factors(f);
            acc += w.w[f as usize] + v[0] + v[v.len() - 1];
        }
        std::hint::black_box(acc);
    }

    /// Scores every pair, keeping its factor sums.
    #[inline]
    fn score(&mut self, w: &TrainWeights) {
        let k = w.k;
        let n = self.pairs.len();
        self.sums.clear();
        self.sums.resize(n * k, 0.0);
        self.scores.clear();
        self.sq.clear();
        self.sq.resize(k, 0.0);
        for (p, sum) in self.sums.chunks_exact_mut(k).enumerate() {
            let span = self.starts[p] as usize..self.starts[p + 1] as usize;
            self.sq.fill(0.0);
            let mut linear = w.w0;
            for (&f, &x) in self.feats[span.clone()].iter().zip(&self.xs[span]) {
                linear += w.w[f as usize] * x;
                for ((a, q), &v) in sum.iter_mut().zip(self.sq.iter_mut()).zip(w.factors(f)) {
                    let vx = v * x;
                    *a += vx;
                    *q += vx * vx;
                }
            }
            self.scores.push(linear + 0.5 * pair_term(sum, &self.sq));
        }
    }

    /// What the optimiser needs to form each pair's gradient: see [`PairGrads`].
    pub fn pair_grads(&self) -> PairGrads<'_> {
        PairGrads {
            grads: &self.grads,
            starts: &self.starts,
            feats: &self.feats,
            xs: &self.xs,
            sums: &self.sums,
        }
    }
}

/// The scored pairs of one chunk, from which each feature's gradient is formed where it
/// is summed: feature `f` (value `x`) of pair `p` gets `grads[p] · x` (linear) and
/// `grads[p] · x · (sums[p] − v_f · x)` (factors). Forming them there, rather than
/// writing `k + 1` floats per feature here for the optimiser to read back, saves the
/// epoch most of its memory traffic.
pub struct PairGrads<'a> {
    /// Per pair: the loss derivative with respect to its score (0: nothing to add).
    pub grads: &'a [f32],
    /// Per pair: its features' span in `feats` / `xs` (one more entry than pairs).
    pub starts: &'a [u32],
    pub feats: &'a [u32],
    pub xs: &'a [f32],
    /// Per pair: `Σ_f v_f x_f` (`k` values).
    pub sums: &'a [f32],
}

/// `Σ_k (sum_k² − sq_k)` with eight independent accumulators.
#[inline]
fn pair_term(sum: &[f32], sq: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (sh, st) = sum.split_at(sum.len() / 8 * 8);
    let (qh, qt) = sq.split_at(sh.len());
    for (a, q) in sh.chunks_exact(8).zip(qh.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += a[l] * a[l] - q[l];
        }
    }
    let mut total: f32 = acc.iter().sum();
    for (a, q) in st.iter().zip(qt) {
        total += a * a - q;
    }
    total
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// What every chunk of one mini-batch reads: the weights of the step and the data.
pub struct Step<'a> {
    pub params: &'a ValidFmParams,
    pub space: &'a FeatureSpace,
    pub m: &'a CsrMatrix,
    pub w: &'a TrainWeights,
    /// Seeds the negative samples together with the example's position in the epoch.
    pub epoch: usize,
}

/// Gradients of `examples` (`(customer, product, value)`, the first at position `first`
/// of the epoch), into `s`.
pub fn chunk_gradients(
    step: &Step<'_>,
    examples: &[(u32, u32, f32)],
    first: usize,
    s: &mut Scratch,
) {
    let Step {
        params,
        space,
        m,
        w,
        epoch,
    } = *step;
    s.loss = 0.0;
    s.count = 0;
    // Pairs: each example's own, then (classifier, ranking) its sampled negatives.
    let negatives = match params.predictor_type {
        PredictorType::Regressor => 0,
        _ => params.num_negatives,
    };
    s.pairs.clear();
    if negatives == 0 {
        s.pairs.extend(examples.iter().map(|&(u, i, _)| (u, i)));
    } else {
        // Each customer's purchases, looked up for all examples before any is searched.
        let (mp, mi) = (m.indptr(), m.indices());
        s.bounds.clear();
        s.bounds.extend(examples.iter().map(|&(u, _, _)| {
            let u = u as usize;
            [mp[u], mp[u + 1], 0, 0]
        }));
        // Touch every cache line of those rows so the searches below find them loaded.
        let mut acc = 0u32;
        for b in &s.bounds {
            for p in (b[0]..b[1]).step_by(16) {
                acc = acc.wrapping_add(mi[p]);
            }
        }
        std::hint::black_box(acc);
        for (e, (&(u, i, _), b)) in examples.iter().zip(&s.bounds).enumerate() {
            s.pairs.push((u, i));
            let mut rng = Rng::at(params.seed, epoch as u64, (first + e) as u64);
            for _ in 0..negatives {
                s.pairs
                    .push((u, negative_among(m.cols(), &mi[b[0]..b[1]], &mut rng)));
            }
        }
    }
    s.gather(space);
    s.touch(w);
    s.score(w);
    s.grads.clear();
    s.grads.resize(s.pairs.len(), 0.0);
    let group = negatives + 1;
    for (n, &(_, _, y)) in examples.iter().enumerate() {
        let at = n * group;
        let p = s.scores[at];
        match params.predictor_type {
            PredictorType::Regressor => {
                let d = p - y;
                s.loss += f64::from(d * d);
                s.count += 1;
                s.grads[at] = d;
            }
            PredictorType::BinaryClassifier => {
                s.loss += softplus(-f64::from(p));
                s.count += 1;
                s.grads[at] = sigmoid(p) - 1.0;
                for j in at + 1..at + group {
                    let q = s.scores[j];
                    s.loss += softplus(f64::from(q));
                    s.count += 1;
                    s.grads[j] = sigmoid(q);
                }
            }
            PredictorType::Ranking => {
                let mut positive = 0f32;
                for j in at + 1..at + group {
                    let delta = p - s.scores[j];
                    s.loss += softplus(-f64::from(delta));
                    s.count += 1;
                    // d(−ln σ(Δ))/dΔ = −σ(−Δ); the positive gets it, the negative its opposite.
                    let g = -sigmoid(-delta);
                    positive += g;
                    s.grads[j] = -g;
                }
                s.grads[at] = positive;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::IdMap;
    use crate::models::fm::FmWeights;

    /// The vectorised score is the textbook formula of [`FmWeights::score`].
    #[test]
    fn kernel_score_matches_the_reference_for_any_k() {
        for k in [1, 3, 8, 13, 16, 33] {
            let users = IdMap::from_names(["a", "b"]);
            let items = IdMap::from_names(["x", "y", "z"]);
            let space = FeatureSpace::ids_only(&users, &items);
            let mut w = FmWeights::zeros(space.len(), k);
            let mut r = Rng::at(3, k as u64, 0);
            w.w0 = 0.3;
            for x in w.w.iter_mut().chain(w.v.iter_mut()) {
                *x = r.normal() as f32;
            }
            let mut s = Scratch {
                pairs: vec![(0, 0), (1, 2), (0, 1)],
                ..Scratch::default()
            };
            let t = TrainWeights::new(&w);
            s.gather(&space);
            s.touch(&t);
            s.score(&t);
            let mut reference = vec![0f32; k];
            for (p, &(u, i)) in s.pairs.iter().enumerate() {
                let slow = w.score(
                    space.user_rows.row(u as usize),
                    space.item_rows.row(i as usize),
                    &mut reference,
                );
                let fast = s.scores[p];
                assert!(
                    (fast - slow).abs() < 1e-4 * slow.abs().max(1.0),
                    "k={k}: {fast} vs {slow}"
                );
                assert_eq!(&s.sums[p * k..(p + 1) * k], &reference[..]);
            }
        }
    }
}
