"""The dry run and the report: what a plan predicts is what a refresh does."""

from __future__ import annotations

import json

import limeade
import pytest
from conftest import assert_plan_told_the_truth


def test_plan_changes_nothing(live):
    m = live.load(
        "m",
        """
        LIMIT = 1

        def f():
            return "old"

        class C:
            def m(self):
                return "old"
        """,
    )
    f, obj = m.f, m.C()
    live.write(
        "m",
        """
        LIMIT = 2

        def f():
            return "new"

        class C:
            def m(self):
                return "new"

        def added():
            pass
        """,
    )
    for _ in range(2):
        plan = limeade.plan()
        assert plan
        assert plan.modules == [m.__name__]
        assert (f(), obj.m(), m.LIMIT) == ("old", "old", 1)
        assert not hasattr(m, "added")
    live.refresh()
    assert (f(), obj.m(), m.LIMIT) == ("new", "new", 2)
    assert callable(m.added)


def test_plan_text_and_json(live):
    m = live.load("m", "def f(x=1):\n    return x\n")
    live.write("m", "def f(x=2):\n    return x + 1\n\ndef g():\n    pass\n")
    plan = limeade.plan()
    text = str(plan)
    assert text.startswith(f"module {m.__name__} ")
    assert "\n~ f  body, defaults -> updated in place\n" in text
    assert "\n+ g  added  [function, line 4]\n" in text
    data = json.loads(plan.to_json())
    assert [mod["module"] for mod in data["modules"]] == [m.__name__]
    assert plan.module_plan(m.__name__)["module"] == m.__name__
    assert set(plan.changes) == {
        limeade.Change(m.__name__, "f", "body, defaults", "updated in place"),
        limeade.Change(m.__name__, "g", "added", "added"),
    }
    assert plan.skipped == []


def test_plan_when_nothing_changed(live):
    live.load("m", "X = 1\n")
    plan = limeade.plan()
    assert not plan
    assert plan.changes == []
    assert plan.modules == []


def _scenario_function_class_and_statement(live):
    m = live.load(
        "m",
        """
        TIMEOUT = 5

        def f(a=1):
            return a

        class C:
            X = 1

            def m(self):
                return 1

            @property
            def p(self):
                return 1

            @p.setter
            def p(self, v):
                pass

        def removed():
            pass
        """,
    )
    live.write(
        "m",
        """
        TIMEOUT = 10

        def f(a=2):
            return a + 1

        class C:
            X = 2
            Y = 3

            def m(self):
                return 2

            def added(self):
                return 3

            @property
            def p(self):
                return 1

            @p.setter
            def p(self, v):
                self.v = v
        """,
    )
    return m


def _scenario_package_batch(live):
    live.write("pkg", "", package=True)
    live.write("pkg.a", "def f():\n    return 1\n")
    live.write("pkg.b", "from .a import f\n\ndef g():\n    return f()\n")
    live.load("pkg.a")
    live.load("pkg.b")
    live.write("pkg.a", "def f():\n    return 1\n\ndef new_name():\n    return 2\n")
    live.write(
        "pkg.b", "from .a import f\nfrom .a import new_name\n\ndef g():\n    return f() + 1\n"
    )


def _scenario_conflict(live):
    live.load(
        "m",
        """
        class Base:
            pass

        class C:
            def m(self):
                return 1
        """,
    )
    live.edit("m", "class C:", "class C(Base):")
    live.edit("m", "return 1", "return 2")


def _scenario_moved_only(live):
    live.load("m", "def f():\n    return 1\n\ndef g():\n    return 2\n")
    live.prepend("m", 4)


def _scenario_generators_and_async(live):
    live.load(
        "m",
        """
        def gen():
            yield 1

        async def co():
            return 1

        async def agen():
            yield 1
        """,
    )
    live.edit("m", "yield 1", "yield 2", count=2)
    live.edit("m", "return 1", "return 2")


SCENARIOS = [
    _scenario_function_class_and_statement,
    _scenario_package_batch,
    _scenario_conflict,
    _scenario_moved_only,
    _scenario_generators_and_async,
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__.removeprefix("_scenario_"))
def test_report_changes_equal_plan_changes(live, scenario):
    scenario(live)
    plan = limeade.plan()
    report = limeade.refresh()
    assert_plan_told_the_truth(plan, report)
    assert report.changes and all(c.outcome for c in report.changes)
    assert [r.module for r in report.modules] == plan.modules


