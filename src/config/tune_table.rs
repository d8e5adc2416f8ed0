//! The `[tune]` table: what `latent tune` and the workbench's `a` search with when they
//! are not told, so the command line and the Tune screen share one setting.
//!
//! ```toml
//! [tune]
//! model = "auto"          # or one model: ease, als, rp3beta, item-knn, fm, ...
//! budget = "5m"           # 60s, 5m, 1h
//! metric = "ndcg@10"      # precision (the default; rmse for ratings), recall, map, ...
//! seed = 42
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::models::ModelKind;

/// The `[tune]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TuneTable {
    /// `auto`, or the one model to search.
    pub model: String,
    /// How long the search runs.
    pub budget: String,
    /// What trials are compared on; unset, precision@k (RMSE for ratings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    pub seed: u64,
}

impl Default for TuneTable {
    fn default() -> Self {
        Self {
            model: "auto".to_owned(),
            budget: "60s".to_owned(),
            metric: None,
            seed: 42,
        }
    }
}

impl TuneTable {
    /// The model to search, `None` for `auto`.
    pub fn model(&self) -> Result<Option<ModelKind>, String> {
        parse_model(&self.model)
    }

    /// The budget as a duration.
    pub fn budget(&self) -> Result<Duration, String> {
        parse_budget(&self.budget, "budget")
    }

    /// Checks every value, for the error the workspace file gets when it is read.
    pub fn check(&self) -> Result<(), String> {
        self.model()?;
        self.budget()?;
        Ok(())
    }
}

/// `auto` (`None`) or a model with settings to tune; a typo is answered with the nearest
/// name.
pub fn parse_model(text: &str) -> Result<Option<ModelKind>, String> {
    if text.trim() == "auto" {
        return Ok(None);
    }
    match ModelKind::parse(text.trim()) {
        Some(ModelKind::Popularity) => Err(
            "popularity has no settings to tune: train it as it is, or tune another model".into(),
        ),
        Some(kind) => Ok(Some(kind)),
        None => {
            let names: Vec<&str> = (ModelKind::ALL.iter().map(|k| k.name()))
                .chain(["auto"])
                .collect();
            Err(match crate::models::hyper::nearest(text, &names) {
                Some(near) => format!("unknown model '{text}': did you mean '{near}'?"),
                None => format!("unknown model '{text}': choose one of {}", names.join(", ")),
            })
        }
    }
}

/// `60s`, `5m`, `1h` or a number of seconds; 0 is refused. `what` names the setting in
/// the message (`--budget`, `budget`).
pub fn parse_budget(text: &str, what: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "invalid {what} '{text}': expected e.g. 60s, 5m or 1h"
            ));
        }
    };
    match number.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(Duration::from_secs_f64(x * scale)),
        Ok(_) => Err(format!(
            "invalid {what} '{text}': must be more than 0 seconds"
        )),
        Err(_) => Err(format!(
            "invalid {what} '{text}': expected e.g. 60s, 5m or 1h"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_and_typos_are_named() {
        let t = TuneTable::default();
        assert_eq!(
            (t.model(), t.budget()),
            (Ok(None), Ok(Duration::from_secs(60)))
        );
        assert_eq!(parse_model("ease"), Ok(Some(ModelKind::Ease)));
        let e = parse_model("eas").unwrap_err();
        assert!(e.contains("did you mean 'ease'"), "{e}");
        assert!(
            parse_model("popularity")
                .unwrap_err()
                .contains("no settings")
        );
        assert_eq!(parse_budget("5m", "budget"), Ok(Duration::from_secs(300)));
        assert_eq!(
            parse_budget("1.5h", "budget"),
            Ok(Duration::from_secs(5400))
        );
        assert_eq!(parse_budget("90", "budget"), Ok(Duration::from_secs(90)));
        let e = parse_budget("0s", "--budget").unwrap_err();
        assert_eq!(e, "invalid --budget '0s': must be more than 0 seconds");
        assert!(
            parse_budget("5 weeks", "budget")
                .unwrap_err()
                .contains("expected e.g. 60s")
        );
    }
}
