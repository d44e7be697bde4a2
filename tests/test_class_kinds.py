"""Classes of the kinds whose machinery builds them (ABCs, metaclasses, dataclasses, enums,
namedtuples, slotted classes, protocols, ``__init_subclass__`` hooks) are changed in place:
old instances and members keep their identity and see the new code."""

from __future__ import annotations

import abc
import enum

import limeade
import pytest


def test_abc_method_change(live):
    m = live.load(
        "m",
        """
        import abc

        class Shape(abc.ABC):
            @abc.abstractmethod
            def area(self): ...

            def describe(self):
                return f"area={self.area()}"

        class Square(Shape):
            def __init__(self, s):
                self.s = s

            def area(self):
                return self.s * self.s
        """,
    )
    sq = m.Square(3)
    old_shape = m.Shape
    live.edit("m", "return self.s * self.s", "return self.s * 4")
    live.edit("m", 'f"area={self.area()}"', 'f"AREA {self.area()}"')
    live.refresh()
    assert sq.describe() == "AREA 12"
    assert m.Shape is old_shape
    assert isinstance(sq, old_shape)
    assert isinstance(m.Shape, abc.ABCMeta)
    with pytest.raises(TypeError):
        m.Shape()


def test_abstract_method_added_to_a_base_reaches_its_subclasses(live):
    # The subclasses live in another module, and one of them derives from another ABC in
    # between: each is as abstract as a fresh import would make it.
    base = live.load(
        "base",
        """
        import abc

        class Shape(abc.ABC):
            @abc.abstractmethod
            def area(self): ...
        """,
    )
    shapes = live.load(
        "shapes",
        f"""
        from {live.name("base")} import Shape

        class Square(Shape):
            def area(self):
                return 1

        class Tile(Square):
            pass
        """,
    )
    made_before = shapes.Tile()
    live.edit(
        "base",
        "    def area(self): ...\n",
        "    def area(self): ...\n\n    @abc.abstractmethod\n    def perimeter(self): ...\n",
    )
    live.refresh()
    assert base.Shape.__abstractmethods__ == frozenset({"area", "perimeter"})
    for cls in (shapes.Square, shapes.Tile):
        assert cls.__abstractmethods__ == frozenset({"perimeter"})
        with pytest.raises(TypeError, match="perimeter"):
            cls()
    assert made_before.area() == 1

    # Implemented in the middle class: both can be made again.
    live.edit(
        "shapes",
        "        return 1\n",
        "        return 1\n\n    def perimeter(self):\n        return 4\n",
    )
    live.refresh()
    assert shapes.Tile().perimeter() == 4 and shapes.Square().area() == 1
    assert shapes.Tile.__abstractmethods__ == frozenset()


def test_custom_metaclass_method_change(live):
    m = live.load(
        "m",
        """
        class Meta(type):
            def describe(cls):
                return "meta:" + cls.__name__

        class C(metaclass=Meta):
            def m(self):
                return 1
        """,
    )
    old_C = m.C
    obj = m.C()
    live.edit("m", '"meta:"', '"META:"')
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert old_C.describe() == "META:C"
    assert obj.m() == 2
    assert type(m.C) is m.Meta
    assert m.C is old_C


