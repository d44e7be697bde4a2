"""Hostile input: what a running program's files can turn into, and what a refresh must do.

Each case of :data:`CASES` turns the file of a tracked module ``m`` into something broken or odd
while another tracked module ``good`` gets an ordinary edit. The expected outcome is one of:

- ``works``: the refresh applies the new version (``f()`` returns ``"new"``);
- ``plan``: :class:`limeade.PlanError` naming the file, nothing changed;
- ``apply``: :class:`limeade.ApplyError` naming the module, nothing changed;
- ``skipped``: the refresh skips ``m`` with a reason and applies ``good``;
- ``interrupt``: ``KeyboardInterrupt`` propagates (a Ctrl-C during a refresh still stops the
  program), after the rollback.

In every case the process survives, ``m`` and ``good`` are exactly as before when the refresh
failed (``snapshot``), ``good`` still refreshes, and once ``m`` is fixed the next refresh applies
it to the functions and instances made before all this.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Union

import limeade
import pytest
from conftest import Live, long_run, snapshot

ORIGINAL = """\
X = 1

def f():
    return "old"

class C:
    def m(self):
        return "old"
"""

NEW = ORIGINAL.replace('"old"', '"new"')
FIXED = ORIGINAL.replace('"old"', '"fixed"') + "\nADDED = 2\n"

GOOD = 'def g():\n    return "old"\n'

Setup = Callable[[Live, Path], None]


@dataclass(frozen=True)
class Case:
    id: str
    #: The new bytes of ``m``, or a function that breaks its file (given the helper and path).
    broken: Union[bytes, Setup]
    outcome: str
    #: Part of the error message or skip reason, when the outcome has one.
    says: str = ""


def _new(text: str = NEW) -> bytes:
    return text.encode()


def _with_line(line: str) -> bytes:
    """The new version with one more (offending) line at the end."""
    return (NEW + line + "\n").encode()


def _replace_by_directory(live: Live, path: Path) -> None:
    path.unlink()
    path.mkdir()


def _symlink_loop(live: Live, path: Path) -> None:
    path.unlink()
    os.symlink(path, path)


def _deleted_after_edit(live: Live, path: Path) -> None:
    # Edited, then deleted before the refresh reads it (a scan racing a delete).
    path.write_bytes(_new())
    path.unlink()


def _half_written(live: Live, path: Path) -> None:
    text = _new()
    path.write_bytes(text[: text.index(b"class C") + 9])


def _unreadable(live: Live, path: Path) -> None:
    path.write_bytes(_new())
    path.chmod(0)


SYNTAX = [
    Case("unclosed-paren", _with_line("Y = (1,"), "plan", "syntax error"),
    Case("unclosed-bracket-in-def", b'def f():\n    return ["new"\n', "plan", "syntax error"),
    Case("unterminated-string", _with_line("Y = 'abc"), "plan", "syntax error"),
    Case("unterminated-triple-string", _with_line('Y = """abc'), "plan", "syntax error"),
    Case("missing-indent", b'def f():\nreturn "new"\n', "plan", "syntax error"),
    Case("unexpected-indent", b"X = 1\n    Y = 2\n" + _new(), "plan", "syntax error"),
    Case("dedent-mismatch", b'def f():\n        x = 1\n    return "new"\n', "plan", "syntax error"),
    Case("tabs-and-spaces", b'def f():\n\tx = 1\n        return "new"\n', "plan", "syntax error"),
    Case("stray-character", _with_line("Y = 1 $ 2"), "plan", "syntax error"),
    Case("double-equals", _with_line("Y = = 1"), "plan", "syntax error"),
    Case("keyword-as-name", _with_line("class = 1"), "plan", "syntax error"),
    Case("lone-else", _with_line("else:\n    pass"), "plan", "syntax error"),
    Case("def-without-colon", _with_line("def h()\n    pass"), "plan", "syntax error"),
    Case("bad-parameter-list", _with_line("def h(:\n    pass"), "plan", "syntax error"),
    Case("default-before-plain", _with_line("def h(a=1, b):\n    pass"), "plan", "syntax error"),
    Case("assign-to-literal", _with_line("1 = Y"), "apply", "the interpreter rejects"),
    Case("assign-to-call", _with_line("f() = 1"), "apply", "the interpreter rejects"),
    Case("bad-f-string", _with_line("Y = f'{'"), "plan", "f-string"),
    Case("return-outside-function", _with_line("return 1"), "apply", "the interpreter rejects"),
    Case("break-outside-loop", _with_line("break"), "apply", "the interpreter rejects"),
    Case("yield-outside-function", _with_line("yield 1"), "apply", "the interpreter rejects"),
    Case("await-outside-async", _with_line("await Y"), "apply", "the interpreter rejects"),
    Case("nonlocal-at-module-level", _with_line("nonlocal Y"), "apply", "the interpreter rejects"),
    Case("duplicate-argument", _with_line("def h(a, a):\n    pass"), "plan", "syntax error"),
    Case(
        "late-future-import",
        _with_line("from __future__ import annotations"),
        "apply",
        "__future__",
    ),
    Case("unknown-future", _with_line("from __future__ import braces"), "apply", "__future__"),
    Case("only-garbage", b"\x01\x02\x03 ))) (((\n", "plan", ""),
]

