//! How a model writes and reads its fitted arrays without knowing of files.
//!
//! A model names its arrays (`user_factors.npy`, `knn` for a sparse matrix) and gives their
//! shape; the run store behind these traits decides the format (npy, JSON), the atomic
//! write and the checks on read. So the math stays free of paths, and a new model gets
//! crash-safe, validated storage by naming what it holds.

use crate::data::CsrMatrix;
use ndarray::Array2;

/// Why a stored array could not be read: the file it came from and what was wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ArrayError {
    pub file: String,
    pub message: String,
}

impl ArrayError {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            message: message.into(),
        }
    }
}

/// Where a model writes its arrays.
pub trait ArrayWriter {
    /// A dense `f32` array of `shape` (C order).
    fn f32s(&mut self, name: &str, shape: &[usize], data: &[f32]) -> std::io::Result<()>;
    /// A sparse matrix, stored under `prefix`.
    fn csr(&mut self, prefix: &str, m: &CsrMatrix) -> std::io::Result<()>;
    /// A small JSON document (names, groups, ranges).
    fn json(&mut self, name: &str, value: serde_json::Value) -> std::io::Result<()>;

    /// A matrix, rows × columns.
    fn matrix(&mut self, name: &str, m: &Array2<f32>) -> std::io::Result<()> {
        let data = m
            .as_slice()
            .ok_or_else(|| std::io::Error::other("factors not in standard layout"))?;
        self.f32s(name, &[m.nrows(), m.ncols()], data)
    }
}

/// Where a model reads its arrays back; every array is checked finite.
pub trait ArrayReader {
    /// A dense `f32` array and its shape.
    fn f32s(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ArrayError>;
    /// A sparse matrix of `rows` × `cols` stored under `prefix`.
    fn csr(&self, prefix: &str, rows: usize, cols: usize) -> Result<CsrMatrix, ArrayError>;
    /// A JSON document.
    fn json(&self, name: &str) -> Result<serde_json::Value, ArrayError>;

    /// A dense array that must have exactly `shape`.
    fn f32s_shaped(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ArrayError> {
        let (found, data) = self.f32s(name)?;
        if found != shape {
            return Err(ArrayError::new(
                name,
                format!("shape {found:?}, expected {shape:?}"),
            ));
        }
        Ok(data)
    }

    /// A matrix of `rows` rows and any number of columns.
    fn matrix(&self, name: &str, rows: usize) -> Result<Array2<f32>, ArrayError> {
        let (shape, data) = self.f32s(name)?;
        match shape[..] {
            [r, k] if r == rows => Array2::from_shape_vec((r, k), data)
                .map_err(|e| ArrayError::new(name, e.to_string())),
            _ => Err(ArrayError::new(
                name,
                format!("shape {shape:?}, expected ({rows}, rank)"),
            )),
        }
    }
}
