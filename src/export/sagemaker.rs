//! The `sagemaker` format: `model.tar.gz` holding the bundle's files at its root, as
//! SageMaker stores training output and unpacks it into `/opt/ml/model` for inference.
//!
//! Entries are written in the bundle manifest's order with fixed owner, mode and time, so
//! the same bundle gives the same archive.

use std::path::Path;

use super::manifest::{MANIFEST, Manifest};
use super::{ExportError, create_dir};

/// Archives the bundle in `bundle` as `dir/model.tar.gz`.
pub fn write(
    bundle: &Path,
    created: chrono::DateTime<chrono::Utc>,
    dir: &Path,
) -> Result<(), ExportError> {
    create_dir(dir)?;
    let manifest = Manifest::read(bundle)?;
    let path = dir.join("model.tar.gz");
    let file = std::fs::File::create(&path).map_err(|e| ExportError::write(&path, e))?;
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let names = manifest
        .files
        .iter()
        .map(|f| f.path.as_str())
        .chain(std::iter::once(MANIFEST));
    for name in names {
        let src = bundle.join(name);
        let data = std::fs::File::open(&src).map_err(|e| ExportError::read(&src, e))?;
        let len = data
            .metadata()
            .map_err(|e| ExportError::read(&src, e))?
            .len();
        let mut header = tar::Header::new_gnu();
        header.set_size(len);
        header.set_mode(0o644);
        header.set_mtime(created.timestamp().max(0) as u64);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, name, data)
            .map_err(|e| ExportError::write(&path, e))?;
    }
    let gz = tar.into_inner().map_err(|e| ExportError::write(&path, e))?;
    let mut out = gz.finish().map_err(|e| ExportError::write(&path, e))?;
    std::io::Write::flush(&mut out).map_err(|e| ExportError::write(&path, e))
}

/// Unpacks `archive` (a `model.tar.gz`) into `dir`, refusing entries that would land
/// outside it.
pub fn unpack(archive: &Path, dir: &Path) -> Result<(), ExportError> {
    let file = std::fs::File::open(archive).map_err(|e| ExportError::read(archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    create_dir(dir)?;
    // `unpack` refuses `..` and absolute paths.
    tar.unpack(dir).map_err(|e| ExportError::NotABundle {
        path: archive.display().to_string(),
        message: format!("cannot unpack the archive: {e}"),
    })
}
