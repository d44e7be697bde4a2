"""Classes are changed in place: old instances, bound methods and subclasses see new code."""

from __future__ import annotations

import inspect
import traceback

import pytest


def test_method_body_seen_by_old_instance_and_bound_method(live):
    m = live.load(
        "m",
        """
        class C:
            def __init__(self, x):
                self.x = x

            def get(self):
                return self.x
        """,
    )
    old_C = m.C
    obj = m.C(3)
    bound = obj.get
    live.edit("m", "return self.x", "return self.x * 2")
    live.refresh()
    assert obj.get() == 6
    assert bound() == 6
    assert m.C is old_C
    assert isinstance(obj, m.C)
    assert type(obj) is m.C


def test_init_change_seen_by_new_instances_of_old_class(live):
    m = live.load(
        "m",
        """
        class C:
            def __init__(self):
                self.a = 1
        """,
    )
    old_C = m.C
    live.edit("m", "self.a = 1", "self.a = 2\n        self.b = 3")
    live.refresh()
    obj = old_C()
    assert (obj.a, obj.b) == (2, 3)


def test_property_setter_body_change(live):
    m = live.load(
        "m",
        """
        class C:
            def __init__(self):
                self._v = 0

            @property
            def v(self):
                return self._v

            @v.setter
            def v(self, value):
                self._v = value
        """,
    )
    obj = m.C()
    prop = m.C.__dict__["v"]
    obj.v = 5
    assert obj.v == 5
    live.edit("m", "self._v = value", "self._v = value * 100")
    report = live.refresh()
    obj.v = 5
    assert obj.v == 500
    assert m.C.__dict__["v"] is prop
    assert [c.qualname for c in report.changes] == ["C.v#2"]


def test_property_getter_body_change(live):
    m = live.load(
        "m",
        """
        class C:
            @property
            def v(self):
                return 1

            @v.setter
            def v(self, value):
                pass
        """,
    )
    obj = m.C()
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert obj.v == 2


def test_classmethod_and_staticmethod_stored_before(live):
    m = live.load(
        "m",
        """
        class C:
            NAME = "c"

            @classmethod
            def make(cls):
                return ("make", cls.NAME)

            @staticmethod
            def s(x):
                return x + 1
        """,
    )
    stored_s = m.C.s
    stored_make = m.C.make
    live.edit("m", "return x + 1", "return x + 2")
    live.edit("m", '("make", cls.NAME)', '("made", cls.NAME)')
    live.refresh()
    assert stored_s(1) == 3
    assert stored_make() == ("made", "c")
    assert m.C().s(1) == 3


def test_nested_class_method_change(live):
    m = live.load(
        "m",
        """
        class C:
            class Inner:
                def m(self):
                    return "inner-old"
        """,
    )
    inner_obj = m.C.Inner()
    old_inner = m.C.Inner
    live.edit("m", "inner-old", "inner-new")
    live.refresh()
    assert inner_obj.m() == "inner-new"
    assert m.C.Inner is old_inner


def test_zero_argument_super_in_changed_method(live):
    m = live.load(
        "m",
        """
        class Base:
            def hello(self):
                return "base"

        class Child(Base):
            def hello(self):
                return "child+" + super().hello()
        """,
    )
    obj = m.Child()
    live.edit("m", '"child+" + super().hello()', '"CHILD:" + super().hello()')
    live.refresh()
    assert obj.hello() == "CHILD:base"


def test_zero_argument_super_in_added_method(live):
    m = live.load(
        "m",
        """
        class Base:
            def hello(self):
                return "base"

            def extra(self):
                return "base-extra"

        class Child(Base):
            def hello(self):
                return "child"
        """,
    )
    obj = m.Child()
    live.edit(
        "m",
        'return "child"\n',
        'return "child"\n\n    def extra(self):\n        return "child+" + super().extra()\n',
    )
    live.refresh()
    assert obj.extra() == "child+base-extra"
    assert isinstance(obj, m.Child)


def test_dunder_class_in_changed_method(live):
    m = live.load(
        "m",
        """
        class C:
            def who(self):
                return 1
        """,
    )
    obj = m.C()
    live.edit("m", "return 1", "return __class__")
    live.refresh()
    assert obj.who() is m.C


