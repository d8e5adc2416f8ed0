//! Random numbers that never depend on a crate's version, the number of threads or the
//! order work is scheduled in: the same seed gives the same data, split and model on any
//! machine.
//!
//! [`mix`] is SplitMix64's finaliser, a well-mixed hash of one word. [`Rng`] is a
//! counter-based stream, a function of a seed and where it is used (the models' draws per
//! epoch and example). [`Xoshiro`] is a fast sequential generator (synthetic data, search
//! spaces).

/// SplitMix64's finaliser: a fast, well-mixed hash of one word.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A small, fast, seedable generator (xoshiro256**), so output never depends on a
/// crate's version.
pub struct Xoshiro([u64; 4]);

impl Xoshiro {
    /// A generator seeded through SplitMix64.
    pub fn new(seed: u64) -> Self {
        let mut s = [0u64; 4];
        let mut x = seed;
        for slot in &mut s {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            *slot = mix(x);
        }
        Self(s)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }
}

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
