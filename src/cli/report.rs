//! Human-readable evaluation reports.

use std::io::Write;

use crate::eval::metrics::MetricOf;
use crate::eval::{EvalReport, RulesImpact};

/// Prints `r` as a table: the model beside the popularity baseline.
pub fn write_eval(r: &EvalReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "evaluation at k = {} on {} warm customers ({} cold customers apart, {} pairs with unknown products, {} already-bought pairs left out)",
        r.k, r.users, r.cold_users, r.unknown_item_pairs, r.seen_pairs_removed
    )?;
    writeln!(
        out,
        "{:<18}{:>14}{:>14}{:>10}  {}",
        "metric",
        r.model_name,
        "popularity",
        "lift",
        if r.intervals.is_some() {
            "95 % interval (model; popularity)"
        } else {
            ""
        }
    )?;
    let spread = r.metric_rows();
    let rows: [(&str, f64, f64); 9] = [
        ("precision", r.model.precision, r.baseline.precision),
        ("recall", r.model.recall, r.baseline.recall),
        ("map", r.model.map, r.baseline.map),
        ("ndcg", r.model.ndcg, r.baseline.ndcg),
        ("hit rate", r.model.hit_rate, r.baseline.hit_rate),
        ("mrr", r.model.mrr, r.baseline.mrr),
        ("coverage", r.model.coverage, r.baseline.coverage),
        ("novelty", r.model.novelty, r.baseline.novelty),
        (
            "popularity bias",
            r.model.popularity_bias,
            r.baseline.popularity_bias,
        ),
    ];
    for (row, (name, m, b)) in rows.into_iter().enumerate() {
        let lift = if b == 0.0 {
            "-".to_owned()
        } else {
            format!("{:+.1}%", (m / b - 1.0) * 100.0)
        };
        // The per-customer metrics come first, in the same order as the report's rows.
        let interval = spread.get(row).and_then(|s| {
            Some(format!(
                "  {:.4}–{:.4}; {:.4}–{:.4}",
                s.ci_low?, s.ci_high?, s.baseline_ci_low?, s.baseline_ci_high?
            ))
        });
        writeln!(
            out,
            "{name:<18}{m:>14.4}{b:>14.4}{lift:>10}{}",
            interval.unwrap_or_default()
        )?;
    }
    if let (Some(rmse), Some(mae)) = (r.model.rmse, r.model.mae) {
        // The baseline column holds the mean rating's errors here.
        let base = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:>14.4}"));
        writeln!(
            out,
            "{:<18}{rmse:>14.4}{}  (mean rating)",
            "rmse",
            base(r.baseline.rmse)
        )?;
        writeln!(out, "{:<18}{mae:>14.4}{}", "mae", base(r.baseline.mae))?;
    }
    if let Some(why) = r.below_baseline() {
        writeln!(out, "WARNING: {why}")?;
    }
    if let Some(rep) = &r.repeat {
        writeln!(out)?;
        writeln!(
            out,
            "repeat and explore (bought products shown; {:.1} % of relevant pairs are re-buys):",
            rep.truth_repeat_share * 100.0
        )?;
        let (m, b, o) = (&rep.model, &rep.baseline, &rep.rebuy_only);
        writeln!(
            out,
            "{:<18}{:>14}{:>14}{:>14}",
            "", r.model_name, "popularity", "own products"
        )?;
        let rows: [(&str, f64, f64, f64); 6] = [
            (
                "precision",
                r.model.precision,
                r.baseline.precision,
                rep.rebuy_only_precision,
            ),
            (
                "repeat precision",
                m.repeat.precision,
                b.repeat.precision,
                o.repeat.precision,
            ),
            (
                "explore precision",
                m.explore.precision,
                b.explore.precision,
                o.explore.precision,
            ),
            (
                "repeat recall",
                m.repeat.recall,
                b.repeat.recall,
                o.repeat.recall,
            ),
            (
                "explore recall",
                m.explore.recall,
                b.explore.recall,
                o.explore.recall,
            ),
            (
                "bought in list",
                m.list_repeat_share,
                b.list_repeat_share,
                o.list_repeat_share,
            ),
        ];
        for (name, m, b, o) in rows {
            writeln!(out, "{name:<18}{m:>14.4}{b:>14.4}{o:>14.4}")?;
        }
    }
    if let Some(c) = &r.cold {
        writeln!(out)?;
        writeln!(
            out,
            "cold customers: {} scored on what they bought after their first day ({} seen on one day only); policy in use: {}",
            c.users,
            c.single_visit,
            c.policy.name()
        )?;
        writeln!(
            out,
            "{:<20}{:>11}{:>10}{:>10}{:>10}",
            "policy", "precision", "recall", "ndcg", "coverage"
        )?;
        for (policy, m) in &c.by_policy {
            let mark = if *policy == c.policy { " *" } else { "" };
            writeln!(
                out,
                "{:<20}{:>11.4}{:>10.4}{:>10.4}{:>10.4}{mark}",
                policy.name(),
                m.precision,
                m.recall,
                m.ndcg,
                m.coverage
            )?;
        }
    }
    Ok(())
}

/// Prints what a rule set changes, metric by metric.
pub fn write_impact(i: &RulesImpact, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "rules impact at k = {} on {} warm customers",
        i.k, i.users
    )?;
    writeln!(
        out,
        "{:<18}{:>14}{:>14}{:>10}",
        "metric", "without", "with rules", "delta"
    )?;
    let rows: [(&str, MetricOf); 6] = [
        ("precision", |m| m.precision),
        ("recall", |m| m.recall),
        ("ndcg", |m| m.ndcg),
        ("coverage", |m| m.coverage),
        ("novelty", |m| m.novelty),
        ("popularity bias", |m| m.popularity_bias),
    ];
    for (name, f) in rows {
        let (a, b) = (f(&i.without), f(&i.with));
        let delta = if a == 0.0 {
            format!("{:+.4}", b - a)
        } else {
            format!("{:+.1}%", (b / a - 1.0) * 100.0)
        };
        writeln!(out, "{name:<18}{a:>14.4}{b:>14.4}{delta:>10}")?;
    }
    writeln!(
        out,
        "{:<18}{:>14}{:>14.4}",
        "forced share", "-", i.forced_share
    )?;
    writeln!(
        out,
        "{:<18}{:>14}{:>14.4}",
        "boosted share", "-", i.boosted_share
    )?;
    Ok(())
}
