"""The deciding step on its own (:mod:`limeade._decide`): from a real plan of a real edit and the
live module, what happens to each change, before anything runs or changes. ``refresh()`` and
``plan()`` both act on this routing; these tests pin it directly and check that deciding leaves
the live objects alone."""

from __future__ import annotations

from typing import Any

import limeade
from conftest import Live, snapshot
from limeade._decide import Step, decide_classes, route_module
from limeade._lookup import find_class
from limeade._plan_data import ModulePlan

OLD = """\
import dataclasses


def double(x):
    return x * 2


def gone():
    return "gone"


def old_name():
    return "same body"


LIMIT = 10


class Kept:
    '''Old docstring.'''

    def method(self):
        return 1


def tagged(cls):
    cls.tag = "v1"
    return cls


@tagged
class Decorated:
    def who(self):
        return "decorated"


@dataclasses.dataclass
class Point:
    x: int = 0


if __name__ == "__main__":
    print("start")
"""

NEW = """\
import dataclasses


def double(x):
    return x * 20


def new_name():
    return "same body"


def added():
    return "added"


LIMIT = 11


class Kept:
    '''New docstring.'''

    def method(self):
        return 1


def tagged(cls):
    cls.tag = "v1"
    return cls


@tagged
@dataclasses.dataclass
class Decorated:
    def who(self):
        return "decorated"


@dataclasses.dataclass
class Point:
    x: int = 0
    y: int = 0


if __name__ == "__main__":
    print("started")
"""


def _module_plan(name: str) -> ModulePlan:
    (module_plan,) = limeade.plan([name])._data["modules"]
    return module_plan


def _steps(route: Any) -> dict[tuple[str, str], Step]:
    return {(work.scope, a.key): a.step for work in route.scopes for a in work.actions}


def test_each_change_gets_its_step_and_deciding_changes_nothing(live: Live) -> None:
    m = live.load("routed", OLD)
    before = snapshot(m)
    live.edit("routed", OLD, NEW)
    module_plan = _module_plan(m.__name__)

    decided = decide_classes(
        m,
        module_plan,
        lambda q: find_class(m.__dict__, q),
        lambda scope: frozenset(module_plan["scope_names"].get(scope, ())),
    )
    route = route_module(module_plan, decided)

    assert decided.replaced == {"Decorated": "class decorators changed"}
    assert decided.grafted == {"Point"}
    assert route.graft_order == ("Point",)
    assert "Decorated" in route.whole
    steps = _steps(route)
    assert steps[("", "double")] is Step.UPDATE_FUNCTION
    assert steps[("", "gone")] is Step.REMOVE
    assert steps[("", "new_name")] is Step.RENAME
    assert steps[("", "added")] is Step.RUN
    assert steps[("", "LIMIT assignment changed")] is Step.RUN
    assert steps[("", "Kept")] is Step.CLASS_HEADER
    assert steps[("", "Decorated")] is Step.REPLACE_CLASS
    assert steps[("", "Point")] is Step.GRAFTED
    assert steps[("", "<__main__ block> if changed")] is Step.LEFT_ALONE
    # A field added to a grafted dataclass runs in the class's scratch namespace.
    assert steps[("Point", "Point.y assignment added")] is Step.RUN
    # The module's changes come in source order, the removed one first (it runs nothing).
    (module_work,) = [w for w in route.scopes if w.scope == ""]
    keys = [a.key for a in module_work.actions]
    assert keys[0] == "gone"
    order = ["double", "new_name", "added", "LIMIT assignment changed"]
    assert sorted(order, key=keys.index) == order
    # Deciding ran no new code and changed no live object.
    assert snapshot(m) == before
    assert m.double(2) == 4 and m.Decorated.tag == "v1" and not hasattr(m.Point(), "y")


def test_refresh_does_what_the_routing_says(live: Live) -> None:
    m = live.load("routed2", OLD)
    old_double, old_kept, old_point, old_decorated = m.double, m.Kept(), m.Point(3), m.Decorated
    live.edit("routed2", OLD, NEW)
    # live.refresh() also checks that plan() predicted each of these outcomes.
    report = live.refresh()
    done = {c.qualname: c.outcome for c in report.changes}
    assert done["double"] == "updated in place" and old_double(2) == 40
    assert m.double is old_double
    assert done["old_name -> new_name"] == "renamed" and m.new_name() == "same body"
    assert done["gone"] == "removed" and not hasattr(m, "gone")
    assert done["Kept"] == "updated in place"
    assert type(old_kept) is m.Kept and m.Kept.__doc__ == "New docstring."
    assert done["Point"] == "grafted"
    assert type(old_point) is m.Point and m.Point(1, 2).y == 2
    assert done["Decorated"] == "replaced" and m.Decorated is not old_decorated
    # The new class, made by the new decorators; old references keep the old one.
    assert m.Decorated.__dataclass_fields__ == {} and m.Decorated.tag == "v1"
    assert not hasattr(old_decorated, "__dataclass_fields__")


