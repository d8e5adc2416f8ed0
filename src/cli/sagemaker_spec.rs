//! The hyperparameters of a SageMaker training job, as SageMaker passes them and as the
//! seed system's own job wrote them.
//!
//! SageMaker writes `input/config/hyperparameters.json` (every value a string). The seed
//! job shipped `input/config/als_spec.json` instead, with numbers and its own keys, so
//! when there is no `hyperparameters.json` that file is read. Either file may use the
//! seed's keys:
//!
//! | key | meaning in latent |
//! | --- | --- |
//! | `ranking_type` | `[interactions] ranking_type` (count, quantity, revenue, binary, rating) |
//! | `retention_date`, `retention_days` | the retention window, `YYYYMMDD` and days |
//! | `reco_item` | products per customer in `output/data/recommendations.csv` |
//! | `max_itter` | the seed's spelling of `max_iter` |
//! | `als_rank`, `reg_param`, ... | the model's hyperparameters |
//! | `group_size` | Spark's partition count in the seed: accepted, ignored and reported |
//!
//! plus latent's own `model`, `test_last_days` and `k`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::config::SettingOverrides;
use crate::data::RankingType;
use crate::experiment::Holdout;
use crate::models::ModelKind;
use crate::models::hyper::{ParamsError, RawValue};

/// Seed keys that steered the seed's Spark job rather than the model: accepted so the
/// seed's file runs unmodified, and reported as ignored. Any other unknown key is refused.
const IGNORED_SEED_KEYS: [(&str, &str); 1] = [(
    "group_size",
    "the seed's Spark partition count; latent sizes its own work",
)];

/// What a training job was asked for.
#[derive(Debug)]
pub struct JobSpec {
    /// The file the settings came from (for messages), or `None` when there was none.
    pub source: Option<PathBuf>,
    pub model: ModelKind,
    pub holdout: Holdout,
    /// List length of the evaluation.
    pub k: usize,
    /// The model's hyperparameters, checked by the model.
    pub overrides: Vec<(String, RawValue)>,
    /// Seed keys accepted but given no meaning, with their values and why.
    pub ignored: BTreeMap<String, String>,
    /// Workspace settings the file sets: the window, the aggregation, the list length.
    pub interactions: SettingOverrides,
}

/// Reads the job's settings under `root`: `hyperparameters.json`, else the seed's
/// `als_spec.json`, else defaults.
pub fn read(root: &Path) -> anyhow::Result<JobSpec> {
    let config_dir = root.join("input/config");
    for name in ["hyperparameters.json", "als_spec.json"] {
        let path = config_dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => return parse(&bytes, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading '{}'", path.display())),
        }
    }
    Ok(parse_object(serde_json::Map::new(), None)?)
}

/// Parses one settings file.
pub fn parse(bytes: &[u8], path: &Path) -> anyhow::Result<JobSpec> {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes)
        .map_err(|e| {
            ParamsError::Invalid(format!(
                "'{}' is not a JSON object of settings: {e}",
                path.display()
            ))
        })?;
    Ok(parse_object(object, Some(path))?)
}

fn parse_object(
    object: serde_json::Map<String, serde_json::Value>,
    path: Option<&Path>,
) -> Result<JobSpec, ParamsError> {
    let shown = path.map_or_else(|| "hyperparameters".to_owned(), |p| p.display().to_string());
    let mut spec = JobSpec {
        source: path.map(Path::to_path_buf),
        model: ModelKind::Als,
        holdout: Holdout::None,
        k: 10,
        overrides: Vec::new(),
        ignored: BTreeMap::new(),
        interactions: SettingOverrides::default(),
    };
    for (key, value) in object {
        let raw = match value {
            serde_json::Value::String(s) => RawValue::Text(s.trim().to_owned()),
            serde_json::Value::Bool(b) => RawValue::Bool(b),
            serde_json::Value::Number(n) => n.as_i64().map_or_else(
                || RawValue::Float(n.as_f64().unwrap_or(f64::NAN)),
                RawValue::Int,
            ),
            other => {
                return Err(ParamsError::Invalid(format!(
                    "'{key}' in '{shown}' must be a string or a number, not {other}"
                )));
            }
        };
        match key.as_str() {
            "model" => {
                spec.model =
                    super::train::parse_model(&raw.to_string()).map_err(ParamsError::Invalid)?;
            }
            "test_last_days" => {
                spec.holdout = Holdout::LastDays {
                    days: day_count(&key, &raw)?,
                    new_items_only: false,
                };
            }
            "k" => spec.k = raw.as_usize(&key)?.max(1),
            "ranking_type" => spec.interactions.ranking_type = Some(ranking_type(&raw)?),
            "retention_date" => spec.interactions.retention_date = Some(raw.to_string()),
            "retention_days" => spec.interactions.retention_days = Some(day_count(&key, &raw)?),
            "reco_item" => {
                let n = raw.as_usize(&key)?;
                if n == 0 {
                    return Err(ParamsError::Invalid(
                        "reco_item must be at least 1 (products per customer)".to_owned(),
                    ));
                }
                spec.interactions.reco_item = Some(n);
            }
            _ => match IGNORED_SEED_KEYS.iter().find(|(k, _)| *k == key) {
                Some((_, why)) => {
                    tracing::warn!("'{key}' = {raw} in '{shown}' is ignored: {why}");
                    spec.ignored.insert(key, raw.to_string());
                }
                None => spec.overrides.push((key, raw)),
            },
        }
    }
    Ok(spec)
}

