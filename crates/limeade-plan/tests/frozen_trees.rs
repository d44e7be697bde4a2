//! A kept tree encoded for a module nobody edits ([`limeade_plan::FrozenModule`]) decodes to
//! the very tree it was made from, for every fixture source and every kind of statement, and a
//! thawed module re-parses as the original does.

use std::path::{Path, PathBuf};

use limeade_plan::{decode_source, ParsedModule, Version};

mod common;

fn python_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            python_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

fn round_trip(path: &str, text: String) {
    let Ok(parsed) = ParsedModule::parse(path, text, Version::Old) else {
        return; // fixtures of syntax errors
    };
    let frozen = parsed.clone().freeze();
    assert!(
        frozen.tree_heap_bytes() * 2 < parsed.tree_heap_bytes()
            || parsed.tree().statements.len() < 3,
        "{path}: {} encoded, {} kept",
        frozen.tree_heap_bytes(),
        parsed.tree_heap_bytes()
    );
    let thawed = frozen.thaw().expect("decodes");
    assert_eq!(thawed.tree(), parsed.tree(), "{path}");
    // Decoded strings and lists hold no spare capacity.
    assert!(
        thawed.tree_heap_bytes() <= parsed.tree_heap_bytes(),
        "{path}"
    );
}

#[test]
fn every_fixture_source_decodes_to_its_tree() {
    let mut files = Vec::new();
    python_files(&common::fixtures_dir(), &mut files);
    assert!(files.len() > 100, "{}", files.len());
    for file in files {
        let bytes = std::fs::read(&file).expect("readable");
        let path = file.display().to_string();
        if let Ok(text) = decode_source(&bytes, &path, Version::Old) {
            round_trip(&path, text);
        }
    }
}

#[test]
fn every_kind_of_statement_decodes() {
    let source = r#"
"""Docstring."""
from __future__ import annotations
import os, sys as system
from . import sibling
from ..pkg.mod import (a as b, c)
from m import *
__all__ = ["f", "C"]
x: int = 1
x += 2
type Alias = list[int]
print(x)
if x:
    import json
elif x > 2:
    pass
else:
    y = lambda: 1
for i in range(3):
    continue
while False:
    break
with open(__file__) as handle:
    pass
try:
    raise ValueError
except ValueError:
    pass
finally:
    pass
match x:
    case 1:
        pass
del x
assert True
def outer(a, /, b=os.sep, *args, c: int = len("x"), **kw) -> None:
    """Doc."""
    global y
    def inner():
        nonlocal_ = 1
        def deepest():
            nonlocal nonlocal_
            return nonlocal_
        return deepest
    from json import dumps
    return inner
async def coroutine():
    async for _ in agen():
        pass
    async with ctx():
        pass
@decorator(1)
class C(Base, metaclass=Meta, flag=True):
    """Class doc."""
    __slots__ = ("a", "b")
    attribute = 1
    def method(self, scale=factor):
        return self.a * scale
    class Inner:
        __slots__ = names()
        def deep(self):
            pass
class D[T: int, *Ts]: x = 1
if __name__ == "__main__":
    outer(1)
"#;
    round_trip("every.py", source.to_owned());
}

#[test]
fn a_thawed_module_reparses_as_the_original() {
    let old: String = (0..300)
        .map(|i| format!("def f{i}(x, y=Z):\n    return x + y + {i}\n\n"))
        .collect();
    let new = old.replace("return x + y + 150\n", "return x - y\n");
    let parsed = ParsedModule::parse("m.py", old, Version::Old).expect("parses");
    let thawed = parsed.clone().freeze().thaw().expect("decodes");
    let (a, kind_a) = parsed.reparse(new.clone()).expect("reparses");
    let (b, kind_b) = thawed.reparse(new).expect("reparses");
    assert_eq!(kind_a, kind_b);
    assert_eq!(a.tree(), b.tree());
}
