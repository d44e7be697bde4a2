"""Shared helpers for the limeade test suite.

Every test gets its own package root (a fresh ``tmp_path`` directory put first on ``sys.path``)
and its own module-name prefix, so no two tests ever share a module object or a tracked name.
Modules are written as real files and imported for real, then edited on disk and refreshed.
"""

from __future__ import annotations

import importlib
import itertools
import json
import os
import re
import sys
import textwrap
import threading
import time
import types
from pathlib import Path
from typing import Any, Callable, Optional

import limeade
import pytest
from limeade import _native
from limeade._outcomes import DECIDED_WHEN_RUN, possible_outcomes
from limeade._report import changes_of_module

_PREFIXES = itertools.count()


# --------------------------------------------------------------------- the long suite


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        help="also run the tests marked long (minutes); LIMEADE_LONG=1 does the same",
    )


def pytest_configure(config: Any) -> None:
    # Tests read LIMEADE_LONG to size their default/long variants.
    if config.getoption("--long"):
        os.environ["LIMEADE_LONG"] = "1"


def long_run() -> bool:
    """Whether the long suite runs (``--long`` or ``LIMEADE_LONG=1``)."""
    return os.environ.get("LIMEADE_LONG") == "1"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if long_run():
        return
    skip = pytest.mark.skip(reason="long test: run with --long (cargo xtask test --long)")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def dedent(text: str) -> str:
    """``textwrap.dedent`` without the leading newline of a triple-quoted literal."""
    text = textwrap.dedent(text)
    return text[1:] if text.startswith("\n") else text


def _outcomes_of(changes: list[limeade.Change]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (c.module, c.qualname, c.kind, c.outcome)
        for c in changes
        # Framework routes are re-wired from what the new handlers' signatures turn out to be;
        # registry entries are found stale by what the new code registered when it ran.
        if not c.kind.startswith("route re-wired") and c.kind != "registry entry"
    )


#: The marks of the plan text's change lines (the rest, `^ `, `< `, `# `, are notes).
_CHANGE_MARKS = ("~ ", "= ", "+ ", "- ", "> ", "! ", "* ")
#: Where a change is, after its words in the plan text.
_PLACE = re.compile(r"  \[[^\]]*\]$")


def plan_text_changes(plan: limeade.Plan) -> list[tuple[str, str]]:
    """The change lines of ``str(plan)`` as ``(module, "C.m  body -> updated in place")``: each
    line's words without its mark and place, under the module whose block it is in."""
    out: list[tuple[str, str]] = []
    module: Optional[str] = None
    for line in str(plan).splitlines():
        if line.startswith("module "):
            module = line.split(" ", 2)[1]
        elif module is not None and line.startswith(_CHANGE_MARKS):
            out.append((module, _PLACE.sub("", line[2:])))
    return out


def assert_plan_text_is_its_changes(plan: limeade.Plan) -> None:
    """``str(plan)`` shows each change of ``plan.changes`` once, in the words ``str(report)``
    uses for it (``Change.line_in``), and nothing else as a change."""
    expected = [
        (m, c.line_in(m))
        for m in plan.modules
        for c in changes_of_module(plan.module_plan(m), plan.outcomes.get(m))
        + plan.rebinds.get(m, [])
    ]
    assert plan_text_changes(plan) == expected, f"plan text:\n{plan}\nplan.changes: {expected}"


def assert_actions_are_their_json(plan: limeade.Plan) -> None:
    """The plan's actions handed over as Python objects are exactly what their JSON (the
    boundary the snapshots record) decodes to."""
    native = plan._native
    if native is not None:
        assert native.actions() == json.loads(native.actions_json())