def test_private_name_mangling_in_changed_method(live):
    m = live.load(
        "m",
        """
        class C:
            def __init__(self):
                self.__secret = 7

            def reveal(self):
                return 0
        """,
    )
    obj = m.C()
    live.edit("m", "return 0", "return self.__secret")
    live.refresh()
    assert obj.reveal() == 7
    assert obj._C__secret == 7


def test_added_method(live):
    m = live.load(
        "m",
        """
        class C:
            def a(self):
                return "a"
        """,
    )
    obj = m.C()
    live.edit(
        "m", 'return "a"\n', 'return "a"\n\n    def b(self):\n        return self.a() + "b"\n'
    )
    live.refresh()
    assert obj.b() == "ab"


def test_removed_method(live):
    m = live.load(
        "m",
        """
        class C:
            def a(self):
                return "a"

            def b(self):
                return "b"
        """,
    )
    obj = m.C()
    live.edit("m", '\n    def b(self):\n        return "b"\n', "")
    live.refresh()
    assert not hasattr(obj, "b")
    assert "b" not in vars(m.C)
    assert obj.a() == "a"


def test_added_and_removed_class_attributes(live):
    m = live.load(
        "m",
        """
        class C:
            OLD = 1
            KEEP = 2
        """,
    )
    obj = m.C()
    live.edit("m", "OLD = 1", "NEW = 3")
    live.refresh()
    assert obj.NEW == 3
    assert obj.KEEP == 2
    assert not hasattr(m.C, "OLD")


def test_changed_class_attribute(live):
    m = live.load(
        "m",
        """
        class C:
            LIMIT = 10

            def limit(self):
                return self.LIMIT
        """,
    )
    obj = m.C()
    live.edit("m", "LIMIT = 10", "LIMIT = 20")
    live.refresh()
    assert obj.limit() == 20


def test_class_level_state_survives_method_edit(live):
    m = live.load(
        "m",
        """
        class Registry:
            items = []

            @classmethod
            def add(cls, x):
                cls.items.append(x)
                return len(cls.items)
        """,
    )
    items = m.Registry.items
    m.Registry.add("a")
    m.Registry.add("b")
    live.edit("m", "return len(cls.items)", "return -len(cls.items)")
    live.refresh()
    assert m.Registry.items is items
    assert m.Registry.add("c") == -3
    assert items == ["a", "b", "c"]


def test_subclass_in_other_module_sees_base_change(live):
    base = live.load(
        "base",
        """
        class Base:
            def greet(self):
                return "hello"
        """,
    )
    sub = live.load(
        "sub",
        f"""
        from {live.name("base")} import Base

        class Sub(Base):
            def shout(self):
                return self.greet().upper()
        """,
    )
    obj = sub.Sub()
    live.edit("base", '"hello"', '"bonjour"')
    live.refresh()
    assert obj.shout() == "BONJOUR"
    assert sub.Base is base.Base
    assert issubclass(sub.Sub, base.Base)


def test_class_docstring_change(live):
    m = live.load(
        "m",
        '''
        class C:
            """Old."""

            def m(self):
                return 1
        ''',
    )
    old_C = m.C
    live.edit("m", "Old.", "New and longer.")
    live.refresh()
    assert old_C.__doc__ == "New and longer."


def test_dunder_method_change(live):
    m = live.load(
        "m",
        """
        class V:
            def __init__(self, n):
                self.n = n

            def __repr__(self):
                return f"V({self.n})"

            def __add__(self, other):
                return V(self.n + other.n)
        """,
    )
    a, b = m.V(1), m.V(2)
    live.edit("m", 'f"V({self.n})"', 'f"<V {self.n}>"')
    live.edit("m", "V(self.n + other.n)", "V(self.n * 10 + other.n)")
    live.refresh()
    assert repr(a) == "<V 1>"
    assert repr(a + b) == "<V 12>"


def test_method_with_nested_function_change(live):
    m = live.load(
        "m",
        """
        class C:
            def run(self, xs):
                def key(x):
                    return x
                return sorted(xs, key=key)
        """,
    )
    obj = m.C()
    live.edit("m", "return x\n", "return -x\n")
    live.refresh()
    assert obj.run([1, 3, 2]) == [3, 2, 1]


def test_method_decorated_with_wraps_change(live):
    m = live.load(
        "m",
        """
        import functools

        def twice(fn):
            @functools.wraps(fn)
            def wrapper(self, *a):
                return [fn(self, *a), fn(self, *a)]
            return wrapper

        class C:
            @twice
            def m(self):
                return 1
        """,
    )
    obj = m.C()
    wrapper = m.C.__dict__["m"]
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert obj.m() == [2, 2]
    assert m.C.__dict__["m"] is wrapper