fn day_count(key: &str, raw: &RawValue) -> Result<u32, ParamsError> {
    let n = raw.as_usize(key)?;
    u32::try_from(n)
        .ok()
        .filter(|&d| d > 0)
        .ok_or_else(|| ParamsError::Invalid(format!("{key} must be a day count from 1, not {n}")))
}

fn ranking_type(raw: &RawValue) -> Result<RankingType, ParamsError> {
    let text = raw.to_string().to_ascii_lowercase();
    [
        RankingType::Count,
        RankingType::Quantity,
        RankingType::Revenue,
        RankingType::Binary,
        RankingType::Rating,
    ]
    .into_iter()
    .find(|r| r.name() == text)
    .ok_or_else(|| {
        ParamsError::Invalid(format!(
            "ranking_type '{raw}' is not one of count, quantity, revenue, binary, rating"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WorkspaceConfig;

    /// The seed job's file, byte for byte (tabs, leading commas, numbers).
    const SEED: &str = "{\n\t\"ranking_type\":\"count\"\n\t,\"max_itter\": 5\n\t,\"retention_date\":\"20180205\"\n\t,\"retention_days\": 10\n\t,\"reg_param\" : 0.01\n\t,\"als_rank\" : 10\n\t,\"reco_item\" : 3\n\t,\"group_size\":4099\n}\n";

    #[test]
    fn the_seed_spec_is_read_as_written() {
        let spec = parse(SEED.as_bytes(), Path::new("als_spec.json")).unwrap();
        assert_eq!(spec.interactions.ranking_type, Some(RankingType::Count));
        assert_eq!(
            spec.interactions.retention_date.as_deref(),
            Some("20180205")
        );
        assert_eq!(spec.interactions.retention_days, Some(10));
        assert_eq!(spec.interactions.reco_item, Some(3));
        assert_eq!(
            spec.ignored.get("group_size").map(String::as_str),
            Some("4099")
        );
        let keys: Vec<&str> = spec.overrides.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["als_rank", "max_itter", "reg_param"]);
        // The model accepts them, max_itter as the seed's spelling of max_iter.
        let params = crate::experiment::TrainSpec::settings(
            &WorkspaceConfig::default(),
            spec.model,
            &spec.overrides,
        )
        .unwrap();
        let strings = params.to_strings();
        assert_eq!(strings.get("max_iter").map(String::as_str), Some("5"));
        assert_eq!(strings.get("als_rank").map(String::as_str), Some("10"));
    }

    #[test]
    fn strings_and_numbers_mean_the_same() {
        let a = parse(
            br#"{"retention_days": "90", "reco_item": "3"}"#,
            Path::new("h"),
        )
        .unwrap();
        let b = parse(br#"{"retention_days": 90, "reco_item": 3}"#, Path::new("h")).unwrap();
        assert_eq!(a.interactions.retention_days, b.interactions.retention_days);
        assert_eq!(a.interactions.reco_item, b.interactions.reco_item);
        let mut config = WorkspaceConfig::default();
        a.interactions.apply(&mut config);
        assert_eq!(config.interactions.retention_days, Some(90));
        assert_eq!(config.recommend.reco_item, 3);
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = parse(br#"{"ranking_type": "counts"}"#, Path::new("h")).unwrap_err();
        assert!(e.to_string().contains("'counts'"), "{e}");
        let e = parse(br#"{"reco_item": 0}"#, Path::new("h")).unwrap_err();
        assert!(e.to_string().contains("reco_item"), "{e}");
        let e = parse(br#"{"retention_days": [1]}"#, Path::new("h")).unwrap_err();
        assert!(e.to_string().contains("retention_days"), "{e}");
        let e = parse(b"{\"a\": 1,}", Path::new("x/als_spec.json")).unwrap_err();
        assert!(e.to_string().contains("als_spec.json"), "{e}");
    }
}
