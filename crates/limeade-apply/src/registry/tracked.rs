//! One tracked module's versions (the source it runs, a newer one seen on disk) and the scan
//! that tells whether its file holds news: stamps first, then the bytes compared with the text
//! it runs (decoded only when they differ), never a hash of every file.

use std::path::Path;

use limeade_plan::{
    decode_source_owned, FrozenModule, ImportBinding, KeptText, ModuleMeta, ParsedModule,
    PlanError, SharedText, Version,
};

use super::{ScanOutcome, Stamp};

/// A version of a module's source.
#[derive(Debug, Clone)]
pub(super) struct SourceVersion {
    /// Shared with its parsed version: one copy of each text (packed while the module is not
    /// edited, see [`KeptText`]). A file is compared with it byte for byte (a UTF-8 file
    /// without a BOM or lone CR is its own text), else decoded first: no hash of every file is
    /// kept or computed.
    pub(super) text: KeptText,
    pub(super) stamp: Stamp,
    pub(super) parsed: Option<ParsedModule>,
    /// Its parsed form kept compact while nobody edits the module (the background parser
    /// hands it over so; a large refresh leaves its modules so): decoded into `parsed` when a
    /// plan needs it. Never both.
    pub(super) frozen: Option<FrozenModule>,
    /// Its `from m import X` bindings, when a plan computed them from this version: they
    /// become the module's bindings when the version is accepted (no second walk of the tree).
    pub(super) bindings: Option<Vec<ImportBinding>>,
}

impl SourceVersion {
    /// Keep it compact: its text packed, its tree encoded (see [`FrozenModule`]).
    pub(super) fn compact(&mut self) {
        self.text = match &mut self.parsed {
            Some(parsed) => parsed.pack(),
            None => self.text.packed(),
        };
        if let Some(parsed) = self.parsed.take() {
            self.frozen = Some(parsed.freeze());
        }
    }

    /// Its tree decoded, if it was kept encoded (one that does not decode, which none does, is
    /// dropped: the planner parses the text again).
    pub(super) fn thaw(&mut self) {
        if let Some(frozen) = self.frozen.take() {
            self.parsed = frozen.thaw().ok();
        }
    }

    /// Make sure it holds its parse, decoded (see [`SourceVersion::thaw`]) or made from its
    /// text now, the text then shared with it. Returns whether it was parsed now.
    pub(super) fn parse(&mut self, path: &str) -> Result<bool, PlanError> {
        self.thaw();
        if self.parsed.is_some() {
            return Ok(false);
        }
        let parsed = ParsedModule::parse_shared(path, self.text.shared(path)?, Version::Old)?;
        self.text = parsed.kept_text().clone();
        self.parsed = Some(parsed);
        Ok(true)
    }

    /// Whether it holds a parse (decoded or not).
    pub(super) fn is_parsed(&self) -> bool {
        self.parsed.is_some() || self.frozen.is_some()
    }
}

/// One tracked module.
#[derive(Debug, Clone)]
pub(super) struct Tracked {
    pub(super) meta: ModuleMeta,
    pub(super) current: SourceVersion,
    /// A newer version seen on disk and not yet applied.
    pub(super) pending: Option<SourceVersion>,
    /// The file on disk cannot be decoded: planning reports this error.
    pub(super) pending_error: Option<PlanError>,
    /// Stamp of the file that could not be decoded.
    pub(super) error_stamp: Stamp,
    /// The file is missing or unreadable: every scan reports it until it is back.
    pub(super) problem: bool,
    /// `from m import X` bindings of the running source, computed when first needed.
    pub(super) bindings: Option<Vec<ImportBinding>>,
    /// The module's loader gives its source (a custom loader): it is never read from `path`
    /// here; the current source is handed over with [`Registry::offer_source`].
    pub(super) offered: bool,
}

impl Tracked {
    /// A module just tracked as running `text`: nothing pending, no problem seen yet.
    pub(super) fn new(meta: ModuleMeta, text: SharedText, stamp: Stamp, offered: bool) -> Tracked {
        Tracked {
            meta,
            current: SourceVersion {
                text: KeptText::Plain(text),
                stamp,
                parsed: None,
                frozen: None,
                bindings: None,
            },
            pending: None,
            pending_error: None,
            error_stamp: Stamp::default(),
            problem: false,
            bindings: None,
            offered,
        }
    }