def test_method_renamed(live):
    m = live.load(
        "m",
        """
        class C:
            def old_name(self):
                return 1
        """,
    )
    obj = m.C()
    live.edit("m", "def old_name", "def new_name")
    live.refresh()
    assert obj.new_name() == 1
    assert not hasattr(obj, "old_name")


def test_class_added_and_removed(live):
    m = live.load(
        "m",
        """
        class Old:
            pass

        def make():
            return Old()
        """,
    )
    make = m.make
    live.write(
        "m",
        """
        class New:
            pass

        def make():
            return New()
        """,
    )
    live.refresh()
    assert not hasattr(m, "Old")
    assert type(make()) is m.New


def test_instance_dict_untouched(live):
    m = live.load(
        "m",
        """
        class C:
            def __init__(self):
                self.data = {"k": 1}

            def get(self):
                return self.data["k"]
        """,
    )
    obj = m.C()
    data = obj.data
    obj.data["k"] = 5
    live.edit("m", 'return self.data["k"]', 'return self.data["k"] + 1')
    live.refresh()
    assert obj.data is data
    assert obj.get() == 6
    assert vars(obj) == {"data": {"k": 5}}


def test_shadowed_method_definition_edit(live):
    m = live.load(
        "m",
        """
        class C:
            def m(self):
                return "dead"

            def m(self):  # noqa: F811
                return "live"
        """,
    )
    obj = m.C()
    # The first definition is dead code (the second one replaced it): editing it changes nothing
    # the program can run.
    live.edit("m", 'return "dead"', 'return "DEAD"')
    live.refresh()
    assert obj.m() == "live"


def test_cached_property_body_change(live):
    m = live.load(
        "m",
        """
        import functools

        class C:
            @functools.cached_property
            def v(self):
                return "old"
        """,
    )
    cached = m.C()
    assert cached.v == "old"
    fresh = m.C()
    live.edit("m", 'return "old"', 'return "new"')
    live.refresh()
    assert cached.v == "old"  # computed before, as cached_property promises
    assert fresh.v == "new"


def test_method_moved_by_method_above_growing(live):
    m = live.load(
        "m",
        """
        class C:
            def a(self):
                return 1

            def b(self):
                raise ValueError("b")
        """,
    )
    obj = m.C()
    live.edit("m", "return 1", "x = 1\n        y = 2\n        z = 3\n        return x + y + z")
    live.refresh()
    assert obj.a() == 6
    with pytest.raises(ValueError) as info:
        obj.b()
    frame = traceback.extract_tb(info.value.__traceback__)[-1]
    assert (frame.lineno, frame.line) == (9, 'raise ValueError("b")')
    assert inspect.getsource(m.C.b).startswith("    def b(self):\n")
    assert m.C.b.__code__.co_firstlineno == 8


def test_partialmethod_sees_change(live):
    m = live.load(
        "m",
        """
        import functools

        class C:
            def _get(self, x):
                return ("old", x)

            one = functools.partialmethod(_get, 1)
        """,
    )
    obj = m.C()
    live.edit("m", '("old", x)', '("new", x)')
    live.refresh()
    assert obj.one() == ("new", 1)


def test_a_kept_class_gaining_or_losing_eq_follows_the_implicit_hash(live):
    # A class body defining __eq__ and not __hash__ gets __hash__ = None from type.__new__.
    m = live.load("hashing", "class K:\n    def __init__(self, v):\n        self.v = v\n")
    old_class, old = m.K, m.K(1)
    assert hash(old) is not None
    eq = "\n    def __eq__(self, other):\n        return type(other) is K and self.v == other.v\n"
    live.write("hashing", live.read("hashing") + eq)
    live.refresh()
    assert m.K is old_class and old == m.K(1) and m.K.__hash__ is None
    with pytest.raises(TypeError, match="unhashable"):
        hash(old)
    live.write("hashing", live.read("hashing").replace(eq, ""))
    live.refresh()
    assert m.K is old_class and "__hash__" not in vars(m.K) and isinstance(hash(old), int)
    # A class that defines its own __hash__ keeps it.
    live.write(
        "hashing", live.read("hashing") + eq + "\n    def __hash__(self):\n        return 7\n"
    )
    live.refresh()
    assert hash(old) == 7