def test_plan_and_report_agree_on_scenario_details(live):
    m = _scenario_function_class_and_statement(live)
    obj = m.C()
    plan = limeade.plan()
    report = live.refresh()
    name = m.__name__
    assert set(report.changes) >= {
        limeade.Change(name, "f", "body, defaults", "updated in place"),
        limeade.Change(name, "C.m", "body", "updated in place"),
        limeade.Change(name, "C.added", "added", "added"),
        limeade.Change(name, "removed", "removed", "removed"),
    }
    assert_plan_told_the_truth(plan, report)
    assert (m.f(), obj.m(), obj.added(), m.C.X, m.C.Y, m.TIMEOUT) == (3, 2, 3, 2, 3, 10)
    obj.p = 9
    assert obj.v == 9
    assert not hasattr(m, "removed")


def test_bool_report_false_when_nothing_changed(live):
    live.load("m", "def f():\n    return 1\n")
    report = live.refresh()
    assert not report
    assert report.changes == []
    assert str(report) == "limeade: nothing to refresh"


def test_bool_report_true_and_str_mentions_qualname(live):
    m = live.load(
        "m",
        """
        class Widget:
            def render_body(self):
                return 1
        """,
    )
    live.edit("m", "return 1", "return 2")
    report = live.refresh()
    assert report
    text = str(report)
    assert "Widget.render_body" in text
    assert m.__name__ in text
    mod = report.module(m.__name__)
    assert mod.strategy == "update definitions only"
    assert mod.path == str(live.path("m"))
    assert mod.changes == [
        limeade.Change(m.__name__, "Widget.render_body", "body", "updated in place")
    ]
    with pytest.raises(KeyError):
        report.module("no.such.module")


def test_report_strategy_words(live):
    defs = live.load("defs", "def f():\n    return 1\n")
    stmts = live.load("stmts", "X = 1\n")
    live.edit("defs", "return 1", "return 2")
    live.edit("stmts", "X = 1", "X = 2")
    report = live.refresh()
    assert report.module(defs.__name__).strategy == "update definitions only"
    assert report.module(stmts.__name__).strategy == "run changed statements"


def test_future_import_change_runs_full_body(live):
    m = live.load(
        "m",
        """
        def f(x: int) -> int:
            return x + 1
        """,
    )
    f = m.f
    live.write(
        "m",
        """
        from __future__ import annotations

        def f(x: int) -> int:
            return x + 2
        """,
    )
    plan = limeade.plan()
    report = live.refresh()
    assert report.module(m.__name__).strategy == "re-execute module body"
    assert report.changes == plan.changes
    assert f(1) == 3
    assert m.f is f


def test_report_for_moved_only_module_is_not_a_behaviour_change(live):
    m = live.load("m", "def f():\n    return 1\n")
    f = m.f
    live.prepend("m", 2)
    plan = limeade.plan()
    report = live.refresh()
    assert report.changes == plan.changes
    assert f.__code__.co_firstlineno == 3
    assert f() == 1


def test_plan_text_changes_and_report_use_the_same_words(live):
    m = live.load("m", "def f(*, a=1):\n    return a\n\n\nX = 1\n")
    live.edit("m", "a=1", "a=2")
    plan = limeade.plan()
    [change] = plan.changes
    assert change.kind == "kw-only defaults"
    assert f"~ f  {change.kind}" in str(plan)
    report = live.refresh()
    assert [c.kind for c in report.changes] == ["kw-only defaults"]
    assert report.module(m.__name__).strategy in str(plan)
    assert m.f() == 2


def test_plan_text_shows_what_the_refresh_does_elsewhere(live):
    # A registry entry of a removed function and an importer's copy of a replaced one: the
    # printed plan shows both, not only `plan.changes`.
    lib = live.load(
        "lib",
        """
        import functools

        EXPORTERS = {}


        def exporter(fn):
            EXPORTERS[fn.__name__] = fn
            return fn


        @exporter
        def export_csv():
            return "csv"


        def total():
            return 1
        """,
    )
    live.load("app", f"from {live.name('lib')} import total\n")
    live.edit("lib", '@exporter\ndef export_csv():\n    return "csv"\n', "")
    live.edit("lib", "def total():", "@functools.cache\ndef total():")
    plan = limeade.plan()
    text = str(plan).splitlines()
    assert f"* export_csv  removed from {lib.__name__}.EXPORTERS -> removed" in text
    assert any(line.startswith(f"* {live.name('app')}.total  rebound from") for line in text), text
    assert not any(line.startswith("< ") for line in text), "unchanged imports are not listed"
    report = live.refresh()
    assert_plan_told_the_truth(plan, report)
    assert "export_csv" not in lib.EXPORTERS
