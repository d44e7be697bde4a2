"""Reloaders leak easily: after a refresh, the objects it replaced must be freeable, and what
limeade itself keeps per module stays small (``cargo xtask bench memory`` measures it)."""

from __future__ import annotations

import gc
import inspect
import linecache
import os
import time
import types
import weakref

import limeade
from limeade import _native, _tracking
from limeade._prepare import ModulePreparation
from limeade._report import Plan
from limeade._running import Sandbox
from limeade._state import ModuleState


def test_old_code_and_replaced_values_are_freed(live):
    m = live.load(
        "m",
        """
        class Payload:
            pass

        DATA = Payload()

        def f():
            return 1
        """,
    )
    old_code = weakref.ref(m.f.__code__)
    old_data = weakref.ref(m.DATA)
    live.edit("m", "return 1", "return 2")
    live.edit("m", "DATA = Payload()", "DATA = Payload()  # new\nDATA = Payload()")
    live.refresh()
    assert m.f() == 2
    gc.collect()
    assert old_code() is None, "the old code object is still referenced"
    assert old_data() is None, "the replaced module value is still referenced"


def test_replaced_class_without_instances_is_freed(live):
    m = live.load("m", "class C:\n    pass\n")
    old_class = weakref.ref(m.C)
    live.edit("m", "class C:", "class C(int):")
    live.refresh()
    gc.collect()
    assert old_class() is None


def test_refresh_keeps_no_copy_of_lines_the_file_has(live):
    m = live.load("m", "def f():\n    return 1\n")
    path = str(live.path("m"))
    assert linecache.getline(path, 2).strip() == "return 1"  # as a traceback would cache it
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert path not in linecache.cache, "the refresh kept a copy of the lines of its file"
    assert linecache.getline(path, 2).strip() == "return 2"
    assert inspect.getsource(m.f) == "def f():\n    return 2\n"


def test_file_rewritten_during_the_refresh_keeps_the_running_lines(live):
    m = live.load("m", "import pathlib\n\nVERSION = 1\n\n\ndef f():\n    return VERSION\n")
    path = str(live.path("m"))
    live.edit(
        "m", "VERSION = 1\n", "VERSION = 2\npathlib.Path(__file__).write_text('# later\\n')\n"
    )
    live.refresh()
    assert m.f() == 2
    assert live.read("m") == "# later\n"
    # What runs, not what the file holds now (until it changes again).
    assert linecache.getline(path, 8) == "    return VERSION\n"
    assert linecache.getline(path, 4) == "pathlib.Path(__file__).write_text('# later\\n')\n"


def test_a_large_refresh_keeps_its_sources_packed_and_tracebacks_get_the_running_lines(live):
    # 2 MiB of source in one refresh: its new text is kept packed (see limeade_plan::KeptText).
    padding = "# a comment line that pads the module\n" * 60_000
    m = live.load(
        "m", f"import pathlib\n\nVERSION = 1\n{padding}\n\ndef f():\n    return VERSION\n"
    )
    path = str(live.path("m"))
    live.edit(
        "m", "VERSION = 1\n", "VERSION = 2\npathlib.Path(__file__).write_text('# later\\n')\n"
    )
    live.refresh()
    assert m.f() == 2
    kept = dict(_tracking.REGISTRY.memory_use())
    assert kept["source_text"] < 2_000_000 / 8, kept  # packed: 2.3 MB of source kept in less
    # The file changed during the refresh: the running lines come from the packed text.
    assert linecache.getline(path, 4) == "pathlib.Path(__file__).write_text('# later\\n')\n"
    last = len(padding.splitlines()) + 8
    assert linecache.getline(path, last) == "    return VERSION\n"


