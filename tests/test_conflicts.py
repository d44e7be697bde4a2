"""Classes that cannot be mutated in place: refused with "error", replaced with "replace"."""

from __future__ import annotations

import limeade
import pytest

METACLASS_SOURCE = """
class Meta(type):
    pass

class C:
    def m(self):
        return "old"

def unrelated():
    return "old"
"""

BASES_SOURCE = """
class A:
    def who(self):
        return "A"

class B:
    def who(self):
        return "B"

class C(A):
    def m(self):
        return "old-" + self.who()

def unrelated():
    return "old"
"""


def test_metaclass_change_with_error_raises_and_changes_nothing(live):
    m = live.load("m", METACLASS_SOURCE)
    old_C, obj, unrelated = m.C, m.C(), m.unrelated
    live.edit("m", "class C:", "class C(metaclass=Meta):")
    live.edit("m", 'return "old"\n\ndef', 'return "new"\n\ndef')
    live.edit("m", 'def unrelated():\n    return "old"', 'def unrelated():\n    return "new"')
    with pytest.raises(limeade.ConflictError) as info:
        live.refresh(conflicts="error")
    assert isinstance(info.value, limeade.RefreshError)
    assert [(mod, q) for mod, q, _ in info.value.conflicts] == [(m.__name__, "C")]
    assert "metaclass" in info.value.conflicts[0][2]
    assert unrelated() == "old"
    assert obj.m() == "old"
    assert m.C is old_C
    assert type(m.C) is type
    # Still pending: the default policy applies it.
    report = live.refresh()
    assert unrelated() == "new"
    assert type(m.C) is m.Meta
    assert report.module(m.__name__).replaced


def test_metaclass_change_with_replace_binds_new_class(live):
    m = live.load("m", METACLASS_SOURCE)
    old_C, obj = m.C, m.C()
    live.edit("m", "class C:", "class C(metaclass=Meta):")
    live.edit("m", 'return "old"\n\ndef', 'return "new"\n\ndef')
    plan = limeade.plan()
    report = live.refresh()
    assert m.C is not old_C
    assert type(m.C) is m.Meta
    assert m.C().m() == "new"
    # Old instances keep working with the old class.
    assert type(obj) is old_C
    assert obj.m() == "old"
    assert not isinstance(obj, m.C)
    mod = report.module(m.__name__)
    assert [q for q, _ in mod.conflicts] == ["C"]
    assert {q for q, _ in mod.replaced} == {"C"}
    assert any("metaclass" in why for _, why in mod.replaced)
    assert report.changes == plan.changes
    assert any(c.qualname == "C" and c.kind.startswith("conflict") for c in report.changes)


def test_bases_change_with_error_raises_and_changes_nothing(live):
    m = live.load("m", BASES_SOURCE)
    old_C, obj, unrelated = m.C, m.C(), m.unrelated
    live.edit("m", "class C(A):", "class C(B, int):")
    live.edit("m", 'def unrelated():\n    return "old"', 'def unrelated():\n    return "new"')
    with pytest.raises(limeade.ConflictError) as info:
        live.refresh(conflicts="error")
    assert [q for _, q, _ in info.value.conflicts] == ["C"]
    assert unrelated() == "old"
    assert m.C is old_C
    assert old_C.__bases__ == (m.A,)
    assert obj.m() == "old-A"


def test_bases_change_with_replace(live):
    m = live.load("m", BASES_SOURCE)
    old_C, obj = m.C, m.C()
    live.edit("m", "class C(A):", "class C(B, int):")
    live.edit("m", '"old-"', '"new-"')
    report = live.refresh(conflicts="replace")
    assert m.C is not old_C
    assert m.C.__bases__ == (m.B, int)
    assert m.C().m() == "new-B"
    assert obj.m() == "old-A"
    assert isinstance(obj, m.A)
    mod = report.module(m.__name__)
    assert [q for q, _ in mod.conflicts] == ["C"]
    assert {q for q, _ in mod.replaced} == {"C"}
    assert any("bases" in why for _, why in mod.replaced)
    assert "C" in str(report)