ENCODINGS = [
    Case("not-utf8", _new().replace(b'"new"', b'"new\xff\xfe"'), "plan", "utf-8"),
    Case("not-utf8-in-comment", b"# caf\xe9\n" + _new(), "plan", "utf-8"),
    Case("unknown-coding-cookie", b"# -*- coding: klingon -*-\n" + _new(), "plan", "klingon"),
    Case("bom-and-latin1-cookie", b"\xef\xbb\xbf# coding: latin-1\n" + _new(), "plan", ""),
    Case("nul-byte", _with_line("Y = 1\x00"), "plan", ""),
    Case("nul-byte-in-comment", _with_line("# \x00"), "plan", ""),
    Case("latin1-cookie", b"# -*- coding: latin-1 -*-\n# caf\xe9\n" + _new(), "works"),
    Case("utf8-bom", b"\xef\xbb\xbf" + _new(), "works"),
    Case("crlf", _new().replace(b"\n", b"\r\n"), "works"),
    Case("cr-only", _new().replace(b"\n", b"\r"), "works"),
    Case("mixed-line-endings", _new().replace(b"\n", b"\r\n", 3), "works"),
    Case("tab-indented", _new().replace(b"    ", b"\t"), "works"),
    Case("form-feed-lines", _new().replace(b"\nclass", b"\n\x0c\nclass"), "works"),
    Case(
        "form-feed-in-indent",
        _new().replace(b'    return "new"', b'\x0c    return "new"', 1),
        "works",
    ),
    Case("no-final-newline", _new().rstrip(b"\n"), "works"),
]

FILES = [
    Case("replaced-by-directory", _replace_by_directory, "skipped", ""),
    Case("symlink-loop", _symlink_loop, "skipped", ""),
    Case("deleted-before-refresh", _deleted_after_edit, "skipped", "deleted"),
    Case("half-written", _half_written, "plan", "syntax error"),
    Case("permission-denied", _unreadable, "skipped", "ermission"),
]

RAISING = [
    Case("raises-system-exit", _with_line("raise SystemExit(3)"), "apply", "SystemExit"),
    Case("calls-sys-exit", _with_line("import sys\nsys.exit('bye')"), "apply", "SystemExit"),
    Case("raises-keyboard-interrupt", _with_line("raise KeyboardInterrupt"), "interrupt"),
    Case("raises-generator-exit", _with_line("raise GeneratorExit"), "apply", "GeneratorExit"),
    Case(
        "raises-base-exception-subclass",
        _with_line("class Stop(BaseException):\n    pass\nraise Stop()"),
        "apply",
        "Stop",
    ),
    Case(
        "infinite-recursion",
        _with_line("Y = (lambda h: h(h))(lambda h: h(h))"),
        "apply",
        "RecursionError",
    ),
    Case("raises-memory-error", _with_line("raise MemoryError"), "apply", "MemoryError"),
    Case("allocates-too-much", _with_line("Y = bytearray(2**62)"), "apply", "MemoryError"),
    Case(
        "class-body-raises-system-exit",
        NEW.replace("class C:\n", "class C:\n    raise SystemExit(4)\n").encode(),
        "apply",
        "SystemExit",
    ),
    Case(
        "method-default-raises-system-exit",
        NEW.replace("def m(self):", "def m(self, d=exit()):").encode(),
        "apply",
        "SystemExit",
    ),
]

CASES = SYNTAX + ENCODINGS + FILES + RAISING


