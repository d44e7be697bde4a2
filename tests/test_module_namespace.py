"""Module globals: what is added, removed, kept, and what must not run again."""

from __future__ import annotations

import limeade
import pytest


def test_added_names_appear(live):
    m = live.load(
        "m",
        """
        A = 1
        """,
    )
    live.write(
        "m",
        """
        A = 1
        B = 2

        def g():
            return A + B

        class K:
            pass
        """,
    )
    live.refresh()
    assert (m.A, m.B) == (1, 2)
    assert m.g() == 3
    assert isinstance(m.K(), m.K)


def test_removed_function_and_constant_disappear(live):
    m = live.load(
        "m",
        """
        CONST = 1
        KEEP = 2

        def gone():
            return 1

        def kept():
            return KEEP
        """,
    )
    kept = m.kept
    live.write(
        "m",
        """
        KEEP = 2

        def kept():
            return KEEP
        """,
    )
    report = live.refresh()
    assert not hasattr(m, "CONST")
    assert not hasattr(m, "gone")
    assert m.kept is kept
    assert kept() == 2
    assert limeade.Change(live.name("m"), "gone", "removed", "removed") in report.changes


def test_module_state_survives_function_edit(live):
    m = live.load(
        "m",
        """
        CACHE = {}
        COUNTER = [0]

        def lookup(k):
            COUNTER[0] += 1
            if k not in CACHE:
                CACHE[k] = k * 2
            return CACHE[k]
        """,
    )
    cache = m.CACHE
    m.lookup(1)
    m.lookup(2)
    live.edit("m", "CACHE[k] = k * 2", "CACHE[k] = k * 3")
    live.refresh()
    assert m.CACHE is cache
    assert m.lookup(1) == 2  # cached by the old code
    assert m.lookup(5) == 15
    assert m.COUNTER == [4]


def test_plain_counter_rebound_at_runtime_survives(live):
    m = live.load(
        "m",
        """
        count = 0

        def inc():
            global count
            count += 1
        """,
    )
    m.inc()
    m.inc()
    live.edit("m", "count += 1", "count += 5")
    live.refresh()
    assert m.count == 2
    m.inc()
    assert m.count == 7


def test_import_time_side_effects_do_not_run_again(live, capsys):
    m = live.load(
        "m",
        """
        REGISTRY = []
        REGISTRY.append("loaded")
        print("import side effect")

        def f():
            return 1
        """,
    )
    assert capsys.readouterr().out == "import side effect\n"
    registry = m.REGISTRY
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert m.f() == 2
    assert capsys.readouterr().out == ""
    assert m.REGISTRY is registry
    assert registry == ["loaded"]


def test_registering_decorator_not_reapplied_on_body_change(live):
    m = live.load(
        "m",
        """
        HANDLERS = []

        def register(fn):
            HANDLERS.append(fn)
            return fn

        @register
        def handle(x):
            return ("old", x)

        @register
        def other(x):
            return x
        """,
    )
    assert len(m.HANDLERS) == 2
    live.edit("m", '("old", x)', '("new", x)')
    live.refresh()
    assert len(m.HANDLERS) == 2
    assert m.HANDLERS[0](1) == ("new", 1)
    assert m.HANDLERS[0] is m.handle


def test_changed_module_level_assignment(live):
    m = live.load(
        "m",
        """
        TIMEOUT = 5

        def timeout():
            return TIMEOUT
        """,
    )
    old_timeout = m.timeout
    live.edit("m", "TIMEOUT = 5", "TIMEOUT = 10")
    report = live.refresh()
    assert m.TIMEOUT == 10
    assert old_timeout() == 10
    assert report.module(live.name("m")).strategy == "run changed statements"


def test_changed_if_block_at_module_level(live):
    m = live.load(
        "m",
        """
        import sys

        if sys.maxsize > 0:
            MODE = "a"
        else:
            MODE = "z"

        def mode():
            return MODE
        """,
    )
    live.edit("m", 'MODE = "a"', 'MODE = "b"\n    EXTRA = 1')
    live.refresh()
    assert m.mode() == "b"
    assert m.EXTRA == 1


