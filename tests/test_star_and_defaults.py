"""Star imports and defaults that read a rebound name: after a refresh, importers of ``*`` hold
the names a fresh import would give them, and unchanged functions whose defaults read a changed
name get the default a fresh start would give them."""

from __future__ import annotations

import limeade
import pytest


def _package(live, lib: str, init: str = "from .lib import *\n") -> None:
    live.write("kit", init, package=True)
    live.write("kit.lib", lib)


# ----------------------------------------------------------------------------- star imports


def test_star_importer_gets_a_name_the_module_gains(live):
    lib = live.load("lib", "def shout(t):\n    return t.upper()\n")
    app = live.load(
        "app", f"from {lib.__name__} import *\n\ndef run():\n    return whisper('HI')\n"
    )
    live.edit("lib", "def shout", "def whisper(t):\n    return t.lower()\n\n\ndef shout")
    plan = limeade.plan()
    report = live.refresh()
    assert app.whisper is lib.whisper
    assert app.run() == "hi"
    assert limeade.Change(
        app.__name__, "whisper", f"rebound from {lib.__name__}.whisper", "rebound in importer"
    ) in (report.changes)
    assert report.changes == plan.changes


def test_star_importer_follows_all_and_loses_names_no_longer_exported(live):
    lib = live.load("lib", "__all__ = ['a', 'b']\na = 1\nb = 2\n_c = 3\n")
    app = live.load("app", f"from {lib.__name__} import *\n")
    assert (app.a, app.b) == (1, 2)
    live.edit("lib", "__all__ = ['a', 'b']", "__all__ = ['a', '_c']")
    plan = limeade.plan()
    report = live.refresh()
    assert app._c == 3
    assert not hasattr(app, "b")
    assert lib.b == 2
    assert limeade.Change(
        app.__name__, "b", f"unbound, no longer exported by {lib.__name__}", "removed"
    ) in (report.changes)
    assert report.changes == plan.changes


def test_star_importer_gets_a_rebound_constant_but_keeps_its_own_names(live):
    lib = live.load("lib", "WIDTH = 40\nHEIGHT = 10\nNAME = 'lib'\n")
    app = live.load("app", f"from {lib.__name__} import *\nNAME = 'app'\n")
    app.HEIGHT = 99
    live.edit("lib", "WIDTH = 40\nHEIGHT = 10\nNAME = 'lib'", "WIDTH = 60\nHEIGHT = 20\nNAME = 'x'")
    report = live.refresh()
    assert app.WIDTH == 60
    assert app.HEIGHT == 99
    assert app.NAME == "app"
    assert all(c.qualname in ("WIDTH",) for c in report.changes if c.module == app.__name__)


def test_relative_star_import_through_a_reexporting_package(live):
    _package(live, "WIDTH = 40\n\ndef shout(t):\n    return t.upper()\n")
    kit = live.load("kit")
    lib = live.module("kit.lib")
    app = live.load("app", f"from {kit.__name__} import *\n")
    live.edit("kit.lib", "WIDTH = 40", "WIDTH = 60\n\ndef whisper(t):\n    return t.lower()")
    plan = limeade.plan()
    report = live.refresh()
    assert kit.WIDTH == 60 and app.WIDTH == 60
    assert kit.whisper is lib.whisper and app.whisper is lib.whisper
    assert limeade.Change(
        app.__name__, "whisper", f"rebound from {kit.__name__}.whisper", "rebound in importer"
    ) in (report.changes)
    assert report.changes == plan.changes


def test_named_copy_through_a_reexporting_package_is_rebound_too(live):
    _package(live, "WIDTH = 40\n", init="from .lib import WIDTH\n")
    kit = live.load("kit")
    app = live.load("app", f"from {kit.__name__} import WIDTH\n")
    live.edit("kit.lib", "WIDTH = 40", "WIDTH = 60")
    plan = limeade.plan()
    report = live.refresh()
    assert (kit.WIDTH, app.WIDTH) == (60, 60)
    assert limeade.Change(
        app.__name__, "WIDTH", f"rebound from {kit.__name__}.WIDTH", "rebound in importer"
    ) in (report.changes)
    assert report.changes == plan.changes


def test_star_rebinding_is_rolled_back_with_the_refresh(live):
    lib = live.load("lib", "a = 1\n")
    app = live.load("app", f"from {lib.__name__} import *\n")
    live.edit("lib", "a = 1", "a = 2\nb = 3\nBROKEN = 1 / 0")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert app.a == 1 and not hasattr(app, "b")


# ----------------------------------------------------------------------------- defaults