def test_dataclass_method_change(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass

        @dataclass
        class Point:
            x: int
            y: int

            def norm1(self):
                return abs(self.x) + abs(self.y)
        """,
    )
    p = m.Point(3, -4)
    old_point = m.Point
    live.edit("m", "return abs(self.x) + abs(self.y)", "return max(abs(self.x), abs(self.y))")
    live.refresh()
    assert p.norm1() == 4
    assert m.Point is old_point
    assert p == m.Point(3, -4)
    assert repr(p) == "Point(x=3, y=-4)"


def test_enum_method_change_members_keep_identity(live):
    m = live.load(
        "m",
        """
        import enum

        class Color(enum.Enum):
            RED = 1
            GREEN = 2

            def label(self):
                return self.name.lower()
        """,
    )
    red = m.Color.RED
    old_color = m.Color
    live.edit("m", "return self.name.lower()", "return self.name.title() + '!'")
    live.refresh()
    assert red.label() == "Red!"
    assert m.Color is old_color
    assert m.Color.RED is red
    assert m.Color(1) is red
    assert isinstance(m.Color, enum.EnumMeta)
    assert list(m.Color) == [red, m.Color.GREEN]


def test_namedtuple_method_change(live):
    m = live.load(
        "m",
        """
        from typing import NamedTuple

        class Pair(NamedTuple):
            a: int
            b: int

            def total(self):
                return self.a + self.b
        """,
    )
    p = m.Pair(2, 5)
    live.edit("m", "return self.a + self.b", "return self.a * self.b")
    live.refresh()
    assert p.total() == 10
    assert isinstance(p, m.Pair)
    assert p == (2, 5)


def test_slots_unchanged_with_method_change(live):
    m = live.load(
        "m",
        """
        class P:
            __slots__ = ("x", "y")

            def __init__(self, x, y):
                self.x, self.y = x, y

            def s(self):
                return self.x + self.y
        """,
    )
    p = m.P(1, 2)
    old_P = m.P
    live.edit("m", "return self.x + self.y", "return self.x - self.y")
    report = live.refresh()
    assert p.s() == -1
    assert m.P is old_P
    assert not hasattr(p, "__dict__")
    assert report.module(live.name("m")).replaced == []
    assert report.module(live.name("m")).conflicts == []


def test_enum_is_still_an_enum_of_the_stdlib(live):
    m = live.load(
        "m",
        """
        import enum

        class Flag(enum.IntFlag):
            A = 1
            B = 2

            def both(self):
                return self | Flag.B
        """,
    )
    a = m.Flag.A
    live.edit("m", "return self | Flag.B", "return self | Flag.A | Flag.B")
    live.refresh()
    assert a.both() == 3
    assert isinstance(a, enum.IntFlag)


def test_init_subclass_change_applies_to_new_subclasses(live):
    m = live.load(
        "m",
        """
        class Base:
            def __init_subclass__(cls, **kw):
                super().__init_subclass__(**kw)
                cls.tag = "old"

        class Old(Base):
            pass
        """,
    )
    base = m.Base
    live.edit("m", 'cls.tag = "old"', 'cls.tag = "new"')
    live.refresh()
    assert m.Old.tag == "old"
    assert type("New", (base,), {}).tag == "new"


def test_metaclass_with_custom_setattr_still_mutated(live):
    m = live.load(
        "m",
        """
        class Frozen(type):
            def __setattr__(cls, key, value):
                raise AttributeError("frozen class")

        class C(metaclass=Frozen):
            def m(self):
                return 1
        """,
    )
    obj = m.C()
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert obj.m() == 2
    with pytest.raises(AttributeError):
        m.C.x = 1


def test_enum_member_added(live):
    m = live.load(
        "m",
        """
        import enum

        class Color(enum.Enum):
            RED = 1

            def label(self):
                return self.name
        """,
    )
    live.edit("m", "RED = 1", "RED = 1\n    BLUE = 2")
    live.refresh()
    # Whatever the strategy (in place or a new class), BLUE must be a real member.
    assert isinstance(m.Color.BLUE, m.Color)
    assert m.Color(2) is m.Color.BLUE
    assert [c.name for c in m.Color] == ["RED", "BLUE"]
    assert m.Color.BLUE.label() == "BLUE"


def test_enum_member_value_changed_is_a_conflict(live):
    m = live.load(
        "m",
        """
        import enum

        class Color(enum.Enum):
            RED = 1
            GREEN = 2
        """,
    )
    old_color, red = m.Color, m.Color.RED
    live.edit("m", "GREEN = 2", "GREEN = 20")
    with pytest.raises(limeade.ConflictError):
        live.refresh(conflicts="error")
    assert m.Color is old_color
    live.refresh()
    assert m.Color.GREEN.value == 20
    assert red.value == 1


def test_dataclass_field_added_regenerates_the_live_class(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass

        @dataclass
        class Point:
            x: int
            y: int = 0

            def norm(self):
                return abs(self.x) + abs(self.y)
        """,
    )
    old_cls, p = m.Point, m.Point(1, 2)
    norm = m.Point.norm
    live.edit("m", "    y: int = 0\n", "    y: int = 0\n    z: int = 5\n")
    live.edit("m", "abs(self.x) + abs(self.y)", "abs(self.x) + abs(self.y) + 100")
    report = live.refresh()
    # The old class object gets the regenerated __init__, __repr__, __eq__ and fields.
    assert m.Point is old_cls
    assert old_cls(1).z == 5
    assert repr(old_cls(1)) == "Point(x=1, y=0, z=5)"
    assert list(old_cls.__dataclass_fields__) == ["x", "y", "z"]
    assert old_cls(1) == old_cls(1, 0, 5)
    assert m.Point.norm is norm and p.norm() == 103
    assert report.module(m.__name__).replaced == []


