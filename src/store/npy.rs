//! NumPy `.npy` files (format 1.0): the array format numpy, implicit and SageMaker
//! scripts read without conversion.
//!
//! latent stores factor matrices and sparse-matrix arrays this way, so a run directory is
//! already inspectable with `numpy.load`. Only little-endian, C-order arrays of the element
//! types latent uses are written and read.

use std::io::{Read, Write};

/// An element type latent stores.
pub trait Element: Copy + Default {
    /// The numpy `descr` string, e.g. `<f4`.
    const DESCR: &'static str;
    /// Size in bytes.
    const SIZE: usize;
    fn to_le(self, out: &mut Vec<u8>);
    fn from_le(bytes: &[u8]) -> Self;
    /// False for NaN and infinities; integers are always finite. A model file holding one
    /// would rank nothing (every score NaN), so runs refuse them on both sides.
    fn is_finite_value(self) -> bool;
}

macro_rules! element {
    ($t:ty, $descr:literal, $finite:expr) => {
        impl Element for $t {
            const DESCR: &'static str = $descr;
            const SIZE: usize = std::mem::size_of::<$t>();
            fn to_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn from_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
            fn is_finite_value(self) -> bool {
                let finite: fn($t) -> bool = $finite;
                finite(self)
            }
        }
    };
}

element!(f32, "<f4", f32::is_finite);
element!(f64, "<f8", f64::is_finite);
element!(u32, "<u4", |_| true);
element!(i32, "<i4", |_| true);
element!(i64, "<i8", |_| true);
element!(u64, "<u8", |_| true);

/// The position of the first NaN or infinity in `data`, if any.
pub fn first_non_finite<T: Element>(data: &[T]) -> Option<usize> {
    data.iter().position(|x| !x.is_finite_value())
}

/// Writes `data` with `shape` (C order) as an `.npy` stream.
pub fn write<T: Element, W: Write>(mut w: W, shape: &[usize], data: &[T]) -> std::io::Result<()> {
    let shape_text = match shape {
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape_text}, }}",
        T::DESCR
    );
    // Magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64.
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    let len =
        u16::try_from(header.len()).map_err(|_| std::io::Error::other("npy header too long"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(header.as_bytes())?;
    let mut buf = Vec::with_capacity(64 * 1024);
    for chunk in data.chunks(8192) {
        buf.clear();
        for &v in chunk {
            v.to_le(&mut buf);
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

/// Reads an `.npy` stream of element type `T`; returns its shape and data.
pub fn read<T: Element, R: Read>(mut r: R) -> Result<(Vec<usize>, Vec<T>), String> {
    let mut magic = [0u8; 10];
    r.read_exact(&mut magic)
        .map_err(|e| format!("not an npy file: {e}"))?;
    if &magic[..6] != b"\x93NUMPY" {
        return Err("not an npy file (bad magic)".into());
    }
    let header_len = match magic[6] {
        1 => usize::from(u16::from_le_bytes([magic[8], magic[9]])),
        2 | 3 => {
            let mut rest = [0u8; 2];
            r.read_exact(&mut rest).map_err(|e| e.to_string())?;
            u32::from_le_bytes([magic[8], magic[9], rest[0], rest[1]]) as usize
        }
        v => return Err(format!("unsupported npy version {v}")),
    };
    let mut header = vec![0u8; header_len];
    r.read_exact(&mut header).map_err(|e| e.to_string())?;
    let header = String::from_utf8_lossy(&header);
    if !header.contains(&format!("'descr': '{}'", T::DESCR)) {
        return Err(format!(
            "expected element type {}, header is {}",
            T::DESCR,
            header.trim()
        ));
    }
    if header.contains("'fortran_order': True") {
        return Err("Fortran-order arrays are not supported".into());
    }
    let shape_text = header
        .split("'shape':")
        .nth(1)
        .and_then(|s| s.split('(').nth(1))
        .and_then(|s| s.split(')').next())
        .ok_or("npy header without a shape")?;
    let shape: Vec<usize> = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("bad npy shape '{shape_text}'"))
        })
        .collect::<Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() != count * T::SIZE {
        return Err(format!(
            "npy data holds {} bytes where shape {shape:?} needs {}",
            bytes.len(),
            count * T::SIZE
        ));
    }
    Ok((shape, bytes.chunks_exact(T::SIZE).map(T::from_le).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_alignment() {
        let mut buf = Vec::new();
        write(&mut buf, &[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        assert_eq!(&buf[..6], b"\x93NUMPY");
        let header_len = usize::from(u16::from_le_bytes([buf[8], buf[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        let (shape, data) = read::<f32, _>(&buf[..]).unwrap();
        assert_eq!(shape, [2, 3]);
        assert_eq!(data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let mut one = Vec::new();
        write(&mut one, &[3], &[7u32, 8, 9]).unwrap();
        assert!(String::from_utf8_lossy(&one).contains("'shape': (3,)"));
        assert_eq!(read::<u32, _>(&one[..]).unwrap().1, [7, 8, 9]);
    }

    #[test]
    fn wrong_type_or_truncation_is_an_error() {
        let mut buf = Vec::new();
        write(&mut buf, &[2], &[1.0f32, 2.0]).unwrap();
        assert!(read::<u32, _>(&buf[..]).unwrap_err().contains("<u4"));
        assert!(
            read::<f32, _>(&buf[..buf.len() - 1])
                .unwrap_err()
                .contains("bytes")
        );
        assert!(read::<f32, _>(&b"garbage!!!!"[..]).is_err());
    }
}
