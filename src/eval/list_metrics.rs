//! The metrics of one list against what one customer went on to buy (definitions in the
//! module above).

/// Metrics of one list against one relevant set.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ListMetrics {
    pub precision: f64,
    pub recall: f64,
    pub average_precision: f64,
    pub ndcg: f64,
    pub hit: f64,
    pub reciprocal_rank: f64,
}

/// Scores `list` (best first, at most `k` long) against sorted `relevant`.
pub fn score_list(list: &[u32], relevant: &[u32], k: usize) -> ListMetrics {
    if relevant.is_empty() || k == 0 {
        return ListMetrics::default();
    }
    let mut hits = 0usize;
    let mut ap = 0.0;
    let mut dcg = 0.0;
    let mut rr = 0.0;
    for (pos, item) in list.iter().take(k).enumerate() {
        if relevant.binary_search(item).is_ok() {
            hits += 1;
            ap += hits as f64 / (pos + 1) as f64;
            dcg += 1.0 / ((pos + 2) as f64).log2();
            if rr == 0.0 {
                rr = 1.0 / (pos + 1) as f64;
            }
        }
    }
    let ideal = relevant.len().min(k);
    let idcg: f64 = (0..ideal).map(|p| 1.0 / ((p + 2) as f64).log2()).sum();
    ListMetrics {
        precision: hits as f64 / k as f64,
        recall: hits as f64 / relevant.len() as f64,
        average_precision: ap / ideal as f64,
        ndcg: dcg / idcg,
        hit: f64::from(u8::from(hits > 0)),
        reciprocal_rank: rr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn hand_computed_list() {
        // List [5, 1, 7, 3], relevant {1, 3, 9}, k = 4: hits at ranks 2 and 4.
        let m = score_list(&[5, 1, 7, 3], &[1, 3, 9], 4);
        assert_abs_diff_eq!(m.precision, 0.5);
        assert_abs_diff_eq!(m.recall, 2.0 / 3.0);
        assert_abs_diff_eq!(m.average_precision, (1.0 / 2.0 + 2.0 / 4.0) / 3.0);
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert_abs_diff_eq!(m.ndcg, dcg / idcg, epsilon = 1e-12);
        assert_abs_diff_eq!(m.hit, 1.0);
        assert_abs_diff_eq!(m.reciprocal_rank, 0.5);
    }
}
