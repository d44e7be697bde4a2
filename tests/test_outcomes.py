"""Each change's outcome on live objects: what ``limeade.plan()`` predicts before the refresh
(shown in ``str(plan)``) is what the refresh then reports it did, in the same words, for the
cases where reading the plan alone would say something else."""

from __future__ import annotations

import inspect
import sys

import limeade
from conftest import assert_plan_told_the_truth


def _line(text: str, start: str) -> str:
    """The one line of ``text`` that starts with ``start``."""
    [line] = [ln for ln in text.splitlines() if ln.startswith(start)]
    return line


def _outcome(changes: list[limeade.Change], qualname: str) -> tuple[str, str]:
    [(outcome, why)] = [(c.outcome, c.why) for c in changes if c.qualname == qualname]
    return outcome, why


def test_definition_no_live_object_holds_is_not_updated(live):
    m = live.load(
        "m",
        """
        def area(r):
            return 1

        def area(r):
            return 3 * r * r
        """,
    )
    area = m.area
    live.edit("m", "return 1", "return 2")
    plan = limeade.plan()
    assert _line(str(plan), "~ area  body").endswith(
        "-> not updated (no live object holds this definition)"
    )
    report = live.refresh()
    assert _outcome(report.changes, "area") == (
        "not updated",
        "no live object holds this definition",
    )
    assert m.area is area and area(1) == 3


#: A class whose new bases the live class can take (same layout).
COMPATIBLE_BASES = """
    class Base:
        def hello(self):
            return "base"

    class Plain:
        def hello(self):
            return "plain"

    class C(Plain):
        pass
    """


def test_compatible_new_bases_keep_the_class(live):
    m = live.load("m", COMPATIBLE_BASES)
    C, obj = m.C, m.C()
    live.edit("m", "class C(Plain):", "class C(Base):")
    plan = limeade.plan()
    assert _line(str(plan), "! C  conflict: bases changed").endswith(
        "-> kept with new bases  [line 9]"
    )
    report = live.refresh()
    assert [c.outcome for c in report.changes if c.qualname == "C"] == ["kept with new bases"]
    assert report.module(m.__name__).replaced == []
    assert report.module(m.__name__).conflicts == []
    assert m.C is C and obj.hello() == "base"


def test_class_with_new_bases_that_also_moved_is_kept_with_new_bases(live):
    m = live.load("m", COMPATIBLE_BASES)
    C, obj = m.C, m.C()
    live.edit("m", "class C(Plain):", "# moved down\nclass C(Base):")
    plan = limeade.plan()
    assert _outcome(plan.changes, "C") == ("kept with new bases", "")
    report = live.refresh()
    assert _outcome(report.changes, "C") == ("kept with new bases", "")
    assert m.C is C and obj.hello() == "base"
    if sys.version_info >= (3, 13):
        # Its __firstlineno__ followed the statement it now starts on.
        assert inspect.getsource(C).startswith("class C(Base):")


def test_main_guard_is_never_run_again(live):
    m = live.load(
        "m",
        """
        RUNS = []

        def main():
            return 1

        if __name__ == "__main__":
            RUNS.append(main())
        """,
    )
    main = m.main
    live.edit("m", "return 1", "return 2")
    live.edit("m", "RUNS.append(main())", "RUNS.append(main() * 10)")
    plan = limeade.plan()
    assert "-> not updated (never re-run: it would start the program again)" in _line(
        str(plan), "~ <__main__ block>  if changed"
    )
    report = live.refresh()
    assert ("<__main__ block>", "not updated") in [(c.qualname, c.outcome) for c in report.changes]
    assert main() == 2 and m.RUNS == []


def test_function_that_becomes_a_generator_is_predicted_replaced(live):
    m = live.load("m", "def numbers():\n    return [1, 2]\n")
    old = m.numbers
    live.edit("m", "return [1, 2]", "yield 1\n    yield 2")
    plan = limeade.plan()
    assert _outcome(plan.changes, "numbers") == ("replaced", "it became a generator function")
    assert m.numbers is old  # the plan changed nothing
    report = live.refresh()
    assert _outcome(report.changes, "numbers") == ("replaced", "it became a generator function")
    assert old() == [1, 2] and list(m.numbers()) == [1, 2]


