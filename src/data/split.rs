//! Hold-out splits: what the model may learn from, and what it is judged on.
//!
//! Recommenders are judged on the future, so the default splits are temporal:
//! - a global cutoff (`--test-from DATE`, or `--test-last-days N` before the last day):
//!   every line on or after the cutoff is test, as production would see it;
//! - per customer: the last fraction of each customer's lines, or their last invoice,
//!   so every active customer is tested (the MovieLens protocol);
//! - random, seeded, by (customer, product) pair, for comparison with papers.
//!
//! The test set is the lines of the test part; with `new_items_only` it keeps only
//! (customer, product) pairs the customer did not buy in the training part — the
//! "will buy something new" question that matters for a retailer.

use rustc_hash::FxHashSet;

use super::LoadError;
use super::timestamps::SECONDS_PER_DAY;
use super::transactions::Transactions;

/// How lines are divided between training and test.
#[derive(Debug, Clone, PartialEq)]
pub enum SplitStrategy {
    /// Lines at or after this time (seconds) are test.
    TestFrom(i64),
    /// The last N whole days of the data are test.
    TestLastDays(u32),
    /// The last `fraction` of each customer's lines, by time, are test.
    PerUserFraction(f64),
    /// Each customer's last invoice is test (customers with one invoice stay in training).
    PerUserLastInvoice,
    /// Each (customer, product) pair is test with probability `fraction`, seeded.
    Random { fraction: f64, seed: u64 },
}

/// A strategy plus the test-set filter.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitSpec {
    pub strategy: SplitStrategy,
    /// Keep only test pairs absent from the training part.
    pub new_items_only: bool,
}

/// Training and test lines, sharing id maps.
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Transactions,
    pub test: Transactions,
    /// Test lines removed because the pair was already bought in training.
    pub repeat_pairs_removed: usize,
}

/// Splits `t` as `spec` says.
pub fn split(t: &Transactions, spec: &SplitSpec) -> Result<Split, LoadError> {
    let is_test = match &spec.strategy {
        SplitStrategy::TestFrom(cutoff) => t.timestamp.iter().map(|&ts| ts >= *cutoff).collect(),
        SplitStrategy::TestLastDays(days) => {
            let (_, last) = t.time_range().ok_or(LoadError::NoInteractions)?;
            let cutoff =
                (last.div_euclid(SECONDS_PER_DAY) + 1 - i64::from(*days)) * SECONDS_PER_DAY;
            t.timestamp.iter().map(|&ts| ts >= cutoff).collect()
        }
        SplitStrategy::PerUserFraction(fraction) => {
            if !(0.0..1.0).contains(fraction) || *fraction <= 0.0 {
                return Err(LoadError::BadSplit(format!(
                    "test fraction '{fraction}' must be in (0, 1)"
                )));
            }
            per_user_fraction(t, *fraction)
        }
        SplitStrategy::PerUserLastInvoice => per_user_last_invoice(t),
        SplitStrategy::Random { fraction, seed } => {
            if !(0.0..1.0).contains(fraction) || *fraction <= 0.0 {
                return Err(LoadError::BadSplit(format!(
                    "test fraction '{fraction}' must be in (0, 1)"
                )));
            }
            let threshold = (fraction * u64::MAX as f64) as u64;
            t.user
                .iter()
                .zip(&t.item)
                .map(|(&u, &i)| {
                    crate::rng::mix(*seed ^ (u64::from(u) << 32 | u64::from(i))) < threshold
                })
                .collect::<Vec<bool>>()
        }
    };
    let train_rows: Vec<usize> = (0..t.len()).filter(|&r| !is_test[r]).collect();
    let mut test_rows: Vec<usize> = (0..t.len()).filter(|&r| is_test[r]).collect();
    if train_rows.is_empty() {
        return Err(LoadError::BadSplit(
            "the training part is empty: move the cutoff later".into(),
        ));
    }
    if test_rows.is_empty() {
        return Err(LoadError::BadSplit(
            "the test part is empty: move the cutoff earlier".into(),
        ));
    }
    let mut repeat_pairs_removed = 0;
    if spec.new_items_only {
        let seen: FxHashSet<(u32, u32)> =
            train_rows.iter().map(|&r| (t.user[r], t.item[r])).collect();
        let before = test_rows.len();
        test_rows.retain(|&r| !seen.contains(&(t.user[r], t.item[r])));
        repeat_pairs_removed = before - test_rows.len();
    }
    Ok(Split {
        train: t.select(&train_rows),
        test: t.select(&test_rows),
        repeat_pairs_removed,
    })
}

fn lines_by_user(t: &Transactions) -> Vec<Vec<usize>> {
    let mut by_user = vec![Vec::new(); t.users.len()];
    for (r, &u) in t.user.iter().enumerate() {
        by_user[u as usize].push(r);
    }
    for lines in &mut by_user {
        lines.sort_by_key(|&r| (t.timestamp[r], r));
    }
    by_user
}

fn per_user_fraction(t: &Transactions, fraction: f64) -> Vec<bool> {
    let mut is_test = vec![false; t.len()];
    for lines in lines_by_user(t) {
        if lines.len() < 2 {
            continue;
        }
        let n_test = ((lines.len() as f64 * fraction).round() as usize).clamp(1, lines.len() - 1);
        for &r in &lines[lines.len() - n_test..] {
            is_test[r] = true;
        }
    }
    is_test
}

