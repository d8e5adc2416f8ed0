//! NumPy `.npz` archives: a ZIP of `.npy` members, as `numpy.savez` writes them
//! (stored, uncompressed), so `numpy.load` and the libraries built on it open them.
//!
//! Besides the numeric arrays of [`crate::store::npy`], implicit's model files hold
//! 0-d scalars, booleans and a unicode string (`dtype`); [`Npz::scalar`],
//! [`Npz::boolean`] and [`Npz::text`] write those.

use std::io::Write;
use std::path::Path;

use super::ExportError;
use crate::store::npy;

/// An archive being assembled in memory.
#[derive(Debug, Default)]
pub struct Npz {
    members: Vec<(String, Vec<u8>)>,
}

impl Npz {
    /// An empty archive.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds array `name` with `shape` (C order).
    pub fn array<T: npy::Element>(&mut self, name: &str, shape: &[usize], data: &[T]) {
        let mut bytes = Vec::with_capacity(128 + data.len() * T::SIZE);
        // Writing into a Vec cannot fail.
        let _ = npy::write(&mut bytes, shape, data);
        self.members.push((format!("{name}.npy"), bytes));
    }

    /// Adds a 0-d array (numpy reads it back as a Python scalar with `.item()`).
    pub fn scalar<T: npy::Element>(&mut self, name: &str, value: T) {
        self.array(name, &[], &[value]);
    }

    /// Adds a 0-d boolean.
    pub fn boolean(&mut self, name: &str, value: bool) {
        self.raw(name, "|b1", &[u8::from(value)]);
    }

    /// Adds a 0-d unicode string (numpy's `<U` dtype, UTF-32).
    pub fn text(&mut self, name: &str, value: &str) {
        let chars: Vec<char> = value.chars().collect();
        let mut payload = Vec::with_capacity(chars.len() * 4);
        for c in &chars {
            payload.extend_from_slice(&u32::from(*c).to_le_bytes());
        }
        self.raw(name, &format!("<U{}", chars.len().max(1)), &payload);
    }

    fn raw(&mut self, name: &str, descr: &str, payload: &[u8]) {
        let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (), }}");
        let unpadded = 10 + header.len() + 1;
        header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(payload);
        if payload.is_empty() {
            // An empty `<U1` string still occupies one code unit.
            bytes.extend_from_slice(&[0; 4]);
        }
        self.members.push((format!("{name}.npy"), bytes));
    }

    /// Writes the archive to `path`.
    pub fn write(&self, path: &Path) -> Result<(), ExportError> {
        let file = std::fs::File::create(path).map_err(|e| ExportError::write(path, e))?;
        let mut w = std::io::BufWriter::new(file);
        self.write_to(&mut w)
            .and_then(|()| w.flush())
            .map_err(|e| ExportError::write(path, e))
    }

    /// Writes a stored (uncompressed) ZIP: local headers and data, central directory, end
    /// record. Members over 4 GiB would need ZIP64 and are refused.
    pub fn write_to(&self, w: &mut dyn Write) -> std::io::Result<()> {
        // 1980-01-01 00:00, the ZIP epoch: archives are byte-identical run to run.
        const DOS_TIME: u16 = 0;
        const DOS_DATE: u16 = (1 << 5) | 1;
        let mut central = Vec::new();
        let mut offset: u64 = 0;
        for (name, data) in &self.members {
            let size = u32::try_from(data.len())
                .map_err(|_| std::io::Error::other(format!("{name} is over 4 GiB")))?;
            let local_offset = u32::try_from(offset)
                .map_err(|_| std::io::Error::other("archive is over 4 GiB"))?;
            let mut crc = flate2::Crc::new();
            crc.update(data);
            let crc = crc.sum();
            let name_len = name.len() as u16;
            let mut local = Vec::with_capacity(30 + name.len());
            local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            local.extend_from_slice(&20u16.to_le_bytes()); // version needed
            local.extend_from_slice(&0u16.to_le_bytes()); // flags
            local.extend_from_slice(&0u16.to_le_bytes()); // stored
            local.extend_from_slice(&DOS_TIME.to_le_bytes());
            local.extend_from_slice(&DOS_DATE.to_le_bytes());
            local.extend_from_slice(&crc.to_le_bytes());
            local.extend_from_slice(&size.to_le_bytes());
            local.extend_from_slice(&size.to_le_bytes());
            local.extend_from_slice(&name_len.to_le_bytes());
            local.extend_from_slice(&0u16.to_le_bytes()); // extra
            local.extend_from_slice(name.as_bytes());
            w.write_all(&local)?;
            w.write_all(data)?;
            offset += local.len() as u64 + data.len() as u64;

            central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes()); // made by
            central.extend_from_slice(&20u16.to_le_bytes()); // needed
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&0u16.to_le_bytes());
            central.extend_from_slice(&DOS_TIME.to_le_bytes());
            central.extend_from_slice(&DOS_DATE.to_le_bytes());
            central.extend_from_slice(&crc.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&size.to_le_bytes());
            central.extend_from_slice(&name_len.to_le_bytes());
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attr
            central.extend_from_slice(&0u32.to_le_bytes()); // external attr
            central.extend_from_slice(&local_offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let count = u16::try_from(self.members.len())
            .map_err(|_| std::io::Error::other("too many archive members"))?;
        let central_offset =
            u32::try_from(offset).map_err(|_| std::io::Error::other("archive is over 4 GiB"))?;
        w.write_all(&central)?;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]); // disk numbers
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&(central.len() as u32).to_le_bytes());
        end.extend_from_slice(&central_offset.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes()); // comment
        w.write_all(&end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_layout() {
        let mut npz = Npz::new();
        npz.array("a", &[2], &[1.0f32, 2.0]);
        npz.boolean("flag", true);
        npz.text("dtype", "float32");
        let mut bytes = Vec::new();
        npz.write_to(&mut bytes).unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let end = &bytes[bytes.len() - 22..];
        assert_eq!(&end[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 3);
        // Central records are 46 bytes plus the name; the directory starts where the
        // end record says, with its signature.
        let central = u32::from_le_bytes([end[12], end[13], end[14], end[15]]) as usize;
        let names: usize = npz.members.iter().map(|(n, _)| 46 + n.len()).sum();
        assert_eq!(central, names);
        let at = u32::from_le_bytes([end[16], end[17], end[18], end[19]]) as usize;
        assert_eq!(&bytes[at..at + 4], b"PK\x01\x02");
        assert_eq!(at + central, bytes.len() - 22);
        // Each member's npy header is 64-byte aligned, as numpy requires for format 1.0.
        let member = &npz.members[2].1;
        let header_len = usize::from(u16::from_le_bytes([member[8], member[9]]));
        assert_eq!((10 + header_len) % 64, 0);
        assert!(String::from_utf8_lossy(member).contains("'descr': '<U7'"));
        assert_eq!(member.len(), 10 + header_len + 28);
    }
}
