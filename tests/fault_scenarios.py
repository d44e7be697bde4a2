"""The scenarios of ``test_fault_injection.py``: each builds a small live program (modules loaded,
objects made), edits its files, and returns checks of the old and the new behaviour. Kept apart
from the tests so each file stays readable; they are plain functions of the ``live`` helper."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from conftest import Live


class Built(NamedTuple):
    modules: list[Any]
    check_old: Callable[[], None]
    check_new: Callable[[], None]


def two_modules(live: Live) -> Built:
    a = live.load(
        "a",
        """
        TIMEOUT = 5

        def f(x=1, *, k=2):
            '''Doc.'''
            return ("old", x, k)

        def removed():
            return 1

        class C:
            X = 1
            gone = 2

            def m(self):
                return "old"

            @property
            def p(self):
                return self._p

            @p.setter
            def p(self, v):
                self._p = v
        """,
    )
    b = live.load(
        "b",
        f"""
        from {live.name("a")} import C, f

        class D(C):
            def m(self):
                return "D-" + super().m()

        def g():
            return f()
        """,
    )
    f, obj, d, g = a.f, a.C(), b.D(), b.g
    live.write(
        "a",
        """
        TIMEOUT = 10
        EXTRA = [1, 2]

        def f(x=3, *, k=4):
            '''New doc.'''
            return ("new", x, k)

        def added():
            return "added"

        class C:
            X = 2
            Y = 3

            def m(self):
                return "new"

            def n(self):
                return "n"

            @property
            def p(self):
                return self._p

            @p.setter
            def p(self, v):
                self._p = v * 2
        """,
    )
    live.edit("b", 'return "D-" + super().m()', 'return "E-" + super().m()')
    live.edit("b", "return f()", "return f(9)")

    def check_old():
        assert f() == ("old", 1, 2)
        assert (obj.m(), d.m(), g()) == ("old", "D-old", ("old", 1, 2))
        obj.p = 2
        assert obj.p == 2
        assert (a.TIMEOUT, a.C.X, a.C.gone, a.removed()) == (5, 1, 2, 1)
        assert not hasattr(a, "added") and not hasattr(a.C, "n")

    def check_new():
        assert f() == ("new", 3, 4)
        assert f.__doc__ == "New doc."
        assert (obj.m(), obj.n(), d.m(), g()) == ("new", "n", "E-new", ("new", 9, 4))
        obj.p = 2
        assert obj.p == 4
        assert (a.TIMEOUT, a.EXTRA, a.C.X, a.C.Y, a.added()) == (10, [1, 2], 2, 3, "added")
        assert not hasattr(a, "removed") and not hasattr(a.C, "gone")

    return Built([a, b], check_old, check_new)


def package(live: Live) -> Built:
    live.write("pkg", "from .a import base\n\nVERSION = 1\n", package=True)
    live.write(
        "pkg.a",
        """
        def base():
            return "base-old"

        class K:
            @classmethod
            def make(cls):
                return "make-old"

            @staticmethod
            def s():
                return "s-old"

            class Inner:
                def m(self):
                    return "inner-old"
        """,
    )
    live.write(
        "pkg.b",
        """
        from .a import base

        def use():
            return base()
        """,
    )
    pkg = live.load("pkg")
    a = live.load("pkg.a")
    b = live.load("pkg.b")
    use, make, s, inner = b.use, a.K.make, a.K.s, a.K.Inner()
    live.write("pkg", "from .a import base\n\nVERSION = 2\n", package=True)
    live.write(
        "pkg.a",
        """
        def base():
            return "base-new"

        def new_name():
            return "added"

        class K:
            @classmethod
            def make(cls):
                return "make-new"

            @staticmethod
            def s():
                return "s-new"

            class Inner:
                def m(self):
                    return "inner-new"
        """,
    )
    live.write(
        "pkg.b",
        """
        from .a import base
        from .a import new_name

        def use():
            return base() + "+" + new_name()
        """,
    )

    def check_old():
        assert (use(), make(), s(), inner.m(), pkg.VERSION) == (
            "base-old",
            "make-old",
            "s-old",
            "inner-old",
            1,
        )
        assert not hasattr(b, "new_name") and not hasattr(a, "new_name")

    def check_new():
        assert (use(), make(), s(), inner.m(), pkg.VERSION) == (
            "base-new+added",
            "make-new",
            "s-new",
            "inner-new",
            2,
        )
        assert b.new_name is a.new_name

    return Built([pkg, a, b], check_old, check_new)


def conflict_and_functions(live: Live) -> Built:
    a = live.load(
        "a",
        """
        class Meta(type):
            pass

        class Base:
            pass

        class Swapped:
            def who(self):
                return "old"

        def f():
            return "old"

        square = lambda x: x * x  # noqa: E731
        """,
    )
    b = live.load(
        "b",
        """
        import functools

        def deco(fn):
            @functools.wraps(fn)
            def wrapper(*a):
                return ["wrapped", fn(*a)]
            return wrapper

        @deco
        def h():
            return "old"

        async def co():
            return "old"

        def gen():
            yield "old"
        """,
    )
    old_swapped, f, square, h, gen = a.Swapped, a.f, a.square, b.h, b.gen
    live.edit("a", "class Swapped:", "class Swapped(Base, metaclass=Meta):")
    live.edit("a", 'return "old"', 'return "new"', count=2)
    live.edit("a", "x * x", "x + x")
    live.edit("b", '"old"', '"new"', count=3)

    def check_old():
        assert a.Swapped is old_swapped
        assert (f(), square(3), h(), list(gen())) == ("old", 9, ["wrapped", "old"], ["old"])

    def check_new():
        assert a.Swapped is not old_swapped
        assert type(a.Swapped) is a.Meta
        assert a.Swapped().who() == "new"
        assert (f(), square(3), h(), list(gen())) == ("new", 6, ["wrapped", "new"], ["new"])

    return Built([a, b], check_old, check_new)


def statements_and_removals(live: Live) -> Built:
    a = live.load(
        "a",
        """
        import sys

        REGISTRY = []
        LIMIT = 1
        OLD_CONST = "x"

        if sys.maxsize > 0:
            MODE = "a"

        def one():
            return 1

        def two():
            return 2

        class Gone:
            pass
        """,
    )
    b = live.load(
        "b",
        """
        class Config:
            A = 1
            B = 2

            def total(self):
                return self.A + self.B

            def dropped(self):
                return 0
        """,
    )
    registry, one, cfg = a.REGISTRY, a.one, b.Config()
    live.write(
        "a",
        """
        import sys

        REGISTRY = []
        LIMIT = 2

        if sys.maxsize > 0:
            MODE = "b"

        def one():
            return 11

        def three():
            return 3
        """,
    )
    live.write(
        "b",
        """
        class Config:
            A = 10
            C = 30

            def total(self):
                return self.A + self.C
        """,
    )

    def check_old():
        assert (one(), a.LIMIT, a.MODE, a.OLD_CONST, a.two(), cfg.total(), cfg.dropped()) == (
            1,
            1,
            "a",
            "x",
            2,
            3,
            0,
        )
        assert a.REGISTRY is registry
        assert isinstance(a.Gone(), a.Gone)

    def check_new():
        assert (one(), a.LIMIT, a.MODE, a.three(), cfg.total()) == (11, 2, "b", 3, 40)
        assert a.REGISTRY is registry
        for name in ("OLD_CONST", "two", "Gone"):
            assert not hasattr(a, name)
        assert not hasattr(cfg, "dropped") and not hasattr(cfg, "B")

    return Built([a, b], check_old, check_new)


def what_other_reloaders_miss(live: Live) -> Built:
    """Renames, importers' copies, new bases, abstract methods, existing closures."""
    a = live.load(
        "a",
        """
        import abc

        TIMEOUT = 5

        class Left:
            def side(self):
                return "left"

        class Right:
            def side(self):
                return "right"

        class Shape(abc.ABC, Left):
            @abc.abstractmethod
            def area(self):
                ...

        class Square(Shape):
            def area(self):
                return 4

        def make_adder(n):
            def add(x):
                return x + n
            return add

        def reading_time(words):
            return words // 200
        """,
    )
    b = live.load(
        "b",
        f"""
        from {live.name("a")} import TIMEOUT, make_adder

        ADD2 = make_adder(2)
        """,
    )
    square, add2, reading = a.Square(), b.ADD2, a.reading_time
    live.write(
        "a",
        """
        import abc

        TIMEOUT = 10

        class Left:
            def side(self):
                return "left"

        class Right:
            def side(self):
                return "right"

        class Shape(abc.ABC, Right):
            @abc.abstractmethod
            def area(self):
                ...

            @abc.abstractmethod
            def perimeter(self):
                ...

        class Square(Shape):
            def area(self):
                return 4

            def perimeter(self):
                return 8

        def make_adder(n):
            def add(x):
                return x + n * 10
            return add

        def estimate_reading_time(words):
            return words // 200
        """,
    )

    def check_old():
        assert (b.TIMEOUT, square.side(), add2(1), reading(400)) == (5, "left", 3, 2)
        assert a.reading_time is reading
        assert "perimeter" not in a.Shape.__abstractmethods__

    def check_new():
        assert (b.TIMEOUT, square.side(), square.perimeter(), add2(1)) == (10, "right", 8, 21)
        assert a.estimate_reading_time is reading and not hasattr(a, "reading_time")
        assert a.Shape.__abstractmethods__ == frozenset({"area", "perimeter"})

    return Built([a, b], check_old, check_new)


