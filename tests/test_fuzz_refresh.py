"""A seeded mutation loop over real Python files: copies of standard-library modules are tracked,
mutated at random (lines deleted, duplicated, swapped, indented; bytes inserted; the text cut)
and planned and refreshed. Only limeade's own errors may come out, a failed refresh changes
nothing, and a refresh that succeeds makes the new code live.

The default suite runs 100 mutations; ``--long`` runs 5,000. ``LIMEADE_FUZZ_SEED`` picks another
seed (the failing seed and mutation are in the assertion message)."""

from __future__ import annotations

import dis
import os
import random
import shutil
import sysconfig
import types
from pathlib import Path
from typing import Any

import limeade
import pytest
from conftest import Live, snapshot

#: Pure standard-library modules: their bodies only define things, so running mutated versions
#: of them has no effect outside the module.
MODULES = [
    "colorsys",
    "fnmatch",
    "textwrap",
    "shlex",
    "string",
    "graphlib",
    "reprlib",
    "fractions",
    "difflib",
    "calendar",
    "pprint",
    "statistics",
]

INSERTS = [
    b"(", b")", b"[", b"]", b":", b"\n", b"    ", b"\t", b'"', b"'''", b'f"{', b"\\", b"#",
    b"@", b"def ", b"class ", b"lambda", b" if ", b"\xc3\xa9", b"\xff", b"\xef\xbb\xbf",
    b"\r\n", b"\r", b"\x00", b"\x0c", b"return ", b"yield ", b"global x\n", b"async ",
    b"await ", b"x = 1\n", b"del ", b"raise ", b"import ", b"*", b"=", b"pass\n",
]  # fmt: skip


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One random edit of ``data`` and what it was."""
    lines = data.splitlines(keepends=True) or [b"\n"]
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    kind = rng.choice(["delete", "duplicate", "swap", "indent", "insert", "random", "truncate"])
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "indent":
        lines[i] = b"  " + lines[i]
    else:
        at = rng.randrange(len(data) + 1)
        if kind == "insert":
            return data[:at] + rng.choice(INSERTS) + data[at:], f"insert at {at}"
        if kind == "random":
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
            return data[:at] + noise + data[at:], f"random bytes {noise!r} at {at}"
        return data[:at], f"truncate at {at}"
    return b"".join(lines), f"{kind} line {i}" + (f" and {j}" if kind == "swap" else "")


def _shape(code: types.CodeType) -> tuple[Any, ...]:
    """What the new version of a function determines, whatever context the compiler had (the
    bytes of ``co_code`` are not: e.g. a method call can compile to ``LOAD_ATTR`` or
    ``LOAD_METHOD``): names, constants (nested code by shape), lines."""
    consts = tuple(_const_shape(c) for c in code.co_consts)
    lines = sorted({line for _, line in dis.findlinestarts(code) if line is not None})
    return (code.co_name, code.co_names, code.co_varnames, consts, lines)


def _const_shape(const: Any) -> Any:
    """A constant as compared: nested code by shape, a ``frozenset`` (``x in {"a", "b"}``) by
    its sorted items: its iteration order depends on the order its items were inserted when
    their hashes collide, and a bytecode cache's round trip through ``marshal`` inserts them in
    the order they were iterated, which can reverse it (equal sets, different reprs)."""
    if isinstance(const, types.CodeType):
        return _shape(const)
    if isinstance(const, frozenset):
        return ("frozenset", sorted(repr(c) for c in const))
    return repr(const)


def _functions(namespace: dict[str, Any]) -> dict[str, types.CodeType]:
    return {
        k: v.__code__
        for k, v in namespace.items()
        if type(v) is types.FunctionType and v.__qualname__ == k
    }


def _check_new_code_is_live(module: types.ModuleType, source: bytes, where: str) -> None:
    """Every plain top-level function the new source defines runs its new code."""
    fresh: dict[str, Any] = {"__name__": module.__name__}
    try:
        exec(compile(source, module.__file__ or "", "exec"), fresh)
    except Exception:
        return  # The source needs its real module around it: nothing to compare with.
    live_functions = _functions(vars(module))
    for name, code in _functions(fresh).items():
        if name in live_functions:
            assert _shape(live_functions[name]) == _shape(code), f"{name} runs old code ({where})"


def _fuzz(live: Live, count: int, seed: int) -> dict[str, int]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    modules = {}
    for name in MODULES:
        source = stdlib / f"{name}.py"
        target = live.path(name)
        shutil.copyfile(source, target)
        modules[name] = live.load(name)
    rng = random.Random(seed)
    applied = {name: live.path(name).read_bytes() for name in modules}
    outcomes = {"applied": 0, "refused": 0, "unchanged": 0}
    for step in range(count):
        name = rng.choice(MODULES)
        module = modules[name]
        mutated, what = mutate(applied[name], rng)
        live.path(name).write_bytes(mutated)
        before = snapshot(module)
        where = f"seed {seed}, step {step}, {name}: {what}"
        try:
            report = live.refresh()
        except limeade.RefreshError:
            assert snapshot(module) == before, f"a failed refresh changed {name} ({where})"
            outcomes["refused"] += 1
            # Back to the last version that applied, as an editor's undo would.
            live.path(name).write_bytes(applied[name])
            live.refresh()
            assert snapshot(module) == before, where
            continue
        except BaseException as e:
            raise AssertionError(f"{type(e).__name__}: {e} ({where})") from e
        if report:
            outcomes["applied"] += 1
            _check_new_code_is_live(module, mutated, where)
        else:
            outcomes["unchanged"] += 1
        applied[name] = mutated
    return outcomes


def _seed() -> int:
    return int(os.environ.get("LIMEADE_FUZZ_SEED", "0"))


def test_mutated_standard_library_modules(live: Live) -> None:
    outcomes = _fuzz(live, 100, _seed())
    assert outcomes["applied"] > 10 and outcomes["refused"] > 10, outcomes


@pytest.mark.long
def test_mutated_standard_library_modules_long(live: Live) -> None:
    outcomes = _fuzz(live, 5_000, _seed() + 1)
    print(f"\nmutation fuzz: {outcomes}")
