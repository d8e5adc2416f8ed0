//! Where each setting may move when `latent tune` searches: every model lists its own
//! dimensions beside its settings, so the tuner needs no model-specific code.
//!
//! Ranges are what works on purchase logs and rating tables: regularisation and rates
//! on a log scale (a tenfold change matters as much at 0.001 as at 1), ranks and
//! neighbour counts on a log scale too, exponents linearly.

/// The data setting a search may move for models that read values
/// ([`crate::models::ModelKind::reads_values`]): the half-life of recency weighting, from
/// a week to ten years (on a year of data, next to no weighting).
pub const RECENCY: Dimension = Dimension::new("recency_half_life_days", Range::Log(7.0, 3650.0));

/// The list setting a search may move when lists may show bought products: the weight
/// of the re-buy channel ([`crate::recommend::rebuy`]), from the model alone to own
/// products first.
pub const REBUY: Dimension = Dimension::new("rebuy", Range::Linear(0.0, 1.0));

/// True for the keys a search moves that are not the model's settings: the data's
/// recency half-life and the lists' re-buy weight.
pub fn is_outside_model(key: &str) -> bool {
    key == RECENCY.key || key == REBUY.key
}

/// How one setting varies in a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Range {
    /// A real number, uniform between the bounds.
    Linear(f64, f64),
    /// A positive real number, uniform in its logarithm.
    Log(f64, f64),
    /// A whole number, uniform between the bounds.
    Int(i64, i64),
    /// A positive whole number, uniform in its logarithm.
    LogInt(i64, i64),
    /// One of a few names.
    Choice(&'static [&'static str]),
}

/// One setting a search varies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dimension {
    /// The canonical key, as `--set` spells it.
    pub key: &'static str,
    pub range: Range,
}

impl Dimension {
    pub const fn new(key: &'static str, range: Range) -> Self {
        Self { key, range }
    }

    /// The value at `u` in `[0, 1]` of this dimension's scale, as the text `--set` takes.
    /// Choices read `u` as an index: `[0, 1/n)` is the first, and so on.
    pub fn value_at(&self, u: f64) -> String {
        let u = u.clamp(0.0, 1.0);
        match self.range {
            Range::Linear(lo, hi) => format_real(lo + u * (hi - lo)),
            Range::Log(lo, hi) => format_real((lo.ln() + u * (hi.ln() - lo.ln())).exp()),
            Range::Int(lo, hi) => {
                let x = lo as f64 + u * (hi - lo) as f64;
                (x.round() as i64).clamp(lo, hi).to_string()
            }
            Range::LogInt(lo, hi) => {
                let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
                ((l + u * (h - l)).exp().round() as i64)
                    .clamp(lo, hi)
                    .to_string()
            }
            Range::Choice(names) => {
                let n = names.len().max(1);
                names[((u * n as f64) as usize).min(n - 1)].to_owned()
            }
        }
    }

    /// Where `text` sits on this dimension's `[0, 1]` scale (the inverse of
    /// [`Dimension::value_at`]); `None` for a value outside the range or not a number.
    pub fn position_of(&self, text: &str) -> Option<f64> {
        let unit = |x: f64, lo: f64, hi: f64| ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
        match self.range {
            Range::Choice(names) => {
                let i = names.iter().position(|n| *n == text.trim())?;
                Some((i as f64 + 0.5) / names.len() as f64)
            }
            Range::Linear(lo, hi) => Some(unit(text.trim().parse().ok()?, lo, hi)),
            Range::Int(lo, hi) => Some(unit(text.trim().parse().ok()?, lo as f64, hi as f64)),
            Range::Log(lo, hi) => {
                let x: f64 = text.trim().parse().ok()?;
                (x > 0.0).then(|| unit(x.ln(), lo.ln(), hi.ln()))
            }
            Range::LogInt(lo, hi) => {
                let x: f64 = text.trim().parse().ok()?;
                (x > 0.0).then(|| unit(x.ln(), (lo as f64).ln(), (hi as f64).ln()))
            }
        }
    }

    /// The number of distinct choices, or `None` for a numeric dimension.
    pub fn choices(&self) -> Option<usize> {
        match self.range {
            Range::Choice(names) => Some(names.len()),
            _ => None,
        }
    }
}

/// Four significant digits: enough to tell trials apart, short enough to read.
fn format_real(x: f64) -> String {
    let text = format!("{x:.4e}");
    let value: f64 = text.parse().unwrap_or(x);
    let plain = format!("{value}");
    if plain.len() <= 10 { plain } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_values_round_trip_on_every_scale() {
        let dims = [
            Dimension::new("a", Range::Linear(0.0, 2.0)),
            Dimension::new("b", Range::Log(0.001, 10.0)),
            Dimension::new("c", Range::Int(5, 30)),
            Dimension::new("d", Range::LogInt(8, 256)),
            Dimension::new("e", Range::Choice(&["spark", "implicit"])),
        ];
        for d in dims {
            for u in [0.0, 0.13, 0.5, 0.77, 1.0] {
                let v = d.value_at(u);
                let back = d.position_of(&v).unwrap();
                assert_eq!(d.value_at(back), v, "{d:?} at {u}");
            }
        }
        let log = Dimension::new("reg", Range::Log(0.001, 10.0));
        assert_eq!(log.value_at(0.0), "0.001");
        assert_eq!(log.value_at(0.25), "0.01");
        assert_eq!(log.value_at(1.0), "10");
        let rank = Dimension::new("rank", Range::LogInt(8, 128));
        assert_eq!(rank.value_at(0.5), "32");
        let choice = Dimension::new("c", Range::Choice(&["x", "y"]));
        assert_eq!(
            (choice.value_at(0.49), choice.value_at(0.5)),
            ("x".into(), "y".into())
        );
        assert_eq!(choice.position_of("z"), None);
        assert_eq!(log.position_of("-1"), None);
    }
}
