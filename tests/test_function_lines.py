"""After an edit, tracebacks, ``inspect.getsource`` and ``linecache`` point at the new lines of
the file, also for definitions that only moved."""

from __future__ import annotations

import inspect
import linecache
import traceback

import pytest


def test_traceback_points_at_new_lines_after_move_only_edit(live):
    m = live.load(
        "m",
        """
        def f(x):
            if x:
                raise ValueError(x)
            return 0
        """,
    )
    old_f = m.f
    live.prepend("m", 7)
    report = live.refresh()
    assert old_f(0) == 0
    with pytest.raises(ValueError) as info:
        old_f(1)
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    assert frame.lineno == 3 + 7
    assert frame.line == "raise ValueError(x)"
    assert frame.filename == str(live.path("m"))
    assert old_f.__code__.co_firstlineno == 1 + 7
    # A pure move changes no behaviour.
    assert report.module(live.name("m")).strategy in ("update definitions only", "nothing changed")


def test_traceback_points_at_new_lines_after_move_and_raise_edit(live):
    m = live.load(
        "m",
        """
        def helper():
            return 1

        def f():
            return helper()
        """,
    )
    old_f = m.f
    live.write(
        "m",
        """
        # a comment
        # another one

        def helper():
            return 1

        def f():
            x = helper()
            raise RuntimeError("boom")
        """,
    )
    live.refresh()
    with pytest.raises(RuntimeError, match="boom") as info:
        old_f()
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    assert frame.lineno == 9
    assert frame.line == 'raise RuntimeError("boom")'
    assert frame.name == "f"


def test_getsource_returns_new_text(live):
    m = live.load(
        "m",
        """
        def f():
            return 1
        """,
    )
    old_f = m.f
    assert inspect.getsource(old_f) == "def f():\n    return 1\n"
    live.write(
        "m",
        """
        import os

        def f():
            return 2  # changed
        """,
    )
    live.refresh()
    assert inspect.getsource(old_f) == "def f():\n    return 2  # changed\n"


def test_linecache_agrees_with_new_file(live):
    m = live.load(
        "m",
        """
        def f():
            return 1
        """,
    )
    old_f = m.f
    path = str(live.path("m"))
    assert linecache.getline(path, 2).strip() == "return 1"
    live.prepend("m", 3)
    live.edit("m", "return 1", "return 11")
    live.refresh()
    lines = live.read("m").splitlines()
    for n, text in enumerate(lines, start=1):
        assert linecache.getline(path, n) == text + "\n"
    assert linecache.getline(path, old_f.__code__.co_firstlineno + 1).strip() == "return 11"
    assert old_f() == 11


def test_traceback_after_lines_added_inside_function(live):
    m = live.load(
        "m",
        """
        def f():
            x = 1
            raise ValueError(x)
        """,
    )
    f = m.f
    live.edit("m", "    x = 1\n", "    x = 1\n    # why x is 1\n    # and more\n")
    live.refresh()
    with pytest.raises(ValueError) as info:
        f()
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    assert (frame.lineno, frame.line) == (5, "raise ValueError(x)")


def test_traceback_after_module_statement_grew(live):
    m = live.load(
        "m",
        """
        X = 1

        def f():
            raise ValueError(X)
        """,
    )
    f = m.f
    live.edit("m", "X = 1", "X = (\n    1 +\n    1\n)")
    live.refresh()
    with pytest.raises(ValueError) as info:
        f()
    assert info.value.args == (2,)
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    assert (frame.lineno, frame.line) == (7, "raise ValueError(X)")
