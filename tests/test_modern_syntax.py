"""Modules written with Python 3.12+ syntax the parser limeade uses cannot read as it is (PEP 701
f-strings, PEP 696 type parameter defaults): they refresh like any other module, and edits inside
an f-string's replacement field reach the function objects the program already holds."""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 701 f-strings: 3.12+")

REPORT = """\
CONFIG = {"name": "world"}


def describe(row):
    return f"{row["name"]}: {row["score"]}"


def total(rows):
    return f"{sum(r["score"] for r in rows)} in {
        len(rows)  # rows counted
    } rows"


def greet(who=f"{CONFIG["name"]}"):
    return f"hello {who}"
"""


def test_edit_inside_a_replacement_field_reaches_the_old_function(live):
    m = live.load("m", REPORT)
    describe = m.describe
    assert describe({"name": "a", "score": 1}) == "a: 1"
    live.edit("m", 'row["score"]}"', 'row["points"]}"')
    report = live.refresh()
    assert m.describe is describe
    assert describe({"name": "a", "points": 3}) == "a: 3"
    assert [c.qualname for c in report.changes] == ["describe"]


def test_function_body_edit_in_a_module_using_pep_701(live):
    m = live.load("m", REPORT)
    total = m.total
    live.edit("m", 'sum(r["score"] for r in rows)', 'max(r["score"] for r in rows)')
    live.refresh()
    assert total([{"score": 2}, {"score": 5}]) == "5 in 2 rows"


def test_comment_inside_a_multi_line_field_is_not_a_change(live):
    m = live.load("m", REPORT)
    total = m.total
    live.edit("m", "# rows counted", "# how many rows there are")
    report = live.refresh()
    assert list(report.changes) == []
    assert m.total is total


def test_default_reading_a_name_inside_a_field_is_re_evaluated(live):
    m = live.load("m", REPORT)
    greet = m.greet
    assert greet() == "hello world"
    live.edit("m", '"name": "world"', '"name": "everyone"')
    live.refresh()
    assert m.greet is greet
    assert greet() == "hello everyone"


@pytest.mark.skipif(sys.version_info < (3, 13), reason="PEP 696 type parameter defaults: 3.13+")
def test_class_with_a_type_parameter_default_refreshes_in_place(live):
    m = live.load(
        "m",
        "class Box[T = int]:\n    def __init__(self, item: T):\n        self.item = item\n\n"
        '    def show(self):\n        return f"<{self.item}>"\n',
    )
    box = m.Box(3)
    cls = m.Box
    live.edit("m", 'f"<{self.item}>"', 'f"[{self.item!r}]"')
    live.refresh()
    assert m.Box is cls
    assert box.show() == "[3]"
    assert cls.__type_params__[0].__default__ is int