def test_closure_whose_free_variables_changed_is_not_updated(live):
    m = live.load(
        "m",
        """
        def make_adder(n):
            def add(x):
                return x + 1
            return add
        """,
    )
    add = m.make_adder(5)
    live.edit("m", "return x + 1", "return x + n")
    plan = limeade.plan()
    assert _outcome(plan.changes, "make_adder.<locals>.add")[0] == "not updated"
    report = live.refresh()
    assert _outcome(report.changes, "make_adder.<locals>.add") == (
        "not updated",
        "closure not updated: free variables changed",
    )
    assert add(1) == 2 and m.make_adder(5)(1) == 6


def test_closure_update_counts_the_live_closures(live):
    m = live.load(
        "m",
        """
        def make_adder(n):
            def add(x):
                return x + n
            return add
        """,
    )
    adders = [m.make_adder(i) for i in range(3)]
    live.edit("m", "return x + n", "return x + n + 100")
    plan = limeade.plan()
    assert _outcome(plan.changes, "make_adder.<locals>.add") == (
        "closure updated",
        "every live closure made from it",
    )
    # Asked to count, the plan walks the heap once and says what the refresh will.
    counted = limeade.plan(count=True)
    assert _outcome(counted.changes, "make_adder.<locals>.add") == (
        "closure updated",
        "3 live closures",
    )
    assert "add  body -> closure updated (3 live closures)" in str(counted)
    assert [a(0) for a in adders] == [0, 1, 2]  # counting changed nothing
    report = live.refresh()
    assert _outcome(report.changes, "make_adder.<locals>.add") == (
        "closure updated",
        "3 live closures",
    )
    assert [a(0) for a in adders] == [100, 101, 102]


def test_reexported_function_whose_decorators_changed_is_rebound(live):
    live.write(
        "pkg.lib",
        """
        import functools

        def logged(f):
            @functools.wraps(f)
            def wrapper(*args):
                return ("logged", f(*args))
            return wrapper

        def greet(name):
            return name
        """,
    )
    pkg = live.load("pkg", "from .lib import greet\n", package=True)
    lib = live.module("pkg.lib")
    live.edit("pkg.lib", "def greet(name):", "@logged\ndef greet(name):")
    plan = limeade.plan()
    predicted = {(c.module, c.qualname): c.outcome for c in plan.changes}
    assert predicted[(lib.__name__, "greet")] == "decided when the new code runs"
    assert predicted[(pkg.__name__, "greet")] == "decided when the new code runs"
    report = live.refresh()
    done = {(c.module, c.qualname): c.outcome for c in report.changes}
    assert done[(lib.__name__, "greet")] == "replaced"
    assert done[(pkg.__name__, "greet")] == "rebound in importer"
    assert pkg.greet is lib.greet and pkg.greet("x") == ("logged", "x")


def test_cleared_cache_results_are_counted(live):
    m = live.load(
        "m",
        """
        import functools

        RATE = 2

        @functools.lru_cache(maxsize=None)
        def price(n):
            return n * RATE
        """,
    )
    price = m.price
    assert (price(1), price(2)) == (2, 4)
    live.edit("m", "RATE = 2", "RATE = 3")
    plan = limeade.plan()
    assert _outcome(plan.changes, "price") == (
        "decided when the new code runs",
        "cache cleared if the values change",
    )
    report = live.refresh()
    assert _outcome(report.changes, "price") == ("cache cleared", "2 results")
    assert price(1) == 3


