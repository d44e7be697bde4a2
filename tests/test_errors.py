"""A refresh that fails changes nothing; fixing the file and refreshing again works."""

from __future__ import annotations

import contextlib

import limeade
import pytest


def test_syntax_error_raises_plan_error_and_changes_nothing(live):
    a = live.load("a", "def f():\n    return 'old'\n")
    b = live.load("b", "def g():\n    return 'old'\n")
    f, g = a.f, b.g
    live.edit("a", "'old'", "'new'")
    live.write("b", "def g():\n    return 'new'\n\ndef broken(:\n    pass\n")
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    err = info.value
    assert isinstance(err, limeade.RefreshError)
    assert err.path == str(live.path("b"))
    assert err.line == 4
    assert err.col is None or err.col >= 1
    assert (f(), g()) == ("old", "old")
    assert not hasattr(b, "broken")
    # plan() reports the same error.
    with pytest.raises(limeade.PlanError):
        limeade.plan()
    # Fix the file: both modules are applied.
    live.write("b", "def g():\n    return 'new'\n\ndef fixed():\n    pass\n")
    report = live.refresh()
    assert (f(), g()) == ("new", "new")
    assert callable(b.fixed)
    assert sorted(r.module for r in report.modules) == sorted([a.__name__, b.__name__])


def test_syntax_error_position(live):
    live.load("m", "X = 1\n")
    live.write("m", "X = 1\nY = (1,\nZ = 3 +\n")
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    assert info.value.path == str(live.path("m"))
    assert info.value.line is not None and info.value.line >= 2
    assert str(live.path("m")) in str(info.value) or "m.py" in str(info.value)


def test_raising_module_statement_raises_apply_error_and_changes_nothing(live):
    m = live.load(
        "m",
        """
        TIMEOUT = 5

        def f():
            return "old"
        """,
    )
    f = m.f
    live.write(
        "m",
        """
        TIMEOUT = int("not a number")

        def f():
            return "new"
        """,
    )
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    err = info.value
    assert isinstance(err.__cause__, ValueError)
    assert err.module == m.__name__
    assert isinstance(err.statement, str) and err.statement
    assert f() == "old"
    assert m.TIMEOUT == 5
    live.edit("m", 'int("not a number")', 'int("10")')
    live.refresh()
    assert (f(), m.TIMEOUT) == ("new", 10)


def test_apply_error_rolls_back_earlier_module_in_batch(live):
    a = live.load(
        "a",
        """
        LIMIT = 1

        def f():
            return "old"

        class K:
            def m(self):
                return "old"
        """,
    )
    b = live.load(
        "b",
        f"""
        import {live.name("a")}

        VALUE = 1
        """,
    )
    f, k, a_dict = a.f, a.K(), dict(vars(a))
    live.edit("a", "LIMIT = 1", "LIMIT = 2\nADDED = 3")
    live.edit("a", 'return "old"', 'return "new"', count=2)
    live.edit("b", "VALUE = 1", "VALUE = 1 / 0")
    plan = limeade.plan()
    assert plan.modules == [a.__name__, b.__name__]
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert info.value.module == b.__name__
    assert (f(), k.m(), a.LIMIT, b.VALUE) == ("old", "old", 1, 1)
    assert not hasattr(a, "ADDED")
    assert vars(a).keys() == a_dict.keys()
    assert all(vars(a)[key] is value for key, value in a_dict.items())
    live.edit("b", "VALUE = 1 / 0", "VALUE = 2")
    live.refresh()
    assert (f(), k.m(), a.LIMIT, a.ADDED, b.VALUE) == ("new", "new", 2, 3, 2)


