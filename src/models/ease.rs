//! EASE^R (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): one
//! closed-form ridge regression of every product on all the others.
//!
//! With `G = XᵀX + λI` the item Gram matrix of the binary purchase matrix and
//! `P = G⁻¹`, the weights are `B = I − P · diag(1 / diag(P))` with a zero diagonal, so a
//! product never recommends itself. On purchase logs it is among the strongest models
//! for the cost of one dense solve; the price is memory, `n × n` for `n` products, so it
//! refuses catalogues that would not fit (see [`check_size`]).
//!
//! The fitted weights are a product-to-product matrix like item-kNN's, so EASE shares
//! [`ItemKnnModel`]'s scoring, saving, explanations and similar products. Each product
//! keeps its `neighbours` largest weights: the rest are near zero and cost memory and
//! time in every list.

use std::collections::BTreeMap;

use faer::MatRef;
use faer::linalg::solvers::DenseSolveCore;
use rayon::prelude::*;

use super::ModelKind;
use super::fit::FitError;
use super::hyper::{ParamsError, RawValue, Setting, check_range};
use super::knn::ItemKnnModel;
use super::tuning::{Dimension, Range};
use crate::data::CsrMatrix;

/// What the Tune form offers of EASE.
pub const SETTINGS: &[Setting] = &[
    Setting::text(
        "lambda",
        "regularisation (lambda)",
        "added to the Gram matrix's diagonal, > 0; raise it for sparse logs",
    ),
    Setting::text(
        "neighbours",
        "neighbours",
        "largest weights kept per product, 1..=100000",
    ),
];

/// Where `latent tune` moves EASE.
pub const SEARCH: &[Dimension] = &[
    Dimension::new("lambda", Range::Log(10.0, 10_000.0)),
    Dimension::new("neighbours", Range::LogInt(50, 2000)),
];

/// The largest catalogue EASE takes: three dense `n × n` matrices of 4-byte floats (the
/// Gram matrix, its factor and its inverse) are 7.5 GB at 25,000 products.
pub const MAX_ITEMS: usize = 25_000;

/// The largest catalogue `latent tune --model auto` tries EASE on: its solve grows with
/// the cube of the catalogue (1.1 s at 3,600 products, 30 s at 12,600 on 2 cores), and
/// above this one trial would take a minute's budget from every other model.
pub const AUTO_MAX_ITEMS: usize = 8_000;

/// EASE's settings, checked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EaseParams {
    pub lambda: f32,
    pub neighbours: usize,
}

impl Default for EaseParams {
    /// Chosen on Online Retail, last 30 days held out, new pairs only: precision@10
    /// 0.0786 at `lambda` 500 (Steck's value for MovieLens), against 0.0773 at 200 and
    /// 0.0757 at 1000; keeping 500 weights a product loses nothing against keeping 3000.
    fn default() -> Self {
        Self {
            lambda: 500.0,
            neighbours: 500,
        }
    }
}

impl EaseParams {
    const KEYS: [&'static str; 2] = ["lambda", "neighbours"];

    /// The defaults with `overrides` applied and checked.
    pub fn parse(overrides: &[(String, RawValue)]) -> Result<Self, ParamsError> {
        let mut p = Self::default();
        for (key, value) in overrides {
            match key.as_str() {
                "lambda" | "l2" | "reg" => {
                    p.lambda = check_range(key, value.as_f32(key)?, 1e-6, 1e9)?;
                }
                "neighbours" | "neighbors" | "k" => {
                    p.neighbours = check_range(key, value.as_usize(key)?, 1, 100_000)?;
                }
                other => return Err(ParamsError::unknown_key("ease", other, &Self::KEYS)),
            }
        }
        Ok(p)
    }

    /// The settings as canonical text, as `run.toml` keeps them.
    pub fn to_strings(self) -> BTreeMap<&'static str, String> {
        [
            ("lambda", self.lambda.to_string()),
            ("neighbours", self.neighbours.to_string()),
        ]
        .into()
    }
}

/// Refuses a catalogue of `items` products whose dense matrices would not fit.
pub fn check_size(items: usize) -> Result<(), FitError> {
    if items <= MAX_ITEMS {
        return Ok(());
    }
    Err(FitError::TooLarge {
        model: "ease",
        items,
        limit: MAX_ITEMS,
        needed: gigabytes(items),
        advice: "narrow the catalogue (a shorter retention window) or use rp3beta, which scales to any catalogue",
    })
}

