"""A failed refresh also undoes what code it ran did to objects that already existed.

Changed statements, added classes' decorators and ``__init_subclass__`` hooks run before the
commit; they can add to an existing registry (a module-level dict, list or set, a dict held by a
class) before a later step fails. After the failure every such container holds exactly what it
held before (same object, same items by identity, same order), at every mutation index where
the commit can fail, for failures in later statements, later modules and migration hooks."""

from __future__ import annotations

import logging
from typing import Any, Callable, NamedTuple

import limeade
import pytest
from conftest import Ident, Live, count_mutations, snapshot
from limeade import _containers, _native
from limeade._summary import summary_line


def limeade_summary(report: Any) -> str:
    return summary_line(report, 0.001)


class Built(NamedTuple):
    modules: list[Any]
    #: The existing containers the new code registers into.
    registries: Callable[[], list[Any]]
    check_new: Callable[[], None]


def contents(containers: list[Any]) -> list[Any]:
    """Each container's identity and its items by identity, in order (sets: as a set)."""
    out: list[Any] = []
    for c in containers:
        if isinstance(c, dict):
            items: Any = [(Ident(k), Ident(v)) for k, v in c.items()]
        elif isinstance(c, set):
            items = {Ident(x) for x in c}
        else:
            items = [Ident(x) for x in c]
        out.append((Ident(c), items))
    return out


ROUTES_MODULE = """
ROUTES = {}
ORDER = []
PATHS = set()

def route(path):
    def register(cls):
        ROUTES[path] = cls
        ORDER.append(path)
        PATHS.add(path)
        return cls
    return register
"""


def _added_decorated_class(live: Live) -> Built:
    """(1) An added class with a registering decorator (another module's dict, list, set)."""
    routes = live.load("routes", ROUTES_MODULE)
    app = live.load(
        "app",
        f"""
        from {live.name("routes")} import route

        @route("/a")
        class A:
            pass

        def handler():
            return "old"
        """,
    )
    live.edit("app", 'return "old"', 'return "new"')
    live.edit("app", "def handler", '@route("/b")\nclass B:\n    pass\n\n\ndef handler')

    def check_new():
        assert routes.ROUTES == {"/a": app.A, "/b": app.B}
        assert (routes.ORDER, routes.PATHS, app.handler()) == (["/a", "/b"], {"/a", "/b"}, "new")

    return Built([routes, app], lambda: [routes.ROUTES, routes.ORDER, routes.PATHS], check_new)


def _changed_statements(live: Live) -> Built:
    """(2) Changed and added statements appending to and setting items of existing
    containers."""
    app = live.load(
        "app",
        """
        REGISTRY = []
        HANDLERS = {}
        SEEN = set()

        def handle_a():
            return "a"

        REGISTRY.append("first")
        HANDLERS["a"] = handle_a

        def work():
            return "old"
        """,
    )
    live.edit("app", 'REGISTRY.append("first")', 'REGISTRY.append("second")')
    live.edit(
        "app",
        'HANDLERS["a"] = handle_a',
        'HANDLERS["a"] = handle_a\nHANDLERS["b"] = work\nSEEN.add("b")',
    )
    live.edit("app", 'return "old"', 'return "new"')

    def check_new():
        assert app.REGISTRY == ["first", "second"]
        assert app.HANDLERS == {"a": app.handle_a, "b": app.work}
        assert app.SEEN == {"b"} and app.work() == "new"

    return Built([app], lambda: [app.REGISTRY, app.HANDLERS, app.SEEN], check_new)


def _init_subclass_registry(live: Live) -> Built:
    """(3) A kept base class whose ``__init_subclass__`` registers subclasses in a dict it holds
    and counts them in a class attribute; a subclass is added."""
    base = live.load(
        "base",
        """
        class Plugin:
            registry = {}
            count = 0

            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__(**kwargs)
                Plugin.registry[cls.__name__] = cls
                Plugin.count += 1
        """,
    )
    plugins = live.load(
        "plugins",
        f"""
        from {live.name("base")} import Plugin

        class First(Plugin):
            pass

        def version():
            return 1
        """,
    )
    live.edit("plugins", "return 1", "return 2")
    live.edit("plugins", "def version", "class Second(Plugin):\n    pass\n\n\ndef version")

    def check_new():
        assert base.Plugin.registry == {"First": plugins.First, "Second": plugins.Second}
        assert base.Plugin.count == 2 and plugins.version() == 2

    return Built([base, plugins], lambda: [base.Plugin.registry], check_new)