    /// When the module's source (read with `stamp`) is, by `is`, the text it runs or the one
    /// pending: whether the module has news (the pending version, kept with its parse).
    /// `None` when it is neither, as far as `is` can tell without decoding.
    pub(super) fn known_version(
        &mut self,
        is: impl Fn(&str) -> bool,
        stamp: Stamp,
    ) -> Option<bool> {
        let path = &self.meta.path;
        let holds = |text: &KeptText| text.text(path).is_ok_and(|text| is(&text));
        if holds(&self.current.text) {
            self.back_to_current(stamp);
            return Some(false);
        }
        let pending = self.pending.as_mut().filter(|p| holds(&p.text))?;
        pending.stamp = stamp;
        Some(true)
    }

    /// The module's source (read with `stamp`) now decodes to `text`: nothing pending when it
    /// is the running text, else it is the pending version (kept, with its parse, when it is
    /// the same). Returns whether the module has news.
    pub(super) fn now_holds(&mut self, text: String, stamp: Stamp) -> bool {
        let path = &self.meta.path;
        if self.current.text.equals(text.as_bytes(), path) {
            self.back_to_current(stamp);
            return false;
        }
        match self.pending.as_mut() {
            Some(pending) if pending.text.equals(text.as_bytes(), path) => pending.stamp = stamp,
            _ => {
                self.pending = Some(SourceVersion {
                    text: text.into(),
                    stamp,
                    parsed: None,
                    frozen: None,
                    bindings: None,
                });
            }
        }
        self.pending_error = None;
        true
    }

    /// The source holds what the program runs again (or still): nothing is pending.
    pub(super) fn back_to_current(&mut self, stamp: Stamp) {
        self.current.stamp = stamp;
        self.pending = None;
        self.pending_error = None;
    }
}

/// Whether `stamp`'s file was modified within the last two seconds: written again now, it could
/// keep the same stamp (coarse kernel clocks, same size).
pub(super) fn is_recent(stamp: Stamp) -> bool {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    now - stamp.mtime_ns < 2_000_000_000
}

pub(super) fn scan_one(tracked: &mut Tracked) -> Option<ScanOutcome> {
    let name = tracked.meta.name.clone();
    if tracked.offered {
        let has_news = tracked.pending.is_some() || tracked.pending_error.is_some();
        return has_news.then_some(ScanOutcome::Changed(name));
    }
    let path = Path::new(&tracked.meta.path);
    let stamp = match Stamp::of(path) {
        Ok(stamp) => stamp,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracked.pending = None;
            tracked.pending_error = None;
            tracked.problem = true;
            return Some(ScanOutcome::Deleted(name));
        }
        Err(e) => {
            tracked.problem = true;
            return Some(ScanOutcome::Unreadable {
                name,
                reason: e.to_string(),
            });
        }
    };
    tracked.problem = false;
    let known = match (&tracked.pending, &tracked.pending_error) {
        (Some(pending), _) => pending.stamp,
        (None, Some(_)) => tracked.error_stamp,
        (None, None) => tracked.current.stamp,
    };
    let has_news = tracked.pending.is_some() || tracked.pending_error.is_some();
    // A file modified within the last two seconds can be written again without its stamp
    // changing (coarse kernel clocks, same size): like git's "racy" entries, read it anyway.
    if known == stamp && !is_recent(stamp) {
        return has_news.then_some(ScanOutcome::Changed(name));
    }
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            tracked.problem = true;
            return Some(ScanOutcome::Unreadable {
                name,
                reason: e.to_string(),
            });
        }
    };
    // Nearly every file is its own text (UTF-8, no BOM, no lone CR): compared without decoding.
    if let Some(news) = tracked.known_version(|text| *bytes == *text.as_bytes(), stamp) {
        return news.then_some(ScanOutcome::Changed(name));
    }
    match decode_source_owned(bytes, &tracked.meta.path, Version::New) {
        Ok(text) => {
            if !tracked.now_holds(text, stamp) {
                return None;
            }
        }
        Err(e) => {
            // Reported by planning, like a syntax error: the refresh fails with the position.
            tracked.pending = None;
            tracked.pending_error = Some(e);
            tracked.error_stamp = stamp;
        }
    }
    Some(ScanOutcome::Changed(name))
}
