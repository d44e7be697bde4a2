"""Several modules in one refresh, packages, and successive edits."""

from __future__ import annotations

import limeade


def test_two_modules_changed_together(live):
    a = live.load("a", "def f():\n    return 'a1'\n")
    b = live.load("b", "def g():\n    return 'b1'\n")
    f, g = a.f, b.g
    live.edit("a", "'a1'", "'a2'")
    live.edit("b", "'b1'", "'b2'")
    plan = limeade.plan()
    assert sorted(plan.modules) == sorted([a.__name__, b.__name__])
    report = live.refresh()
    assert (f(), g()) == ("a2", "b2")
    assert sorted(r.module for r in report.modules) == sorted([a.__name__, b.__name__])
    assert report.changes == plan.changes


def test_package_new_name_and_relative_import_in_one_refresh(live):
    live.write("pkg", "", package=True)
    live.write(
        "pkg.a",
        """
        def old_name():
            return "old"
        """,
    )
    live.write(
        "pkg.b",
        """
        from .a import old_name

        def use():
            return old_name()
        """,
    )
    a = live.load("pkg.a")
    b = live.load("pkg.b")
    use = b.use
    live.write(
        "pkg.a",
        """
        def old_name():
            return "old"

        def new_name():
            return "new"
        """,
    )
    live.write(
        "pkg.b",
        """
        from .a import old_name
        from .a import new_name

        def use():
            return old_name() + "+" + new_name()
        """,
    )
    plan = limeade.plan()
    assert plan.modules == [a.__name__, b.__name__]
    report = live.refresh()
    assert use() == "old+new"
    assert b.new_name is a.new_name
    assert report.changes == plan.changes
    assert [r.module for r in report.modules] == [a.__name__, b.__name__]


def test_package_init_reexport_updated(live):
    live.write(
        "pkg",
        """
        from .core import VALUE

        def get():
            return VALUE
        """,
        package=True,
    )
    live.write("pkg.core", "VALUE = 1\n")
    pkg = live.load("pkg")
    core = live.module("pkg.core")
    get = pkg.get
    live.write("pkg.core", "VALUE = 2\n")
    live.edit(
        "pkg", "from .core import VALUE", "from .core import VALUE\nfrom .core import VALUE as V2"
    )
    plan = limeade.plan()
    assert plan.modules == [core.__name__, pkg.__name__]
    live.refresh()
    assert core.VALUE == 2
    # The added import runs after ``core`` was brought up to date.
    assert pkg.V2 == 2
    assert pkg.get is get


def test_successive_edits(live):
    m = live.load(
        "m",
        """
        def f():
            return 1
        """,
    )
    f = m.f
    live.edit("m", "return 1", "return 22")
    live.refresh()
    assert f() == 22
    live.edit("m", "return 22", "return 333")
    live.refresh()
    assert f() == 333
    live.edit("m", "return 333", "return 1")
    live.refresh()
    assert f() == 1
    assert m.f is f


def test_same_size_edits_one_after_another_are_each_seen(live):
    m = live.load(
        "m",
        """
        X = 1

        def x():
            return X
        """,
    )
    x = m.x
    size = live.path("m").stat().st_size
    live.edit("m", "X = 1", "X = 2")
    assert live.path("m").stat().st_size == size
    live.refresh()
    assert x() == 2
    live.edit("m", "X = 2", "X = 3")
    assert live.path("m").stat().st_size == size
    live.refresh()
    assert x() == 3


def test_same_size_function_edits_one_after_another_are_each_seen(live):
    m = live.load("m", "def f():\n    return 'a'\n")
    f = m.f
    for letter in "bcdef":
        live.write("m", f"def f():\n    return '{letter}'\n")
        live.refresh()
        assert f() == letter


def test_edit_then_revert_before_refresh_changes_nothing(live):
    m = live.load("m", "def f():\n    return 1\n")
    code = m.f.__code__
    live.edit("m", "return 1", "return 2")
    assert limeade.plan().modules == [m.__name__]
    live.edit("m", "return 2", "return 1")
    report = live.refresh()
    assert not report
    assert m.f.__code__ is code


def test_refresh_subset_leaves_other_changed_module_pending(live):
    a = live.load("a", "def f():\n    return 1\n")
    b = live.load("b", "def f():\n    return 1\n")
    live.edit("a", "return 1", "return 2")
    live.edit("b", "return 1", "return 2")
    live.refresh(modules=[a.__name__])
    assert (a.f(), b.f()) == (2, 1)
    assert limeade.plan().modules == [b.__name__]
    live.refresh()
    assert (a.f(), b.f()) == (2, 2)
