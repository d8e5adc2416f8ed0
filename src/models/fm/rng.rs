//! Counter-based random numbers: every draw is a function of a seed and where it is used,
//! so results never depend on the number of threads or the order work is scheduled in.

use crate::data::split::mix;

/// A small SplitMix64 stream, started from a hash of its coordinates.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// The stream for `seed` at coordinates `(a, b)` (e.g. epoch and example).
    pub fn at(seed: u64, a: u64, b: u64) -> Self {
        Self {
            state: mix(seed ^ mix(a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ mix(b))),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.state)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Gamma with `shape` and `rate` (Marsaglia and Tsang 2000).
    pub fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        if shape < 1.0 {
            let u = self.uniform().max(f64::MIN_POSITIVE);
            return self.gamma(shape + 1.0, rate) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v / rate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_right() {
        let mut r = Rng::at(7, 1, 2);
        let n = 200_000;
        let (mut s, mut ss, mut g) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = r.normal();
            s += x;
            ss += x * x;
            g += r.gamma(3.0, 2.0);
        }
        let n = f64::from(n);
        assert!((s / n).abs() < 0.01, "mean {}", s / n);
        assert!((ss / n - 1.0).abs() < 0.02, "variance {}", ss / n);
        assert!((g / n - 1.5).abs() < 0.02, "gamma mean {}", g / n);
        let small: f64 = (0..100_000).map(|_| r.gamma(0.5, 1.0)).sum::<f64>() / 1e5;
        assert!((small - 0.5).abs() < 0.02, "gamma(0.5) mean {small}");
        assert_eq!(Rng::at(1, 2, 3).next_u64(), Rng::at(1, 2, 3).next_u64());
        assert_ne!(Rng::at(1, 2, 3).next_u64(), Rng::at(1, 3, 2).next_u64());
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
