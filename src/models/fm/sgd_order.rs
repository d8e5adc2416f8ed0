//! The order SGD visits the training pairs in: a fresh uniformly random permutation each
//! epoch, written out as a copy of the pairs.
//!
//! Visiting the pairs through a shuffled index costs a cache miss per example on data of
//! tens of millions of pairs, on the critical path of every mini-batch. Copying them in
//! shuffled order once per epoch turns the epoch's reads sequential. The copy is made by
//! scattering each pair into a random bucket (sequential reads, one write stream per
//! bucket) and shuffling each bucket where it sits in cache. Independent uniform buckets
//! followed by uniform shuffles within them give a uniform permutation of the whole.

use rayon::prelude::*;

use crate::rng::Rng;

/// Pairs per bucket aimed for: a bucket (12 bytes a pair) stays in a core's L2 cache.
const BUCKET_PAIRS: usize = 16_384;
/// At most this many buckets, so the scatter's write streams stay few.
const MAX_BUCKETS: usize = 1024;

/// Reusable buffers for each epoch's order.
#[derive(Default)]
pub struct EpochOrder {
    pairs: Vec<(u32, u32, f32)>,
    bucket: Vec<u16>,
}

impl EpochOrder {
    /// `train` in the order of `epoch`: a function of `seed` and `epoch` alone.
    pub fn shuffle(
        &mut self,
        train: &[(u32, u32, f32)],
        seed: u64,
        epoch: usize,
    ) -> &[(u32, u32, f32)] {
        let n = train.len();
        let buckets = n.div_ceil(BUCKET_PAIRS).clamp(1, MAX_BUCKETS);
        let stream = seed ^ 0x054a_ff1e;
        let mut rng = Rng::at(stream, epoch as u64, 0);
        self.bucket.clear();
        self.bucket
            .extend((0..n).map(|_| rng.below(buckets) as u16));
        let mut next = vec![0usize; buckets + 1];
        for &b in &self.bucket {
            next[b as usize + 1] += 1;
        }
        for b in 0..buckets {
            next[b + 1] += next[b];
        }
        let bounds = next.clone();
        self.pairs.clear();
        self.pairs.resize(n, (0, 0, 0.0));
        for (&pair, &b) in train.iter().zip(&self.bucket) {
            let at = &mut next[b as usize];
            self.pairs[*at] = pair;
            *at += 1;
        }
        let mut parts = Vec::with_capacity(buckets);
        let mut rest = self.pairs.as_mut_slice();
        for w in bounds.windows(2) {
            let (part, tail) = rest.split_at_mut(w[1] - w[0]);
            parts.push(part);
            rest = tail;
        }
        parts.into_par_iter().enumerate().for_each(|(b, part)| {
            let mut rng = Rng::at(stream, epoch as u64, 1 + b as u64);
            for a in (1..part.len()).rev() {
                part.swap(a, rng.below(a + 1));
            }
        });
        &self.pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(n: u32) -> Vec<(u32, u32, f32)> {
        (0..n).map(|e| (e, e * 2, e as f32)).collect()
    }

    #[test]
    fn every_pair_once_and_a_new_order_each_epoch() {
        let train = pairs(100_000);
        let mut order = EpochOrder::default();
        let first = order.shuffle(&train, 3, 1).to_vec();
        let mut sorted = first.clone();
        sorted.sort_by_key(|p| p.0);
        assert_eq!(sorted, train);
        assert_ne!(first, train);
        let again = order.shuffle(&train, 3, 1).to_vec();
        assert_eq!(first, again, "a function of seed and epoch");
        assert_ne!(order.shuffle(&train, 3, 2), &first[..]);
        assert!(order.shuffle(&[], 3, 1).is_empty());
    }

    #[test]
    fn positions_are_uniform() {
        // Where pair 0 lands, over many epochs: each tenth of the positions about equally.
        let train = pairs(40_000);
        let mut order = EpochOrder::default();
        let mut tenths = [0usize; 10];
        let epochs = 1000;
        for epoch in 0..epochs {
            let at = order
                .shuffle(&train, 9, epoch)
                .iter()
                .position(|p| p.0 == 0)
                .unwrap();
            tenths[at * 10 / train.len()] += 1;
        }
        for t in tenths {
            assert!((60..140).contains(&t), "{tenths:?}");
        }
        // Neighbours in the input are not neighbours in the output.
        let out = order.shuffle(&train, 9, 1);
        let adjacent = out
            .windows(2)
            .filter(|w| w[0].0.abs_diff(w[1].0) == 1)
            .count();
        assert!(adjacent < 20, "{adjacent} adjacent pairs");
    }
}
