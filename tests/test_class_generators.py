"""Classes built by something other than their own body: plugin registries filled by base-class
hooks, ``singledispatchmethod`` implementations, runtime-checkable protocols, pydantic models and
attrs classes. Objects created before the edit, behaviour after the refresh."""

from __future__ import annotations

import pytest

# ------------------------------------------------------------ registries and base hooks


def test_dataclass_graft_runs_no_init_subclass_of_the_base(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass

        REGISTRY = []

        class Plugin:
            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                REGISTRY.append(cls)
                cls.plugin_id = len(REGISTRY)

        @dataclass
        class Resize(Plugin):
            width: int = 10

            def area(self):
                return self.width * self.width
        """,
    )
    old_cls, old = m.Resize, m.Resize(3)
    live.edit("m", "    width: int = 10\n", "    width: int = 10\n    height: int = 4\n")
    live.edit("m", "self.width * self.width", "self.width * self.height")
    report = live.refresh()
    assert m.Resize is old_cls and report.module(m.__name__).replaced == []
    assert m.REGISTRY == [old_cls] and m.REGISTRY[0] is old_cls
    # What the hook set on the live class survives the graft.
    assert old_cls.plugin_id == 1
    assert old_cls(2).area() == 8 and old_cls(2, 5).height == 5
    old.height = 1
    assert old.area() == 3


def test_enum_graft_runs_no_metaclass_init(live):
    m = live.load(
        "m",
        """
        import enum

        REGISTRY = []

        class Registered(enum.EnumMeta):
            def __init__(cls, name, bases, namespace, **kwargs):
                super().__init__(name, bases, namespace, **kwargs)
                if cls._member_names_:
                    REGISTRY.append(cls)
                    cls.registry_key = name.lower()

        class Level(enum.Enum, metaclass=Registered):
            LOW = 1
            HIGH = 2

            def label(self):
                return self.name.title()
        """,
    )
    old_cls, low = m.Level, m.Level.LOW
    live.edit("m", "    HIGH = 2\n", "    HIGH = 2\n    TOP = 3\n")
    report = live.refresh()
    assert m.Level is old_cls and report.module(m.__name__).replaced == []
    assert m.REGISTRY == [old_cls] and m.REGISTRY[0] is old_cls
    assert old_cls.registry_key == "level"
    assert old_cls(3) is old_cls.TOP and isinstance(old_cls.TOP, old_cls)
    assert old_cls.TOP.label() == "Top" and low.label() == "Low" and old_cls(1) is low


def test_dataclass_graft_runs_no_metaclass_init(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass

        REGISTRY = {}

        class Registered(type):
            def __init__(cls, name, bases, namespace, **kwargs):
                super().__init__(name, bases, namespace, **kwargs)
                if bases:
                    REGISTRY[name] = cls
                    cls.registered = True

        class Model(metaclass=Registered):
            pass

        @dataclass
        class User(Model):
            name: str
        """,
    )
    old_cls, old = m.User, m.User("ada")
    live.edit("m", "    name: str\n", "    name: str\n    admin: bool = False\n")
    live.refresh()
    assert m.User is old_cls
    assert m.REGISTRY == {"User": old_cls} and m.REGISTRY["User"] is old_cls
    assert old_cls.registered is True
    assert old_cls("bob", True).admin is True and old.name == "ada"
    assert repr(old_cls("x")) == "User(name='x', admin=False)"


def test_enum_graft_runs_no_init_subclass_of_the_base(live):
    m = live.load(
        "m",
        """
        import enum

        REGISTRY = []

        class Choice(enum.Enum):
            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                REGISTRY.append(cls)

        class Size(Choice):
            S = "s"
        """,
    )
    old_cls, small = m.Size, m.Size.S
    live.edit("m", '    S = "s"\n', '    S = "s"\n    M = "m"\n')
    live.refresh()
    assert m.REGISTRY == [old_cls] and m.REGISTRY[0] is old_cls
    assert old_cls("m") is old_cls.M and old_cls("s") is small


def test_nested_dataclass_graft_keeps_the_registry_and_live_globals(live):
    m = live.load(
        "m",
        """
        from dataclasses import dataclass, field

        REGISTRY = []
        SCALE = 2

        class Plugin:
            def __init_subclass__(cls, **kwargs):
                REGISTRY.append(cls)

        class Outer:
            @dataclass
            class Job(Plugin):
                name: str
                tags: list = None
                scale = staticmethod(lambda v: v * SCALE)
        """,
    )
    old_cls = m.Outer.Job
    live.edit("m", "tags: list = None", "tags: list = field(default_factory=list)")
    live.edit("m", "lambda v: v * SCALE", "lambda v: v * SCALE + 1")
    live.refresh()
    assert m.Outer.Job is old_cls and m.REGISTRY == [old_cls]
    assert old_cls("a").tags == [] and "tags" not in old_cls.__dict__
    # Functions made by the class body see the module's globals, not a copy.
    m.SCALE = 10
    assert old_cls.scale(3) == 31


