//! What a run was trained on, precisely enough to notice when it changed.
//!
//! A run keeps the path, size, modification time and a content hash of its data file, and
//! a hash of the loading configuration (mapping, cleaning, window). Replaying a run checks
//! them first, so "the metrics moved" is never confused with "the file moved". The content
//! hash is a fast non-cryptographic 64-bit hash (FxHash over 8-byte words): it tells
//! changed from unchanged; it is not a defence against tampering.

use std::hash::Hasher;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The identity of a data file and the configuration it was read with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFingerprint {
    pub path: String,
    pub size: u64,
    /// Seconds since 1970 of the last modification (0 when unknown).
    pub modified_unix: i64,
    /// Content hash, hex.
    pub content_hash: String,
    /// Hash of the loading configuration (`[data]`, `[cleaning]`, `[interactions]`), hex.
    pub config_hash: String,
}

impl DataFingerprint {
    /// Fingerprints `path` read with `load_config` (any serialisable configuration).
    pub fn of(path: &Path, load_config: &impl Serialize) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        let modified_unix = meta
            .modified()
            .ok()
            .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs() as i64);
        let mut file = std::fs::File::open(path)?;
        let mut hasher = rustc_hash::FxHasher::default();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let mut words = buf[..n].chunks_exact(8);
            for w in &mut words {
                hasher.write_u64(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])));
            }
            hasher.write(words.remainder());
        }
        hasher.write_u64(meta.len());
        Ok(Self {
            path: path.display().to_string(),
            size: meta.len(),
            modified_unix,
            content_hash: format!("{:016x}", hasher.finish()),
            config_hash: config_hash(load_config),
        })
    }

    /// What differs between this (stored) fingerprint and `now`, in words; empty when
    /// nothing does. A new modification time alone is not a change.
    pub fn differences(&self, now: &DataFingerprint) -> Vec<String> {
        let mut out = Vec::new();
        if self.size != now.size {
            out.push(format!(
                "'{}' changed size: {} bytes when the run was trained, {} now",
                now.path, self.size, now.size
            ));
        } else if self.content_hash != now.content_hash {
            out.push(format!(
                "'{}' has the same size but different content than when the run was trained",
                now.path
            ));
        }
        if self.config_hash != now.config_hash {
            out.push(
                "the loading configuration ([data], [cleaning], [interactions]) differs".into(),
            );
        }
        out
    }
}

/// The parts of a load specification that change what is read, without the file path
/// (which the fingerprint records on its own).
pub fn load_config(spec: &super::LoadSpec) -> toml::Table {
    let mut data = spec.data.clone();
    data.path = None;
    let mut t = toml::Table::new();
    for (key, value) in [
        ("data", toml::Value::try_from(&data)),
        ("cleaning", toml::Value::try_from(&spec.cleaning)),
        ("interactions", toml::Value::try_from(&spec.interactions)),
    ] {
        if let Ok(v) = value {
            t.insert(key.to_owned(), v);
        }
    }
    t
}

/// A stable hash of a configuration's TOML form.
pub fn config_hash(config: &impl Serialize) -> String {
    let text = toml::to_string(config).unwrap_or_default();
    let mut h = rustc_hash::FxHasher::default();
    h.write(text.as_bytes());
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_and_config_changes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let config = toml::toml! { ranking_type = "count" };
        let before = DataFingerprint::of(&path, &config).unwrap();
        assert_eq!(before, DataFingerprint::of(&path, &config).unwrap());
        assert!(before.differences(&before).is_empty());
        std::fs::write(&path, "a,b\n1,3\n").unwrap();
        let edited = DataFingerprint::of(&path, &config).unwrap();
        assert!(before.differences(&edited)[0].contains("different content"));
        std::fs::write(&path, "a,b\n1,2\n3,4\n").unwrap();
        let longer = DataFingerprint::of(&path, &config).unwrap();
        assert!(before.differences(&longer)[0].contains("changed size"));
        let other = toml::toml! { ranking_type = "binary" };
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let reconfigured = DataFingerprint::of(&path, &other).unwrap();
        let diff = before.differences(&reconfigured);
        assert_eq!(diff.len(), 1);
        assert!(diff[0].contains("loading configuration"));
    }
}
