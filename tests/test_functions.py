"""Functions are changed in place: every existing reference runs the new code."""

from __future__ import annotations

import functools
import inspect
import sys

import limeade
from conftest import dedent


def test_body_change_seen_through_old_function_object(live):
    m = live.load(
        "m",
        """
        def f(x):
            return x + 1
        """,
    )
    old_f = m.f
    old_code = old_f.__code__
    live.edit("m", "x + 1", "x + 100")
    report = live.refresh()
    assert report
    assert old_f(1) == 101
    assert m.f is old_f
    assert old_f.__code__ is not old_code
    assert report.changes == [limeade.Change(live.name("m"), "f", "body", "updated in place")]


def test_body_change_seen_through_from_import_in_other_module(live):
    a = live.load(
        "a",
        """
        def f():
            return "old"
        """,
    )
    b = live.load(
        "b",
        f"""
        from {live.name("a")} import f

        def call():
            return f()
        """,
    )
    imported = b.f
    live.edit("a", '"old"', '"new"')
    live.refresh()
    assert b.call() == "new"
    assert imported() == "new"
    assert b.f is a.f is imported


def test_body_change_seen_through_stored_callback_list(live):
    m = live.load(
        "m",
        """
        def on_a(x):
            return ("a", x)

        def on_b(x):
            return ("b", x)
        """,
    )
    callbacks = [m.on_a, m.on_b]
    live.edit("m", '("a", x)', '("A", x * 2)')
    live.refresh()
    assert [cb(3) for cb in callbacks] == [("A", 6), ("b", 3)]
    assert callbacks[0] is m.on_a


def test_body_change_seen_through_partial(live):
    m = live.load(
        "m",
        """
        def add(a, b):
            return a + b
        """,
    )
    add10 = functools.partial(m.add, 10)
    assert add10(1) == 11
    live.edit("m", "a + b", "a * b")
    live.refresh()
    assert add10(3) == 30


def test_defaults_change(live):
    m = live.load(
        "m",
        """
        def f(x=1, y=2):
            return (x, y)
        """,
    )
    old_f = m.f
    live.edit("m", "x=1, y=2", "x=10, y=20")
    report = live.refresh()
    assert old_f() == (10, 20)
    assert old_f.__defaults__ == (10, 20)
    assert old_f(5) == (5, 20)
    assert report.changes == [limeade.Change(live.name("m"), "f", "defaults", "updated in place")]


def test_kwonly_defaults_change(live):
    m = live.load(
        "m",
        """
        def f(*, key="a", flag=False):
            return (key, flag)
        """,
    )
    old_f = m.f
    live.edit("m", 'key="a", flag=False', 'key="b", flag=True')
    live.refresh()
    assert old_f() == ("b", True)
    assert old_f.__kwdefaults__ == {"key": "b", "flag": True}
    assert old_f(key="z") == ("z", True)


def test_mutable_default_identity_is_new_after_default_change(live):
    m = live.load(
        "m",
        """
        def f(acc=[]):
            acc.append(1)
            return len(acc)
        """,
    )
    old_f = m.f
    assert old_f() == 1
    assert old_f() == 2
    live.edit("m", "acc=[]", "acc=[0, 0]")
    live.refresh()
    assert old_f() == 3
    assert old_f() == 4


def test_annotations_change(live):
    m = live.load(
        "m",
        """
        def f(x: int) -> int:
            return x
        """,
    )
    old_f = m.f
    live.edit("m", "def f(x: int) -> int:", "def f(x: str) -> str:")
    report = live.refresh()
    assert old_f.__annotations__ == {"x": str, "return": str}
    assert inspect.signature(old_f).parameters["x"].annotation is str
    assert report.changes[0].qualname == "f"


def test_docstring_change(live):
    m = live.load(
        "m",
        '''
        def f():
            """Old doc."""
            return 1
        ''',
    )
    old_f = m.f
    live.edit("m", "Old doc.", "New doc, longer.")
    live.refresh()
    assert old_f.__doc__ == "New doc, longer."
    assert inspect.getdoc(old_f) == "New doc, longer."
    assert old_f() == 1


def test_docstring_removed(live):
    m = live.load(
        "m",
        '''
        def f():
            """Doc."""
            return 1
        ''',
    )
    old_f = m.f
    live.edit("m", '    """Doc."""\n', "")
    live.refresh()
    assert old_f.__doc__ is None
    assert old_f() == 1


def test_signature_change_adds_parameter(live):
    m = live.load(
        "m",
        """
        def f(a):
            return a
        """,
    )
    old_f = m.f
    live.edit("m", "def f(a):\n    return a", "def f(a, b=5):\n    return a + b")
    live.refresh()
    assert old_f(1) == 6
    assert old_f(1, 2) == 3
    assert list(inspect.signature(old_f).parameters) == ["a", "b"]