/// The memory three dense `n × n` matrices of `f32` take, in GB.
fn gigabytes(n: usize) -> f64 {
    3.0 * 4.0 * (n as f64) * (n as f64) / 1e9
}

/// Fits EASE on the purchase matrix's transpose `item_users`; a purchase counts once
/// whatever its quantity, as in the paper.
pub fn fit(
    item_users: &CsrMatrix,
    user_items: &CsrMatrix,
    p: EaseParams,
) -> Result<ItemKnnModel, FitError> {
    let n = item_users.rows();
    check_size(n)?;
    // G = XᵀX + λI, column by column (it is symmetric): how many customers bought both.
    let mut gram = vec![0f32; n * n];
    gram.par_chunks_mut(n.max(1))
        .enumerate()
        .for_each(|(i, col)| {
            for &u in item_users.row(i).0 {
                for &j in user_items.row(u as usize).0 {
                    col[j as usize] += 1.0;
                }
            }
            col[i] += p.lambda;
        });
    let inverse = match MatRef::from_column_major_slice(&gram, n, n).llt(faer::Side::Lower) {
        Ok(llt) => llt.inverse(),
        // G is positive definite for any λ > 0; a failure means λ vanished in rounding.
        Err(_) => {
            return Err(FitError::Diverged {
                iteration: 1,
                loss: f64::NAN,
            });
        }
    };
    drop(gram);
    // B[i][j] = −P[i][j] / P[j][j]: row i (what buying i adds to every j) is column i of
    // the symmetric P, read contiguously.
    let rows: Vec<Vec<(u32, f32)>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let col = inverse.col(i);
            let mut row: Vec<(u32, f32)> = (0..n)
                .filter(|&j| j != i)
                .map(|j| (j as u32, -col[j] / inverse[(j, j)]))
                .filter(|&(_, w)| w != 0.0)
                .collect();
            row.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            row.truncate(p.neighbours);
            row.sort_by_key(|&(j, _)| j);
            row
        })
        .collect();
    Ok(ItemKnnModel::from_rows(ModelKind::Ease, n, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Recommender;
    use approx::assert_abs_diff_eq;

    #[test]
    fn the_closed_form_by_hand() {
        // Two products both bought by one customer, product 1 also by a second one.
        // G = [[1, 1], [1, 2]] + λI with λ = 1: [[2, 1], [1, 3]]; P = [[3, −1], [−1, 2]] / 5.
        // B[0][1] = −P01 / P11 = (1/5) / (2/5) = 0.5; B[1][0] = −P10 / P00 = (1/5)/(3/5) = 1/3.
        let ui = CsrMatrix::from_triplets(2, 2, &[(0, 0, 4.0), (0, 1, 1.0), (1, 1, 1.0)]);
        let m = fit(
            &ui.transpose(),
            &ui,
            EaseParams {
                lambda: 1.0,
                neighbours: 10,
            },
        )
        .unwrap();
        assert_abs_diff_eq!(m.similarities.get(0, 1), 0.5, epsilon = 1e-5);
        assert_abs_diff_eq!(m.similarities.get(1, 0), 1.0 / 3.0, epsilon = 1e-5);
        assert_eq!(
            m.similarities.get(0, 0),
            0.0,
            "no product recommends itself"
        );
        assert_eq!(m.kind(), ModelKind::Ease);
        // A purchase counts once: quantity 4 scores as quantity 1.
        let mut scores = vec![0.0; 2];
        m.score_user(0, (&[0], &[4.0]), &mut scores);
        assert_abs_diff_eq!(scores[1], 0.5, epsilon = 1e-5);
    }

    #[test]
    fn a_catalogue_too_large_is_refused_with_the_memory_it_would_take() {
        assert!(check_size(MAX_ITEMS).is_ok());
        let err = check_size(40_000).unwrap_err().to_string();
        assert!(err.contains("40000 products"), "{err}");
        assert!(err.contains("19.2 GB"), "{err}");
        assert!(err.contains("rp3beta"), "{err}");
    }

    #[test]
    fn settings_are_checked_and_a_typo_names_the_key() {
        let set = |k: &str, v: &str| EaseParams::parse(&[(k.into(), RawValue::Text(v.into()))]);
        assert_eq!(set("lambda", "50").unwrap().lambda, 50.0);
        assert!(
            set("lambda", "0")
                .unwrap_err()
                .to_string()
                .contains("lambda")
        );
        let typo = set("lamda", "5").unwrap_err().to_string();
        assert!(typo.contains("did you mean 'lambda'"), "{typo}");
    }
}
