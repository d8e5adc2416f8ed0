//! Compressed sparse row matrices, the shape every model reads interactions in.
//!
//! Row `r` owns `indices[indptr[r]..indptr[r + 1]]` (sorted column indices) and the same
//! range of `data`. ALS sweeps users over the user × item matrix and items over its
//! transpose, so both are kept.

/// A sparse `f32` matrix in CSR form with sorted, unique column indices per row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsrMatrix {
    rows: usize,
    cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f32>,
}

impl CsrMatrix {
    /// Builds from `(row, col, value)` triplets; duplicates are summed, entries that sum
    /// to exactly zero are kept (callers decide what zero means).
    pub fn from_triplets(rows: usize, cols: usize, triplets: &[(u32, u32, f32)]) -> Self {
        let mut counts = vec![0usize; rows + 1];
        for &(r, _, _) in triplets {
            counts[r as usize + 1] += 1;
        }
        for i in 0..rows {
            counts[i + 1] += counts[i];
        }
        let mut next = counts.clone();
        let mut slots = vec![(0u32, 0f32); triplets.len()];
        for &(r, c, v) in triplets {
            let at = &mut next[r as usize];
            slots[*at] = (c, v);
            *at += 1;
        }
        let mut indptr = Vec::with_capacity(rows + 1);
        let mut indices = Vec::with_capacity(triplets.len());
        let mut data = Vec::with_capacity(triplets.len());
        indptr.push(0);
        for r in 0..rows {
            let row = &mut slots[counts[r]..counts[r + 1]];
            row.sort_unstable_by_key(|&(c, _)| c);
            for &(c, v) in row.iter() {
                if indices.len() > *indptr.last().unwrap_or(&0) && indices.last() == Some(&c) {
                    if let Some(last) = data.last_mut() {
                        *last += v;
                    }
                } else {
                    indices.push(c);
                    data.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Self {
            rows,
            cols,
            indptr,
            indices,
            data,
        }
    }

    /// Builds from parts already in CSR order; `None` when they are inconsistent.
    pub fn from_parts(
        rows: usize,
        cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f32>,
    ) -> Option<Self> {
        let ok = indptr.len() == rows + 1
            && indptr.first() == Some(&0)
            && indptr.last() == Some(&indices.len())
            && indices.len() == data.len()
            && indptr.windows(2).all(|w| w[0] <= w[1])
            && (0..rows).all(|r| {
                let row = &indices[indptr[r]..indptr[r + 1]];
                row.windows(2).all(|w| w[0] < w[1]) && row.iter().all(|&c| (c as usize) < cols)
            });
        ok.then_some(Self {
            rows,
            cols,
            indptr,
            indices,
            data,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row pointer array (`rows + 1` entries).
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column index array.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Value array.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The column indices and values of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let span = self.indptr[r]..self.indptr[r + 1];
        (&self.indices[span.clone()], &self.data[span])
    }

    /// Number of stored entries in row `r`.
    pub fn row_nnz(&self, r: usize) -> usize {
        self.indptr[r + 1] - self.indptr[r]
    }

    /// The value at `(r, c)`, or zero.
    pub fn get(&self, r: usize, c: u32) -> f32 {
        let (cols, vals) = self.row(r);
        cols.binary_search(&c).map_or(0.0, |i| vals[i])
    }

    /// The transpose, also in CSR form (a counting sort, linear in nnz).
    pub fn transpose(&self) -> Self {
        let mut indptr = vec![0usize; self.cols + 1];
        for &c in &self.indices {
            indptr[c as usize + 1] += 1;
        }
        for i in 0..self.cols {
            indptr[i + 1] += indptr[i];
        }
        let mut next = indptr.clone();
        let mut indices = vec![0u32; self.nnz()];
        let mut data = vec![0f32; self.nnz()];
        for r in 0..self.rows {
            let (cols, vals) = self.row(r);
            for (&c, &v) in cols.iter().zip(vals) {
                let at = &mut next[c as usize];
                indices[*at] = r as u32;
                data[*at] = v;
                *at += 1;
            }
        }
        Self {
            rows: self.cols,
            cols: self.rows,
            indptr,
            indices,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triplets_are_sorted_and_summed() {
        let m =
            CsrMatrix::from_triplets(2, 3, &[(1, 2, 1.0), (0, 1, 2.0), (1, 0, 3.0), (1, 2, 4.0)]);
        assert_eq!(m.indptr(), [0, 1, 3]);
        assert_eq!(m.indices(), [1, 0, 2]);
        assert_eq!(m.data(), [2.0, 3.0, 5.0]);
        assert_eq!(m.get(1, 2), 5.0);
        assert_eq!(m.get(0, 0), 0.0);
    }

    #[test]
    fn transpose_twice_is_identity() {
        let m =
            CsrMatrix::from_triplets(3, 4, &[(0, 3, 1.0), (2, 0, 2.0), (1, 3, 3.0), (2, 3, 4.0)]);
        let t = m.transpose();
        assert_eq!((t.rows(), t.cols()), (4, 3));
        assert_eq!(t.row(3), (&[0u32, 1, 2][..], &[1.0f32, 3.0, 4.0][..]));
        assert_eq!(t.transpose(), m);
    }

    #[test]
    fn from_parts_checks_consistency() {
        assert!(CsrMatrix::from_parts(1, 2, vec![0, 2], vec![0, 1], vec![1.0, 1.0]).is_some());
        assert!(CsrMatrix::from_parts(1, 2, vec![0, 2], vec![1, 0], vec![1.0, 1.0]).is_none());
        assert!(CsrMatrix::from_parts(1, 2, vec![0, 1], vec![2], vec![1.0]).is_none());
    }

    proptest::proptest! {
        #[test]
        fn transpose_preserves_entries(entries in proptest::collection::vec((0u32..6, 0u32..5, 0.5f32..3.0), 0..40)) {
            let m = CsrMatrix::from_triplets(6, 5, &entries);
            let t = m.transpose();
            for r in 0..6 {
                for c in 0..5u32 {
                    proptest::prop_assert_eq!(m.get(r, c), t.get(c as usize, r as u32));
                }
            }
        }
    }
}