def _state(live: Live) -> tuple[Any, Any, Any]:
    m, good = live.module("m"), live.module("good")
    return snapshot(m, good), (m.f(), m.C().m(), good.g()), sorted(vars(m))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_file(live: Live, case: Case) -> None:
    if case.id == "permission-denied" and os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading the file")
    m = live.load("m", ORIGINAL)
    good = live.load("good", GOOD)
    f, obj, g = m.f, m.C(), good.g
    path = live.path("m")
    before = _state(live)

    if callable(case.broken):
        case.broken(live, path)
    else:
        path.write_bytes(case.broken)
    live.edit("good", '"old"', '"new"')

    if case.outcome == "works":
        report = live.refresh()
        assert sorted(r.module for r in report.modules) == sorted([m.__name__, good.__name__])
        assert (f(), obj.m(), g()) == ("new", "new", "new")
    elif case.outcome == "skipped":
        report = live.refresh()
        skipped = {r.module: r.skipped_reason for r in report.modules if r.strategy == "skipped"}
        assert list(skipped) == [m.__name__]
        assert case.says in (skipped[m.__name__] or "")
        assert (f(), obj.m(), g()) == ("old", "old", "new")
    else:
        expected = {
            "plan": limeade.PlanError,
            "apply": limeade.ApplyError,
            "interrupt": KeyboardInterrupt,
        }[case.outcome]
        with pytest.raises(expected) as info:
            live.refresh()
        error = info.value
        if case.outcome == "plan":
            assert error.path == str(path)
            assert str(path) in str(error)
        elif case.outcome == "apply":
            assert error.module == m.__name__
            assert isinstance(error.__cause__, BaseException)
        assert case.says in str(error)
        assert _state(live) == before, "a failed refresh changed live objects"
        # The other module refreshes on its own.
        live.refresh(modules=[good])
        assert (f(), obj.m(), g()) == ("old", "old", "new")

    # The fix applies at the next refresh, to the objects made before.
    if path.is_symlink() or path.is_dir():
        os.unlink(path) if path.is_symlink() else path.rmdir()
    if path.exists():
        path.chmod(0o644)
    path.write_text(FIXED, encoding="utf-8")
    live.refresh()
    assert (f(), obj.m(), m.ADDED, g()) == ("fixed", "fixed", 2, "new")
    assert m.f is f


def test_half_written_file_then_complete_file(live: Live) -> None:
    """An editor that writes in pieces, refreshed after every piece: each refresh fails with
    nothing changed or applies a prefix that happens to be valid Python; the complete file
    applies, to the function made before."""
    m = live.load("m", ORIGINAL)
    f, obj = m.f, m.C()
    path = live.path("m")
    data = _new()
    failures = 0
    # Cuts from inside ``class C`` on (a cut before it is a valid file without ``C``).
    with open(path, "wb") as out:
        for end in range(data.index(b"class C") + 1, len(data)):
            out.seek(0)
            out.write(data[:end])
            out.truncate()
            out.flush()
            before = snapshot(m)
            try:
                live.refresh()
            except limeade.PlanError as e:
                failures += 1
                assert e.path == str(path)
                assert snapshot(m) == before
            except limeade.ApplyError as e:
                # A valid prefix whose last statement cannot run yet (a half-written name).
                failures += 1
                assert e.module == m.__name__
                assert snapshot(m) == before
        out.seek(0)
        out.write(data)
        out.truncate()
    live.refresh()
    assert (f(), obj.m()) == ("new", "new")
    assert m.f is f
    assert failures > 10


# --------------------------------------------------------------------------- deep nesting

DEPTH = 10_000
#: Blocks nested 10,000 deep need 50 MB of indentation: the default suite nests them 1,000 deep
#: (ten times CPython's limit), the long suite 10,000.
BLOCK_DEPTH = DEPTH if long_run() else 1_000

#: Deeply nested sources, made when a test asks (some are tens of megabytes).
DEEP: list[tuple[str, Callable[[], str]]] = [
    ("parentheses", lambda: "Y = " + "(" * DEPTH + "1" + ")" * DEPTH),
    ("lists", lambda: "Y = " + "[" * DEPTH + "]" * DEPTH),
    ("unary-minus", lambda: "Y = " + "-" * DEPTH + "1"),
    ("not", lambda: "Y = " + "not " * DEPTH + "1"),
    ("calls", lambda: "Y = " + "int(" * DEPTH + "1" + ")" * DEPTH),
    ("attributes", lambda: "Y = X" + ".real" * DEPTH),
    ("subscripts", lambda: "L = []\nL.append(L)\nY = L" + "[0]" * DEPTH),
    ("call-chain", lambda: "Y = f" + "()" * DEPTH),
    ("subscripts-3000", lambda: "L = []\nL.append(L)\nY = L" + "[0]" * 3000),
    # Valid code that CPython's own compiler cannot compile on a 256 KiB stack (it crashes):
    # limeade compiles on its own large-stack thread.
    ("parentheses-190", lambda: "Y = " + "(" * 190 + "1" + ")" * 190),
    ("unary-minus-1900", lambda: "Y = " + "-" * 1900 + "1"),
    ("power", lambda: "Y = " + "1 ** " * DEPTH + "1"),
    ("conditional", lambda: "Y = " + "1 if X else " * DEPTH + "1"),
    ("lambdas", lambda: "Y = " + "lambda: " * DEPTH + "1"),
    ("strings", lambda: "Y = " + " + ".join(["'a'"] * DEPTH)),
    (
        "blocks",
        lambda: (
            "".join(" " * i + "if X:\n" for i in range(BLOCK_DEPTH)) + " " * BLOCK_DEPTH + "Y = 1"
        ),
    ),
    (
        "defs",
        lambda: (
            "".join(" " * i + f"def h{i}():\n" for i in range(BLOCK_DEPTH))
            + " " * BLOCK_DEPTH
            + "pass"
        ),
    ),
]