def _second_module_fails(live: Live, *, raising: bool = False) -> Built:
    """(4) A first module's statements register in a third module's containers; the second
    module (applied after the first) fails."""
    registry = live.load("registry", "HANDLERS = {}\nORDER = []\n")
    first = live.load(
        "first",
        f"""
        from {live.name("registry")} import HANDLERS, ORDER

        def f():
            return "old"

        HANDLERS["f"] = f
        """,
    )
    second = live.load(
        "second",
        f"""
        import {live.name("first")}

        LIMIT = 1

        def g():
            return "old"
        """,
    )
    live.edit(
        "first", 'HANDLERS["f"] = f', 'HANDLERS["f"] = f\nHANDLERS["g"] = f\nORDER.append("g")'
    )
    live.edit("first", 'return "old"', 'return "new"')
    live.edit("second", 'return "old"', 'return "new"')
    if raising:
        live.edit("second", "LIMIT = 1", "LIMIT = 1 / 0")

    def check_new():
        assert registry.HANDLERS == {"f": first.f, "g": first.f}
        assert registry.ORDER == ["g"]
        assert (first.f(), second.g()) == ("new", "new")

    return Built([registry, first, second], lambda: [registry.HANDLERS, registry.ORDER], check_new)


SCENARIOS = [
    _added_decorated_class,
    _changed_statements,
    _init_subclass_registry,
    _second_module_fails,
]


def _ids(scenario: Callable[..., Built]) -> str:
    return scenario.__name__.lstrip("_")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_success_registers_into_the_same_containers(live, scenario):
    built = scenario(live)
    held = built.registries()
    live.refresh()
    built.check_new()
    assert all(a is b for a, b in zip(built.registries(), held))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_every_commit_failure_undoes_registrations(live_factory, scenario):
    helper = live_factory()
    scenario(helper)
    total = count_mutations(limeade.refresh)
    helper.close()
    assert total >= 1
    for k in range(total):
        helper = live_factory()
        built = scenario(helper)
        before_state = snapshot(*built.modules)
        before = contents(built.registries())
        _native.set_fail_at(k)
        try:
            with pytest.raises(limeade.ApplyError):  # fails: no report to compare
                limeade.refresh()
        finally:
            _native.set_fail_at(None)
        assert contents(built.registries()) == before, f"mutation {k} of {total}"
        assert snapshot(*built.modules) == before_state, f"mutation {k} of {total}"
        helper.refresh()
        built.check_new()
        helper.close()


def test_later_statement_raising_undoes_registration_of_added_class(live):
    built = _added_decorated_class(live)
    live.edit("app", 'return "new"', 'return "new"\n\n\nBROKEN = 1 / 0')
    before = contents(built.registries())
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert contents(built.registries()) == before
    live.edit("app", "BROKEN = 1 / 0", "BROKEN = 1")
    live.refresh()
    built.check_new()


def test_later_statement_raising_undoes_appends_and_items(live):
    built = _changed_statements(live)
    live.edit("app", 'SEEN.add("b")', 'SEEN.add("b")\nFAIL = {}["missing"]')
    before = contents(built.registries())
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert contents(built.registries()) == before
    assert built.registries()[0] == ["first"]


def test_later_module_raising_undoes_first_modules_registrations(live):
    built = _second_module_fails(live, raising=True)
    before_state = snapshot(*built.modules)
    before = contents(built.registries())
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert info.value.module == built.modules[2].__name__
    assert contents(built.registries()) == before
    assert snapshot(*built.modules) == before_state
    live.edit("second", "LIMIT = 1 / 0", "LIMIT = 1")
    live.refresh()
    built.check_new()


