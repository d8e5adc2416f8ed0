//! The evaluated lists of a run as numpy arrays: `holdout_users.npy` and, per list kind,
//! `holdout_<kind>_offsets.npy` (u64, customers + 1) with `holdout_<kind>_items.npy` (u32),
//! customer `r`'s list being `items[offsets[r]..offsets[r + 1]]` in rank order.
//!
//! Ragged arrays rather than a sparse matrix because a list's order is its meaning; numpy
//! reads them as `np.split(items, offsets[1:-1])`.

use std::path::Path;

use super::dir_arrays::{DirReader, write_npy};
use crate::eval::HoldoutLists;
use crate::models::ArrayError;

const USERS: &str = "holdout_users.npy";

/// The list kinds and how each is read from / written to the lists.
const KINDS: [&str; 4] = ["model", "baseline", "relevant", "rebought"];

fn kind_of<'a>(h: &'a HoldoutLists, kind: &str) -> &'a [Vec<u32>] {
    match kind {
        "model" => &h.model,
        "baseline" => &h.baseline,
        "relevant" => &h.relevant,
        _ => &h.rebought,
    }
}

fn kind_mut<'a>(h: &'a mut HoldoutLists, kind: &str) -> &'a mut Vec<Vec<u32>> {
    match kind {
        "model" => &mut h.model,
        "baseline" => &mut h.baseline,
        "relevant" => &mut h.relevant,
        _ => &mut h.rebought,
    }
}

/// Writes `lists` into `dir`, each file atomically.
pub(super) fn write_holdout(dir: &Path, lists: &HoldoutLists) -> std::io::Result<()> {
    write_npy(dir, USERS, &[lists.users.len()], &lists.users)?;
    for kind in KINDS {
        let rows = kind_of(lists, kind);
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0u64);
        let mut items = Vec::new();
        for row in rows {
            items.extend_from_slice(row);
            offsets.push(items.len() as u64);
        }
        write_npy(
            dir,
            &format!("holdout_{kind}_offsets.npy"),
            &[offsets.len()],
            &offsets,
        )?;
        write_npy(
            dir,
            &format!("holdout_{kind}_items.npy"),
            &[items.len()],
            &items,
        )?;
    }
    Ok(())
}

/// Reads the lists of a run with `items` products, `None` when the run kept none (trained
/// without a hold-out, or before lists were kept).
pub(super) fn read_holdout(
    dir: &Path,
    k: usize,
    items: usize,
) -> Result<Option<HoldoutLists>, ArrayError> {
    if !dir.join(USERS).exists() {
        return Ok(None);
    }
    let reader = DirReader(dir);
    let (_, users) = reader.any::<u32>(USERS)?;
    let mut lists = HoldoutLists {
        k,
        users,
        ..HoldoutLists::default()
    };
    let n = lists.users.len();
    for kind in KINDS {
        let offsets_name = format!("holdout_{kind}_offsets.npy");
        let items_name = format!("holdout_{kind}_items.npy");
        let offsets: Vec<u64> = reader.shaped(&offsets_name, &[n + 1])?;
        let (_, flat) = reader.any::<u32>(&items_name)?;
        let bad = |what: &str| ArrayError::new(offsets_name.clone(), what.to_owned());
        if offsets.first() != Some(&0)
            || offsets.last() != Some(&(flat.len() as u64))
            || offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(bad("offsets do not split the items array"));
        }
        if let Some(i) = flat.iter().find(|&&i| i as usize >= items) {
            return Err(ArrayError::new(
                items_name,
                format!("product index {i} is outside the run's {items} products"),
            ));
        }
        *kind_mut(&mut lists, kind) = offsets
            .windows(2)
            .map(|w| flat[w[0] as usize..w[1] as usize].to_vec())
            .collect();
    }
    Ok(Some(lists))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_in_rank_order_and_bad_indices_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lists = HoldoutLists {
            k: 2,
            users: vec![4, 1],
            model: vec![vec![3, 0, 2], vec![]],
            baseline: vec![vec![0, 1], vec![0, 1]],
            relevant: vec![vec![2], vec![1, 3]],
            rebought: vec![vec![], vec![0]],
        };
        write_holdout(dir.path(), &lists).unwrap();
        assert_eq!(read_holdout(dir.path(), 2, 4).unwrap(), Some(lists));
        let err = read_holdout(dir.path(), 2, 3).unwrap_err();
        assert!(err.message.contains("index 3 is outside"), "{err:?}");
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(read_holdout(empty.path(), 2, 4).unwrap(), None);
    }
}
