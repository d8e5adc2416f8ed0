//! `manifest.json`: what an export or a bundle holds, with a SHA-256 per file.
//!
//! The manifest is written last, so its presence says the folder is complete; readers
//! (`latent serve`, the S3 download) check every file against it before trusting any.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ExportError;
use super::safe_path::check_relative;
use crate::models::ModelKind;

/// The manifest format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the manifest's folder, with `/` separators.
    pub path: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the contents.
    pub sha256: String,
    /// Rows, for a database table (where `path` is the table's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// `export` (a folder of formats) or `bundle` (what `latent serve` loads).
    pub content: String,
    pub latent_version: String,
    pub run_id: String,
    /// RFC 3339, UTC.
    pub created: String,
    pub model_kind: String,
    /// The formats of an export; empty for a bundle.
    #[serde(default)]
    pub formats: Vec<String>,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Lists every file under `dir` (sorted, the manifest itself and hidden scratch
    /// folders aside) with its size and checksum.
    pub fn of_folder(
        dir: &Path,
        content: &str,
        run_id: &str,
        kind: ModelKind,
        created: chrono::DateTime<chrono::Utc>,
        formats: Vec<String>,
    ) -> Result<Self, ExportError> {
        let mut files = Vec::new();
        collect(dir, "", &mut files)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Self {
            format_version: FORMAT_VERSION,
            content: content.to_owned(),
            latent_version: env!("CARGO_PKG_VERSION").to_owned(),
            run_id: run_id.to_owned(),
            created: created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            model_kind: kind.name().to_owned(),
            formats,
            files,
        })
    }

    /// Writes `dir/manifest.json`.
    pub fn write(&self, dir: &Path) -> Result<(), ExportError> {
        let path = dir.join(MANIFEST);
        let text = serde_json::to_vec_pretty(self).map_err(|e| ExportError::write(&path, e))?;
        super::write_bytes(&path, &text)
    }

    /// Parses manifest text; `source` names it in errors. A manifest of another format
    /// version is refused before anything else is read.
    pub fn parse(text: &[u8], source: &str) -> Result<Self, ExportError> {
        let value: serde_json::Value =
            serde_json::from_slice(text).map_err(|e| ExportError::NotABundle {
                path: source.to_owned(),
                message: format!("{MANIFEST} is not valid JSON: {e}"),
            })?;
        let found = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(ExportError::BundleVersion {
                path: source.to_owned(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
                expected: FORMAT_VERSION,
            });
        }
        let manifest: Self =
            serde_json::from_value(value).map_err(|e| ExportError::NotABundle {
                path: source.to_owned(),
                message: format!("{MANIFEST}: {e}"),
            })?;
        // Checked here, once, so every reader (serve, the S3 download, the SageMaker
        // archive, verification) only ever sees paths inside the manifest's folder.
        for f in &manifest.files {
            check_relative(&f.path).map_err(|error| ExportError::UnsafePath {
                path: format!("{source}/{MANIFEST}"),
                error,
            })?;
        }
        Ok(manifest)
    }

    /// Reads `dir/manifest.json`.
    pub fn read(dir: &Path) -> Result<Self, ExportError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read(&path).map_err(|e| ExportError::NotABundle {
            path: dir.display().to_string(),
            message: format!("no readable {MANIFEST} ({e})"),
        })?;
        Self::parse(&text, &dir.display().to_string())
    }

    /// Checks every listed file under `dir`: present, same size, same SHA-256.
    pub fn verify(&self, dir: &Path) -> Result<(), ExportError> {
        for f in &self.files {
            let path = dir.join(&f.path);
            let bad = |message: String| ExportError::Checksum {
                path: dir.display().to_string(),
                file: f.path.clone(),
                message,
            };
            let size = std::fs::metadata(&path)
                .map_err(|e| bad(format!("missing ({e})")))?
                .len();
            if size != f.size {
                return Err(bad(format!(
                    "{size} bytes where the manifest says {}",
                    f.size
                )));
            }
            let sum = sha256_file(&path)?;
            if sum != f.sha256 {
                return Err(bad(format!(
                    "sha256 {sum} where the manifest says {}",
                    f.sha256
                )));
            }
        }
        Ok(())
    }
}

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> Result<String, ExportError> {
    let mut file = std::fs::File::open(path).map_err(|e| ExportError::read(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| ExportError::read(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lower-case hex SHA-256 of bytes.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn collect(dir: &Path, prefix: &str, out: &mut Vec<FileEntry>) -> Result<(), ExportError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ExportError::read(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ExportError::read(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if (prefix.is_empty() && name == MANIFEST) || name.starts_with(".latent-") {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        let kind = entry.file_type().map_err(|e| ExportError::read(&path, e))?;
        if kind.is_dir() {
            collect(&path, &format!("{rel}/"), out)?;
        } else {
            let size = entry
                .metadata()
                .map_err(|e| ExportError::read(&path, e))?
                .len();
            out.push(FileEntry {
                path: rel,
                size,
                sha256: sha256_file(&path)?,
                rows: None,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_verification() {
        assert_eq!(
            sha256_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.txt"), b"abc").unwrap();
        let m = Manifest::of_folder(
            dir.path(),
            "bundle",
            "r",
            ModelKind::Als,
            chrono::Utc::now(),
            Vec::new(),
        )
        .unwrap();
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.files[0].path, "sub/a.txt");
        m.write(dir.path()).unwrap();
        let back = Manifest::read(dir.path()).unwrap();
        assert_eq!(back, m);
        back.verify(dir.path()).unwrap();
        std::fs::write(dir.path().join("sub/a.txt"), b"abd").unwrap();
        let err = back.verify(dir.path()).unwrap_err().to_string();
        assert!(err.contains("sub/a.txt") && err.contains("sha256"), "{err}");
    }

    #[test]
    fn other_versions_are_refused() {
        let err = Manifest::parse(br#"{"format_version": 99}"#, "x").unwrap_err();
        assert!(
            matches!(err, ExportError::BundleVersion { found: 99, .. }),
            "{err}"
        );
        assert!(Manifest::parse(b"not json", "x").is_err());
    }

    #[test]
    fn paths_leading_outside_are_refused_at_parse_time() {
        for bad in ["/abs/x", "../x", "a/../../x", ""] {
            let text = serde_json::json!({
                "format_version": FORMAT_VERSION, "content": "bundle", "latent_version": "0",
                "run_id": "r", "created": "2024-01-01T00:00:00Z", "model_kind": "als",
                "files": [{"path": "ok.txt", "size": 1, "sha256": "00"},
                          {"path": bad, "size": 1, "sha256": "00"}]
            });
            let err = Manifest::parse(text.to_string().as_bytes(), "s3://b/p").unwrap_err();
            assert!(matches!(err, ExportError::UnsafePath { .. }), "{err}");
            assert!(err.is_input_error());
            let text = err.to_string();
            assert!(
                text.contains("s3://b/p/manifest.json") && text.contains(&format!("'{bad}'")),
                "{text}"
            );
        }
    }
}
