//! What identifies one version of a file without reading it (a stamp); when a stamp changed, the
//! registry compares the file's bytes with the text it keeps.

use std::path::Path;

/// What identifies one version of a file on disk without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    /// Modification time in nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// Size in bytes.
    pub size: u64,
    /// Inode (editors that save by rename change it), 0 where unknown.
    pub inode: u64,
}

impl Stamp {
    /// Stamp of `path` now.
    pub fn of(path: &Path) -> std::io::Result<Stamp> {
        let meta = std::fs::metadata(path)?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(Stamp {
            mtime_ns,
            size: meta.len(),
            inode,
        })
    }
}