fn per_user_last_invoice(t: &Transactions) -> Vec<bool> {
    let mut is_test = vec![false; t.len()];
    for lines in lines_by_user(t) {
        // A basket is an invoice, or one timestamp when the data has no invoice column.
        let basket = |r: usize| {
            if t.has.invoice {
                i64::from(t.invoice[r])
            } else {
                t.timestamp[r]
            }
        };
        let Some(&last) = lines.last() else { continue };
        let last_basket = basket(last);
        let mut baskets: FxHashSet<i64> = FxHashSet::default();
        for &r in &lines {
            baskets.insert(basket(r));
        }
        if baskets.len() < 2 {
            continue;
        }
        for &r in &lines {
            if basket(r) == last_basket {
                is_test[r] = true;
            }
        }
    }
    is_test
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::transactions::PresentColumns;

    /// Lines `(user, item, day, invoice)`.
    fn lines(rows: &[(&str, &str, i64, &str)]) -> Transactions {
        let mut t = Transactions {
            has: PresentColumns {
                timestamp: true,
                invoice: true,
                ..Default::default()
            },
            ..Default::default()
        };
        for &(u, i, day, inv) in rows {
            let (u, i, inv) = (t.users.intern(u), t.items.intern(i), t.invoices.intern(inv));
            t.user.push(u);
            t.item.push(i);
            t.timestamp.push(day * SECONDS_PER_DAY);
            t.quantity.push(1.0);
            t.price.push(1.0);
            t.rating.push(f32::NAN);
            t.invoice.push(inv);
            t.country.push(u32::MAX);
            t.description.push(u32::MAX);
        }
        t.item_descriptions = vec![None; t.items.len()];
        t
    }

    fn sample() -> Transactions {
        lines(&[
            ("a", "x", 1, "1"),
            ("a", "y", 2, "2"),
            ("a", "x", 9, "3"),
            ("a", "z", 9, "3"),
            ("b", "y", 3, "4"),
            ("b", "z", 10, "5"),
            ("c", "x", 10, "6"),
        ])
    }

    #[test]
    fn last_days_cut_at_whole_days() {
        let s = split(
            &sample(),
            &SplitSpec {
                strategy: SplitStrategy::TestLastDays(2),
                new_items_only: false,
            },
        )
        .unwrap();
        assert_eq!(s.train.len(), 3);
        assert_eq!(s.test.len(), 4);
        let s = split(
            &sample(),
            &SplitSpec {
                strategy: SplitStrategy::TestLastDays(2),
                new_items_only: true,
            },
        )
        .unwrap();
        assert_eq!(s.test.len(), 3, "a bought x before day 9");
        assert_eq!(s.repeat_pairs_removed, 1);
    }

    #[test]
    fn per_user_strategies() {
        let s = split(
            &sample(),
            &SplitSpec {
                strategy: SplitStrategy::PerUserLastInvoice,
                new_items_only: false,
            },
        )
        .unwrap();
        let test_users: Vec<&str> = s.test.user.iter().map(|&u| s.test.users.name(u)).collect();
        assert_eq!(
            test_users,
            ["a", "a", "b"],
            "c has one invoice and stays in training"
        );
        let s = split(
            &sample(),
            &SplitSpec {
                strategy: SplitStrategy::PerUserFraction(0.5),
                new_items_only: false,
            },
        )
        .unwrap();
        assert_eq!(s.test.len(), 3);
        assert!(s.test.timestamp.iter().all(|&ts| ts >= 9 * SECONDS_PER_DAY));
    }

    #[test]
    fn random_is_seeded_and_by_pair() {
        let many: Vec<(String, String)> = (0..200)
            .map(|k| (format!("u{}", k % 20), format!("i{}", k % 7)))
            .collect();
        let rows: Vec<(&str, &str, i64, &str)> = many
            .iter()
            .map(|(u, i)| (u.as_str(), i.as_str(), 1, "1"))
            .collect();
        let t = lines(&rows);
        let spec = SplitSpec {
            strategy: SplitStrategy::Random {
                fraction: 0.3,
                seed: 7,
            },
            new_items_only: false,
        };
        let a = split(&t, &spec).unwrap();
        let b = split(&t, &spec).unwrap();
        assert_eq!(a.test.user, b.test.user);
        let train_pairs: FxHashSet<(u32, u32)> = a
            .train
            .user
            .iter()
            .zip(&a.train.item)
            .map(|(&u, &i)| (u, i))
            .collect();
        assert!(
            a.test
                .user
                .iter()
                .zip(&a.test.item)
                .all(|(&u, &i)| !train_pairs.contains(&(u, i)))
        );
        assert!((40..=100).contains(&a.test.len()), "{}", a.test.len());
    }

    #[test]
    fn empty_parts_are_errors() {
        let err = split(
            &sample(),
            &SplitSpec {
                strategy: SplitStrategy::TestFrom(0),
                new_items_only: false,
            },
        );
        assert!(matches!(err, Err(LoadError::BadSplit(_))));
    }
}
