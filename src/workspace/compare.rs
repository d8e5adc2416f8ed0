//! Two runs side by side: what was configured differently, how the metrics moved, and
//! how the lists that customers would see changed.

use serde::Serialize;

use crate::eval::metrics::MetricOf;
use crate::recommend::Engine;
use crate::store::Run;

/// One setting that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingChange {
    pub key: String,
    pub a: String,
    pub b: String,
}

/// One metric of both runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricChange {
    pub metric: &'static str,
    pub a: f64,
    pub b: f64,
}

/// How one customer's list changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListChange {
    pub user_id: String,
    pub overlap: usize,
    pub gained: Vec<String>,
    pub lost: Vec<String>,
}

/// `latent runs diff A B`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunDiff {
    pub settings: Vec<SettingChange>,
    pub metrics: Vec<MetricChange>,
    pub k: usize,
    /// Customers of both runs compared.
    pub customers: usize,
    /// Mean |A ∩ B| / k over them.
    pub mean_overlap: f64,
    /// Share of them whose list is identical.
    pub identical: f64,
    /// A few customers with the largest changes.
    pub examples: Vec<ListChange>,
}

/// Compares run `a` with run `b` on up to `sample` shared customers (spread evenly).
pub fn diff(a: &Run, b: &Run, k: usize, sample: usize) -> RunDiff {
    let mut settings = Vec::new();
    let mut flat_a =
        flatten(&toml::Value::try_from(&a.config).unwrap_or(toml::Value::Boolean(false)));
    let mut flat_b =
        flatten(&toml::Value::try_from(&b.config).unwrap_or(toml::Value::Boolean(false)));
    flat_a.push(("model".into(), a.meta.model.name().to_owned()));
    flat_b.push(("model".into(), b.meta.model.name().to_owned()));
    for (key, v) in &a.meta.params {
        flat_a.push((format!("params.{key}"), v.clone()));
    }
    for (key, v) in &b.meta.params {
        flat_b.push((format!("params.{key}"), v.clone()));
    }
    flat_a.push(("holdout".into(), a.meta.holdout.clone()));
    flat_b.push(("holdout".into(), b.meta.holdout.clone()));
    let map_a: std::collections::BTreeMap<String, String> = flat_a.into_iter().collect();
    let map_b: std::collections::BTreeMap<String, String> = flat_b.into_iter().collect();
    let keys: std::collections::BTreeSet<&String> = map_a.keys().chain(map_b.keys()).collect();
    for key in keys {
        // The stored `[als]` table repeats the params; report each setting once.
        if key.starts_with("als.") {
            continue;
        }
        let (va, vb) = (
            map_a.get(key).cloned().unwrap_or_else(|| "-".into()),
            map_b.get(key).cloned().unwrap_or_else(|| "-".into()),
        );
        if va != vb {
            settings.push(SettingChange {
                key: key.clone(),
                a: va,
                b: vb,
            });
        }
    }
    let mut metrics = Vec::new();
    if let (Some(ma), Some(mb)) = (&a.metrics, &b.metrics) {
        let rows: [(&'static str, MetricOf); 8] = [
            ("precision", |m| m.precision),
            ("recall", |m| m.recall),
            ("map", |m| m.map),
            ("ndcg", |m| m.ndcg),
            ("hit_rate", |m| m.hit_rate),
            ("coverage", |m| m.coverage),
            ("novelty", |m| m.novelty),
            ("popularity_bias", |m| m.popularity_bias),
        ];
        for (metric, f) in rows {
            metrics.push(MetricChange {
                metric,
                a: f(&ma.model),
                b: f(&mb.model),
            });
        }
        if let (Some(ra), Some(rb)) = (ma.model.rmse, mb.model.rmse) {
            metrics.push(MetricChange {
                metric: "rmse",
                a: ra,
                b: rb,
            });
        }
        // Runs that showed bought products: where their hits came from.
        if let (Some(ra), Some(rb)) = (&ma.repeat, &mb.repeat) {
            let rows: [(&'static str, f64, f64); 3] = [
                (
                    "repeat_precision",
                    ra.model.repeat.precision,
                    rb.model.repeat.precision,
                ),
                (
                    "explore_precision",
                    ra.model.explore.precision,
                    rb.model.explore.precision,
                ),
                (
                    "bought_in_list",
                    ra.model.list_repeat_share,
                    rb.model.list_repeat_share,
                ),
            ];
            for (metric, a, b) in rows {
                metrics.push(MetricChange { metric, a, b });
            }
        }
    }

    let shared: Vec<(u32, u32)> = a
        .users
        .names()
        .iter()
        .enumerate()
        .filter_map(|(ua, name)| Some((ua as u32, b.users.get(name)?)))
        .collect();
    let step = (shared.len() / sample.max(1)).max(1);
    let picked: Vec<(u32, u32)> = shared.iter().copied().step_by(step).take(sample).collect();
    let engine_a = Engine::new(a.view(), &a.config.overrides);
    let engine_b = Engine::new(b.view(), &b.config.overrides);
    let users_a: Vec<u32> = picked.iter().map(|p| p.0).collect();
    let users_b: Vec<u32> = picked.iter().map(|p| p.1).collect();
    let lists_a = engine_a.recommend_known(&users_a, k);
    let lists_b = engine_b.recommend_known(&users_b, k);
    let mut changes: Vec<ListChange> = Vec::with_capacity(picked.len());
    for ((&(ua, _), la), lb) in picked.iter().zip(&lists_a).zip(&lists_b) {
        let ids_a: Vec<&str> = la.iter().map(|s| a.items.name(s.item)).collect();
        let ids_b: Vec<&str> = lb.iter().map(|s| b.items.name(s.item)).collect();
        let gained: Vec<String> = ids_b
            .iter()
            .filter(|i| !ids_a.contains(i))
            .map(|s| (*s).to_owned())
            .collect();
        let lost: Vec<String> = ids_a
            .iter()
            .filter(|i| !ids_b.contains(i))
            .map(|s| (*s).to_owned())
            .collect();
        changes.push(ListChange {
            user_id: a.users.name(ua).to_owned(),
            overlap: ids_a.len() - lost.len(),
            gained,
            lost,
        });
    }
    let n = changes.len().max(1) as f64;
    let mean_overlap = changes
        .iter()
        .map(|c| c.overlap as f64 / k.max(1) as f64)
        .sum::<f64>()
        / n;
    let identical = changes
        .iter()
        .filter(|c| c.gained.is_empty() && c.lost.is_empty())
        .count() as f64
        / n;
    let customers = changes.len();
    changes.sort_by(|x, y| x.overlap.cmp(&y.overlap).then(x.user_id.cmp(&y.user_id)));
    changes.truncate(5);
    RunDiff {
        settings,
        metrics,
        k,
        customers,
        mean_overlap,
        identical,
        examples: changes,
    }
}

/// `table.key = value` pairs of a TOML value, values in TOML syntax.
fn flatten(value: &toml::Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, v: &toml::Value, out: &mut Vec<(String, String)>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}