def assert_plan_told_the_truth(predicted: limeade.Plan, report: limeade.RefreshReport) -> None:
    """The plan made just before a refresh lists the changes the refresh reports, with the
    same outcomes, and its text shows those changes in the report's words."""
    assert_actions_are_their_json(predicted)
    assert_plan_text_is_its_changes(predicted)
    told, done = _outcomes_of(predicted.changes), _outcomes_of(report.changes)
    # What only running the new code decides: the refresh did one of the outcomes the
    # prediction names (a copy elsewhere, or a cache, may also be left as it was).
    elsewhere = {(c.module, c.qualname, c.kind) for cs in predicted.rebinds.values() for c in cs}
    for change in [c for c in predicted.changes if c.outcome == DECIDED_WHEN_RUN]:
        key = (change.module, change.qualname, change.kind)
        told.remove((*key, DECIDED_WHEN_RUN))
        did = [c for c in done if c[:3] == key]
        done = [c for c in done if c[:3] != key]
        allowed = possible_outcomes(change.why)
        assert did or key in elsewhere, f"{key}: predicted, not reported\n{report}"
        assert all(c[3] in allowed for c in did), (
            f"{key}: {change.why!r} allows {sorted(allowed)}, the refresh did {did}\n{report}"
        )
    log = os.environ.get("LIMEADE_TEST_DIVERGENCES")
    if log and told != done:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.environ.get('PYTEST_CURRENT_TEST')}\n")
            f.write(f"  plan:   {sorted(set(told) - set(done))}\n")
            f.write(f"  report: {sorted(set(done) - set(told))}\n")
        return
    assert told == done, f"plan said:\n{predicted}\nrefresh did:\n{report}"


def checked_refresh(*args: Any, **kwargs: Any) -> limeade.RefreshReport:
    """:func:`limeade.refresh`, after checking that :func:`limeade.plan` predicts what the
    refresh then reports it did (:func:`assert_plan_told_the_truth`)."""
    modules = args[0] if args else kwargs.get("modules")
    if modules is not None and not isinstance(modules, (str, types.ModuleType)):
        modules = list(modules)  # read twice: by plan() and refresh()
        args, kwargs = (), {**kwargs, "modules": modules}
    try:
        predicted = limeade.plan(modules)
    except limeade.PlanError:
        predicted = None
    report = limeade.refresh(*args, **kwargs)
    if predicted is not None:
        assert_plan_told_the_truth(predicted, report)
    return report


@pytest.fixture
def fast_switching() -> Any:
    """Threads switch every 10 µs for the test, so a torn update would have many chances to
    show."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


#: How long tests wait for a watcher to notice something.
DEADLINE = 10.0


def wait_until(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {deadline} s")
        time.sleep(0.005)


def watcher_threads() -> list[threading.Thread]:
    """limeade's watcher threads alive now."""
    return [t for t in threading.enumerate() if t.name == "limeade-watch"]


class Live:
    """Writes modules under a private package root, imports them, edits them and cleans up.

    Module names given to the helper are short (``"m"``, ``"pkg.a"``); the real names carry a
    per-instance prefix (``live.name("m")`` -> ``"lm7_m"``)."""

    def __init__(self, root: Path) -> None:
        self.prefix = f"lm{next(_PREFIXES)}_"
        self.root = root / self.prefix.rstrip("_")
        self.root.mkdir(parents=True, exist_ok=True)
        self.packages: set[str] = set()
        self.closed = False
        sys.path.insert(0, str(self.root))

    # ----------------------------------------------------------------- names and paths

    def name(self, short: str) -> str:
        return self.prefix + short

    def path(self, short: str) -> Path:
        parts = short.split(".")
        parts[0] = self.prefix + parts[0]
        if short in self.packages:
            return self.root.joinpath(*parts, "__init__.py")
        return self.root.joinpath(*parts[:-1], parts[-1] + ".py")

    # ----------------------------------------------------------------- files

    def write(self, short: str, text: str, *, package: bool = False) -> Path:
        """Write (or overwrite) the source of module ``short``; ``package=True`` makes it a
        package (``short/__init__.py``)."""
        if package:
            self.packages.add(short)
        path = self.path(short)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
        return path

    def write_bytes(self, short: str, data: bytes) -> Path:
        path = self.path(short)
        path.write_bytes(data)
        return path

    def read(self, short: str) -> str:
        return self.path(short).read_text(encoding="utf-8")

    def edit(self, short: str, old: str, new: str, count: int = 1) -> Path:
        """Replace ``old`` by ``new`` in the file of ``short`` (``old`` must be present)."""
        text = self.read(short)
        assert old in text, f"{old!r} not in {short}"
        path = self.path(short)
        path.write_text(text.replace(old, new, count), encoding="utf-8")
        return path

    def prepend(self, short: str, lines: int) -> Path:
        """Insert ``lines`` comment lines at the top of the file: everything moves down."""
        text = self.read(short)
        path = self.path(short)
        path.write_text("# moved\n" * lines + text, encoding="utf-8")
        return path

    def delete(self, short: str) -> None:
        self.path(short).unlink()

    # ----------------------------------------------------------------- imports

    def load(self, short: str, text: Optional[str] = None, *, package: bool = False) -> Any:
        """Write ``text`` (when given) and import module ``short`` for real."""
        if text is not None:
            self.write(short, text, package=package)
        importlib.invalidate_caches()
        return importlib.import_module(self.name(short))

    def module(self, short: str) -> types.ModuleType:
        return sys.modules[self.name(short)]

    def refresh(self, **kwargs: Any) -> limeade.RefreshReport:
        """Refresh, after checking that :func:`limeade.plan` predicts what the refresh then
        reports it did: every change, its kind and its outcome on live objects."""
        return checked_refresh(**kwargs)

    # ----------------------------------------------------------------- teardown

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        names = [n for n in sys.modules if n.startswith(self.prefix)]
        for n in names:
            del sys.modules[n]
        limeade.untrack(*names)
        leftover = [n for n in limeade.tracked() if n.startswith(self.prefix)]
        if leftover:
            limeade.untrack(*leftover)
        try:
            sys.path.remove(str(self.root))
        except ValueError:
            pass
        importlib.invalidate_caches()