def generated_classes(live: Live) -> Built:
    """Dataclass fields, enum members, slots and protocol members: classes kept while their
    layout grows; a base class registering its subclasses; a protocol's member set."""
    head = """
        import enum
        from dataclasses import dataclass
        from typing import Protocol, runtime_checkable

        REGISTRY = []

        class Plugin:
            def __init_subclass__(cls, **kwargs):
                REGISTRY.append(cls)
    """
    a = live.load(
        "a",
        head
        + """
        @dataclass
        class Point(Plugin):
            x: int

        class Color(enum.Enum):
            RED = 1

        class Slotted:
            __slots__ = ("x",)

            def __init__(self):
                self.x = 1

        @runtime_checkable
        class Named(Protocol):
            def name(self): ...

        class Thing:
            def name(self):
                return "thing"
        """,
    )
    point_cls, red, slotted, thing = a.Point, a.Color.RED, a.Slotted(), a.Thing()
    live.write(
        "a",
        head
        + """
        @dataclass
        class Point(Plugin):
            x: int
            y: int = 2

        class Color(enum.Enum):
            RED = 1
            BLUE = 2

        class Slotted:
            __slots__ = ("x", "y")

            def __init__(self):
                self.x = 1
                self.y = 2

        @runtime_checkable
        class Named(Protocol):
            def name(self): ...

            def size(self): ...

        class Thing:
            def name(self):
                return "thing"
        """,
    )

    def check_old():
        assert a.Point is point_cls and a.Color.RED is red
        assert point_cls(1) == point_cls(1) and not hasattr(point_cls(1), "y")
        assert [c.name for c in a.Color] == ["RED"]
        assert not hasattr(a.Slotted, "y")
        assert isinstance(thing, a.Named) and a.REGISTRY == [point_cls]

    def check_new():
        assert a.Point is point_cls and point_cls(1).y == 2
        assert a.Color.RED is red and a.Color(2).name == "BLUE"
        slotted.y = 3
        assert (slotted.y, a.Slotted().y) == (3, 2)
        assert a.REGISTRY == [point_cls] and not isinstance(thing, a.Named)

    return Built([a], check_old, check_new)