def test_frozen_dataclass_field_changed_in_place(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class Money:
            amount: int
            currency: str = "EUR"
        """,
    )
    old_cls = m.Money
    live.edit("m", 'currency: str = "EUR"', 'currency: str = "USD"')
    live.refresh()
    assert m.Money is old_cls
    money = old_cls(3)
    assert money.currency == "USD"
    try:
        money.amount = 4
    except AttributeError:
        pass
    else:
        raise AssertionError("frozen dataclass accepted an assignment")


def test_enum_member_added_in_place(live):
    m = live.load(
        "m",
        """
        import enum

        class Color(enum.Enum):
            RED = 1

            def label(self):
                return self.name.lower()
        """,
    )
    old_cls, red = m.Color, m.Color.RED
    live.edit("m", "RED = 1", "RED = 1\n    BLUE = 2")
    live.refresh()
    assert m.Color is old_cls and m.Color.RED is red
    assert isinstance(m.Color.BLUE, old_cls)
    assert old_cls(2) is old_cls.BLUE and old_cls["BLUE"] is old_cls.BLUE
    assert [c.name for c in old_cls] == ["RED", "BLUE"]
    assert old_cls.BLUE.label() == "blue"


def test_dataclass_method_change_keeps_the_class(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass

        @dataclass
        class Point:
            x: int

            def double(self):
                return self.x * 2
        """,
    )
    old_cls, p = m.Point, m.Point(4)
    live.edit("m", "return self.x * 2", "return self.x * 3")
    live.refresh()
    assert m.Point is old_cls
    assert p.double() == 12