# ------------------------------------------------------------ singledispatchmethod


def test_singledispatchmethod_implementations_named_underscore(live):
    m = live.load(
        "m",
        """
        from functools import singledispatchmethod

        class Formatter:
            @singledispatchmethod
            def show(self, value):
                return "other"

            @show.register
            def _(self, value: int):
                return f"int {value}"

            @show.register
            def _(self, value: str):
                return f"str {value}"
        """,
    )
    fmt = m.Formatter()
    show_int = m.Formatter.__dict__["show"].dispatcher.registry[int]
    live.edit("m", 'return f"int {value}"', 'return f"INT {value}"')
    report = live.refresh()
    assert fmt.show(3) == "INT 3" and fmt.show("a") == "str a" and fmt.show(1.5) == "other"
    assert m.Formatter.__dict__["show"].dispatcher.registry[int] is show_int
    assert report.module(m.__name__).not_updated == []
    live.edit("m", 'return f"str {value}"', 'return f"STR {value}"')
    live.edit("m", 'return "other"', 'return "OTHER"')
    live.refresh()
    assert fmt.show(3) == "INT 3" and fmt.show("a") == "STR a" and fmt.show(1.5) == "OTHER"


# ------------------------------------------------------------ runtime-checkable protocols

PROTOCOLS = """
from typing import Protocol, runtime_checkable

@runtime_checkable
class Closer(Protocol):
    def close(self): ...

    def flush(self): ...

@runtime_checkable
class NamedCloser(Closer, Protocol):
    name: str

class File:
    name = "f"

    def close(self):
        pass

    def flush(self):
        pass

class Socket:
    name = "s"

    def close(self):
        pass
"""


def test_protocol_gains_a_member(live):
    m = live.load("m", PROTOCOLS)
    file, sock = m.File(), m.Socket()
    assert isinstance(file, m.Closer) and not isinstance(sock, m.Closer)
    assert issubclass(m.File, m.Closer) and isinstance(file, m.NamedCloser)
    old_cls = m.Closer
    live.edit(
        "m", "    def flush(self): ...\n", "    def flush(self): ...\n\n    def seek(self): ...\n"
    )
    live.refresh()
    assert m.Closer is old_cls
    # File lacks seek(): no longer a Closer, nor a NamedCloser that derives from it.
    assert not isinstance(file, m.Closer) and not issubclass(m.File, m.Closer)
    assert not isinstance(file, m.NamedCloser)
    m.File.seek = lambda self: None
    assert isinstance(file, m.Closer) and isinstance(file, m.NamedCloser)


def test_protocol_loses_a_member(live):
    m = live.load("m", PROTOCOLS)
    file, sock = m.File(), m.Socket()
    assert not isinstance(sock, m.Closer) and not isinstance(sock, m.NamedCloser)
    live.edit("m", "    def flush(self): ...\n", "")
    live.refresh()
    # Socket has close() and a name: it now is one.
    assert isinstance(sock, m.Closer) and issubclass(m.Socket, m.Closer)
    assert isinstance(sock, m.NamedCloser) and isinstance(file, m.Closer)
    live.edit("m", "    name: str\n", "    name: str\n    size: int\n")
    live.refresh()
    assert not isinstance(sock, m.NamedCloser) and isinstance(sock, m.Closer)


# ------------------------------------------------------------ pydantic and attrs

PYDANTIC_MODEL = """
from pydantic import BaseModel, field_validator

class User(BaseModel):
    name: str
    age: int = 0

    @field_validator("name")
    @classmethod
    def tidy(cls, value):
        return value.strip()

    def greet(self):
        return "hi " + self.name
"""