def test_raising_migration_hook_undoes_registrations(live):
    # Only method bodies change: the hook is the only code of the program that runs.
    app = live.load(
        "app",
        """
        REGISTRY = []

        class Widget:
            def size(self):
                return 1

            def __limeade_migrate__(self):
                pass
        """,
    )
    widget, registry = app.Widget(), app.REGISTRY
    live.edit("app", "return 1", "return 2")
    live.edit(
        "app",
        "pass",
        'REGISTRY.append("migrated")\n        raise RuntimeError("cannot migrate")',
    )
    assert limeade.plan()._data["modules"][0]["execution"] == "definitions_only"
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert isinstance(info.value.__cause__, RuntimeError)
    assert app.REGISTRY is registry and registry == []
    assert widget.size() == 1


def test_decorated_method_run_again_for_super_undoes_its_registration(live):
    routes = live.load("routes", ROUTES_MODULE)
    app = live.load(
        "app",
        f"""
        from {live.name("routes")} import route

        class Base:
            def view(self):
                return "base"

        class Page(Base):
            @route("/page")
            def view(self):
                return "page"
        """,
    )
    old_view = routes.ROUTES["/page"]
    # Using super() gives the method a closure cell: the def runs again, decorator included.
    live.edit("app", 'return "page"', 'return super().view() + "+page"')
    before = contents([routes.ROUTES, routes.ORDER, routes.PATHS])
    _native.set_fail_at(0)
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    _native.set_fail_at(None)
    assert contents([routes.ROUTES, routes.ORDER, routes.PATHS]) == before
    assert app.Page().view() == "page"
    live.refresh()
    assert app.Page().view() == "base+page"
    assert routes.ROUTES["/page"] is not old_view and routes.ORDER == ["/page", "/page"]


def test_function_body_edit_runs_no_program_code(live):
    m = live.load("m", "class C:\n    def f(self):\n        return 1\n\n\ndef g():\n    return 1\n")
    live.edit("m", "return 1", "return 2", count=2)
    (module_plan,) = limeade.plan()._data["modules"]
    assert not _containers.may_run_user_code(m, module_plan)
    live.edit("m", "def g():", "def g(x=print):")
    (module_plan,) = limeade.plan()._data["modules"]
    assert _containers.may_run_user_code(m, module_plan)


def test_plain_function_added_runs_no_program_code(live):
    m = live.load("m", "def g():\n    return 1\n")
    live.edit("m", "return 1\n", "return 1\n\n\ndef h(a, *b, **c):\n    return 2\n")
    (module_plan,) = limeade.plan()._data["modules"]
    assert not _containers.may_run_user_code(m, module_plan)
    # A default value is the program's code, run when the `def` runs.
    live.edit("m", "def h(a,", "def h(a=print(),")
    (module_plan,) = limeade.plan()._data["modules"]
    assert _containers.may_run_user_code(m, module_plan)
    live.refresh()
    assert m.h() == 2


def test_base_class_kept_counter_and_registry_after_failure(live):
    built = _init_subclass_registry(live)
    plugin = built.modules[0].Plugin
    live.edit("plugins", "return 2", "return 2\n\n\nBROKEN = 1 / 0")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert plugin.registry == {"First": built.modules[1].First}
    assert plugin.count == 1
    assert not hasattr(built.modules[1], "Second")


def test_container_subclasses_are_restored_through_their_own_kind(live):
    m = live.load(
        "m",
        """
        import collections

        COUNTS = collections.Counter(a=1)
        BY_KEY = collections.defaultdict(list)
        ORDERED = collections.OrderedDict(x=1, y=2)
        QUEUE = collections.deque([1, 2])
        RAW = bytearray(b"ab")

        class Config:
            options = {"debug": False}
            level = 1

        STEP = 0
        """,
    )
    held = [m.COUNTS, m.BY_KEY, m.ORDERED, m.QUEUE, m.RAW, m.Config.options]
    live.edit(
        "m",
        "STEP = 0",
        """STEP = 1
COUNTS.update(a=5, b=1)
BY_KEY["k"].append(1)
ORDERED.move_to_end("x")
ORDERED["z"] = 3
QUEUE.popleft()
QUEUE.append(3)
RAW.extend(b"cd")
Config.options["debug"] = True
Config.level = 2
Config.added = True
FAIL = 1 / 0""",
    )
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert [m.COUNTS, m.BY_KEY, m.ORDERED, m.QUEUE, m.RAW, m.Config.options] == held
    assert all(a is b for a, b in zip(held, [m.COUNTS, m.BY_KEY, m.ORDERED, m.QUEUE, m.RAW]))
    assert dict(m.COUNTS) == {"a": 1} and dict(m.BY_KEY) == {}
    assert list(m.ORDERED.items()) == [("x", 1), ("y", 2)]
    assert list(m.QUEUE) == [1, 2] and m.RAW == bytearray(b"ab")
    assert m.Config.options == {"debug": False} and m.Config.level == 1
    assert not hasattr(m.Config, "added") and m.STEP == 0