def test_dataclass_field_removed_and_default_changed_in_place(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass, field

        @dataclass
        class Job:
            name: str
            retries: int = 3
            tags: list = field(default_factory=list)
        """,
    )
    old_cls = m.Job
    live.edit("m", "    retries: int = 3\n", "    retries: int = 5\n")
    live.edit("m", "    tags: list = field(default_factory=list)\n", "")
    report = live.refresh()
    assert m.Job is old_cls
    job = old_cls("x")
    assert job.retries == 5 and not hasattr(job, "tags")
    assert list(old_cls.__dataclass_fields__) == ["name", "retries"]
    assert repr(job) == "Job(name='x', retries=5)"
    assert report.changes == [c for c in report.changes if c.module == m.__name__]


def test_protocol_method_change_in_place(live):
    m = live.load(
        "m",
        """
        from typing import Protocol, runtime_checkable

        @runtime_checkable
        class Greeter(Protocol):
            def greet(self) -> str:
                ...

            def loud(self) -> str:
                return self.greet().upper()

        class English(Greeter):
            def greet(self) -> str:
                return "hello"
        """,
    )
    old_cls, obj = m.Greeter, m.English()
    live.edit("m", "return self.greet().upper()", "return self.greet().upper() + '!'")
    live.refresh()
    assert m.Greeter is old_cls
    assert obj.loud() == "HELLO!"
    assert isinstance(obj, m.Greeter)


def test_dataclass_graft_keeps_class_state_and_super_in_descriptors(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass
        from typing import ClassVar

        class Base:
            @property
            def label(self):
                return "base"

        @dataclass
        class P(Base):
            registry: ClassVar[list] = []
            x: int

            def __post_init__(self):
                P.registry.append(self)

            @property
            def label(self):
                return "P+" + super().label

            @classmethod
            def make(cls):
                return cls(0)
        """,
    )
    registry, inst = m.P.registry, m.P(1)
    live.edit("m", "    x: int\n", "    x: int\n    y: int = 0\n")
    live.refresh()
    assert m.P.registry is registry and len(registry) == 1
    assert inst.label == "P+base" and m.P(1, 2).label == "P+base"
    assert m.P.make().y == 0


def test_enum_graft_updates_properties_and_classmethods(live):
    m = live.load(
        "m",
        """
        import enum

        class Color(enum.Enum):
            RED = 1

            @property
            def pretty(self):
                return "old"

            @classmethod
            def default(cls):
                return "old"
        """,
    )
    live.edit("m", "RED = 1", "RED = 1\n    GREEN = 2")
    live.edit("m", 'return "old"', 'return "new"', count=2)
    live.refresh()
    assert (m.Color.RED.pretty, m.Color.default(), m.Color.GREEN.value) == ("new", "new", 2)


def test_enum_auto_member_inserted_above_renumbers_the_live_members(live):
    # auto() numbers members in order: one inserted above DONE gives DONE the next number in a
    # fresh start. The live DONE keeps its identity and takes that value; lookups by value agree.
    old_source = (
        "import enum\n\nclass St(enum.Enum):\n    NEW = enum.auto()\n    DONE = enum.auto()\n"
    )
    m = live.load("states", old_source)
    done = m.St.DONE
    live.edit("states", "    DONE", "    RUNNING = enum.auto()\n    DONE")
    live.refresh()
    assert [(s.name, s.value) for s in m.St] == [("NEW", 1), ("RUNNING", 2), ("DONE", 3)]
    assert m.St.DONE is done and m.St(3) is done and m.St(2) is m.St.RUNNING
    assert m.St.RUNNING != m.St.DONE


def test_int_enum_auto_renumbering_is_refused_and_changes_nothing(live):
    m = live.load(
        "levels",
        "import enum\n\nclass Lv(enum.IntEnum):\n    LOW = enum.auto()\n    HIGH = enum.auto()\n",
    )
    high = m.Lv.HIGH
    live.edit("levels", "    HIGH", "    MID = enum.auto()\n    HIGH")
    with pytest.raises(limeade.ApplyError, match=r"Lv\.HIGH would change value 2 -> 3"):
        live.refresh()
    assert m.Lv.HIGH is high and high == 2 and not hasattr(m.Lv, "MID")


def test_enum_alias_added_is_an_alias_of_the_live_member(live):
    m = live.load("prio", "import enum\n\nclass Pri(enum.IntEnum):\n    LOW = 1\n    HIGH = 3\n")
    high = m.Pri.HIGH
    live.edit("prio", "    HIGH = 3\n", "    MID = 2\n    HIGH = 3\n    URGENT = 3\n")
    live.refresh()
    assert m.Pri.URGENT is high and m.Pri(3) is high
    assert list(m.Pri.__members__) == ["LOW", "MID", "HIGH", "URGENT"]
    assert [p.name for p in m.Pri] == ["LOW", "MID", "HIGH"]
