//! Human-readable evaluation reports.

use std::io::Write;

use crate::eval::EvalReport;

/// Prints `r` as a table: the model beside the popularity baseline.
pub fn write_eval(r: &EvalReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "evaluation at k = {} on {} customers ({} cold customers skipped, {} pairs with unknown products, {} already-bought pairs left out)",
        r.k, r.users, r.cold_users, r.unknown_item_pairs, r.seen_pairs_removed
    )?;
    writeln!(
        out,
        "{:<18}{:>14}{:>14}{:>10}",
        "metric", r.model_name, "popularity", "lift"
    )?;
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
    for (name, m, b) in rows {
        let lift = if b == 0.0 {
            "-".to_owned()
        } else {
            format!("{:+.1}%", (m / b - 1.0) * 100.0)
        };
        writeln!(out, "{name:<18}{m:>14.4}{b:>14.4}{lift:>10}")?;
    }
    if let (Some(rmse), Some(mae)) = (r.model.rmse, r.model.mae) {
        writeln!(out, "{:<18}{rmse:>14.4}", "rmse")?;
        writeln!(out, "{:<18}{mae:>14.4}", "mae")?;
    }
    Ok(())
}
