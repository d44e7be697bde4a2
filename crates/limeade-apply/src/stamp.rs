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
        Ok(Stamp::of_metadata(&std::fs::metadata(path)?))
    }

    fn of_metadata(meta: &std::fs::Metadata) -> Stamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp {
            mtime_ns,
            size: meta.len(),
            inode,
        }
    }
}

/// The whole content of `path` with the stamp of the open file taken just before reading it:
/// a write after the stamp is seen by the next scan, and a write during the read shows as a
/// size other than the bytes read. One open, one `fstat`, one read: the import hook's way to
/// record a module's source at a few microseconds a file.
pub fn read_stamped(path: &Path) -> std::io::Result<(Vec<u8>, Stamp)> {
    let mut file = std::fs::File::open(path)?;
    let stamp = Stamp::of_metadata(&file.metadata()?);
    let mut bytes = Vec::with_capacity(usize::try_from(stamp.size).unwrap_or(0).saturating_add(1));
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    Ok((bytes, stamp))
}