def test_the_first_refresh_after_the_background_parse_plans_from_the_packed_text(live):
    m = live.load("m", "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(300)))
    old_f = m.f150
    deadline = time.monotonic() + 60
    while _tracking.REGISTRY.warm_queue() > 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    # Its text is packed now (the registry's own tests check that): planned from it.
    live.edit("m", "return 150\n", "return -150\n")
    report = live.refresh()
    assert [(c.qualname, c.kind) for c in report.modules[0].changes] == [("f150", "body")]
    assert old_f() == -150 and old_f is m.f150
    assert inspect.getsource(m.f150) == "def f150():\n    return -150\n"


def test_refresh_keeps_no_preparation_or_plan(live):
    m = live.load("m", "def f():\n    return 1\n\n\nclass C:\n    X = 1\n")
    live.edit("m", "return 1", "return 2")
    live.edit("m", "X = 1", "X = 2")
    live.refresh()
    assert (m.f(), m.C.X) == (2, 2)
    gc.collect()
    name = live.name("m")
    alive = [
        o
        for o in gc.get_objects()
        if (isinstance(o, (ModulePreparation, Sandbox, ModuleState)) and o.name == name)
        or (isinstance(o, Plan) and name in o.modules)
        or (isinstance(o, _native.Plan) and name in o.module_names())
    ]
    assert alive == [], f"still alive after the refresh: {alive}"


def test_preparations_are_freed_without_the_cyclic_collector(live):
    # A refresh holds the collector off: a preparation kept alive by a reference cycle (a
    # frame holding itself) would stay, with its module's new text and scratch namespaces,
    # until the end of the refresh, for every module of a large refresh at once.
    ms = [live.load(f"m{i}", "def f():\n    return 1\n") for i in range(3)]
    for i in range(3):
        live.edit(f"m{i}", "return 1", "return 2")
    names = {live.name(f"m{i}") for i in range(3)}
    gc.collect()
    gc.disable()
    try:
        live.refresh()
        assert [m.f() for m in ms] == [2, 2, 2]
        garbage = [
            o.name for o in gc.get_objects() if isinstance(o, ModulePreparation) and o.name in names
        ]
    finally:
        gc.enable()
    assert garbage == [], f"preparations left in reference cycles: {garbage}"


def test_parsed_versions_share_the_recorded_text(live):
    m = live.load("m", "def f():\n    return 1\n")
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert m.f() == 2
    kept = dict(_tracking.REGISTRY.memory_use())
    assert kept["parsed_text_copies"] == 0
    assert kept["source_text"] >= len(live.read("m"))


def test_a_refresh_leaves_no_frame_of_its_own_alive(live):
    # A frame kept alive by a cycle (a local holding the frame itself) keeps every caller's
    # locals alive with it until the next collection: the refresh's previews among them, which
    # then look escaped and send each refresh on a heap search.
    m = live.load("m", "def f():\n    return 1\n\n\nVALUE = f()\n")
    f = m.f
    live.edit("m", "return 1", "return 2")
    live.edit("m", "VALUE = f()", "VALUE = f() + 10")
    package = os.path.dirname(limeade.__file__) + os.sep
    gc.collect()
    gc.disable()
    try:
        live.refresh()
        alive = [
            o.f_code.co_name
            for o in gc.get_objects()
            if isinstance(o, types.FrameType) and o.f_code.co_filename.startswith(package)
        ]
    finally:
        gc.enable()
    assert (f(), m.VALUE) == (2, 12)
    assert alive == []


def test_a_large_refresh_gives_the_memory_it_freed_back(live, monkeypatch):
    # Both versions of every changed module are alive during a refresh; the allocator would
    # keep the old ones' memory once they are freed. A refresh that replaced a lot of source
    # hands the free pages back; a small one is not charged for it.
    from limeade import _memory

    released: list[tuple[int, bool]] = []
    real = _memory.release_after_refresh

    def recording(replaced: int) -> bool:
        released.append((replaced, real(replaced)))
        return released[-1][1]

    monkeypatch.setattr(_memory, "release_after_refresh", recording)
    small = live.load("small", "def f():\n    return 1\n")
    live.edit("small", "return 1", "return 2")
    live.refresh()
    assert small.f() == 2
    assert released == [(len(live.read("small")), False)]

    filler = ("# " + "x" * 1022 + "\n") * (_memory.RELEASE_AFTER // 1024)
    big = live.load("big", filler + "def f():\n    return 'old'\n")
    live.edit("big", "'old'", "'new'")
    live.refresh()
    assert big.f() == "new"
    new_size = len(live.read("big"))
    assert new_size >= _memory.RELEASE_AFTER
    on_glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    assert released[1:] == [(new_size, on_glibc)]


def _wait_for_the_background_parse() -> None:
    deadline = time.monotonic() + 60
    while _tracking.REGISTRY.warm_queue() > 0 and time.monotonic() < deadline:
        time.sleep(0.02)


def test_modules_kept_compact_in_the_background_refresh_as_plain_ones(live):
    # Texts packed, trees encoded and `from m import X` bindings found by the background
    # parser: a refresh decodes what it needs and importers' copies are still rebound.
    config = live.load("config", "TIMEOUT = 5\n\n\ndef limit(n):\n    return min(n, TIMEOUT)\n")
    app = live.load(
        "app",
        f"""
        from {config.__name__} import TIMEOUT, limit

        class Client:
            def wait(self):
                return limit(100) + TIMEOUT
        """,
    )
    client, old_limit = app.Client(), app.limit
    _wait_for_the_background_parse()
    kept = dict(_tracking.REGISTRY.memory_use())
    live.edit("config", "TIMEOUT = 5", "TIMEOUT = 10")
    live.edit("app", "return limit(100) + TIMEOUT", "return limit(100) * TIMEOUT")
    plan = limeade.plan()
    report = live.refresh()
    assert report.changes == plan.changes
    assert app.TIMEOUT == 10 and config.TIMEOUT == 10
    assert client.wait() == 100 and old_limit is app.limit is config.limit
    assert kept["trees"] > 0
