//! Human-readable evaluation reports.

use std::io::Write;

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
    for row in r.metric_rows() {
        let (m, b) = (row.value, row.baseline);
        let lift = if b == 0.0 {
            "-".to_owned()
        } else {
            format!("{:+.1}%", (m / b - 1.0) * 100.0)
        };
        let interval = (|| {
            Some(format!(
                "  {:.4}–{:.4}; {:.4}–{:.4}",
                row.ci_low?, row.ci_high?, row.baseline_ci_low?, row.baseline_ci_high?
            ))
        })();
        writeln!(
            out,
            "{:<18}{m:>14.4}{b:>14.4}{lift:>10}{}",
            row.metric,
            interval.unwrap_or_default()
        )?;
    }
    if r.model.rmse.is_some() {
        writeln!(
            out,
            "rmse and mae: the popularity column holds the mean training rating's errors; lower is better"
        )?;
    }
    if let Some(why) = r.below_baseline() {
        match r.remedy() {
            Some(knob) => writeln!(
                out,
                "WARNING: {why} ({})",
                super::knob_flags::flags_for(knob)
            )?,
            None => writeln!(out, "WARNING: {why}")?,
        }
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
    write_segments(r, out)
}

/// The segment table: each group's customers and precision, recall and NDCG beside the
/// baseline's, with intervals.
fn write_segments(r: &EvalReport, out: &mut dyn Write) -> std::io::Result<()> {
    if r.segments.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "segments (95 % intervals; popularity in brackets):")?;
    writeln!(
        out,
        "{:<30}{:>10}  {:<26}{:<26}{:<26}",
        "segment",
        "customers",
        format!("precision@{}", r.k),
        format!("recall@{}", r.k),
        format!("ndcg@{}", r.k)
    )?;
    for seg in &r.segments {
        let cell = |i: usize| {
            seg.metrics.get(i).map_or_else(String::new, |m| {
                let spread = match (m.ci_low, m.ci_high) {
                    (Some(l), Some(h)) => format!(" ±{:.3}", (h - l) / 2.0),
                    _ => String::new(),
                };
                format!("{:.3}{spread} ({:.3})", m.value, m.baseline)
            })
        };
        let name = format!("{} {}", seg.kind, seg.name);
        writeln!(
            out,
            "{name:<30}{:>10}  {:<26}{:<26}{:<26}",
            seg.customers,
            cell(0),
            cell(1),
            cell(3)
        )?;
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
        "{:<18}{:>14}{:>14}{:>10}  {:<21}verdict",
        "metric", "without", "with rules", "delta", "95 % interval"
    )?;
    for m in &i.changes {
        let interval = m.interval_text();
        let verdict = crate::eval::impact::rules_verdict(m.verdict);
        writeln!(
            out,
            "{:<18}{:>14.4}{:>14.4}{:>+10.4}  {interval:<21}{verdict}",
            m.metric, m.a, m.b, m.delta
        )?;
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
