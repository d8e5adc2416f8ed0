//! Hyperparameters as people write them: in TOML, on the command line (`--set k=v`) and
//! as SageMaker passes them (every value a string).
//!
//! Each model declares its keys with aliases (the seed's `als_rank` is Spark's `rank` and
//! implicit's `factors`). Values are parsed leniently (`"10"`, `10` and `10.0` are the same
//! rank) but checked strictly, and an unknown key is answered with the nearest valid one.

use std::fmt;

/// Why a hyperparameter was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamsError {
    #[error("unknown hyperparameter '{key}' for {model}{}", unknown_key_hint(suggestion.as_deref(), valid))]
    UnknownKey {
        model: &'static str,
        key: String,
        suggestion: Option<String>,
        valid: Vec<&'static str>,
    },
    #[error("invalid {key} '{value}': expected {expected}")]
    BadValue {
        key: String,
        value: String,
        expected: &'static str,
    },
    #[error("invalid {key} '{value}': must be {range}")]
    OutOfRange {
        key: String,
        value: String,
        range: String,
    },
    #[error("{0}")]
    Invalid(String),
}

impl ParamsError {
    /// `key` is none of `model`'s `valid` keys: the nearest one is suggested.
    pub fn unknown_key(model: &'static str, key: &str, valid: &[&'static str]) -> Self {
        ParamsError::UnknownKey {
            model,
            key: key.to_owned(),
            suggestion: nearest(key, valid).map(str::to_owned),
            valid: valid.to_vec(),
        }
    }

    /// The hyperparameter at fault as it was written, so a form can mark its field; `None`
    /// when values are wrong only together.
    pub fn key(&self) -> Option<&str> {
        match self {
            ParamsError::UnknownKey { key, .. }
            | ParamsError::BadValue { key, .. }
            | ParamsError::OutOfRange { key, .. } => Some(key),
            ParamsError::Invalid(_) => None,
        }
    }
}

fn unknown_key_hint(suggestion: Option<&str>, valid: &[&str]) -> String {
    match suggestion {
        Some(s) => format!(": did you mean '{s}'?"),
        None if valid.is_empty() => ": this model takes no hyperparameters".to_owned(),
        None => format!("; valid keys: {}", valid.join(", ")),
    }
}

/// A hyperparameter value before it is given a type.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Text(s) => f.write_str(s),
            RawValue::Int(i) => write!(f, "{i}"),
            RawValue::Float(x) => write!(f, "{x}"),
            RawValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl RawValue {
    /// From a TOML value; tables and arrays are refused.
    pub fn from_toml(key: &str, value: &toml::Value) -> Result<Self, ParamsError> {
        Ok(match value {
            toml::Value::String(s) => RawValue::Text(s.clone()),
            toml::Value::Integer(i) => RawValue::Int(*i),
            toml::Value::Float(x) => RawValue::Float(*x),
            toml::Value::Boolean(b) => RawValue::Bool(*b),
            other => {
                return Err(ParamsError::BadValue {
                    key: key.to_owned(),
                    value: other.to_string(),
                    expected: "a number, boolean or string",
                });
            }
        })
    }

    /// As a whole number.
    pub fn as_usize(&self, key: &str) -> Result<usize, ParamsError> {
        let bad = || ParamsError::BadValue {
            key: key.to_owned(),
            value: self.to_string(),
            expected: "a whole number",
        };
        match self {
            RawValue::Int(i) => usize::try_from(*i).map_err(|_| bad()),
            RawValue::Float(x) if x.fract() == 0.0 && *x >= 0.0 && *x < 1e12 => Ok(*x as usize),
            RawValue::Text(s) => {
                let t = s.trim();
                t.parse::<usize>()
                    .ok()
                    .or_else(|| {
                        t.parse::<f64>()
                            .ok()
                            .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 1e12)
                            .map(|x| x as usize)
                    })
                    .ok_or_else(bad)
            }
            _ => Err(bad()),
        }
    }

    /// As an `f32`, the type the models train with. A finite number beyond its range is
    /// refused with the text as given: narrowed, `1e308` would read back as `inf` and the
    /// message would name a value the user never wrote.
    pub fn as_f32(&self, key: &str) -> Result<f32, ParamsError> {
        let x = self.as_f64(key)?;
        if x.is_finite() && x.abs() > f64::from(f32::MAX) {
            return Err(ParamsError::OutOfRange {
                key: key.to_owned(),
                value: self.to_string(),
                range: format!("at most {:e} in size", f32::MAX),
            });
        }
        Ok(x as f32)
    }

    /// As a number.
    pub fn as_f64(&self, key: &str) -> Result<f64, ParamsError> {
        let bad = || ParamsError::BadValue {
            key: key.to_owned(),
            value: self.to_string(),
            expected: "a number",
        };
        match self {
            RawValue::Int(i) => Ok(*i as f64),
            RawValue::Float(x) => Ok(*x),
            RawValue::Text(s) => s.trim().parse::<f64>().map_err(|_| bad()),
            RawValue::Bool(_) => Err(bad()),
        }
    }

    /// As a boolean: `true`/`false` in any case, `1`/`0`, `yes`/`no`.
    pub fn as_bool(&self, key: &str) -> Result<bool, ParamsError> {
        let bad = || ParamsError::BadValue {
            key: key.to_owned(),
            value: self.to_string(),
            expected: "true or false",
        };
        match self {
            RawValue::Bool(b) => Ok(*b),
            RawValue::Int(0) => Ok(false),
            RawValue::Int(1) => Ok(true),
            RawValue::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }

    /// As text.
    pub fn as_text(&self) -> String {
        self.to_string()
    }
}