def test_a_class_whose_body_is_on_its_header_line_is_replaced(live: Live) -> None:
    m = live.load("header", "class C: x = 1\n")
    old = m.C
    live.edit("header", "x = 1", "x = 2")
    module_plan = _module_plan(m.__name__)
    decided = decide_classes(
        m, module_plan, lambda q: find_class(m.__dict__, q), lambda scope: frozenset()
    )
    assert decided.replaced == {"C": "the class body is on its header line"}
    assert _steps(route_module(module_plan, decided))[("", "C")] is Step.REPLACE_CLASS
    live.refresh()
    assert m.C is not old and m.C.x == 2 and old.x == 1


def test_a_class_a_function_makes_follows_the_function(live: Live) -> None:
    source = """\
def make():
    class Made:
        LIMIT = 1

        def m(self):
            return "old"

    return Made
"""
    m = live.load("factory", source)
    made = m.make()
    obj = made()
    live.edit("factory", 'return "old"', 'return "new"')
    live.edit("factory", "LIMIT = 1", "LIMIT = 2")
    report = live.refresh()
    done = {c.qualname: (c.outcome, c.why) for c in report.changes}
    # The method's live versions are closures of make's code: they get the new code.
    assert done["make.<locals>.Made.m"] == ("closure updated", "1 live closure")
    assert obj.m() == "new"
    # No live class is that scope: the classes made before keep the old attribute.
    assert done["make.<locals>.Made.LIMIT"][0] == "not updated"
    assert made.LIMIT == 1
    assert m.make().LIMIT == 2 and m.make()().m() == "new"


def test_a_class_a_function_makes_is_not_a_closure(live: Live) -> None:
    source = """\
class Base:
    pass


class Other:
    pass


def make():
    class Made(Base):
        def m(self):
            return "old"

    return Made
"""
    m = live.load("factory2", source)
    made = m.make()
    obj = made()
    live.edit("factory2", "class Made(Base):", "class Made(Other):")
    live.edit("factory2", 'return "old"', 'return "new"')
    report = live.refresh()
    done = {c.qualname: (c.outcome, c.why) for c in report.changes}
    outcome, why = done["make.<locals>.Made"]
    assert (outcome, why.startswith("made by a function")) == ("not updated", True)
    assert made.__bases__ == (m.Base,) and obj.m() == "new"
    assert m.make().__bases__ == (m.Other,)


def test_a_class_a_function_makes_is_no_conflict_to_refuse(live: Live) -> None:
    m = live.load(
        "factory3",
        "class Base:\n    pass\n\n\nclass Other:\n    pass\n\n\n"
        "def make():\n    class Made(Base):\n        pass\n\n    return Made\n",
    )
    live.edit("factory3", "class Made(Base):", "class Made(Other):")
    limeade.refresh(conflicts="error")  # no live class is Made: nothing to refuse
    assert m.make().__bases__ == (m.Other,)


def test_definitions_added_or_removed_inside_a_function_are_so_for_its_next_call(
    live: Live,
) -> None:
    source = """\
def outer():
    def helper():
        return 1

    return helper()
"""
    m = live.load("nested", source)
    live.edit(
        "nested",
        "    def helper():\n        return 1\n\n    return helper()\n",
        "    def other():\n        return 2\n\n    return other()\n",
    )
    report = live.refresh()
    done = {c.qualname: (c.outcome, c.why) for c in report.changes}
    assert done["outer.<locals>.other"] == ("added", "inside a function: its next call defines it")
    assert done["outer.<locals>.helper"][0] == "removed"
    assert m.outer() == 2


def test_statements_the_top_level_code_runs_or_has_not_reached_are_left_alone(
    live: Live,
) -> None:
    old = "A = 1\nfor i in range(2):\n    B = i\nC = 3\n"
    m = live.load("looping", old)
    live.edit("looping", old, "A = 10\nfor i in range(2):\n    B = i * 2\nC = 30\n")
    module_plan = _module_plan(m.__name__)
    decided = decide_classes(m, module_plan, lambda q: None, lambda scope: frozenset())
    # Top-level code executing line 3 (the loop's body): the loop runs, C is not reached.
    route = route_module(module_plan, decided, frozenset({3}))
    (work,) = route.scopes
    whys = {a.key: (a.step, a.why.split(":")[0]) for a in work.actions}
    assert whys == {
        "A assignment changed": (Step.RUN, ""),
        "i, B for changed": (Step.LEFT_ALONE, "running now"),
        "C assignment changed": (Step.LEFT_ALONE, "not reached yet"),
    }
    # A module whose top-level code is over (no running lines) runs them all.
    assert {a.step for a in route_module(module_plan, decided).scopes[0].actions} == {Step.RUN}