def test_slots_added_to_a_dict_class_is_a_conflict(live):
    m = live.load(
        "m",
        """
        class P:
            def __init__(self):
                self.x = 1
        """,
    )
    old_P, p = m.P, m.P()
    live.edit("m", "class P:\n", 'class P:\n    __slots__ = ("x",)\n\n')
    with pytest.raises(limeade.ConflictError):
        live.refresh(conflicts="error")
    assert m.P is old_P
    report = live.refresh()
    assert m.P is not old_P
    assert m.P.__slots__ == ("x",)
    assert p.x == 1
    assert {q for q, _ in report.module(m.__name__).replaced} == {"P"}


def test_conflict_in_one_module_blocks_whole_batch_with_error(live):
    a = live.load("a", "def f():\n    return 'old'\n")
    live.load("b", BASES_SOURCE)
    f = a.f
    live.edit("a", "'old'", "'new'")
    live.edit("b", "class C(A):", "class C(B, int):")
    with pytest.raises(limeade.ConflictError):
        live.refresh(conflicts="error")
    assert f() == "old"
    live.refresh()
    assert f() == "new"


def test_invalid_conflicts_argument(live):
    m = live.load("m", "def f():\n    return 1\n")
    live.edit("m", "return 1", "return 2")
    with pytest.raises(ValueError, match="conflicts"):
        live.refresh(conflicts="ignore")
    assert m.f() == 1


def test_subclass_of_replaced_class_keeps_old_base(live):
    m = live.load(
        "m",
        """
        class Meta(type):
            pass

        class C:
            def m(self):
                return "old"
        """,
    )
    sub = live.load(
        "sub",
        f"""
        from {live.name("m")} import C

        class D(C):
            pass
        """,
    )
    old_C = m.C
    d = sub.D()
    live.edit("m", "class C:", "class C(metaclass=Meta):")
    live.refresh()
    assert m.C is not old_C
    # The subclass was made from the old class and keeps it, like old instances do.
    assert sub.D.__bases__ == (old_C,)
    assert d.m() == "old"


def test_replaced_class_is_listed_once_with_its_reason(live):
    m = live.load("m", BASES_SOURCE)
    live.edit("m", "class C(A):", "class C(B, int):")
    report = live.refresh()
    conflicts = report.module(m.__name__).conflicts
    assert report.module(m.__name__).replaced == conflicts
    assert str(report).count("replaced") == 1


def test_default_mode_evaluates_changed_bases_once(live):
    """Deciding whether a class keeps its identity with new bases evaluates them (user code):
    the default refresh does it once, in the module's preparation, not again in a check that
    only ``conflicts="error"`` needs."""
    calls = live.load("basecalls", "CALLS = []\n")
    counting = (
        f"def base_of(cls):\n    import {calls.__name__}\n"
        f"    {calls.__name__}.CALLS.append(cls.__name__)\n    return cls\n\n"
    )
    m = live.load("m", counting + BASES_SOURCE)
    obj = m.C()
    live.edit("m", "class C(A):", "class C(base_of(B)):")
    # A plan runs no program code: it leaves the call to the refresh, and says so.
    plan = limeade.plan()
    assert calls.CALLS == []
    (told,) = [c for c in plan.changes if c.qualname == "C"]
    assert (told.outcome, "kept with new bases" in told.why) == (
        "decided when the new code runs",
        True,
    )
    live.refresh()  # plans again, then refreshes, and checks the plan against what it did
    assert obj.m() == "old-B"
    assert calls.CALLS == ["B"]


def test_a_plan_looks_up_bases_written_as_names(live):
    m = live.load("m", BASES_SOURCE)
    obj = m.C()
    live.edit("m", "class C(A):", "class C(B):")
    (told,) = [c for c in limeade.plan().changes if c.qualname == "C"]
    assert told.outcome == "kept with new bases"
    live.refresh()
    assert type(obj) is m.C and obj.m() == "old-B"


