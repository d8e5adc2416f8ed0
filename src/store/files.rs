//! Writing one file of a run or workspace so it is either complete or absent.
//!
//! Every file goes to a temporary name in the same folder, is flushed to disk and renamed
//! over its final name: readers never see half a file, and a failed write leaves the
//! previous version in place.

use std::io::Write;
use std::path::Path;

/// The environment variable that makes run writes fail as a full disk would, after this
/// many files: the tests' way of simulating `ENOSPC` without filling a disk.
pub const SIMULATE_FULL_DISK_ENV: &str = "LATENT_SIMULATE_FULL_DISK_AFTER";

/// Writes `bytes` to `dir/name` atomically.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    write_with(dir, name, |w| w.write_all(bytes))
}

/// Writes `dir/name` through `body`, atomically.
pub fn write_with(
    dir: &Path,
    name: &str,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if name != "status.json" {
        // The status file stays writable so a simulated failure can be recorded.
        simulated_full_disk()?;
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        body(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(name)).map_err(|e| e.error)?;
    Ok(())
}

fn simulated_full_disk() -> std::io::Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static WRITTEN: AtomicUsize = AtomicUsize::new(0);
    let Some(limit) = std::env::var(SIMULATE_FULL_DISK_ENV)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return Ok(());
    };
    if WRITTEN.fetch_add(1, Ordering::SeqCst) >= limit {
        // ENOSPC, as the kernel reports a full disk.
        return Err(std::io::Error::from_raw_os_error(28));
    }
    Ok(())
}