/// One setting a model offers for hand-tuning: what the workbench's Tune form shows
/// for it. Each model lists its own; the form, its checks and its defaults come from
/// these and from the model's parser, so a new model needs no form code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The canonical key, as `--set` and `run.toml` spell it.
    pub key: &'static str,
    pub label: &'static str,
    /// One line: the range and what moving it does.
    pub help: &'static str,
    /// The values to cycle through; empty for free text.
    pub choices: &'static [&'static str],
}

impl Setting {
    /// A setting typed as text.
    pub const fn text(key: &'static str, label: &'static str, help: &'static str) -> Self {
        Self {
            key,
            label,
            help,
            choices: &[],
        }
    }

    /// A setting chosen among `choices`.
    pub const fn choice(
        key: &'static str,
        label: &'static str,
        help: &'static str,
        choices: &'static [&'static str],
    ) -> Self {
        Self {
            key,
            label,
            help,
            choices,
        }
    }
}

/// Parses `key=value` from the command line; the value stays text.
pub fn parse_assignment(text: &str) -> Result<(String, RawValue), ParamsError> {
    let (k, v) = text
        .split_once('=')
        .ok_or_else(|| ParamsError::Invalid(format!("'{text}' is not key=value")))?;
    Ok((k.trim().to_owned(), RawValue::Text(v.trim().to_owned())))
}

/// The valid key closest to `key`, if any is close enough to be a likely typo.
pub fn nearest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    let key = key.to_ascii_lowercase();
    valid
        .iter()
        .map(|v| (strsim::damerau_levenshtein(&key, v), *v))
        .filter(|(d, v)| *d <= (v.len() / 3).max(2))
        .min()
        .map(|(_, v)| v)
}

/// Checks `value` lies in `range`, naming the key otherwise.
pub fn check_range<T: PartialOrd + fmt::Display + Copy>(
    key: &str,
    value: T,
    min: T,
    max: T,
) -> Result<T, ParamsError> {
    if value >= min && value <= max {
        Ok(value)
    } else {
        Err(ParamsError::OutOfRange {
            key: key.to_owned(),
            value: value.to_string(),
            range: format!("in {min}..={max}"),
        })
    }
}

/// Refuses a table that names one hyperparameter twice under different aliases (`als_rank`
/// and `rank`): which one wins would depend on the table's key order.
pub fn check_aliases_once(
    table: &toml::Table,
    section: &str,
    canonical_key: fn(&str) -> Option<&'static str>,
) -> Result<(), ParamsError> {
    let mut seen: std::collections::BTreeMap<&'static str, &str> =
        std::collections::BTreeMap::new();
    for key in table.keys() {
        let Some(canonical) = canonical_key(key) else {
            continue;
        };
        if let Some(first) = seen.insert(canonical, key) {
            return Err(ParamsError::Invalid(format!(
                "[{section}] sets {canonical} twice, as '{first}' and as '{key}': keep one"
            )));
        }
    }
    Ok(())
}

/// Settings from `run.toml` into a model's parameter type, as they were written.
pub(crate) fn settings_into<P>(
    settings: &std::collections::BTreeMap<String, String>,
    params: &mut P,
    set: fn(&mut P, &str, &RawValue) -> Result<(), ParamsError>,
) -> Result<(), crate::models::arrays::ArrayError> {
    for (k, v) in settings {
        set(params, k, &RawValue::Text(v.clone()))
            .map_err(|e| crate::models::arrays::ArrayError::new("run.toml", e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parsing() {
        assert_eq!(RawValue::Text("10".into()).as_usize("k"), Ok(10));
        assert_eq!(RawValue::Float(10.0).as_usize("k"), Ok(10));
        assert_eq!(RawValue::Text("10.0".into()).as_usize("k"), Ok(10));
        assert!(RawValue::Text("ten".into()).as_usize("k").is_err());
        assert!(RawValue::Int(-1).as_usize("k").is_err());
        assert_eq!(RawValue::Text("True".into()).as_bool("b"), Ok(true));
        assert_eq!(RawValue::Text("0.01".into()).as_f64("x"), Ok(0.01));
    }

    #[test]
    fn typos_get_a_suggestion() {
        let valid = ["als_rank", "reg_param", "max_iter", "alpha"];
        assert_eq!(nearest("als_rnak", &valid), Some("als_rank"));
        assert_eq!(nearest("regparam", &valid), Some("reg_param"));
        assert_eq!(nearest("learning_rate", &valid), None);
        let (k, v) = parse_assignment("als_rank = 32").unwrap();
        assert_eq!(
            (k.as_str(), v.as_usize("als_rank").unwrap()),
            ("als_rank", 32)
        );
    }

    #[test]
    fn errors_name_the_key_a_form_marks() {
        let err = RawValue::Text("ten".into())
            .as_usize("als_rank")
            .unwrap_err();
        assert_eq!(err.key(), Some("als_rank"));
        let err = check_range("max_iter", 0usize, 1, 10).unwrap_err();
        assert_eq!(err.key(), Some("max_iter"));
        assert_eq!(ParamsError::Invalid("together".into()).key(), None);
    }

    #[test]
    fn ranges_name_the_key() {
        let err = check_range("als_rank", 0usize, 1, 512).unwrap_err();
        assert_eq!(err.to_string(), "invalid als_rank '0': must be in 1..=512");
    }
}