def test_default_reading_a_name_changed_in_the_same_module(live):
    m = live.load(
        "m",
        """
        TIMEOUT = 5

        def connect(timeout=TIMEOUT, *, backoff=TIMEOUT / 10, retries=3):
            return timeout, backoff, retries

        class Client:
            def get(self, timeout=TIMEOUT):
                return timeout
        """,
    )
    connect, client = m.connect, m.Client()
    live.edit("m", "TIMEOUT = 5", "TIMEOUT = 10")
    plan = limeade.plan()
    report = live.refresh()
    assert connect() == (10, 1.0, 3)
    assert client.get() == 10
    assert limeade.Change(
        m.__name__, "connect", "default re-evaluated: timeout, backoff", "updated in place"
    ) in (report.changes)
    assert limeade.Change(
        m.__name__, "Client.get", "default re-evaluated: timeout", "updated in place"
    ) in (report.changes)
    assert report.changes == plan.changes


def test_default_reading_a_name_rebound_from_another_module(live):
    config = live.load("config", "TIMEOUT = 5\n")
    app = live.load(
        "app",
        f"""
        from {config.__name__} import TIMEOUT

        def connect(timeout=TIMEOUT):
            return timeout
        """,
    )
    connect = app.connect
    live.edit("config", "TIMEOUT = 5", "TIMEOUT = 10")
    plan = limeade.plan()
    report = live.refresh()
    assert app.TIMEOUT == 10
    assert connect() == 10
    assert limeade.Change(
        app.__name__, "connect", "default re-evaluated: timeout", "updated in place"
    ) in (report.changes)
    assert report.changes == plan.changes


def test_default_reading_a_star_imported_name(live):
    lib = live.load("lib", "WIDTH = 40\n")
    app = live.load(
        "app",
        f"from {lib.__name__} import *\n\ndef banner(width=WIDTH):\n    return width\n",
    )
    banner = app.banner
    live.edit("lib", "WIDTH = 40", "WIDTH = 60")
    plan = limeade.plan()
    report = live.refresh()
    assert banner() == 60
    assert report.changes == plan.changes
    assert f"{app.__name__}.banner  default re-evaluated: width" in str(report)


def test_defaults_behind_decorators_and_of_changed_bodies(live):
    m = live.load(
        "m",
        """
        import functools

        TIMEOUT = 5

        def logged(fn):
            @functools.wraps(fn)
            def wrapper(*args, **kwargs):
                return fn(*args, **kwargs)
            return wrapper

        @logged
        def connect(timeout=TIMEOUT):
            return ("old", timeout)

        class Client:
            @staticmethod
            def make(timeout=TIMEOUT):
                return timeout

            @classmethod
            def build(cls, *, timeout=TIMEOUT):
                return timeout
        """,
    )
    connect, client = m.connect, m.Client
    live.edit("m", "TIMEOUT = 5", "TIMEOUT = 10")
    live.edit("m", '("old", timeout)', '("new", timeout)')
    plan = limeade.plan()
    report = live.refresh()
    assert connect() == ("new", 10)
    assert (client.make(), client.build()) == (10, 10)
    assert report.changes == plan.changes


def test_default_set_by_hand_is_left_alone(live):
    m = live.load("m", "TIMEOUT = 5\n\ndef connect(timeout=TIMEOUT):\n    return timeout\n")
    m.connect.__defaults__ = (99,)
    live.edit("m", "TIMEOUT = 5", "TIMEOUT = 10")
    report = live.refresh()
    assert m.connect() == 99
    assert all(c.qualname != "connect" for c in report.changes)


def test_method_default_reading_a_class_attribute_is_left_alone(live):
    m = live.load(
        "m",
        """
        LIMIT = 5

        class C:
            LIMIT = 7

            def take(self, n=LIMIT):
                return n
        """,
    )
    live.edit("m", "LIMIT = 5", "LIMIT = 6")
    report = live.refresh()
    assert m.C().take() == 7
    assert all(c.qualname != "C.take" for c in report.changes)


def test_default_failing_with_the_new_value_refuses_the_refresh(live):
    m = live.load("m", "STEP = 2\n\ndef halve(n=10 // STEP):\n    return n\n")
    halve = m.halve
    live.edit("m", "STEP = 2", "STEP = 0")
    with pytest.raises(limeade.ApplyError, match="halve"):
        live.refresh()
    assert m.STEP == 2
    assert halve() == 5


def test_redefined_defaults_are_evaluated_with_their_definition_not_here(live):
    m = live.load("m", "TIMEOUT = 5\n\ndef ping(timeout=TIMEOUT):\n    return timeout\n")
    live.edit("m", "def ping(timeout=TIMEOUT)", "def ping(timeout=TIMEOUT + 1)")
    report = live.refresh()
    assert m.ping() == 6
    assert all("re-evaluated" not in c.kind for c in report.changes)


def test_defaults_are_restored_when_a_later_module_fails(live):
    config = live.load("config", "TIMEOUT = 5\n")
    app = live.load(
        "app",
        f"from {config.__name__} import TIMEOUT\n\ndef connect(timeout=TIMEOUT):\n"
        "    return timeout\n",
    )
    connect = app.connect
    live.edit("config", "TIMEOUT = 5", "TIMEOUT = 10")
    live.edit("app", "def connect", "BROKEN = 1 / 0\n\ndef connect")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert config.TIMEOUT == 5 and app.TIMEOUT == 5
    assert connect() == 5
