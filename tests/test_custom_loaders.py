"""Modules imported through custom finders and loaders are tracked and refreshed in place: the
source they run and their current source are read through the loader (``SourceLoader``'s
``get_data`` + ``get_filename``, or ``InspectLoader.get_source``), never by assuming a ``.py``
file. Modules whose loader gives no source are refused with the reason."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import inspect
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Any, Optional

import limeade
import pytest
from conftest import Live, dedent

LIME_HEADER = b"%lime 1\n"


class LimeLoader(importlib.abc.SourceLoader):
    """``.lime`` files: a header line, then Python. ``get_data`` drops the header, so the file
    itself is not Python: only reading through the loader gives the right source."""

    reads = 0

    def __init__(self, path: str) -> None:
        self.path = path

    def get_filename(self, fullname: str) -> str:
        return self.path

    def get_data(self, path: str) -> bytes:
        LimeLoader.reads += 1
        with open(path, "rb") as f:
            data = f.read()
        if not data.startswith(LIME_HEADER):
            raise ImportError(f"{path} is not a lime file")
        return data[len(LIME_HEADER) :]


class LimeFinder(importlib.abc.MetaPathFinder):
    def __init__(self, root: Path) -> None:
        self.root = root

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        file = self.root / f"{fullname}.lime"
        if not file.exists():
            return None
        return importlib.util.spec_from_file_location(
            fullname, str(file), loader=LimeLoader(str(file))
        )


class MemoryLoader(importlib.abc.InspectLoader):
    """Source kept in a dict; compiled under a ``memory://`` name (not a file)."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.sources = sources

    def get_source(self, fullname: str) -> Optional[str]:
        return self.sources.get(fullname)

    def is_package(self, fullname: str) -> bool:
        return False

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__name__
        code = compile(self.sources[name], f"memory://{name}", "exec", dont_inherit=True)
        exec(code, module.__dict__)


class BareLoader(importlib.abc.InspectLoader):
    """``get_source`` only: the ABC's ``get_code`` compiles it as ``<string>``."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.sources = sources

    def get_source(self, fullname: str) -> Optional[str]:
        return self.sources.get(fullname)

    def is_package(self, fullname: str) -> bool:
        return False


class NoSourceLoader(importlib.abc.Loader):
    """Executes code it never shows."""

    def exec_module(self, module: types.ModuleType) -> None:
        exec("X = 1\n", module.__dict__)


class DictFinder(importlib.abc.MetaPathFinder):
    def __init__(self, sources: dict[str, str], loader: Any) -> None:
        self.sources = sources
        self.loader = loader

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.sources:
            return None
        return importlib.util.spec_from_loader(fullname, self.loader, origin=f"memory://{fullname}")


@pytest.fixture
def finders() -> Any:
    """Finders appended to ``sys.meta_path`` (or inserted first) for one test."""
    added: list[Any] = []

    def add(finder: Any, *, first: bool = False) -> Any:
        if first:
            sys.meta_path.insert(0, finder)
        else:
            sys.meta_path.append(finder)
        added.append(finder)
        return finder

    yield add
    for finder in added:
        sys.meta_path.remove(finder)


def write_lime(live: Live, short: str, text: str) -> Path:
    path = live.root / f"{live.name(short)}.lime"
    path.write_bytes(LIME_HEADER + dedent(text).encode())
    return path


def edit_lime(path: Path, old: str, new: str) -> None:
    data = path.read_bytes()
    assert old.encode() in data
    path.write_bytes(data.replace(old.encode(), new.encode(), 1))


LIME_MODULE = """
class Greeter:
    def __init__(self, who):
        self.who = who

    def greet(self):
        return "hello " + self.who

def shout(text):
    return text.upper()
