//! Two runs side by side: what was configured differently, how the metrics moved, and
//! how the lists that customers would see changed.

use serde::Serialize;

use crate::eval::{CURVE_DEPTH, HoldoutLists, Metric, Side};
use crate::recommend::Engine;
use crate::store::Run;

/// One setting that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettingChange {
    pub key: String,
    pub a: String,
    pub b: String,
}

pub use crate::eval::bootstrap::MetricChange;

/// The customers a paired comparison scored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedCustomers {
    /// Customers both runs evaluated: the paired metrics are theirs.
    pub shared: usize,
    pub a: usize,
    pub b: usize,
    /// Said when the runs did not score the same customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why two runs cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(
        "k = {k} cannot be compared: choose 1 to {depth} (the runs keep their evaluated lists {depth} long)"
    )]
    BadK { k: usize, depth: usize },
    #[error("the runs were trained on different data, so their metrics do not compare: {0}")]
    DifferentData(String),
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
    /// The customers the paired metrics are of, when both runs kept their lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scored: Option<PairedCustomers>,
    /// Why the metrics are not paired, when a lenient comparison could not pair them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpaired: Option<String>,
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

/// Compares run `a` with run `b`: metrics at `k` by the paired bootstrap over the
/// customers both evaluated, and the lists of up to `sample` shared customers (spread
/// evenly).
pub fn diff(a: &Run, b: &Run, k: usize, sample: usize) -> Result<RunDiff, CompareError> {
    compare(a, b, k, sample, true)
}

/// [`diff`] that still compares settings and lists when the runs' evaluations do not
/// pair (different data or hold-out), saying why in [`RunDiff::unpaired`]: what the
/// workbench shows for any two runs picked from the table.
pub fn diff_lenient(a: &Run, b: &Run, k: usize, sample: usize) -> Result<RunDiff, CompareError> {
    compare(a, b, k, sample, false)
}

fn compare(
    a: &Run,
    b: &Run,
    k: usize,
    sample: usize,
    strict: bool,
) -> Result<RunDiff, CompareError> {
    let depth = [a, b]
        .iter()
        .filter_map(|r| r.holdout.as_ref().map(HoldoutLists::depth))
        .min()
        .unwrap_or(CURVE_DEPTH)
        .max(1);
    if k == 0 || k > depth {
        return Err(CompareError::BadK { k, depth });
    }
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
    let (paired, unpaired) = match paired_metrics(a, b, k) {
        Ok(p) => (p, None),
        Err(e @ CompareError::DifferentData(_)) if !strict => (None, Some(e.to_string())),
        Err(e) => return Err(e),
    };
    let mut metrics = Vec::new();
    let customers_scored = paired.as_ref().map(|(c, _)| c.clone());
    if let Some((_, rows)) = paired {
        metrics = rows;
    } else if let (Some(ma), Some(mb)) = (&a.metrics, &b.metrics) {
        for m in Metric::ALL {
            metrics.push(MetricChange::plain(
                &m.label(ma.k),
                ma.model.get(m),
                mb.model.get(m),
            ));
        }
    }
    if let (Some(ma), Some(mb)) = (&a.metrics, &b.metrics) {
        if let (Some(ra), Some(rb)) = (ma.model.rmse, mb.model.rmse) {
            metrics.push(MetricChange::plain("rmse", ra, rb));
        }
        // Runs that showed bought products: where their hits came from.
        if let (Some(ra), Some(rb)) = (&ma.repeat, &mb.repeat) {
            let rows = [
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
                metrics.push(MetricChange::plain(metric, a, b));
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
    Ok(RunDiff {
        settings,
        metrics,
        scored: customers_scored,
        unpaired,
        k,
        customers,
        mean_overlap,
        identical,
        examples: changes,
    })
}

/// Every metric of both runs at `k` on the customers both evaluated, with the paired
/// interval and verdict; `None` when a run kept no evaluated lists.
fn paired_metrics(
    a: &Run,
    b: &Run,
    k: usize,
) -> Result<Option<(PairedCustomers, Vec<MetricChange>)>, CompareError> {
    let (Some(ha), Some(hb)) = (&a.holdout, &b.holdout) else {
        return Ok(None);
    };
    if let (Some(fa), Some(fb)) = (&a.meta.fingerprint, &b.meta.fingerprint)
        && (fa.size != fb.size || fa.content_hash != fb.content_hash)
    {
        return Err(CompareError::DifferentData(format!(
            "A read '{}' ({} bytes), B read '{}' ({} bytes)",
            fa.path, fa.size, fb.path, fb.size
        )));
    }
    if a.meta.holdout != b.meta.holdout {
        return Err(CompareError::DifferentData(format!(
            "A held out {}, B held out {}: train both with the same hold-out",
            a.meta.holdout, b.meta.holdout
        )));
    }
    // Customers both evaluated, in A's order, as (row in A, row in B).
    let row_b: std::collections::HashMap<&str, usize> = hb
        .users
        .iter()
        .enumerate()
        .map(|(r, &u)| (b.users.name(u), r))
        .collect();
    let rows: Vec<(usize, usize)> = ha
        .users
        .iter()
        .enumerate()
        .filter_map(|(r, &u)| Some((r, *row_b.get(a.users.name(u))?)))
        .collect();
    let names = |run: &Run, items: &[u32]| -> Vec<String> {
        let mut v: Vec<String> = items
            .iter()
            .map(|&i| run.items.name(i).to_owned())
            .collect();
        v.sort_unstable();
        v
    };
    let differing = rows
        .iter()
        .filter(|&&(ra, rb)| names(a, &ha.relevant[ra]) != names(b, &hb.relevant[rb]))
        .count();
    if differing > 0 {
        return Err(CompareError::DifferentData(format!(
            "{differing} of the {} shared customers bought different products after the cut-off in A's and B's hold-out",
            rows.len()
        )));
    }
    let (rows_a, rows_b): (Vec<usize>, Vec<usize>) = rows.iter().copied().unzip();
    let set_a = ha.set(
        Side::Model,
        k,
        Some(&rows_a),
        &a.popularity.counts,
        a.train.rows(),
    );
    let set_b = hb.set(
        Side::Model,
        k,
        Some(&rows_b),
        &b.popularity.counts,
        b.train.rows(),
    );
    let changes = MetricChange::paired_rows(&set_a, &set_b, k);
    let note = (rows.len() != ha.users.len() || rows.len() != hb.users.len()).then(|| {
        format!(
            "compared on the {} customers both runs evaluated (A evaluated {}, B {})",
            rows.len(),
            ha.users.len(),
            hb.users.len()
        )
    });
    Ok(Some((
        PairedCustomers {
            shared: rows.len(),
            a: ha.users.len(),
            b: hb.users.len(),
            note,
        },
        changes,
    )))
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