def test_dict_key_deleted_and_inserted_again_gets_its_order_back(live):
    m = live.load("m", 'TABLE = {"a": 1, "b": 2}\nSTEP = 0\n')
    live.edit("m", "STEP = 0", 'STEP = 1\nTABLE["a"] = TABLE.pop("a")\nFAIL = 1 / 0')
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert list(m.TABLE.items()) == [("a", 1), ("b", 2)]


def test_container_above_the_limit_is_not_copied_and_says_so(live, monkeypatch, caplog):
    monkeypatch.setattr(_containers, "MAX_ITEMS", 3)
    m = live.load("m", "SMALL = [1]\nBIG = [1, 2, 3, 4]\nSTEP = 0\n")
    live.edit("m", "STEP = 0", "STEP = 1\nSMALL.append(2)\nBIG.append(5)\nFAIL = 1 / 0")
    with caplog.at_level(logging.DEBUG, logger="limeade"), pytest.raises(limeade.ApplyError):
        live.refresh()
    assert m.SMALL == [1]
    # The documented limit: a container too large to copy keeps what the failed refresh did.
    assert m.BIG == [1, 2, 3, 4, 5]
    assert f"{m.__name__}.BIG not saved for rollback: 4 items (limit 3)" in caplog.text


def test_restore_runs_no_method_a_container_subclass_overrides(live):
    m = live.load(
        "m",
        """
        import types

        LOG = types.SimpleNamespace(calls=[])

        class Tracking(dict):
            def __setitem__(self, key, value):
                LOG.calls.append(("set", key))
                super().__setitem__(key, value)

            def __delitem__(self, key):
                LOG.calls.append(("del", key))
                super().__delitem__(key)

        TRACKED = Tracking(a=1)
        STEP = 0
        """,
    )
    live.edit("m", "STEP = 0", 'STEP = 1\nTRACKED["x"] = 2\ndel TRACKED["a"]\nFAIL = 1 / 0')
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert dict(m.TRACKED) == {"a": 1}
    # Held one level deeper than a module global, LOG.calls is not restored: it shows that the
    # restore called neither override.
    assert m.LOG.calls == [("set", "x"), ("del", "a")]


def test_a_registry_entry_under_a_changed_key_is_reported(live):
    # `@command("hello")` -> `@command("greet")`: the decorator registers the function again
    # under the new key; the old key stays (only the program knows whether something else put
    # it there), and the report and the log say so.
    cmds = live.load(
        "cmds",
        """
        COMMANDS = {}


        def command(name):
            def deco(fn):
                COMMANDS[name] = fn
                return fn
            return deco


        @command("hello")
        def hello():
            return "hi"


        @command("bye")
        def bye():
            return "bye"
        """,
    )
    held = cmds.hello
    live.edit("cmds", '@command("hello")', '@command("greet")')
    report = live.refresh()
    assert cmds.COMMANDS["greet"]() == "hi" and cmds.COMMANDS["hello"] is held
    stale = [c for c in report.changes if c.kind == "registry entry"]
    assert [(c.qualname, c.outcome) for c in stale] == [("COMMANDS['hello']", "not updated")]
    assert "registered the same object again as 'greet'" in stale[0].why
    assert "not updated: COMMANDS['hello']" in limeade_summary(report)