def test_exception_in_changed_class_body_statement(live):
    m = live.load(
        "m",
        """
        class C:
            X = 1

            def m(self):
                return "old"
        """,
    )
    obj = m.C()
    live.edit("m", "X = 1", "X = [][0]")
    live.edit("m", 'return "old"', 'return "new"')
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert isinstance(info.value.__cause__, IndexError)
    assert (obj.m(), m.C.X) == ("old", 1)
    live.edit("m", "X = [][0]", "X = [7][0]")
    live.refresh()
    assert (obj.m(), m.C.X) == ("new", 7)


def test_exception_in_changed_default_expression(live):
    m = live.load(
        "m",
        """
        def f(x=1):
            return ("old", x)
        """,
    )
    f = m.f
    live.write(
        "m",
        """
        def f(x=undefined_name):
            return ("new", x)
        """,
    )
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert isinstance(info.value.__cause__, NameError)
    assert f() == ("old", 1)
    live.edit("m", "x=undefined_name", "x=2")
    live.refresh()
    assert f() == ("new", 2)


def test_deleted_file_is_skipped_without_blocking_other_module(live):
    a = live.load("a", "def f():\n    return 'a-old'\n")
    b = live.load("b", "def g():\n    return 'b-old'\n")
    f, g = a.f, b.g
    live.delete("a")
    live.edit("b", "'b-old'", "'b-new'")
    report = live.refresh()
    assert g() == "b-new"
    assert f() == "a-old"
    skipped = report.module(a.__name__)
    assert skipped.strategy == "skipped"
    assert skipped.skipped_reason
    assert "skipped" in str(report)
    assert report.module(b.__name__).strategy == "update definitions only"
    # The file comes back, edited: it is refreshed again.
    live.write("a", "def f():\n    return 'a-new'\n")
    report = live.refresh()
    assert f() == "a-new"
    assert report.module(a.__name__).strategy == "update definitions only"


def test_undecodable_file_raises_plan_error(live):
    m = live.load("m", "def f():\n    return 'old'\n")
    f = m.f
    live.write_bytes("m", b"def f():\n    return '\xff\xfe old'\n")
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    assert info.value.path == str(live.path("m"))
    assert info.value.line == 2
    assert f() == "old"
    live.write("m", "def f():\n    return 'new'\n")
    live.refresh()
    assert f() == "new"


def test_undecodable_file_never_runs_and_can_be_fixed(live):
    a = live.load("a", "def f():\n    return 'old'\n")
    b = live.load("b", "def g():\n    return 'old'\n")
    f, g = a.f, b.g
    live.edit("a", "'old'", "'new'")
    live.write_bytes("b", b"def g():\n    return '\xff'\n")
    with contextlib.suppress(limeade.PlanError):
        live.refresh()
    assert g() == "old"
    live.write("b", "def g():\n    return 'fixed'\n")
    live.refresh()
    assert (f(), g()) == ("new", "fixed")


def test_plan_before_refresh_does_not_hide_deleted_file(live, caplog):
    a = live.load("a", "def f():\n    return 1\n")
    live.load("b", "def g():\n    return 1\n")
    live.delete("a")
    live.edit("b", "return 1", "return 2")
    with caplog.at_level("WARNING", logger="limeade"):
        plan = limeade.plan()
    assert plan.skipped == [(a.__name__, "file deleted")]
    assert f"? {a.__name__}  skipped: file deleted" in str(plan)
    # A dry run says it in the plan, and logs nothing.
    assert caplog.records == []
    # plan() is a dry run: the refresh right after it reports the same skipped module, and logs
    # it in the same words.
    with caplog.at_level("WARNING", logger="limeade"):
        report = live.refresh()
    assert report.module(a.__name__).strategy == "skipped"
    assert [r.getMessage() for r in caplog.records] == [
        f"limeade: {a.__name__} skipped: file deleted"
    ]
    # Told once: later plans and refreshes do not list it again.
    assert limeade.plan().skipped == []


def _skipped(report):
    return [(m.module, m.skipped_reason) for m in report.modules if m.strategy == "skipped"]