def test_migrations_are_counted(live):
    m = live.load(
        "m",
        """
        class Account:
            def __init__(self):
                self.balance = 0

            def __limeade_migrate__(self):
                if not hasattr(self, "currency"):
                    self.currency = "EUR"

            def describe(self):
                return self.balance
        """,
    )
    accounts = [m.Account() for _ in range(3)]
    live.edit("m", "return self.balance", "return f'{self.balance} {self.currency}'")
    plan = limeade.plan()
    assert ("Account", "migrated", "every live instance") in [
        (c.qualname, c.outcome, c.why) for c in plan.changes
    ]
    counted = limeade.plan(count=True)
    assert ("Account", "migrated", "3 instances") in [
        (c.qualname, c.outcome, c.why) for c in counted.changes
    ]
    assert not any(hasattr(a, "currency") for a in accounts)  # counting ran no hook
    report = live.refresh()
    assert ("Account", "migrated", "3 instances") in [
        (c.qualname, c.outcome, c.why) for c in report.changes
    ]
    assert [a.describe() for a in accounts] == ["0 EUR"] * 3


def test_plan_text_and_report_text_use_the_same_words(live):
    m = live.load(
        "m",
        """
        def f(x, *, y=1):
            return x

        class C:
            def m(self):
                return 1
        """,
    )
    live.edit("m", "y=1", "y=2")
    live.edit("m", "return 1", "return 2")
    plan = limeade.plan()
    report = limeade.refresh()
    assert_plan_told_the_truth(plan, report)
    plan_text, report_text = str(plan), str(report)
    for change in report.changes:
        words = change.describe()
        assert f"  {change.qualname}  {words}" in report_text
        assert f" {change.qualname}  " in plan_text and words.split(" -> ")[1] in plan_text
    assert "kw-only defaults -> updated in place" in plan_text
    assert "kw-only defaults -> updated in place" in report_text
    assert m.f(1) == 1 and m.C().m() == 2


def test_a_migration_hook_added_with_the_new_init_is_predicted(live):
    m = live.load(
        "m",
        """
        class Account:
            def __init__(self):
                self.balance = 0
        """,
    )
    accounts = [m.Account(), m.Account()]
    live.edit(
        "m",
        "self.balance = 0\n",
        "self.balance = 0\n        self.currency = 'EUR'\n\n"
        "    def __limeade_migrate__(self):\n        self.currency = 'EUR'\n",
    )
    counted = limeade.plan(count=True)
    assert ("Account", "migrated", "2 instances") in [
        (c.qualname, c.outcome, c.why) for c in counted.changes
    ]
    live.refresh()
    assert [a.currency for a in accounts] == ["EUR", "EUR"]


def _migrations(changes):
    return sorted((c.qualname, c.why) for c in changes if c.outcome == "migrated")


def test_a_hook_removed_in_the_same_edit_migrates_nothing(live):
    m = live.load(
        "m",
        """
        class A:
            def __limeade_migrate__(self):
                self.migrated = True

            def value(self):
                return 1
        """,
    )
    a = m.A()
    live.edit(
        "m",
        "    def __limeade_migrate__(self):\n        self.migrated = True\n\n",
        "",
    )
    live.edit("m", "return 1", "return 2")
    told = _migrations(limeade.plan(count=True).changes)
    report = live.refresh()
    assert told == _migrations(report.changes) == []
    assert a.value() == 2 and not hasattr(a, "migrated")


def test_a_hook_added_to_a_base_migrates_the_changed_subclass_too(live):
    m = live.load(
        "m",
        """
        class Base:
            def value(self):
                return 1

        class Child(Base):
            def value(self):
                return 2
        """,
    )
    base, child = m.Base(), m.Child()
    live.edit(
        "m",
        "    def value(self):\n        return 1\n",
        "    def __limeade_migrate__(self):\n        self.migrated = True\n\n"
        "    def value(self):\n        return 1\n",
    )
    live.edit("m", "return 2", "return 20")
    told = _migrations(limeade.plan(count=True).changes)
    report = live.refresh()
    # Each instance is migrated once, counted under the first hooked class of its MRO.
    assert told == _migrations(report.changes) == [("Base", "1 instance"), ("Child", "1 instance")]
    assert base.migrated and child.migrated and child.value() == 20
