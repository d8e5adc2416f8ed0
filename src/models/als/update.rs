//! Folding new purchases into a fitted ALS model without refitting it.
//!
//! Every customer and product keeps the factors it had; new products are first solved
//! against the fixed customer factors (from the customers who bought them), then every
//! customer with new purchases, new customers included, is solved against the product
//! factors over their whole history. `passes` more alternations, each restricted to the
//! touched rows, let the touched products settle too. Each solve is ALS's own row solve
//! (the same confidence, regularisation and Gram matrix over every row of the fixed side),
//! so an updated model is what a full fit's last sweep would make of those rows.

use ndarray::Array2;

use super::model::AlsModel;
use super::solver::sweep;
use crate::data::CsrMatrix;
use crate::models::fit::{FitError, UpdateInput};

impl AlsModel {
    /// The model with `input`'s new purchases folded in.
    pub fn updated(&self, input: &UpdateInput<'_>) -> Result<Self, FitError> {
        let params = self
            .params
            .check()
            .map_err(|e| FitError::Threads(format!("the run's ALS settings: {e}")))?;
        let k = self.rank();
        let mut x = carried(&self.user_factors, input.user_from, k);
        let mut y = carried(&self.item_factors, input.item_from, k);
        let new_items: Vec<u32> = input
            .touched_items
            .iter()
            .copied()
            .filter(|&i| input.item_from[i as usize].is_none())
            .collect();
        solve_rows(&params, input.item_users, &new_items, &x, &mut y);
        solve_rows(&params, input.user_items, input.touched_users, &y, &mut x);
        for _ in 0..input.passes {
            solve_rows(&params, input.item_users, input.touched_items, &x, &mut y);
            solve_rows(&params, input.user_items, input.touched_users, &y, &mut x);
        }
        if x.iter().chain(y.iter()).any(|v| !v.is_finite()) {
            return Err(FitError::Diverged {
                iteration: 1,
                loss: f64::NAN,
            });
        }
        Ok(Self {
            params: self.params.clone(),
            user_factors: x,
            item_factors: y,
            history: Vec::new(),
        })
    }
}

/// The combined side's factors: each row carried from the fitted model, zero for a
/// newcomer (solved before it is used).
fn carried(old: &Array2<f32>, from: &[Option<u32>], k: usize) -> Array2<f32> {
    let mut out = Array2::zeros((from.len(), k));
    for (row, f) in from.iter().enumerate() {
        if let Some(o) = f {
            out.row_mut(row).assign(&old.row(*o as usize));
        }
    }
    out
}

/// Solves the rows `rows` of `target` against the fixed `other`, with their full rows of
/// `m`; the other rows of `target` are left as they are.
fn solve_rows(
    params: &super::params::ValidAlsParams,
    m: &CsrMatrix,
    rows: &[u32],
    other: &Array2<f32>,
    target: &mut Array2<f32>,
) {
    if rows.is_empty() {
        return;
    }
    // The rows as they are, in CSR order already: no sort.
    let mut indptr = Vec::with_capacity(rows.len() + 1);
    let (mut indices, mut data) = (Vec::new(), Vec::new());
    indptr.push(0);
    for &r in rows {
        let (cols, values) = m.row(r as usize);
        indices.extend_from_slice(cols);
        data.extend_from_slice(values);
        indptr.push(indices.len());
    }
    let Some(sub_matrix) = CsrMatrix::from_parts(rows.len(), m.cols(), indptr, indices, data)
    else {
        return;
    };
    let mut solved = Array2::zeros((rows.len(), target.ncols()));
    for (sub, &r) in rows.iter().enumerate() {
        solved.row_mut(sub).assign(&target.row(r as usize));
    }
    sweep(params, &sub_matrix, other, &mut solved);
    for (sub, &r) in rows.iter().enumerate() {
        target.row_mut(r as usize).assign(&solved.row(sub));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::als::params::AlsParams;

    /// Two blocks of customers buying two blocks of products.
    fn blocks(users: usize, items: usize) -> Vec<(u32, u32, f32)> {
        let mut t = Vec::new();
        for u in 0..users {
            for i in 0..items {
                if (u % 2 == 0) == (i % 2 == 0) && (u + i) % 3 != 0 {
                    t.push((u as u32, i as u32, 1.0));
                }
            }
        }
        t
    }

    #[test]
    fn a_new_customer_and_product_land_in_their_block() {
        let (users, items) = (20, 12);
        let old = CsrMatrix::from_triplets(users, items, &blocks(users, items));
        let params = AlsParams::new(4)
            .max_iter(10)
            .reg_param(0.05)
            .check()
            .unwrap();
        let model = AlsModel::fit(&params, &old, &old.transpose(), &mut |_| {
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
        // Customer 20 (new) buys even products; product 12 (new) is bought by even customers.
        let mut t = blocks(users, items);
        for i in (0..items as u32).step_by(2) {
            t.push((20, i, 1.0));
        }
        for u in (0..users as u32).step_by(2) {
            t.push((u, 12, 1.0));
        }
        let combined = CsrMatrix::from_triplets(users + 1, items + 1, &t);
        let user_from: Vec<Option<u32>> = (0..=users as u32)
            .map(|u| (u < users as u32).then_some(u))
            .collect();
        let item_from: Vec<Option<u32>> = (0..=items as u32)
            .map(|i| (i < items as u32).then_some(i))
            .collect();
        let touched_users: Vec<u32> = (0..=users as u32).step_by(2).collect();
        let touched_items: Vec<u32> = (0..=items as u32).step_by(2).collect();
        let updated = model
            .updated(&UpdateInput {
                user_items: &combined,
                item_users: &combined.transpose(),
                user_from: &user_from,
                item_from: &item_from,
                touched_users: &touched_users,
                touched_items: &touched_items,
                passes: 1,
            })
            .unwrap();
        let score = |u: usize, i: usize| updated.predict(u as u32, i as u32);
        // The newcomer prefers the even block's products, and the new product is liked by
        // the even block's customers.
        assert!(
            score(20, 4) > score(20, 5) + 0.1,
            "{} vs {}",
            score(20, 4),
            score(20, 5)
        );
        assert!(
            score(2, 12) > score(3, 12) + 0.1,
            "{} vs {}",
            score(2, 12),
            score(3, 12)
        );
        // Untouched customers keep their factors exactly.
        assert_eq!(updated.user_factors.row(3), model.user_factors.row(3));
    }
}
