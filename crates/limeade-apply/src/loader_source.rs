//! A module's source as a custom loader gives it (`get_data` bytes or `get_source` text), for the
//! modules the registry never reads from disk itself.

use limeade_plan::{decode_source, PlanError, Version};

/// A module's source as a loader gave it.
#[derive(Debug, Clone, Copy)]
pub enum LoaderSource<'a> {
    /// Bytes to decode like a source file (`SourceLoader.get_data`, PEP 263 cookie honoured).
    Encoded(&'a [u8]),
    /// Text already decoded by the loader (`InspectLoader.get_source`).
    Decoded(&'a str),
}

impl LoaderSource<'_> {
    /// Whether it is `text` itself, without decoding (bytes of a UTF-8 source are their text).
    pub(crate) fn is(self, text: &str) -> bool {
        match self {
            LoaderSource::Encoded(bytes) => bytes == text.as_bytes(),
            LoaderSource::Decoded(given) => given == text,
        }
    }

    pub(crate) fn decode(self, path: &str, version: Version) -> Result<String, PlanError> {
        match self {
            LoaderSource::Encoded(bytes) => decode_source(bytes, path, version),
            LoaderSource::Decoded(text) => Ok(text.to_owned()),
        }
    }
}
