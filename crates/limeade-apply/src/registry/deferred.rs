//! Tracking by stamp, the bytes read later ([`crate::later`]): the import hook's way for a module
//! run from a bytecode cache validated against its file's stamp. The bytes are kept as what the
//! module runs only when the file still has that stamp when read; the stamp is trusted exactly as
//! a scan trusts it (a file modified within the last two seconds is read at once instead).

use std::path::Path;

use limeade_plan::{decode_source_owned, ModuleMeta, Version};

use super::tracked::is_recent;
use super::Registry;
use crate::error::RegistryError;
use crate::later::Job;
use crate::stamp::{read_stamped, Stamp};

/// A module tracked by stamp, waiting for its file's bytes.
#[derive(Debug)]
pub(super) struct Deferred {
    meta: ModuleMeta,
    stamp: Stamp,
    generation: u64,
}

impl Registry {
    /// Track `meta` as running the bytes its file held with `stamp` (the stamp its bytecode
    /// cache was validated against), read in the background. Returns `false` when that cannot
    /// be vouched for: the file was modified within the last two seconds (or is being watched
    /// for an auto-refresh) and is read now, and it no longer has `stamp` or cannot be read;
    /// the caller then reads and compiles the file itself.
    pub fn track_later(&mut self, meta: ModuleMeta, stamp: Stamp) -> Result<bool, RegistryError> {
        if is_recent(stamp) || self.watch_at_once {
            // Written again now, a recent file could keep its stamp; while an auto-refresh
            // watcher runs, a module's folder is watched as it is tracked.
            let Ok((bytes, read)) = read_stamped(Path::new(&meta.path)) else {
                return Ok(false);
            };
            if read != stamp || !is_whole(&bytes, stamp) {
                return Ok(false);
            }
            let text = decode_source_owned(bytes, &meta.path, Version::Old)?;
            self.track_text(meta, text, stamp);
            return Ok(true);
        }
        self.deferred_count += 1;
        let job = Job {
            name: meta.name.clone(),
            path: meta.path.clone(),
            generation: self.deferred_count,
        };
        let generation = job.generation;
        self.deferred.insert(
            meta.name.clone(),
            Deferred {
                meta,
                stamp,
                generation,
            },
        );
        if self.reader.submit(job).is_err() {
            // No thread: read it now.
            self.settle_deferred();
        }
        Ok(true)
    }

    /// Take the background reads of deferred tracks (waiting for those under way): each module
    /// is tracked with the bytes read, or lost (see [`Registry::take_lost`]). Cheap when none
    /// is deferred.
    pub(super) fn settle_deferred(&mut self) {
        if self.deferred.is_empty() {
            return;
        }
        for read in self.reader.wait_all() {
            let current = self
                .deferred
                .get(&read.name)
                .is_some_and(|d| d.generation == read.generation);
            if let Some(deferred) = current.then(|| self.deferred.remove(&read.name)).flatten() {
                self.finish_deferred(deferred, read.result);
            }
        }
        // Tracks no read came back for (no reader thread, or none since a fork): read here.
        for (_, deferred) in std::mem::take(&mut self.deferred) {
            let result = read_stamped(Path::new(&deferred.meta.path));
            self.finish_deferred(deferred, result);
        }
    }

    fn finish_deferred(&mut self, deferred: Deferred, result: std::io::Result<(Vec<u8>, Stamp)>) {
        let Deferred { meta, stamp, .. } = deferred;
        let name = meta.name.clone();
        let why = match result {
            Ok((bytes, read)) if read == stamp && is_whole(&bytes, stamp) => {
                match decode_source_owned(bytes, &meta.path, Version::Old) {
                    Ok(text) => {
                        self.track_text(meta, text, stamp);
                        return;
                    }
                    Err(e) => e.to_string(),
                }
            }
            Ok(_) => format!(
                "{} changed after the module was imported, before limeade read it: the source \
                 it runs is unknown (import it again to track it)",
                meta.path
            ),
            Err(e) => format!("cannot read {}: {e}", meta.path),
        };
        // What an earlier import of it recorded is not what runs either.
        self.untrack(&name);
        self.lost.push((name, why));
    }

    /// Modules whose deferred track failed since the last call, with why (the caller logs
    /// them): they are not tracked.
    pub fn take_lost(&mut self) -> Vec<(String, String)> {
        self.settle_deferred();
        std::mem::take(&mut self.lost)
    }
}

/// Whether `bytes` are the whole file `stamp` describes (not cut short by a write while read).
fn is_whole(bytes: &[u8], stamp: Stamp) -> bool {
    u64::try_from(bytes.len()).is_ok_and(|n| n == stamp.size)
}