def test_a_deleted_file_is_reported_once_until_it_is_back(live, caplog):
    a = live.load("a", "def f():\n    return 1\n")
    b = live.load("b", "def g():\n    return 1\n")
    live.delete("a")
    assert _skipped(live.refresh()) == [(a.__name__, "file deleted")]
    caplog.clear()
    with caplog.at_level("WARNING", logger="limeade"):
        for n in (2, 3):
            live.edit("b", f"return {n - 1}", f"return {n}")
            report = live.refresh()
            assert _skipped(report) == [] and b.g() == n
            assert "skipped" not in str(report)
    assert caplog.records == []
    # Back, refreshed, deleted again: news again.
    live.write("a", "def f():\n    return 2\n")
    live.refresh()
    assert a.f() == 2
    live.delete("a")
    assert _skipped(live.refresh()) == [(a.__name__, "file deleted")]


def test_module_deleted_then_nothing_else_changed(live):
    m = live.load("m", "def f():\n    return 1\n")
    live.delete("m")
    report = live.refresh()
    assert not report
    assert report.module(m.__name__).strategy == "skipped"
    assert m.f() == 1


def test_apply_error_repeats_until_fixed(live):
    m = live.load("m", "X = 1\n")
    live.write("m", "X = 1 / 0\n")
    for _ in range(2):
        with pytest.raises(limeade.ApplyError):
            live.refresh()
        assert m.X == 1
    live.write("m", "X = 2 / 1\n")
    live.refresh()
    assert m.X == 2


def test_plan_error_repeats_until_fixed(live):
    m = live.load("m", "X = 1\n")
    live.write("m", "X = (\n")
    for _ in range(2):
        with pytest.raises(limeade.PlanError):
            live.refresh()
        with pytest.raises(limeade.PlanError):
            limeade.plan()
    live.write("m", "X = (3)\n")
    live.refresh()
    assert m.X == 3


def test_failed_refresh_leaves_class_annotations_alone(live):
    m = live.load(
        "m",
        """
        class C:
            x: int = 1
        """,
    )
    annotations = dict(m.C.__annotations__)
    live.edit("m", "x: int = 1", "x: int = 1\n    y: str = 'y'\n    z = 1 / 0")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert not hasattr(m.C, "y")
    assert m.C.__annotations__ == annotations


def test_failed_refresh_leaves_module_annotations_alone(live):
    m = live.load(
        "m",
        """
        x: int = 1
        """,
    )
    annotations = dict(m.__annotations__)
    live.edit("m", "x: int = 1", "x: int = 1\ny: str = 'y'\nz = 1 / 0")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert not hasattr(m, "y")
    assert m.__annotations__ == annotations


def test_exception_in_changed_decorator_rolls_back(live):
    m = live.load(
        "m",
        """
        def deco(fn):
            return fn

        @deco
        def f():
            return "old"

        def g():
            return "old"
        """,
    )
    f, g = m.f, m.g
    live.write(
        "m",
        """
        def deco(fn):
            return fn

        @deco(1)
        def f():
            return "new"

        def g():
            return "new"
        """,
    )
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert isinstance(info.value.__cause__, TypeError)
    assert (m.f, f(), g()) == (f, "old", "old")
    live.edit("m", "@deco(1)", "@deco")
    live.refresh()
    assert (m.f(), g()) == ("new", "new")


def test_a_module_turned_into_a_package_is_told_to_need_a_restart(live):
    util = live.load("util", "def fmt(x):\n    return f'util {x}'\n")
    live.delete("util")
    package = live.root / util.__name__
    package.mkdir()
    (package / "__init__.py").write_text("def fmt(x):\n    return f'pkg {x}'\n")
    report = live.refresh()
    (reason,) = [m.skipped_reason for m in report.modules if m.strategy == "skipped"]
    assert (
        reason
        == f"file deleted; {util.__name__} is now {package / '__init__.py'}: restart to import it"
    )
    assert util.fmt(1) == "util 1"