def test_decorated_with_wraps_body_change(live):
    m = live.load(
        "m",
        """
        import functools

        CALLS = []

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                CALLS.append(fn.__name__)
                return fn(*args)
            return wrapper

        @logged
        def f(x):
            return x + 1
        """,
    )
    wrapper = m.f
    original = wrapper.__wrapped__
    live.edit("m", "return x + 1", "return x + 2")
    live.refresh()
    assert m.f is wrapper
    assert wrapper.__wrapped__ is original
    assert wrapper(1) == 3
    assert m.CALLS == ["f"]


def test_nested_function_change(live):
    m = live.load(
        "m",
        """
        def make(n):
            def inner(x):
                return x + n
            return inner
        """,
    )
    old_make = m.make
    before = old_make(1)
    live.edit("m", "return x + n", "return x * n")
    live.refresh()
    assert old_make(3)(5) == 15
    # Closures made before the edit run the new inner code too (same free variables).
    assert before(5) == 5


def test_lambda_assignment_change(live):
    m = live.load(
        "m",
        """
        square = lambda x: x * x  # noqa: E731
        """,
    )
    old = m.square
    live.edit("m", "x * x", "x * x * x")
    live.refresh()
    assert m.square(2) == 8
    assert old(2) == 8


def test_recursive_function_change(live):
    m = live.load(
        "m",
        """
        def fact(n):
            return 1 if n <= 1 else n * fact(n - 1)
        """,
    )
    old_fact = m.fact
    live.edit("m", "1 if n <= 1", "0 if n <= 0")
    live.refresh()
    assert old_fact(3) == 0


def test_changed_function_calls_added_function(live):
    m = live.load(
        "m",
        """
        def f():
            return 1
        """,
    )
    old_f = m.f
    live.write(
        "m",
        """
        def f():
            return helper() + 1

        def helper():
            return 41
        """,
    )
    report = live.refresh()
    assert old_f() == 42
    assert m.helper() == 41
    assert limeade.Change(live.name("m"), "helper", "added", "added") in report.changes


def test_function_with_global_statement_change(live):
    m = live.load(
        "m",
        """
        COUNT = 0

        def bump():
            global COUNT
            COUNT += 1
            return COUNT
        """,
    )
    old_bump = m.bump
    assert old_bump() == 1
    live.edit("m", "COUNT += 1", "COUNT += 10")
    live.refresh()
    assert old_bump() == 11
    assert m.COUNT == 11


def test_module_refreshed_by_name_and_by_object(live):
    a = live.load("a", "def f():\n    return 1\n")
    b = live.load("b", "def g():\n    return 1\n")
    fa, gb = a.f, b.g
    live.edit("a", "return 1", "return 2")
    live.edit("b", "return 1", "return 2")
    report = live.refresh(modules=[a])
    assert [r.module for r in report.modules] == [a.__name__]
    assert (fa(), gb()) == (2, 1)
    report = live.refresh(modules=b.__name__)
    assert [r.module for r in report.modules] == [b.__name__]
    assert gb() == 2


def test_function_attributes_survive_body_change(live):
    m = live.load(
        "m",
        """
        def f():
            return 1
        """,
    )
    m.f.tag = "kept"
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert m.f() == 2
    assert m.f.tag == "kept"


def test_module_not_imported_anymore_is_not_refreshed(live):
    m = live.load("m", "def f():\n    return 1\n")
    f = m.f
    del sys.modules[m.__name__]
    live.edit("m", "return 1", "return 2")
    report = live.refresh()
    assert f() == 1
    assert all(r.module != m.__name__ for r in report.modules)


def test_conditional_definitions_first_branch_changed(live):
    m = live.load(
        "m",
        """
        import sys

        if sys.maxsize > 0:
            def f():
                return "first"
        else:
            def f():
                return "second"
        """,
    )
    f = m.f
    live.edit("m", '"first"', '"FIRST"')
    live.refresh()
    assert f() == "FIRST"
    assert m.f is f


def test_decorator_added_binds_decorated_function(live):
    m = live.load(
        "m",
        """
        import functools

        def f(x):
            return [x]
        """,
    )
    live.edit("m", "def f(x):", "@functools.lru_cache(maxsize=None)\ndef f(x):")
    report = live.refresh()
    assert m.f(1) is m.f(1)
    assert m.f.cache_info().hits == 1
    assert [q for q, _ in report.module(m.__name__).replaced] == ["f"]


def test_overload_stub_edit_leaves_implementation_alone(live):
    m = live.load(
        "m",
        """
        from typing import overload

        @overload
        def f(x: int) -> int: ...
        @overload
        def f(x: str) -> str: ...
        def f(x):
            return x
        """,
    )
    f = m.f
    # Only the first (dead) overload stub changes.
    live.edit("m", "def f(x: int) -> int: ...", "def f(x: bytes) -> int: ...")
    live.refresh()
    assert m.f is f
    assert f(5) == 5
    assert f.__annotations__ == {}


#: A singledispatch function with an implementation named `_` (and a second one to add).
SHOW = """
    from functools import singledispatch

    @singledispatch
    def show(x):
        return "obj"

    @show.register
    def _(x: int):
        return "int"
    """