def test_unchanged_statements_are_not_rerun(live):
    m = live.load(
        "m",
        """
        RUNS = []
        RUNS.append("first")
        LIMIT = 1
        """,
    )
    live.edit("m", "LIMIT = 1", "LIMIT = 2")
    live.refresh()
    assert m.LIMIT == 2
    assert m.RUNS == ["first"]


def test_added_module_statement_runs_once(live):
    m = live.load(
        "m",
        """
        LOG = []
        """,
    )
    live.write(
        "m",
        """
        LOG = []
        LOG.append("added")
        """,
    )
    live.refresh()
    assert m.LOG == ["added"]
    # An unrelated later edit must not run it again.
    live.edit("m", 'LOG.append("added")', 'LOG.append("added")\nX = 1')
    live.refresh()
    assert m.LOG == ["added"]
    assert m.X == 1


def test_changed_import_statement(live):
    m = live.load(
        "m",
        """
        from math import floor as op

        def apply(x):
            return op(x)
        """,
    )
    live.edit("m", "from math import floor as op", "from math import ceil as op")
    live.refresh()
    assert m.apply(1.5) == 2


def test_comment_and_whitespace_edit_changes_nothing(live):
    m = live.load(
        "m",
        """
        def f(a, b):
            return a + b
        """,
    )
    code = m.f.__code__
    live.edit("m", "return a + b", "return a+b  # same")
    report = live.refresh()
    assert not report
    assert report.changes == []
    assert m.f(1, 2) == 3
    assert m.f.__code__ is code


def test_module_attribute_set_at_runtime_is_kept(live):
    m = live.load("m", "def f():\n    return 1\n")
    m.injected = "by the program"
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert m.injected == "by the program"
    assert m.f() == 2


def test_untracked_module_is_not_refreshed(live):
    m = live.load("m", "def f():\n    return 1\n")
    assert m.__name__ in limeade.tracked()
    limeade.untrack(m)
    assert m.__name__ not in limeade.tracked()
    live.edit("m", "return 1", "return 2")
    report = live.refresh()
    assert m.f() == 1
    assert all(r.module != m.__name__ for r in report.modules)
    limeade.track(m)
    assert m.__name__ in limeade.tracked()
    live.edit("m", "return 2", "return 3")
    live.refresh()
    assert m.f() == 3


def test_builtin_module_has_no_source_and_is_not_tracked():
    import itertools
    import sys

    assert "sys" not in limeade.tracked()
    assert "itertools" not in limeade.tracked()
    for module in (sys, itertools):
        with pytest.raises(ValueError, match="no Python source"):
            limeade.track(module)
        assert module.__name__ not in limeade.tracked()


def test_stdlib_module_not_tracked_by_default():
    import json

    assert json.__name__ not in limeade.tracked()


def test_module_imported_after_limeade_is_tracked(live):
    # The conftest imported limeade long before this module exists; the import hook tracks it.
    m = live.load("m", "X = 1\n")
    assert m.__name__ in limeade.tracked()


def test_module_annotation_added(live):
    m = live.load(
        "m",
        """
        X: int = 1
        """,
    )
    live.edit("m", "X: int = 1", "X: int = 2\nY: str = 'y'")
    live.refresh()
    assert (m.X, m.Y) == (2, "y")
    assert m.__annotations__ == {"X": int, "Y": str}


def test_changed_module_imports_new_module_of_package(live):
    live.write("pkg", "", package=True)
    live.write("pkg.a", "def f():\n    return 'a'\n")
    a = live.load("pkg.a")
    f = a.f
    live.write("pkg.c", "def z():\n    return 'z'\n")
    live.write("pkg.a", "from .c import z\n\ndef f():\n    return 'a' + z()\n")
    live.refresh()
    assert f() == "az"
    assert live.name("pkg.c") in limeade.tracked()
    live.edit("pkg.c", "'z'", "'Z'")
    live.refresh()
    assert f() == "aZ"


def test_dunder_all_changed(live):
    m = live.load(
        "m",
        """
        __all__ = ["a"]

        def a():
            pass

        def b():
            pass
        """,
    )
    live.edit("m", '__all__ = ["a"]', '__all__ = ["a", "b"]')
    live.refresh()
    assert m.__all__ == ["a", "b"]
    namespace = {}
    exec(f"from {m.__name__} import *", namespace)
    assert "b" in namespace
