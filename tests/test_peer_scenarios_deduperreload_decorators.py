"""Scenarios from IPython's deduperreload test suite about decorators (on functions and
methods, from other modules, with closures), run through limeade."""

from __future__ import annotations

_INCREMENTED = """
def incremented(f):
    return lambda *args: f(*args) + 1

class Foo:
    @classmethod
    @incremented
    def foo(cls):
        return 42

foo = Foo.foo
"""


def test_decorator_removed_from_classmethod(live):
    m = live.load("m", _INCREMENTED)
    app = live.load("app", f"from {m.__name__} import foo\n")
    assert app.foo() == 43
    live.edit("m", "    @incremented\n", "")
    report = live.refresh()
    assert m.Foo.foo() == 42
    # Differs from a fresh import: `foo = Foo.foo` did not change and is not run again, so the
    # bound method it stored still calls the old wrapper (the decorated object was replaced,
    # and a wrapper cannot become the undecorated function). The report must say so.
    assert app.foo() == m.foo() == 43
    assert "Foo.foo" in [q for q, _ in report.module(m.__name__).replaced]


def test_decorator_body_change_reaches_existing_wrappers(live):
    m = live.load("m", _INCREMENTED)
    app = live.load("app", f"from {m.__name__} import foo\n")
    live.edit("m", "f(*args) + 1", "f(*args) + 0")
    live.refresh()
    assert app.foo() == m.Foo.foo() == 42


def test_function_decorator_removed_then_decorator_factory_added(live):
    m = live.load(
        "m",
        """
        def incremented(f):
            return lambda *args: f(*args) + 1

        @incremented
        def foo():
            return 42
        """,
    )
    assert m.foo() == 43
    live.write(
        "m",
        "def incremented(f):\n    return lambda *args: f(*args) + 1\n\ndef foo():\n    return 42\n",
    )
    live.refresh()
    assert m.foo() == 42
    live.write(
        "m",
        """
        def incremented(v):
            def deco(f):
                return lambda *args: f(*args) + v
            return deco

        @incremented(2)
        def foo():
            return 43
        """,
    )
    live.refresh()
    assert m.foo() == 45


def test_function_wrapped_by_decorator_from_other_module(live):
    deco = live.load(
        "deco",
        """
        import functools

        def incremented(f):
            @functools.wraps(f)
            def wrapper(*args, **kwargs):
                return f(*args, **kwargs) + 1
            return wrapper
        """,
    )
    m = live.load(
        "m",
        f"""
        from {deco.__name__} import incremented as deco

        @deco
        def foo():
            return 42
        """,
    )
    app = live.load("app", f"from {m.__name__} import foo\n")
    live.edit("m", "return 42", "return 43")
    live.refresh()
    assert app.foo() == 44
    # The function inside keeps the module it was defined in as its globals.
    assert app.foo.__wrapped__.__globals__ is m.__dict__


def test_decorator_closure_variables_renamed(live):
    m = live.load(
        "m",
        """
        def decorate(func):
            free_var_x = "x"
            free_var_y = "y"
            def wrapper(*args, **kwargs):
                return func(*args, **kwargs), free_var_x, free_var_y
            return wrapper

        @decorate
        def f():
            return "v1"
        """,
    )
    live.write(
        "m",
        """
        def decorate(func):
            free_var_ax = "ax"
            free_var_by = "by"
            def wrapper(*args, **kwargs):
                return func(*args, **kwargs), free_var_ax, free_var_by
            return wrapper

        @decorate
        def f():
            return "v2"
        """,
    )
    report = live.refresh()
    # Differs from a fresh import (("v2", "ax", "by")): the wrapper made at import closes over
    # other variables than the new one, so it keeps its code (README: closures made before the
    # refresh); the function it wraps still gets the new body, and the report says so.
    assert m.f() == ("v2", "x", "y")
    assert (
        "decorate.<locals>.wrapper",
        "closure not updated: free variables changed",
    ) in report.module(m.__name__).not_updated
