//! The weights as SGD trains them: each feature's factors start on a cache line.
//!
//! [`FmWeights`] stores the factors back to back (`k` floats per feature) in a buffer the
//! allocator aligns to 16 bytes, so with `k = 16` every row straddles two cache lines and
//! each feature costs two misses instead of one. Training reads and writes a few rows per
//! example on data larger than the caches, so it works on a copy whose rows are padded to
//! a power of two (small `k`) or a multiple of 64 bytes, starting at a 64-byte boundary
//! found inside an over-allocated buffer.

use super::fit::FmWeights;

/// Floats per 64-byte cache line.
const LINE: usize = 16;

/// FM weights with cache-aligned factor rows. Not `Clone`: a copy's buffer would have
/// its own alignment; copy through [`TrainWeights::to_weights`].
pub struct TrainWeights {
    pub w0: f32,
    pub w: Vec<f32>,
    pub k: usize,
    /// Floats from one row's start to the next's.
    pub stride: usize,
    /// Rows start at `pad` within `buf`, on a 64-byte boundary.
    pad: usize,
    buf: Vec<f32>,
}

impl TrainWeights {
    /// A padded copy of `from`.
    pub fn new(from: &FmWeights) -> Self {
        let k = from.k;
        let stride = if k > LINE / 2 {
            k.next_multiple_of(LINE)
        } else {
            k.next_power_of_two()
        };
        let n = from.w.len();
        let buf = vec![0f32; n * stride + LINE];
        let misalign = (buf.as_ptr() as usize / std::mem::size_of::<f32>()) % LINE;
        let pad = (LINE - misalign) % LINE;
        let mut out = Self {
            w0: from.w0,
            w: from.w.clone(),
            k,
            stride,
            pad,
            buf,
        };
        for f in 0..n {
            out.row_mut(f).copy_from_slice(from.factors(f as u32));
        }
        out
    }

    /// The factors of feature `f`.
    #[inline]
    pub fn factors(&self, f: u32) -> &[f32] {
        let at = self.pad + f as usize * self.stride;
        &self.buf[at..at + self.k]
    }

    fn row_mut(&mut self, f: usize) -> &mut [f32] {
        let at = self.pad + f * self.stride;
        &mut self.buf[at..at + self.k]
    }

    /// The linear weights and the padded factor rows (`stride` floats per feature), for
    /// the optimiser to split between workers.
    pub fn parts_mut(&mut self) -> (&mut f32, &mut [f32], &mut [f32]) {
        let n = self.w.len();
        let rows = &mut self.buf[self.pad..self.pad + n * self.stride];
        (&mut self.w0, &mut self.w, rows)
    }

    /// The weights in their plain layout.
    pub fn to_weights(&self) -> FmWeights {
        let n = self.w.len();
        let mut v = Vec::with_capacity(n * self.k);
        for f in 0..n {
            v.extend_from_slice(self.factors(f as u32));
        }
        FmWeights {
            w0: self.w0,
            w: self.w.clone(),
            v,
            k: self.k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_aligned_and_round_trip() {
        for k in [1, 3, 8, 10, 16, 17, 64] {
            let mut w = FmWeights::zeros(7, k);
            w.w0 = 0.5;
            for (e, x) in w.v.iter_mut().enumerate() {
                *x = e as f32;
            }
            w.w[3] = 2.0;
            let t = TrainWeights::new(&w);
            for f in 0..7u32 {
                assert_eq!(t.factors(f), w.factors(f), "k={k}");
                if t.stride.is_multiple_of(LINE) {
                    assert_eq!(t.factors(f).as_ptr() as usize % 64, 0, "k={k}");
                }
            }
            assert_eq!(t.to_weights(), w);
        }
    }
}