def _compiles(text: str) -> bool:
    """Whether CPython compiles ``text`` (on the main thread: CPython's own parser can overflow
    a 256 KiB thread stack on these)."""
    try:
        compile(NEW + text + "\n", "deep", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return True


def _deep_case(live: Live, text: str, valid: bool) -> None:
    """Code CPython refuses is refused with a limeade error; code it compiles is applied, or
    refused past limeade's nesting limit (2,000 levels; CPython's own limits are lower for most
    constructs, and some versions compile deeper chains than others)."""
    m = live.load("m", ORIGINAL)
    good = live.load("good", GOOD)
    f, g = m.f, good.g
    before = _state(live)
    live.write("m", NEW + text + "\n")
    live.edit("good", '"old"', '"new"')
    try:
        live.refresh()
    except (limeade.PlanError, limeade.ApplyError) as e:
        assert not valid or "nests too deeply" in str(e), e
        assert str(live.path("m")) in str(e) or live.name("m") in str(e)
        assert _state(live) == before
        live.refresh(modules=[good])
        assert (f(), g()) == ("old", "new")
    else:
        assert valid, "limeade applied code CPython refuses"
        assert (f(), g()) == ("new", "new")
    live.write("m", FIXED)
    live.refresh()
    assert (f(), m.ADDED) == ("fixed", 2)


@pytest.mark.parametrize("make", [t for _, t in DEEP], ids=[n for n, _ in DEEP])
def test_nested_ten_thousand_deep(live: Live, make: Callable[[], str]) -> None:
    text = make()
    _deep_case(live, text, _compiles(text))


def test_nested_ten_thousand_deep_on_a_small_stack(live: Live) -> None:
    """Refreshes run on whatever thread asks, some with small stacks."""
    failures: list[BaseException] = []
    texts = {name: make() for name, make in DEEP}
    valid = {name: _compiles(text) for name, text in texts.items()}

    def run() -> None:
        try:
            for name, text in texts.items():
                helper = Live(live.root.parent / f"small-stack-{name}")
                try:
                    _deep_case(helper, text, valid[name])
                finally:
                    helper.close()
        except BaseException as e:  # reported by the test
            failures.append(e)

    old = threading.stack_size(256 * 1024)
    try:
        thread = threading.Thread(target=run)
        thread.start()
    finally:
        threading.stack_size(old)
    thread.join()
    assert not failures, failures[0]


# --------------------------------------------------------------------------- big files


@pytest.mark.long
def test_fifty_megabyte_source_file(live: Live) -> None:
    """A generated 50 MB module (comments, a 25 MB string constant, functions) is planned and
    applied, and a one-line edit inside it applies to the function made before."""
    m = live.load("m", ORIGINAL)
    f = m.f
    functions = "".join(f"def filler_{i}(a, b=1):\n    return a + b + {i}\n\n" for i in range(200))
    comment = "# " + "padding " * 9 + "\n"
    comments = comment * (25 * 2**20 // len(comment))
    blob = 'BLOB = """\n' + ("x" * 79 + "\n") * (25 * 2**20 // 80) + '"""\n'
    path = live.path("m")
    path.write_text(NEW + functions + comments + blob, encoding="utf-8")
    assert path.stat().st_size >= 50 * 2**20
    live.refresh()
    assert f() == "new"
    filler = m.filler_7
    assert (filler(1), len(m.BLOB)) == (9, 25 * 2**20 // 80 * 80 + 1)
    live.edit("m", "return a + b + 7\n", "return a + b + 7000\n")
    report = live.refresh()
    assert [c.qualname for c in report.changes] == ["filler_7"]
    assert filler(1) == 7002
    path.write_text(FIXED, encoding="utf-8")
    live.refresh()
    assert (f(), m.ADDED) == ("fixed", 2)
    assert not hasattr(m, "filler_0") and not hasattr(m, "BLOB")
