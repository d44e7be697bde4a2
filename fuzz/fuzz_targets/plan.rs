//! One input is an old and a new version of a module, separated by [`SEPARATOR`] (without it,
//! the whole input is the old version and its first half the new one). Both are decoded like
//! CPython decodes source bytes, then planned from scratch and incrementally (the live side's
//! path): neither may panic, and both must give the same plan or the same error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use limeade_plan::{decode_source, plan, plan_incremental, ModuleMeta, ModuleSource, Version};

/// Between the two versions in an input (seeds are written with it: `fuzz/seeds.py`).
const SEPARATOR: &[u8] = b"\n#\x00limeade-fuzz-new\x00\n";

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        Some(at) => (&data[..at], &data[at + SEPARATOR.len()..]),
        None => (data, &data[..data.len() / 2]),
    }
}

fuzz_target!(|data: &[u8]| {
    let (old, new) = split(data);
    let (Ok(old), Ok(new)) = (
        decode_source(old, "m.py", Version::Old),
        decode_source(new, "m.py", Version::New),
    ) else {
        return;
    };
    let batch = [ModuleSource {
        meta: ModuleMeta {
            name: "pkg.m".to_owned(),
            path: "pkg/m.py".to_owned(),
            is_package: false,
        },
        old,
        new,
    }];
    let full = plan(&batch);
    let incremental = plan_incremental(&batch);
    assert_eq!(full, incremental, "full and incremental planning disagree");
});