def star_and_defaults(live: Live) -> Built:
    """Star imports through a re-exporting package, defaults reading rebound names."""
    live.write("kit", "from .lib import *\n", package=True)
    live.write(
        "kit.lib",
        """
        __all__ = ["WIDTH", "pad", "OLD"]

        WIDTH = 40
        OLD = "old"

        def pad(text, width=WIDTH, *, fill="." if WIDTH > 50 else " "):
            return text.ljust(width, fill)
        """,
    )
    kit = live.load("kit")
    lib = live.module("kit.lib")
    app = live.load(
        "app",
        f"""
        from {kit.__name__} import *

        def banner(width=WIDTH):
            return width
        """,
    )
    pad, banner = lib.pad, app.banner
    live.edit("kit.lib", '"pad", "OLD"]', '"pad", "NEW"]\nNEW = "new"')
    live.edit("kit.lib", "WIDTH = 40", "WIDTH = 60")

    def check_old():
        assert (pad("x"), banner(), app.OLD, kit.WIDTH) == ("x" + 39 * " ", 40, "old", 40)
        assert not hasattr(app, "NEW")

    def check_new():
        assert (pad("x"), banner(), app.NEW, kit.WIDTH) == ("x" + 59 * ".", 60, "new", 60)
        assert not hasattr(app, "OLD") and not hasattr(kit, "OLD")

    return Built([lib, kit, app], check_old, check_new)


SCENARIOS = [
    generated_classes,
    two_modules,
    package,
    conflict_and_functions,
    statements_and_removals,
    what_other_reloaders_miss,
    star_and_defaults,
]
