"""Changes other reloaders cannot apply to a class in place: new bases (when the layout allows),
abstract methods, and migrating existing instances after ``__init__`` changes."""

from __future__ import annotations

import limeade
import pytest

BASES = """
class A:
    def who(self):
        return "A"

class B:
    def who(self):
        return "B"

    def extra(self):
        return "extra"

class C(A):
    def name(self):
        return "C"
"""


def test_compatible_new_bases_are_assigned_to_the_live_class(live):
    m = live.load("m", BASES)
    old_cls, obj = m.C, m.C()
    live.edit("m", "class C(A):", "class C(B):")
    report = live.refresh()
    assert m.C is old_cls
    assert m.C.__bases__ == (m.B,)
    assert obj.who() == "B"
    assert obj.extra() == "extra"
    assert report.module(m.__name__).replaced == []


def test_compatible_new_bases_are_not_a_conflict_for_error_mode(live):
    m = live.load("m", BASES)
    live.edit("m", "class C(A):", "class C(B):")
    live.refresh(conflicts="error")
    assert m.C().who() == "B"


def test_incompatible_new_bases_take_the_conflict_path(live):
    m = live.load(
        "m",
        """
        class Point:
            def norm(self):
                return 1
        """,
    )
    old_cls = m.Point
    live.edit("m", "class Point:", "class Point(int):")
    with pytest.raises(limeade.ConflictError):
        live.refresh(conflicts="error")
    assert m.Point is old_cls
    live.refresh()
    assert m.Point is not old_cls
    assert issubclass(m.Point, int)


def test_abstract_methods_are_recomputed(live):
    m = live.load(
        "m",
        """
        import abc

        class Shape(abc.ABC):
            @abc.abstractmethod
            def area(self):
                ...

        class Square(Shape):
            pass
        """,
    )
    with pytest.raises(TypeError):
        m.Square()
    live.edit(
        "m",
        "class Square(Shape):\n    pass",
        "class Square(Shape):\n    def area(self):\n        return 4",
    )
    live.refresh()
    assert m.Square().area() == 4
    live.edit(
        "m",
        "    def area(self):\n        ...",
        "    def area(self):\n        ...\n\n"
        "    @abc.abstractmethod\n    def perimeter(self):\n        ...",
    )
    live.refresh()
    assert "perimeter" in m.Shape.__abstractmethods__
    with pytest.raises(TypeError):
        m.Shape()


MIGRATE = """
class Account:
    def __init__(self, owner):
        self.owner = owner

    def __limeade_migrate__(self):
        pass
"""


def test_migrate_hook_runs_on_every_live_instance(live):
    m = live.load("m", MIGRATE)
    a, b = m.Account("ann"), m.Account("bob")
    live.edit(
        "m",
        "        self.owner = owner\n\n    def __limeade_migrate__(self):\n        pass",
        "        self.owner = owner\n        self.balance = 0\n\n"
        "    def __limeade_migrate__(self):\n        if not hasattr(self, 'balance'):\n"
        "            self.balance = 0",
    )
    live.refresh()
    assert (a.balance, b.balance) == (0, 0)
    assert m.Account("cy").balance == 0


def test_failing_migrate_hook_rolls_the_refresh_back(live):
    m = live.load("m", MIGRATE)
    a = m.Account("ann")
    old_init = m.Account.__init__.__code__
    live.edit(
        "m",
        "    def __limeade_migrate__(self):\n        pass",
        "    def __limeade_migrate__(self):\n        raise RuntimeError('no')",
    )
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert isinstance(info.value.__cause__, RuntimeError)
    assert m.Account.__init__.__code__ is old_init
    assert m.Account.__limeade_migrate__(a) is None


def test_new_bases_check_creates_no_probe_class(live):
    m = live.load(
        "m",
        """
        REGISTRY = []

        class Base:
            def __init_subclass__(cls, **kw):
                super().__init_subclass__(**kw)
                REGISTRY.append(cls.__name__)

        class Mixin:
            pass

        class Plugin(Base):
            pass
        """,
    )
    live.edit("m", "class Plugin(Base):", "class Plugin(Base, Mixin):")
    live.refresh()
    assert m.REGISTRY == ["Plugin"]
    assert [c.__name__ for c in m.Base.__subclasses__()] == ["Plugin"]
    assert m.Plugin.__bases__ == (m.Base, m.Mixin)
