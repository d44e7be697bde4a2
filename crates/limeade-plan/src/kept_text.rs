//! A module's source as it is kept between refreshes: plain, or packed with LZ4 while nobody
//! edits it.
//!
//! Every tracked module's running source is kept (an incremental re-parse compares the new text
//! with it, and tracebacks show the lines the program runs), yet most modules of a program are
//! never edited. Their texts are packed once parsed (to about 40% of their size on real Python
//! source; LZ4, pure Rust, unpacks at gigabytes per second) and unpacked only when a
//! refresh or a traceback needs them; the texts of modules a refresh just replaced stay plain
//! unless the refresh was a large one (see the registry's accept).

use std::borrow::Cow;
use std::sync::Arc;

use crate::error::PlanError;
use crate::source::SharedText;

/// A source text, plain or packed; both forms are shared (cloning copies no text).
#[derive(Debug, Clone)]
pub enum KeptText {
    /// The text itself.
    Plain(SharedText),
    /// The text packed with LZ4.
    Packed(Arc<PackedText>),
}

/// A text packed with LZ4 (block format), with its length.
#[derive(Debug, PartialEq, Eq)]
pub struct PackedText {
    bytes: Box<[u8]>,
    len: usize,
}

impl PackedText {
    /// Pack `text`. Compressed into a scratch buffer of the thread's, then copied at its exact
    /// size: compressed into a buffer of its own (sized for the worst case, then shrunk), each
    /// text left a free hole behind its kept bytes, hundreds of them between the trees the
    /// background parser keeps.
    pub fn pack(text: &str) -> PackedText {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let bytes = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.resize(lz4_flex::block::get_maximum_output_size(text.len()), 0);
            match lz4_flex::block::compress_into(text.as_bytes(), &mut scratch) {
                Ok(n) => Box::from(&scratch[..n]),
                // Never with a buffer of the maximum size; compressed on its own then.
                Err(_) => lz4_flex::block::compress(text.as_bytes()).into_boxed_slice(),
            }
        });
        PackedText {
            bytes,
            len: text.len(),
        }
    }

    /// The text again (`path` names the module in the error no valid packing gives).
    pub fn unpack(&self, path: &str) -> Result<String, PlanError> {
        let internal = |message: String| PlanError::Internal {
            path: path.to_owned(),
            message,
        };
        let bytes = lz4_flex::block::decompress(&self.bytes, self.len)
            .map_err(|e| internal(format!("kept source text does not unpack: {e}")))?;
        String::from_utf8(bytes)
            .map_err(|e| internal(format!("kept source text is not UTF-8 once unpacked: {e}")))
    }
}

impl KeptText {
    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            KeptText::Plain(text) => text.len(),
            KeptText::Packed(packed) => packed.len,
        }
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes it holds (for the memory benchmark).
    pub fn heap_bytes(&self) -> usize {
        match self {
            KeptText::Plain(text) => text.capacity(),
            KeptText::Packed(packed) => packed.bytes.len(),
        }
    }

    /// The plain text, when it is not packed.
    pub fn plain(&self) -> Option<&SharedText> {
        match self {
            KeptText::Plain(text) => Some(text),
            KeptText::Packed(_) => None,
        }
    }

    /// The text, unpacked if needed (`path` names the module in an error).
    pub fn text(&self, path: &str) -> Result<Cow<'_, str>, PlanError> {
        match self {
            KeptText::Plain(text) => Ok(Cow::Borrowed(text.as_str())),
            KeptText::Packed(packed) => packed.unpack(path).map(Cow::Owned),
        }
    }

    /// The text as a shared plain text, unpacked into a new one if needed.
    pub fn shared(&self, path: &str) -> Result<SharedText, PlanError> {
        match self {
            KeptText::Plain(text) => Ok(Arc::clone(text)),
            KeptText::Packed(packed) => packed.unpack(path).map(Arc::new),
        }
    }

    /// Whether the text is exactly `bytes` (lengths first: most edits change it).
    pub fn equals(&self, bytes: &[u8], path: &str) -> bool {
        self.len() == bytes.len() && self.text(path).is_ok_and(|text| text.as_bytes() == bytes)
    }

    /// The same text packed (itself when it is already).
    pub fn packed(&self) -> KeptText {
        match self {
            KeptText::Plain(text) => KeptText::Packed(Arc::new(PackedText::pack(text))),
            KeptText::Packed(packed) => KeptText::Packed(Arc::clone(packed)),
        }
    }

    /// Whether both are the very same kept text (the same allocation).
    pub fn same_allocation(&self, other: &KeptText) -> bool {
        match (self, other) {
            (KeptText::Plain(a), KeptText::Plain(b)) => Arc::ptr_eq(a, b),
            (KeptText::Packed(a), KeptText::Packed(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl From<String> for KeptText {
    fn from(text: String) -> KeptText {
        KeptText::Plain(Arc::new(text))
    }
}

impl From<SharedText> for KeptText {
    fn from(text: SharedText) -> KeptText {
        KeptText::Plain(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_text_unpacks_to_itself() {
        for text in [
            "",
            "x = 1\n",
            "def f():\n    return 'é'\n",
            &"print(1)\n".repeat(5000),
        ] {
            let kept = KeptText::from(text.to_owned());
            let packed = kept.packed();
            assert_eq!(packed.len(), text.len());
            assert_eq!(packed.text("m.py").ok().as_deref(), Some(text));
            assert!(packed.equals(text.as_bytes(), "m.py"));
            assert!(!packed.equals(b"x = 2\n", "m.py"));
            assert!(packed.plain().is_none());
        }
    }

    #[test]
    fn source_text_packs_to_a_fraction_of_its_size() {
        let text = include_str!("parsed/incremental.rs").to_owned();
        let packed = KeptText::from(text.clone()).packed();
        assert!(
            packed.heap_bytes() * 2 < text.len(),
            "{} of {}",
            packed.heap_bytes(),
            text.len()
        );
    }
}
