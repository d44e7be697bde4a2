"""Scenarios from IPython's deduperreload test suite (the reloader that patches changed
definitions instead of re-running the module), run through limeade.

The suite's AST-diff unit tests become live checks here: what the diff decides (which
definitions change, which statements run) is asserted through the objects it leaves behind.
"""

from __future__ import annotations

import asyncio
import inspect

import limeade
import pytest


def test_function_body_change_keeps_module_state(live):
    m = live.load("m", "x = 9\n\ndef foo(y):\n    return y + 3\n")
    foo = m.foo
    live.edit("m", "y + 3", "y + 5")
    live.refresh()
    assert foo(0) == 5 and m.foo is foo
    assert m.x == 9


def test_function_and_constant_changed_together(live):
    m = live.load("m", "x = 9\n\ndef foo(y):\n    return y + 3\n")
    foo = m.foo
    live.write("m", "x = 200\n\ndef foo(y):\n    return y + 5\n")
    live.refresh()
    assert (foo(0), m.x) == (5, 200)


def test_syntax_error_leaves_function_alone(live):
    m = live.load("m", "x = 9\n\ndef foo(y):\n    return y + 3\n")
    live.write("m", "broken broken broken\n")
    with pytest.raises(limeade.PlanError):
        live.refresh()
    assert m.foo(0) == 3


def test_signature_change_using_name_imported_from_other_module(live):
    m = live.load("m", "from os import environ\n\ndef foo(n):\n    pass\n")
    foo = m.foo
    live.write("m", "from os import environ\n\ndef foo():\n    environ._data\n    return 1\n")
    live.refresh()
    assert foo() == 1


def test_signature_loses_a_parameter(live):
    m = live.load("m", "def foo(n, s):\n    return n + s\n")
    foo = m.foo
    live.write("m", "def foo(n):\n    return n\n")
    live.refresh()
    assert foo(2) == 2
    assert list(inspect.signature(foo).parameters) == ["n"]


def test_function_added_next_to_kept_one(live):
    m = live.load("m", "def foo2(n):\n    return n\n")
    foo2 = m.foo2
    live.write("m", "def foo2(n):\n    return n\n\ndef foo(n):\n    return 55\n")
    live.refresh()
    assert m.foo(2) == 55
    assert m.foo2 is foo2 and foo2(2) == 2


def test_two_refreshes_in_a_row(live):
    m = live.load("m", "def foo(n):\n    return 1\n")
    foo = m.foo
    live.edit("m", "return 1", "return 55")
    live.refresh()
    assert foo(2) == 55
    live.write(
        "m",
        """
        def goo():
            return -1

        def foo(n):
            x = 2
            return x + n

        def bar():
            return 200
        """,
    )
    live.refresh()
    assert foo(2) == 4 and m.foo is foo
    assert (m.goo(), m.bar()) == (-1, 200)


def test_changed_function_reads_unchanged_global(live):
    m = live.load("m", "x = 1\n\ndef foo(n):\n    return 1\n")
    live.edit("m", "return 1", "return 55 + x")
    live.refresh()
    assert m.foo(2) == 56


def test_moved_statement_not_run_again_and_moved_function_keeps_object(live):
    m = live.load("m", "def factorial(n):\n    return 1\n\nx = [1]\n")
    factorial, x = m.factorial, m.x
    live.write("m", "x = [1]\n\ndef factorial(n):\n    return 1\n")
    report = live.refresh()
    assert m.x is x
    assert m.factorial is factorial
    assert factorial.__code__.co_firstlineno == 3
    assert [(c.qualname, c.kind) for c in report.changes] == [("factorial", "moved")]


def test_functions_and_repeated_assignments_reordered(live):
    m = live.load(
        "m",
        "def factorial(n):\n    return 1\n\nx = [1]\n\ndef foo():\n    return 23\n\nx = [2]\n",
    )
    factorial, foo, x = m.factorial, m.foo, m.x
    live.write(
        "m",
        "x = [1]\nx = [2]\n\ndef foo():\n    return 23\n\ndef factorial(n):\n    return 1\n",
    )
    live.refresh()
    # Nothing changed but positions: no statement runs again, the last assignment still wins.
    assert m.x is x and x == [2]
    assert (m.factorial, m.foo) == (factorial, foo)
    assert (factorial.__code__.co_firstlineno, foo.__code__.co_firstlineno) == (7, 4)


def test_changed_side_effect_statement_runs_once_and_function_changes(live):
    m = live.load(
        "m",
        """
        LOG = []

        def factorial(n):
            return n

        LOG.append(1)
        """,
    )
    factorial, log = m.factorial, m.LOG
    live.edit("m", "return n\n", "return n + 1\n")
    live.edit("m", "LOG.append(1)", "LOG.append(2)")
    live.refresh()
    # autoreload would re-run the whole module (a new, empty LOG); limeade runs only the
    # changed statement, against the kept list.
    assert m.LOG is log and log == [1, 2]
    assert factorial(1) == 2


def test_inner_function_returned_before_the_edit_gets_new_code(live):
    m = live.load(
        "m",
        """
        def factorial(n):
            def foo():
                x = 3
                return x
            return foo

        def bar():
            return 1
        """,
    )
    inner = m.factorial(0)
    live.edit("m", "x = 3", "x = 4")
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert inner() == 4
    assert m.bar() == 2


def test_added_import_statement(live):
    m = live.load("m", "def f():\n    return 1\n")
    f = m.f
    live.write("m", "import math\n\ndef f():\n    return math.floor(1.5)\n")
    live.refresh()
    assert f() == 1
    assert m.math.pi > 3


def test_async_function_body_change(live):
    m = live.load("m", "async def fetch():\n    return 1\n")
    fetch = m.fetch
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert asyncio.run(fetch()) == 2


def test_function_added_after_ellipsis_body(live):
    m = live.load("m", "def stub():\n    ...\n")
    live.write("m", "def stub():\n    ...\n\ndef add(a, b):\n    return a + b\n")
    live.refresh()
    assert m.add(2, 3) == 5


def test_super_in_subclass_method_change(live):
    m = live.load(
        "m",
        """
        class Foo:
            def foo(self):
                return 1

        class Bar(Foo):
            def bar(self):
                return super().foo() + 1
        """,
    )
    bar = m.Bar()
    live.edit("m", "super().foo() + 1", "super().foo() + 2")
    live.refresh()
    assert bar.bar() == 3


def test_unchanged_rewrite_changes_nothing(live):
    src = "x = 9\n\nclass C:\n    def foo():\n        return 1\n"
    m = live.load("m", src)
    C = m.C
    live.write("m", src)
    report = live.refresh()
    assert not report
    assert m.C is C and C.foo() == 1


def test_removed_override_falls_back_to_base(live):
    m = live.load(
        "m",
        """
        class A:
            def foo(self):
                return 1

        class B(A):
            def foo(self):
                return 42
        """,
    )
    b = m.B()
    live.write(
        "m",
        """
        class A:
            def foo(self):
                return 1

        class B(A):
            pass
        """,
    )
    live.refresh()
    assert b.foo() == 1