def test_members_of_a_class_with_bases_added_in_the_same_edit_share_its_fate(live):
    m = live.load("m", "class C:\n    def f(self):\n        return 1\n")
    old, obj = m.C, m.C()
    live.edit("m", "class C:", "class Mixin:\n    pass\n\n\nclass C(Mixin):")
    (told,) = [c for c in limeade.plan().changes if c.qualname == "C.f"]
    assert told.outcome == "decided when the new code runs"
    assert "else replaced with C" in told.why
    live.refresh()  # checks that the refresh did one of the outcomes the plan allowed
    # CPython refuses new bases for a class whose only base was object: it was replaced.
    assert m.C is not old and type(obj) is old and issubclass(m.C, m.Mixin)


@pytest.mark.parametrize("base, kept", [("B", True), ("int", False)])
def test_error_mode_evaluates_base_expressions_once_and_refuses_after_them(live, base, kept):
    calls = live.load("basecalls", "CALLS = []\n")
    counting = (
        f"def base_of(cls):\n    import {calls.__name__}\n"
        f"    {calls.__name__}.CALLS.append(cls.__name__)\n    return cls\n\n"
    )
    m = live.load("m", counting + BASES_SOURCE)
    old, obj = m.C, m.C()
    live.edit("m", "class C(A):", f"class C(base_of({base})):")
    live.edit("m", 'return "old"', 'return "new"')
    if kept:
        limeade.refresh(conflicts="error")
        assert m.C is old and obj.m() == "old-B" and m.unrelated() == "new"
        assert calls.CALLS == ["B"]  # once: the early check runs no program code
    else:
        with pytest.raises(limeade.ConflictError, match="cannot be mutated in place"):
            limeade.refresh(conflicts="error")
        # Refused whole, once the expression was evaluated: nothing changed, not even the
        # list the evaluation appended to (rolled back with the rest).
        assert m.C is old and obj.m() == "old-A" and m.unrelated() == "old"
        assert calls.CALLS == []


def test_error_mode_refuses_a_conflict_when_the_whole_body_runs_again(live):
    # Adding a `from __future__` import runs the whole new body: no class is kept that way.
    m = live.load("m", BASES_SOURCE)
    old, obj = m.C, m.C()
    live.edit("m", "class A:", "from __future__ import annotations\n\nclass A:", count=1)
    live.edit("m", "class C(A):", "class C(B):")
    with pytest.raises(limeade.ConflictError, match="cannot be mutated in place"):
        limeade.refresh(conflicts="error")
    assert m.C is old and type(obj) is m.C and obj.m() == "old-A"


@pytest.mark.parametrize("mode", ["replace", "error"])
def test_new_bases_that_raise_are_a_refresh_error_in_both_modes(live, mode):
    m = live.load("m", "def pick():\n    return object\n\n" + BASES_SOURCE)
    old, obj = m.C, m.C()
    live.edit("m", "class C(A):", "class C(pick(1)):")
    with pytest.raises(limeade.ApplyError) as info:
        limeade.refresh(conflicts=mode)
    # The user's own error is what the refresh reports, not a conflict.
    assert isinstance(info.value.__cause__, TypeError)
    assert m.C is old and obj.m() == "old-A"


def test_spelling_out_object_and_type_keeps_the_class(live):
    # `class K:` and `class K(object, metaclass=type):` make the same class: no conflict, the
    # live class is kept and its old instances run the new method.
    m = live.load("spelled", "class K:\n    def v(self):\n        return 1\n")
    old_class, old = m.K, m.K()
    live.edit("spelled", "class K:", "class K(object, metaclass=type):")
    live.edit("spelled", "return 1", "return 2")
    report = live.refresh()
    assert m.K is old_class and isinstance(old, m.K) and old.v() == 2
    assert "conflict" not in str(report) and "replaced" not in str(report)
    live.edit("spelled", "class K(object, metaclass=type):", "class K:")
    live.refresh()
    assert m.K is old_class and old.v() == 2