@pytest.fixture
def live_factory(tmp_path: Path) -> Any:
    """Make any number of independent :class:`Live` helpers (fresh names and directories)."""
    made: list[Live] = []

    def make() -> Live:
        helper = Live(tmp_path)
        made.append(helper)
        return helper

    yield make
    for helper in made:
        helper.close()


@pytest.fixture
def live(live_factory: Callable[[], Live]) -> Live:
    return live_factory()


@pytest.fixture(autouse=True)
def _no_fault_injection() -> Any:
    """Fault injection is off before and after every test, whatever the test did."""
    _native.set_fail_at(None)
    yield
    _native.set_fail_at(None)


# --------------------------------------------------------------------- snapshots


class Ident:
    """Compares by identity; shows what it holds."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ident) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __repr__(self) -> str:
        text = repr(self.obj)
        if len(text) > 60:
            text = text[:57] + "..."
        return f"<is {text} @{id(self.obj):#x}>"


def _function_state(f: types.FunctionType) -> tuple[Any, ...]:
    return (
        Ident(f.__code__),
        Ident(f.__defaults__),
        Ident(f.__kwdefaults__),
        {k: Ident(v) for k, v in f.__annotations__.items()},
        Ident(f.__doc__),
        {k: Ident(v) for k, v in f.__dict__.items()},
    )


def snapshot(*modules: types.ModuleType) -> dict[str, Any]:
    """The live state of modules, by identity: every module global, every function's code,
    defaults, annotations, docstring and ``__dict__``, and the ``__dict__`` of every class
    defined in the modules (recursively, methods and properties included)."""
    out: dict[str, Any] = {}
    names = {m.__name__ for m in modules}
    seen: set[int] = set()

    def visit(key: str, obj: Any) -> None:
        if id(obj) in seen:
            return
        if isinstance(obj, types.FunctionType):
            seen.add(id(obj))
            out[key] = _function_state(obj)
        elif isinstance(obj, (staticmethod, classmethod)):
            visit(key + ".__func__", obj.__func__)
        elif isinstance(obj, property):
            for part in ("fget", "fset", "fdel"):
                if getattr(obj, part) is not None:
                    visit(f"{key}.{part}", getattr(obj, part))
        elif isinstance(obj, type) and obj.__module__ in names:
            seen.add(id(obj))
            out[key] = (
                Ident(type(obj)),
                tuple(Ident(b) for b in obj.__bases__),
                {k: Ident(v) for k, v in vars(obj).items()},
            )
            for k, v in list(vars(obj).items()):
                visit(f"{key}.{k}", v)

    for m in modules:
        out[m.__name__] = {k: Ident(v) for k, v in vars(m).items() if k != "__builtins__"}
        for k, v in list(vars(m).items()):
            visit(f"{m.__name__}:{k}", v)
    return out


def count_mutations(refresh: Callable[[], Any]) -> int:
    """How many mutations ``refresh()`` makes (injection armed far beyond reach)."""
    _native.set_fail_at(10**9)
    try:
        refresh()
        return _native.mutation_count()
    finally:
        _native.set_fail_at(None)