"""


def test_lime_file_module_is_tracked_and_refreshed_in_place(live: Live, finders: Any) -> None:
    finders(LimeFinder(live.root))
    path = write_lime(live, "lime", LIME_MODULE)
    m = importlib.import_module(live.name("lime"))
    assert m.__name__ in limeade.tracked()
    g = m.Greeter("bob")
    greet, shout, cls = g.greet, m.shout, m.Greeter

    edit_lime(path, '"hello "', '"hi "')
    edit_lime(path, "text.upper()", "text.upper() + '!'")
    plan = limeade.plan()
    assert [mp["module"] for mp in plan._data["modules"]] == [m.__name__]
    assert "Greeter.greet" in str(plan) and "shout" in str(plan)

    report = live.refresh()
    assert [(r.module, r.path) for r in report.modules] == [(m.__name__, str(path))]
    assert g.greet() == "hi bob" and greet() == "hi bob"
    assert shout("a") == "A!"
    assert m.Greeter is cls and m.shout is shout
    assert '"hi "' in inspect.getsource(cls.greet)
    assert limeade.plan().modules == []


def test_lime_module_is_not_read_again_while_its_file_is_unchanged(
    live: Live, finders: Any
) -> None:
    finders(LimeFinder(live.root))
    path = write_lime(live, "lime", "def f():\n    return 1\n")
    past = os.stat(path).st_mtime_ns - 10**10
    os.utime(path, ns=(past, past))
    m = importlib.import_module(live.name("lime"))
    live.refresh()
    reads = LimeLoader.reads
    for _ in range(3):
        # Not live.refresh(): it counts the loader's reads, and a plan first would read too.
        assert limeade.refresh().modules == []
    assert LimeLoader.reads == reads, "an old, unchanged file's stamp is enough"

    edit_lime(path, "return 1", "return 2")
    live.refresh()
    assert m.f() == 2


def test_lime_file_deleted_is_skipped_and_others_refresh(live: Live, finders: Any) -> None:
    finders(LimeFinder(live.root))
    path = write_lime(live, "lime", "def f():\n    return 1\n")
    m = importlib.import_module(live.name("lime"))
    other = live.load("other", "def g():\n    return 1\n")
    path.unlink()
    live.edit("other", "return 1", "return 2")
    report = live.refresh()
    assert other.g() == 2 and m.f() == 1
    assert [(r.module, r.skipped_reason) for r in report.modules if r.strategy == "skipped"] == [
        (m.__name__, "file deleted")
    ]


def test_memory_module_refreshes_in_place_and_shows_its_lines(live: Live, finders: Any) -> None:
    name = live.name("mem")
    sources = {
        name: dedent(
            """
            class Counter:
                def __init__(self):
                    self.n = 0

                def bump(self):
                    self.n += 1
                    return self.n

            def fail():
                raise ValueError("old failure")
            """
        )
    }
    finders(DictFinder(sources, MemoryLoader(sources)))
    m = importlib.import_module(name)
    assert name in limeade.tracked()
    c = m.Counter()
    bump = c.bump
    assert "self.n += 1" in inspect.getsource(m.Counter.bump), "linecache asks the loader"

    sources[name] = (
        sources[name]
        .replace("self.n += 1", "self.n += 10")
        .replace('"old failure"', '"new failure"')
    )
    assert "Counter.bump" in str(limeade.plan())
    assert bump() == 1, "planning changes nothing"
    report = live.refresh()
    assert [(r.module, r.path) for r in report.modules] == [(name, f"memory://{name}")]
    assert bump() == 11 and c.bump() == 21
    assert "self.n += 10" in inspect.getsource(m.Counter.bump)

    with pytest.raises(ValueError) as info:
        m.fail()
    error = info.value
    lines = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert f'File "memory://{name}"' in lines and 'raise ValueError("new failure")' in lines


def test_memory_module_syntax_error_is_located_and_the_fix_applies(
    live: Live, finders: Any
) -> None:
    name = live.name("mem")
    sources = {name: "def f():\n    return 1\n"}
    finders(DictFinder(sources, MemoryLoader(sources)))
    m = importlib.import_module(name)
    f = m.f
    sources[name] = "def f():\n    return (1\n"
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    assert info.value.path == f"memory://{name}" and info.value.line is not None
    assert f() == 1
    sources[name] = "def f():\n    return 2\n"
    live.refresh()
    assert f() == 2 and m.f is f


def test_loader_that_fails_to_give_source_is_skipped_with_why(live: Live, finders: Any) -> None:
    name = live.name("mem")
    sources = {name: "def f():\n    return 1\n"}
    finders(DictFinder(sources, MemoryLoader(sources)))
    m = importlib.import_module(name)
    del sources[name]
    report = live.refresh()
    assert [(r.module, r.strategy) for r in report.modules] == [(name, "skipped")]
    assert "gives no source" in report.modules[0].skipped_reason
    sources[name] = "def f():\n    return 3\n"
    live.refresh()
    assert m.f() == 3


def test_get_source_only_loader_compiled_as_string(live: Live, finders: Any) -> None:
    name = live.name("bare")
    sources = {name: "class A:\n    def v(self):\n        return 1\n"}
    finders(DictFinder(sources, BareLoader(sources)))
    m = importlib.import_module(name)
    a = m.A()
    sources[name] = sources[name].replace("return 1", "return 2")
    live.refresh()
    assert a.v() == 2 and m.A is type(a)


def test_finder_inserted_first_after_import_limeade(live: Live, finders: Any) -> None:
    name = live.name("first")
    sources = {name: "def f():\n    return 1\n"}
    finders(DictFinder(sources, MemoryLoader(sources)), first=True)
    live.refresh()  # puts limeade's hook back in front of the new finder
    m = importlib.import_module(name)
    f = m.f
    sources[name] = "def f():\n    return 2\n"
    live.refresh()
    assert f() == 2


def test_untracked_loader_module_is_left_alone_until_tracked_again(
    live: Live, finders: Any
) -> None:
    name = live.name("mem")
    sources = {name: "def f():\n    return 1\n"}
    finders(DictFinder(sources, MemoryLoader(sources)))
    m = importlib.import_module(name)
    limeade.untrack(m)
    sources[name] = "def f():\n    return 2\n"
    assert live.refresh().modules == [] and m.f() == 1
    assert limeade.track(m) == [name], "the loader's source now is taken as running"
    sources[name] = "def f():\n    return 3\n"
    live.refresh()
    assert m.f() == 3


def test_importer_copies_of_a_loader_module_are_rebound(live: Live, finders: Any) -> None:
    name = live.name("mem")
    sources = {name: "LIMIT = 1\n"}
    finders(DictFinder(sources, MemoryLoader(sources)))
    importlib.import_module(name)
    user = live.load("user", f"from {name} import LIMIT\n")
    sources[name] = "LIMIT = 2\n"
    live.refresh()
    assert user.LIMIT == 2


@pytest.mark.parametrize(
    ("module_name", "reason"),
    [
        ("sys", "built into the interpreter"),
        ("limeade._native", "extension module"),
    ],
)
def test_modules_without_source_are_refused_with_the_reason(module_name: str, reason: str) -> None:
    module = importlib.import_module(module_name)
    with pytest.raises(limeade.TrackError, match=reason) as info:
        limeade.track(module)
    assert isinstance(info.value, ValueError)
    assert info.value.module == module_name and reason in info.value.reason
    assert module_name not in limeade.tracked()


def test_frozen_module_without_a_source_file_is_refused() -> None:
    # CPython's own frozen modules find their .py files in the standard library; a frozen
    # application's modules have none.
    name = "limeade_test_frozen_app"
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(
        name, importlib.machinery.FrozenImporter, origin="frozen"
    )
    module.__loader__ = importlib.machinery.FrozenImporter
    sys.modules[name] = module
    try:
        with pytest.raises(limeade.TrackError, match="frozen into the interpreter"):
            limeade.track(module)
        assert name not in limeade.tracked()
    finally:
        del sys.modules[name]


def test_extension_module_math_is_refused() -> None:
    import math

    loader = math.__spec__.loader
    reason = (
        "extension module"
        if isinstance(loader, importlib.machinery.ExtensionFileLoader)
        else "built into the interpreter"
    )
    with pytest.raises(limeade.TrackError, match=reason):
        limeade.track(math)


def test_namespace_package_and_sourceless_loader_are_refused(live: Live, finders: Any) -> None:
    (live.root / live.name("ns")).mkdir()
    ns = importlib.import_module(live.name("ns"))
    with pytest.raises(limeade.TrackError, match="namespace package"):
        limeade.track(ns)

    name = live.name("hidden")
    finders(DictFinder({name: ""}, NoSourceLoader()))
    hidden = importlib.import_module(name)
    assert name not in limeade.tracked()
    with pytest.raises(limeade.TrackError, match="gives no source"):
        limeade.track(hidden)


def test_loader_whose_source_is_not_python_is_refused(live: Live, finders: Any) -> None:
    class Translating(MemoryLoader):
        def exec_module(self, module: types.ModuleType) -> None:
            exec(self.sources[module.__name__].replace("let ", ""), module.__dict__)

    name = live.name("lang")
    sources = {name: "let X = 1\n"}
    finders(DictFinder(sources, Translating(sources)))
    m = importlib.import_module(name)
    assert m.X == 1 and name not in limeade.tracked()
    with pytest.raises(limeade.TrackError, match="not Python"):
        limeade.track(m)


def test_reloaded_loader_module_runs_what_was_reloaded(live: Live, finders: Any) -> None:
    name = live.name("mem")
    sources = {name: "def f():\n    return 1\n"}
    finders(DictFinder(sources, MemoryLoader(sources)))
    m = importlib.import_module(name)
    sources[name] = "def f():\n    return 2\n"
    importlib.reload(m)
    assert m.f() == 2
    assert limeade.plan().modules == [], "the reloaded source is what runs"
    f = m.f
    sources[name] = "def f():\n    return 3\n"
    live.refresh()
    assert f() == 3


def test_custom_finder_with_the_standard_file_loader(live: Live, finders: Any) -> None:
    elsewhere = live.root / "elsewhere"
    elsewhere.mkdir()
    name = live.name("far")
    path = elsewhere / "far_module.py"
    path.write_text("def f():\n    return 1\n")

    class FarFinder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname: str, p: Any = None, target: Any = None) -> Any:
            return (
                importlib.util.spec_from_file_location(fullname, path) if fullname == name else None
            )

    finders(FarFinder())
    m = importlib.import_module(name)
    assert name in limeade.tracked()
    f = m.f
    path.write_text("def f():\n    return 2\n")
    live.refresh()
    assert f() == 2
