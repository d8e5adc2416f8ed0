//! The configurations a sweep tries: a grid of listed values, or random draws from ranges.

use crate::models::hyper::ParamsError;
use crate::rng::Xoshiro as Rng;

/// One hyperparameter's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Axis {
    /// `key=v1,v2,...`.
    Values { key: String, values: Vec<String> },
    /// `key=low..high[:log][:int]`, drawn by random search.
    Range {
        key: String,
        low: f64,
        high: f64,
        /// Log-uniform, for rates and regularisation.
        log: bool,
        /// Rounded to whole numbers (rank, iterations).
        integer: bool,
    },
}

impl Axis {
    /// The hyperparameter's name.
    pub fn key(&self) -> &str {
        match self {
            Axis::Values { key, .. } | Axis::Range { key, .. } => key,
        }
    }

    /// Parses `--grid` text: `key=v1,v2`.
    pub fn parse_values(text: &str) -> Result<Self, ParamsError> {
        let (key, values) = split_key(text, "--grid", "KEY=V1,V2,... e.g. als_rank=16,32,64")?;
        let values: Vec<String> = values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        if values.is_empty() {
            return Err(bad("--grid", text, "KEY=V1,V2,... e.g. als_rank=16,32,64"));
        }
        Ok(Axis::Values { key, values })
    }

    /// Parses `--range` text: `key=low..high`, optionally `:log` and/or `:int`.
    pub fn parse_range(text: &str) -> Result<Self, ParamsError> {
        const HINT: &str = "KEY=LOW..HIGH[:log][:int] e.g. reg_param=0.001..1:log";
        let (key, rest) = split_key(text, "--range", HINT)?;
        let mut parts = rest.split(':');
        let bounds = parts.next().unwrap_or_default();
        let (mut log, mut integer) = (false, false);
        for flag in parts {
            match flag.trim() {
                "log" => log = true,
                "int" => integer = true,
                _ => return Err(bad("--range", text, HINT)),
            }
        }
        let (lo, hi) = bounds
            .split_once("..")
            .ok_or_else(|| bad("--range", text, HINT))?;
        let (low, high): (f64, f64) = match (lo.trim().parse(), hi.trim().parse()) {
            (Ok(l), Ok(h)) => (l, h),
            _ => return Err(bad("--range", text, HINT)),
        };
        if !(low.is_finite() && high.is_finite() && low < high) || (log && low <= 0.0) {
            return Err(ParamsError::OutOfRange {
                key: "--range".into(),
                value: text.to_owned(),
                range: "LOW < HIGH, and LOW > 0 with :log".into(),
            });
        }
        Ok(Axis::Range {
            key,
            low,
            high,
            log,
            integer,
        })
    }
}

fn split_key(text: &str, flag: &str, hint: &'static str) -> Result<(String, String), ParamsError> {
    let (key, rest) = text.split_once('=').ok_or_else(|| bad(flag, text, hint))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(bad(flag, text, hint));
    }
    Ok((key.to_owned(), rest.trim().to_owned()))
}

fn bad(flag: &str, text: &str, expected: &'static str) -> ParamsError {
    ParamsError::BadValue {
        key: flag.to_owned(),
        value: text.to_owned(),
        expected,
    }
}

/// Every configuration to try: the grid's product, or `random` draws.
pub fn configurations(
    axes: &[Axis],
    random: Option<usize>,
    seed: u64,
) -> Result<Vec<Vec<(String, String)>>, ParamsError> {
    let mut keys = std::collections::BTreeSet::new();
    for a in axes {
        if !keys.insert(a.key()) {
            return Err(ParamsError::Invalid(format!(
                "'{}' is swept twice: give each hyperparameter one --grid or --range",
                a.key()
            )));
        }
    }
    match random {
        None => {
            if let Some(a) = axes.iter().find(|a| matches!(a, Axis::Range { .. })) {
                return Err(ParamsError::Invalid(format!(
                    "--range {} needs --random N (how many configurations to draw)",
                    a.key()
                )));
            }
            let mut out: Vec<Vec<(String, String)>> = vec![Vec::new()];
            for a in axes {
                if let Axis::Values { key, values } = a {
                    out = out
                        .into_iter()
                        .flat_map(|c| {
                            values.iter().map(move |v| {
                                let mut c = c.clone();
                                c.push((key.clone(), v.clone()));
                                c
                            })
                        })
                        .collect();
                }
            }
            Ok(out)
        }
        Some(n) => {
            let mut rng = Rng::new(seed);
            Ok((0..n)
                .map(|_| {
                    axes.iter()
                        .map(|a| (a.key().to_owned(), draw(a, &mut rng)))
                        .collect()
                })
                .collect())
        }
    }
}

fn draw(axis: &Axis, rng: &mut Rng) -> String {
    match axis {
        Axis::Values { values, .. } => values[rng.below(values.len())].clone(),
        Axis::Range {
            low,
            high,
            log,
            integer,
            ..
        } => {
            let u = rng.unit();
            let v = if *log {
                (low.ln() + u * (high.ln() - low.ln())).exp()
            } else {
                low + u * (high - low)
            };
            if *integer {
                format!("{}", v.round() as i64)
            } else {
                format!("{v:.6}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_multiply_and_ranges_draw() {
        let axes = [
            Axis::parse_values("als_rank=16,32").unwrap(),
            Axis::parse_values("reg_param=0.01, 0.1,1").unwrap(),
        ];
        let c = configurations(&axes, None, 1).unwrap();
        assert_eq!(c.len(), 6);
        assert_eq!(
            c[0],
            [
                ("als_rank".into(), "16".into()),
                ("reg_param".into(), "0.01".into())
            ]
        );
        let r = Axis::parse_range("reg_param=0.001..1:log").unwrap();
        let draws = configurations(std::slice::from_ref(&r), Some(200), 3).unwrap();
        let values: Vec<f64> = draws.iter().map(|c| c[0].1.parse().unwrap()).collect();
        assert!(values.iter().all(|&v| (0.001..=1.0).contains(&v)));
        let small = values.iter().filter(|&&v| v < 0.01).count();
        assert!(
            (40..=95).contains(&small),
            "log-uniform: a third below 0.01, got {small}"
        );
        let ranks = configurations(
            &[Axis::parse_range("als_rank=8..64:int").unwrap()],
            Some(5),
            1,
        )
        .unwrap();
        assert!(ranks.iter().all(|c| c[0].1.parse::<i64>().is_ok()));
    }

    #[test]
    fn bad_axes_are_named() {
        for bad in ["als_rank", "=1,2", "als_rank="] {
            assert!(Axis::parse_values(bad).is_err(), "{bad}");
        }
        for bad in ["x=1..", "x=2..1", "x=0..1:log", "x=1..2:cubic", "x"] {
            let err = Axis::parse_range(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
        let twice = [
            Axis::parse_values("als_rank=1,2").unwrap(),
            Axis::parse_values("als_rank=3").unwrap(),
        ];
        assert!(
            configurations(&twice, None, 1)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        let range = [Axis::parse_range("alpha=1..40").unwrap()];
        assert!(
            configurations(&range, None, 1)
                .unwrap_err()
                .to_string()
                .contains("--random")
        );
    }
}
