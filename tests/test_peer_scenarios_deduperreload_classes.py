"""Scenarios from IPython's deduperreload test suite about classes (methods, nested classes,
class attributes, classmethods, defaults, properties), run through limeade."""

from __future__ import annotations

import pytest


def test_method_starts_reading_module_global(live):
    m = live.load("m", "x = 9\n\nclass C:\n    def foo():\n        return 1\n")
    live.edit("m", "return 1", "return 1 + x")
    live.refresh()
    assert m.C.foo() == 10


@pytest.mark.parametrize("body", ["def foo():\n        return 1", "pass", "..."])
def test_constant_moves_from_module_into_class(live, body):
    m = live.load("m", f"x = 9\n\nclass C:\n    {body}\n")
    C = m.C
    live.write("m", "class C:\n    x = 9\n\n    def foo():\n        return 1 + C.x\n")
    live.refresh()
    assert m.C is C
    assert C.foo() == 10
    assert not hasattr(m, "x")


def test_class_attribute_change_seen_by_method(live):
    src = "class C:\n    x = 9\n\n    def foo():\n        return 1 + C.x\n"
    m = live.load("m", src)
    live.edit("m", "x = 9", "x = 20")
    live.refresh()
    assert m.C.foo() == 21


_NESTED = """
class C:
    x = 9

    def c():
        return 1

    class D:
        def foo():
            pass
"""


def test_nested_class_method_changed(live):
    m = live.load("m", _NESTED)
    D = m.C.D
    live.edit("m", "pass", "return 10")
    live.refresh()
    assert m.C.D is D and D.foo() == 10
    assert m.C.c() == 1


def test_outer_and_nested_class_methods_changed(live):
    m = live.load("m", _NESTED)
    c = m.C.c
    live.edit("m", "return 1", "return 13")
    live.edit("m", "pass", "return 10")
    live.refresh()
    assert (m.C.D.foo(), c()) == (10, 13)


def test_nested_method_reads_outer_class_attribute(live):
    m = live.load("m", _NESTED)
    live.edit("m", "pass", "return 10 + C.x")
    live.refresh()
    assert m.C.D.foo() == 19


def test_nested_method_ellipsis_body_replaced(live):
    m = live.load("m", _NESTED.replace("pass", "..."))
    foo = m.C.D.foo
    live.edit("m", "...", "return 10 + C.x")
    live.refresh()
    assert foo() == 19


def test_class_added_next_to_changed_class(live):
    m = live.load("m", "class C:\n    x = 9\n\n    def c():\n        return 1\n")
    C = m.C
    live.write(
        "m",
        "class C:\n    x = 9\n\n    def c():\n        return 13\n\n"
        "class D:\n    def c():\n        return 1\n",
    )
    live.refresh()
    assert m.C is C and C.c() == 13
    assert m.D.c() == 1


def test_empty_class_gains_attribute_method_and_nested_class(live):
    m = live.load("m", "class C:\n    pass\n")
    C = m.C
    live.write(
        "m",
        """
        class C:
            x = 9

            def c():
                return 13

            class D:
                def foo():
                    return 10
        """,
    )
    live.refresh()
    assert m.C is C
    assert (C.x, C.c(), C.D.foo()) == (9, 13, 10)


def test_outer_class_gains_method_and_nested_class_gains_members(live):
    m = live.load("m", "class C:\n    class D:\n        pass\n\ndef foo():\n    pass\n")
    C, D, foo = m.C, m.C.D, m.foo
    live.write(
        "m",
        """
        class C:
            def bar():
                return -1

            class D:
                s = 2

                def foo():
                    return 1

        def foo():
            pass
        """,
    )
    live.refresh()
    assert (m.C, m.C.D, m.foo) == (C, D, foo)
    assert (C.bar(), D.s, D.foo()) == (-1, 2, 1)


def test_class_removed_leaves_module_function(live):
    m = live.load("m", "class C:\n    def foo():\n        pass\n\ndef foo():\n    return 1\n")
    foo = m.foo
    live.write("m", "def foo():\n    return 1\n")
    live.refresh()
    assert not hasattr(m, "C")
    assert m.foo is foo


def test_method_removed_leaves_empty_class(live):
    m = live.load("m", "class C:\n    def foo(self):\n        pass\n\ndef foo():\n    pass\n")
    C, obj = m.C, m.C()
    live.write("m", "class C:\n    pass\n\ndef foo():\n    pass\n")
    live.refresh()
    assert m.C is C
    assert not hasattr(obj, "foo")


_CLASSMETHODS = """
class Foo:
    @classmethod
    def bar(cls):
        return 0

    @classmethod
    def func(cls):
        return 42 + cls.bar()

func = Foo.func
"""


def test_bound_classmethod_stored_at_import_unchanged_rewrite(live):
    m = live.load("m", _CLASSMETHODS)
    app = live.load("app", f"from {m.__name__} import func\n")
    live.write("m", _CLASSMETHODS)
    live.refresh()
    assert m.func() == app.func() == 42


def test_bound_classmethod_stored_at_import_sees_changed_helper(live):
    m = live.load("m", _CLASSMETHODS)
    app = live.load("app", f"from {m.__name__} import func\n")
    live.edit("m", "return 0", "return 1")
    live.refresh()
    assert m.func() == app.func() == m.Foo.func() == 43


def test_staticmethod_copied_to_importer_sees_changed_helper(live):
    src = _CLASSMETHODS.replace("@classmethod", "@staticmethod").replace("(cls)", "()")
    m = live.load("m", src.replace("cls.bar()", "Foo.bar()"))
    app = live.load("app", f"from {m.__name__} import func\n")
    live.edit("m", "return 0", "return 1")
    live.refresh()
    assert app.func() == 43


def test_method_gains_default_from_module_global(live):
    m = live.load("m", "x = 42\n\nclass Foo:\n    def foo(self, y): return y\n")
    obj = m.Foo()
    live.edit("m", "def foo(self, y)", "def foo(self, y=x)")
    live.refresh()
    assert (obj.foo(2), obj.foo()) == (2, 42)


def test_default_and_its_global_change_together(live):
    m = live.load("m", "x = 42\n\nclass Foo:\n    def foo(y): return y\n")
    live.write("m", "x = 44\n\nclass Foo:\n    def foo(y=x): return y\n")
    live.refresh()
    assert m.Foo.foo() == 44


def test_added_class_leaves_other_class_functions_identical(live):
    src = "x = 42\n\nclass Foo:\n    def foo(y=x): return y\n"
    m = live.load("m", src)
    foo = m.Foo.foo
    live.write("m", src + "\nclass C:\n    def foo(): return 200\n")
    live.refresh()
    assert m.Foo.foo is foo and foo() == 42
    assert m.C.foo() == 200


def test_local_variable_shadows_changed_global_in_method(live):
    m = live.load("m", "x = 42\n\nclass Foo:\n    pass\n")
    live.write("m", "x = 44\n\nclass Foo:\n    def foo():\n        x = 2\n        return x\n")
    live.refresh()
    assert m.Foo.foo() == 2 and m.x == 44


def test_local_variable_shadows_changed_global_in_function(live):
    m = live.load("m", "x = 42\n\ndef foo():\n    return x\n")
    foo = m.foo
    live.write("m", "x = 44\n\ndef foo():\n    x = 2\n    return x\n")
    live.refresh()
    assert foo() == 2


def test_property_getter_change_seen_by_old_instance(live):
    m = live.load("m", "class Foo:\n    @property\n    def foo(self):\n        return 42\n")
    obj = m.Foo()
    live.edit("m", "42", "43")
    live.refresh()
    assert obj.foo == 43
