"""Definitions that only moved (a comment or import added above them), and the closures their
nested code made: both follow the new line numbers, and the heap is searched for closures only
when something may hold one."""

from __future__ import annotations

import gc
import inspect
import sys
import traceback

import pytest


@pytest.fixture
def heap_searches(monkeypatch):
    """How many times the refresh listed the heap (``gc.get_objects``, called for real)."""
    calls = []
    real = gc.get_objects

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(gc, "get_objects", counting)
    return calls


MODULE = """
def make_adder(n):
    def add(x):
        return x + n
    return add

def total(items):
    return sum([i * 2 for i in items])

def fails():
    return (lambda: 1 / 0)()

class Shape:
    def area(self):
        return [s for s in (1, 2)]

    @property
    def sides(self):
        return 4

    @staticmethod
    def unit():
        return 1

    @sides.setter
    def sides(self, value):
        self.given = value

    @classmethod
    def square(cls):
        return cls()
"""


def test_moved_definitions_get_new_line_numbers_without_a_heap_search(live, heap_searches):
    m = live.load("m", MODULE)
    total, area = m.total, m.Shape.area
    sides, unit = m.Shape.__dict__["sides"].fget, m.Shape.unit
    # Behind a property's setter and a classmethod too (found without the general search).
    setter, square = m.Shape.__dict__["sides"].fset, m.Shape.__dict__["square"].__func__
    first = {f: f.__code__.co_firstlineno for f in (total, area, sides, unit, setter, square)}
    live.edit("m", "def make_adder", "# a comment\n# another\ndef make_adder")
    report = live.refresh()
    for f, line in first.items():
        assert f.__code__.co_firstlineno == line + 2, f.__qualname__
    assert m.total is total and m.Shape.area is area
    assert total([1, 2]) == 6 and area(m.Shape()) == [1, 2] and m.Shape().sides == 4
    assert m.Shape.__dict__["sides"].fset is setter and isinstance(m.Shape.square(), m.Shape)
    # No live function holds the comprehensions' or the inner function's code: nothing to search.
    assert heap_searches == []
    outcomes = {c.qualname: (c.outcome, c.why) for c in report.module(m.__name__).changes}
    assert outcomes.pop("make_adder.<locals>.add") == (
        "closure updated",
        "no live closure yet: new ones run the new code",
    )
    assert set(outcomes.values()) == {("updated in place", "")}, outcomes


def test_a_live_closure_is_found_and_moved_with_its_function(live, heap_searches):
    m = live.load("m", MODULE)
    add2 = m.make_adder(2)
    keep = {"adders": [m.make_adder(5)]}  # held only by a container
    line = add2.__code__.co_firstlineno
    live.edit("m", "def make_adder", "# moved\ndef make_adder")
    report = live.refresh()
    assert heap_searches, "a live closure holds the nested code: the heap is searched"
    assert add2.__code__.co_firstlineno == line + 1
    assert keep["adders"][0].__code__ is add2.__code__
    assert add2(1) == 3
    changes = {c.qualname: c for c in report.module(m.__name__).changes}
    assert changes["make_adder.<locals>.add"].why == "2 live closures"


def test_closure_made_after_an_earlier_refresh_is_updated_by_the_next(live):
    m = live.load("m", MODULE)
    live.edit("m", "return x + n", "return x + n + 100")
    live.refresh()
    add2 = m.make_adder(2)  # made from the code the first refresh compiled
    assert add2(1) == 103
    live.edit("m", "return x + n + 100", "return x + n + 1000")
    live.refresh()
    assert add2(1) == 1003


def test_traceback_through_a_moved_lambda_shows_its_line(live):
    m = live.load("m", MODULE)
    fails = m.fails
    live.edit("m", "def make_adder", "# one\n# two\n# three\ndef make_adder")
    live.refresh()
    with pytest.raises(ZeroDivisionError) as info:
        fails()
    lines = [f.line for f in traceback.extract_tb(info.tb)]
    assert lines[-1] == "return (lambda: 1 / 0)()"
    assert inspect.getsource(fails).startswith("def fails():")


def test_two_levels_of_closures_are_updated(live):
    m = live.load(
        "m",
        """
        def outer(a):
            def middle(b):
                def inner(c):
                    return a + b + c
                return inner
            return middle
        """,
    )
    inner = m.outer(1)(2)
    live.edit("m", "return a + b + c", "return (a + b + c) * 10")
    live.refresh()
    assert inner(3) == 60


@pytest.mark.skipif(sys.version_info < (3, 13), reason="classes have __firstlineno__ from 3.13")
def test_moved_class_first_line_follows_for_getsource(live):
    m = live.load(
        "m",
        """
        import dataclasses

        @dataclasses.dataclass
        class Point:
            x: int = 0

        class Plain:
            def f(self):
                return 1
        """,
    )
    point, plain = m.Point, m.Plain
    live.edit("m", "import dataclasses\n", "import dataclasses\n# a\n# b\n")
    live.refresh()
    assert m.Point is point and m.Plain is plain
    assert inspect.getsource(point).startswith("@dataclasses.dataclass\nclass Point:")
    assert inspect.getsource(plain).startswith("class Plain:")