STR_IMPL = '\n@show.register\ndef _(x: str):\n    return "str"\n'


def test_singledispatch_impls_named_underscore(live):
    m = live.load("m", dedent(SHOW) + STR_IMPL)
    show = m.show
    live.edit("m", 'return "int"', 'return "INT"')
    live.refresh()
    assert (show(1), show("a"), show(1.5)) == ("INT", "str", "obj")


def test_a_singledispatch_impl_added_after_another_underscore_keeps_both(live):
    # The new `_` is a second implementation, not a new version of the first: the int one
    # keeps its code.
    m = live.load("m", SHOW)
    show, int_impl = m.show, m.show.registry[int]
    live.write("m", dedent(SHOW) + STR_IMPL)
    report = live.refresh()
    assert (show(1), show("a"), show(1.5)) == ("int", "str", "obj")
    assert show.registry[int] is int_impl
    assert ("_#2", "added", "replaced") in [(c.qualname, c.kind, c.outcome) for c in report.changes]


def test_removing_the_first_of_two_underscore_impls_unregisters_it(live):
    # Definitions sharing a name are matched by content first: the str `_` that stays is the
    # old second one (moved up), the int one is removed and leaves the registry.
    m = live.load("m", dedent(SHOW) + STR_IMPL)
    show, str_impl = m.show, m.show.registry[str]
    live.edit("m", '@show.register\ndef _(x: int):\n    return "int"\n', "")
    report = live.refresh()
    assert (show(1), show("a")) == ("obj", "str")
    assert show.registry[str] is str_impl and int not in show.registry
    told = sorted((c.qualname, c.kind, c.outcome) for c in report.changes)
    assert told == [("_", "moved", "updated in place"), ("_ (old)", "removed", "removed")]


def test_a_removed_named_singledispatch_impl_is_unregistered(live):
    m = live.load("m", SHOW.replace("def _(x: int)", "def show_int(x: int)"))
    show = m.show
    live.edit("m", '@show.register\ndef show_int(x: int):\n    return "int"\n', "")
    live.refresh()
    assert show(1) == "obj" and not hasattr(m, "show_int")


def test_lru_cache_is_cleared_when_its_function_changes(live):
    m = live.load(
        "m",
        """
        import functools

        @functools.lru_cache(maxsize=None)
        def square(x):
            return x * x
        """,
    )
    square = m.square
    assert (square(3), square(4)) == (9, 16)
    live.edit("m", "return x * x", "return x * x + 1")
    told = [(c.outcome, c.why) for c in limeade.plan().changes if c.qualname == "square"]
    report = live.refresh()
    assert m.square is square
    # The plan and the report say what happens to the cached results.
    done = [(c.outcome, c.why) for c in report.changes if c.qualname == "square"]
    assert told == done == [("updated in place", "cache cleared: 2 results")]
    # No stale result survives: the cached 9 was computed by the old code.
    assert square(3) == 10


def test_existing_closures_run_the_new_inner_code(live):
    m = live.load(
        "m",
        """
        def make_adder(n):
            def add(x):
                return x + n
            return add
        """,
    )
    add2 = m.make_adder(2)
    live.edit("m", "return x + n", "return x + n * 10")
    report = live.refresh()
    assert add2(1) == 21
    assert m.make_adder(3)(1) == 31
    assert report.module(m.__name__).not_updated == []


def test_closure_with_other_free_variables_is_reported_not_updated(live):
    m = live.load(
        "m",
        """
        def make_adder(n):
            k = 1
            def add(x):
                return x + n
            return add
        """,
    )
    add2 = m.make_adder(2)
    live.edit("m", "return x + n\n", "return x + n + k\n")
    report = live.refresh()
    assert add2(1) == 3
    assert m.make_adder(2)(1) == 4
    assert report.module(m.__name__).not_updated == [
        ("make_adder.<locals>.add", "closure not updated: free variables changed")
    ]


def test_a_cached_function_edited_while_a_call_of_it_runs_says_what_that_call_stores(live):
    import threading

    m = live.load(
        "m",
        """
        import functools
        import threading

        STARTED, STOP = threading.Event(), threading.Event()

        @functools.cache
        def work(n):
            STARTED.set()
            STOP.wait(30)
            return n
        """,
    )
    results = []
    worker = threading.Thread(target=lambda: results.append(m.work(1)))
    worker.start()
    try:
        assert m.STARTED.wait(10)
        live.edit("m", "return n\n", "return n + 100\n")
        report = live.refresh()  # also checks the plan said the same
    finally:
        m.STOP.set()
        worker.join(10)
    [done] = report.changes
    assert done.outcome == "updated in place"
    assert done.why.startswith("running now") and "cache cleared: 0 results" in done.why
    assert "the call in progress may store a result of the old code" in done.why
    # As the report says: the running call returned and cached its old-code result.
    assert results == [1] and m.work(1) == 1 and m.work(2) == 102
