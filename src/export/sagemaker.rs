//! The `sagemaker` format: `model.tar.gz` holding the bundle's files at its root, as
//! SageMaker stores training output and unpacks it into `/opt/ml/model` for inference.
//!
//! Entries are written in the bundle manifest's order with fixed owner, mode and time, so
//! the same bundle gives the same archive.

use std::path::Path;

use super::manifest::{MANIFEST, Manifest};
use super::safe_path::{UnsafePath, resolve_inside};
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

/// Unpacks `archive` (a `model.tar.gz`) into `dir`, entry by entry: every member's path
/// goes through [`resolve_inside`] first, and links are refused, so nothing lands outside
/// `dir` whatever the archive holds.
///
/// The tar crate's own `unpack` refuses `..` and absolute names but creates symbolic
/// links pointing anywhere; a bundle never holds links (latent writes only regular files),
/// so an archive that does is refused rather than trusted.
pub fn unpack(archive: &Path, dir: &Path) -> Result<(), ExportError> {
    let file = std::fs::File::open(archive).map_err(|e| ExportError::read(archive, e))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    create_dir(dir)?;
    let source = archive.display().to_string();
    let damaged = |e: std::io::Error| ExportError::NotABundle {
        path: source.clone(),
        message: format!("cannot unpack the archive: {e}"),
    };
    let refuse = |error: UnsafePath| ExportError::UnsafePath {
        path: source.clone(),
        error,
    };
    for entry in tar.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let raw = entry.path_bytes().into_owned();
        let Ok(name) = String::from_utf8(raw.clone()) else {
            return Err(refuse(UnsafePath {
                entry: String::from_utf8_lossy(&raw).into_owned(),
                reason: "is not a UTF-8 name".into(),
            }));
        };
        // `tar -czf model.tar.gz -C folder .` names members `./x`, and `./` is the folder.
        let rel = name.strip_prefix("./").unwrap_or(&name);
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::XGlobalHeader => {}
            tar::EntryType::Directory => {
                let rel = rel.trim_end_matches('/');
                if !rel.is_empty() {
                    let path = resolve_inside(dir, rel).map_err(refuse)?;
                    create_dir(&path)?;
                }
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let path = resolve_inside(dir, rel).map_err(refuse)?;
                if let Some(parent) = path.parent() {
                    create_dir(parent)?;
                }
                let mut out =
                    std::fs::File::create(&path).map_err(|e| ExportError::write(&path, e))?;
                std::io::copy(&mut entry, &mut out).map_err(damaged)?;
            }
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| String::from_utf8_lossy(&t).into_owned())
                    .unwrap_or_default();
                return Err(refuse(UnsafePath {
                    entry: name.clone(),
                    reason: format!(
                        "is a link to '{target}': a model archive holds only files and folders"
                    ),
                }));
            }
            other => {
                return Err(refuse(UnsafePath {
                    entry: name.clone(),
                    reason: format!(
                        "is a {other:?} entry: a model archive holds only files and folders"
                    ),
                }));
            }
        }
    }
    Ok(())
}
