//! A run directory as the place models write and read their arrays: each array one
//! `.npy` file (sparse matrices three), written atomically, refused on read when its shape
//! is wrong or a value is not finite.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use super::files::write_with;
use super::npy;
use crate::data::CsrMatrix;
use crate::models::{ArrayError, ArrayReader, ArrayWriter};

/// Writes arrays into a run directory, remembering their names.
pub struct DirWriter<'a> {
    dir: &'a Path,
    written: Vec<String>,
}

impl<'a> DirWriter<'a> {
    pub fn new(dir: &'a Path) -> Self {
        Self {
            dir,
            written: Vec::new(),
        }
    }

    /// True when a file of this name was written through this writer.
    pub fn wrote(&self, name: &str) -> bool {
        self.written.iter().any(|n| n == name)
    }
}

/// Reads arrays from a run directory.
pub struct DirReader<'a>(pub &'a Path);

impl ArrayWriter for DirWriter<'_> {
    fn f32s(&mut self, name: &str, shape: &[usize], data: &[f32]) -> std::io::Result<()> {
        write_npy(self.dir, name, shape, data)?;
        self.written.push(name.to_owned());
        Ok(())
    }

    fn csr(&mut self, prefix: &str, m: &CsrMatrix) -> std::io::Result<()> {
        write_csr(self.dir, prefix, m)?;
        self.written.push(format!("{prefix}_*.npy"));
        Ok(())
    }

    fn json(&mut self, name: &str, value: serde_json::Value) -> std::io::Result<()> {
        write_with(self.dir, name, |w| {
            serde_json::to_writer(w, &value).map_err(std::io::Error::other)
        })?;
        self.written.push(name.to_owned());
        Ok(())
    }
}

impl ArrayReader for DirReader<'_> {
    fn f32s(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), ArrayError> {
        read_any(self.0, name)
    }

    fn csr(&self, prefix: &str, rows: usize, cols: usize) -> Result<CsrMatrix, ArrayError> {
        let indptr: Vec<u64> = read_shaped(self.0, &format!("{prefix}_indptr.npy"), &[rows + 1])?;
        let (_, indices) = read_any::<u32>(self.0, &format!("{prefix}_indices.npy"))?;
        let (_, data) = read_any::<f32>(self.0, &format!("{prefix}_data.npy"))?;
        let indptr: Vec<usize> = indptr.into_iter().map(|p| p as usize).collect();
        CsrMatrix::from_parts(rows, cols, indptr, indices, data).ok_or_else(|| {
            ArrayError::new(
                format!("{prefix}_*.npy"),
                "inconsistent sparse matrix arrays",
            )
        })
    }

    fn json(&self, name: &str) -> Result<serde_json::Value, ArrayError> {
        let f = File::open(self.0.join(name)).map_err(|e| ArrayError::new(name, e.to_string()))?;
        serde_json::from_reader(BufReader::new(f)).map_err(|e| ArrayError::new(name, e.to_string()))
    }
}

impl DirReader<'_> {
    /// An array of any element type that must have exactly `shape`.
    pub fn shaped<T: npy::Element>(
        &self,
        name: &str,
        shape: &[usize],
    ) -> Result<Vec<T>, ArrayError> {
        read_shaped(self.0, name, shape)
    }

    /// An array of any element type and shape.
    pub fn any<T: npy::Element>(&self, name: &str) -> Result<(Vec<usize>, Vec<T>), ArrayError> {
        read_any(self.0, name)
    }
}

pub(super) fn write_npy<T: npy::Element>(
    dir: &Path,
    name: &str,
    shape: &[usize],
    data: &[T],
) -> std::io::Result<()> {
    if let Some(at) = npy::first_non_finite(data) {
        return Err(std::io::Error::other(format!(
            "{name}: value {at} is not a finite number (NaN or infinity); the model \
             diverged: retrain with a lower alpha or learning rate, or a higher regularisation"
        )));
    }
    write_with(dir, name, |w| npy::write(w, shape, data))
}

pub(super) fn write_csr(dir: &Path, prefix: &str, m: &CsrMatrix) -> std::io::Result<()> {
    let indptr: Vec<u64> = m.indptr().iter().map(|&p| p as u64).collect();
    write_npy(
        dir,
        &format!("{prefix}_indptr.npy"),
        &[indptr.len()],
        &indptr,
    )?;
    write_npy(
        dir,
        &format!("{prefix}_indices.npy"),
        &[m.nnz()],
        m.indices(),
    )?;
    write_npy(dir, &format!("{prefix}_data.npy"), &[m.nnz()], m.data())
}

fn read_shaped<T: npy::Element>(
    dir: &Path,
    name: &str,
    expect: &[usize],
) -> Result<Vec<T>, ArrayError> {
    let (shape, data) = read_any(dir, name)?;
    if shape != expect {
        return Err(ArrayError::new(
            name,
            format!("shape {shape:?}, expected {expect:?}"),
        ));
    }
    Ok(data)
}

fn read_any<T: npy::Element>(dir: &Path, name: &str) -> Result<(Vec<usize>, Vec<T>), ArrayError> {
    let bad = |message: String| ArrayError::new(name, message);
    let f = File::open(dir.join(name)).map_err(|e| bad(e.to_string()))?;
    let (shape, data) = npy::read(BufReader::new(f)).map_err(bad)?;
    if let Some(at) = npy::first_non_finite(&data) {
        return Err(bad(format!(
            "value {at} is not a finite number (NaN or infinity): the model diverged; \
             retrain it with a lower alpha or learning rate, or a higher regularisation"
        )));
    }
    Ok((shape, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_arrays_are_neither_written_nor_read() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_npy(
            dir.path(),
            "user_factors.npy",
            &[3],
            &[1.0f32, f32::NAN, 2.0],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("value 1 is not a finite number"),
            "{err}"
        );
        assert!(!dir.path().join("user_factors.npy").exists());
        // A file written by another tool (or damaged) is refused when the run is read.
        let f = File::create(dir.path().join("item_factors.npy")).unwrap();
        npy::write(f, &[2, 2], &[0.5f32, 1.0, f32::INFINITY, 0.0]).unwrap();
        let err = DirReader(dir.path())
            .matrix("item_factors.npy", 2)
            .unwrap_err();
        assert_eq!(err.file, "item_factors.npy");
        assert!(
            err.to_string().contains("value 2 is not a finite number"),
            "{err}"
        );
        // Integers are always finite.
        write_npy(dir.path(), "train_indices.npy", &[2], &[1u32, 2]).unwrap();
    }
}