def test_pydantic_method_and_validator_edits_keep_the_model(live):
    pytest.importorskip("pydantic")
    m = live.load("m", PYDANTIC_MODEL)
    old_cls, user = m.User, m.User(name=" ada ")
    live.edit("m", "return value.strip()", "return value.strip().title()")
    live.edit("m", '"hi " + self.name', '"hello " + self.name')
    live.edit(
        "m",
        "    def greet(self):",
        "    def shout(self):\n        return self.name.upper()\n\n    def greet(self):",
    )
    report = live.refresh()
    assert m.User is old_cls and report.module(m.__name__).replaced == []
    assert old_cls(name=" bob ").name == "Bob"
    assert old_cls.model_validate({"name": " eve "}).name == "Eve"
    assert user.greet() == "hello ada" and user.shout() == "ADA"


def test_pydantic_field_added_replaces_the_model(live):
    pydantic = pytest.importorskip("pydantic")
    m = live.load("m", PYDANTIC_MODEL)
    old_cls, user = m.User, m.User(name="ada", age=3)
    live.edit("m", "    age: int = 0\n", "    age: int = 0\n    email: str = 'none'\n")
    report = live.refresh()
    new_cls = m.User
    assert new_cls is not old_cls
    [(qualname, why)] = report.module(m.__name__).replaced
    assert qualname == "User" and "pydantic" in why
    made = new_cls.model_validate({"name": " bob ", "email": "b@x"})
    assert type(made) is new_cls and made.name == "bob"
    assert made.model_dump() == {"name": "bob", "age": 0, "email": "b@x"}
    assert list(new_cls.model_fields) == ["name", "age", "email"]
    with pytest.raises(pydantic.ValidationError):
        new_cls(name="x", email=3)
    # Old instances keep the class they were made with, which is still whole.
    assert type(user) is old_cls and user.model_dump() == {"name": "ada", "age": 3}
    assert list(old_cls.model_fields) == ["name", "age"]


def test_pydantic_validator_added_replaces_the_model(live):
    pytest.importorskip("pydantic")
    m = live.load("m", PYDANTIC_MODEL)
    old_cls = m.User
    live.edit(
        "m",
        "    def greet(self):",
        "    @field_validator('age')\n    @classmethod\n    def positive(cls, value):\n"
        "        return abs(value)\n\n    def greet(self):",
    )
    report = live.refresh()
    assert m.User is not old_cls and [q for q, _ in report.module(m.__name__).replaced] == ["User"]
    assert m.User(name="a", age=-4).age == 4


def test_attrs_field_added_replaces_the_class(live):
    attr = pytest.importorskip("attr")
    m = live.load(
        "m",
        """
        import attr

        @attr.s(auto_attribs=True)
        class Point:
            x: int
            y: int = 0

            def total(self):
                return self.x + self.y
        """,
    )
    old_cls, p = m.Point, m.Point(1, 2)
    live.edit("m", "    y: int = 0\n", "    y: int = 0\n    z: int = 5\n")
    report = live.refresh()
    assert m.Point is not old_cls
    [(qualname, why)] = report.module(m.__name__).replaced
    assert qualname == "Point" and "attrs" in why
    assert m.Point(1).z == 5 and [a.name for a in attr.fields(m.Point)] == ["x", "y", "z"]
    assert type(p) is old_cls and p.total() == 3
    live.edit("m", "return self.x + self.y", "return self.x + self.y + self.z")
    report = live.refresh()
    assert report.module(m.__name__).replaced == [] and m.Point(1).total() == 6


def test_pydantic_dataclass_field_added_replaces_the_class(live):
    pytest.importorskip("pydantic")
    m = live.load(
        "m",
        """
        from pydantic import TypeAdapter
        from pydantic.dataclasses import dataclass

        @dataclass
        class Item:
            sku: str
        """,
    )
    old_cls, item = m.Item, m.Item(sku="a")
    live.edit("m", "    sku: str\n", "    sku: str\n    count: int = 1\n")
    report = live.refresh()
    assert m.Item is not old_cls and [q for q, _ in report.module(m.__name__).replaced] == ["Item"]
    made = m.TypeAdapter(m.Item).validate_python({"sku": "b", "count": "3"})
    assert type(made) is m.Item and made.count == 3
    assert type(item) is old_cls and item.sku == "a"


def test_protocol_method_becomes_a_data_member(live):
    m = live.load(
        "m",
        """
        from typing import Optional, Protocol, runtime_checkable

        @runtime_checkable
        class Labelled(Protocol):
            def label(self): ...

        class Blank:
            label = None
        """,
    )
    blank = m.Blank()
    # None blocks a method member, not a data member.
    assert not isinstance(blank, m.Labelled)
    live.edit("m", "    def label(self): ...\n", "    label: Optional[str]\n")
    live.refresh()
    assert "label" not in vars(m.Labelled) and isinstance(blank, m.Labelled)
