"""``limeade.watch()`` in this process: a save is noticed by the native watcher and committed on
the main thread (woken from ``time.sleep``, or between two callbacks of an asyncio loop), or at
a ``safe_point()``; stopping leaves no thread. Every wait has a deadline."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import limeade
import pytest
from conftest import DEADLINE, wait_until, watcher_threads
from limeade import _tracking, _watch
from livechild import save


@pytest.fixture
def stopped_at_end() -> Iterator[list[limeade.Watcher]]:
    watchers: list[limeade.Watcher] = []
    yield watchers
    for w in watchers:
        w.stop()
    if _tracking.REGISTRY.watcher() is None or _tracking.REGISTRY.watcher().backend != "native":
        _tracking.REGISTRY.replace_watcher(False)


def test_safe_point_applies_a_save_only_when_called(live: Any, stopped_at_end: list[Any]) -> None:
    mod = live.load("sp", "def value():\n    return 1\n")
    old = mod.value
    w = limeade.watch(commit="safe_point")
    stopped_at_end.append(w)
    assert limeade.safe_point() is None, "nothing pending yet"
    save(live.path("sp"), "def value():\n    return 2\n", "rename")
    wait_until(lambda: w.pending, "the save noticed")
    assert mod.value() == 1, "nothing applied before the safe point"
    report = limeade.safe_point()
    assert report is not None and report.module(live.name("sp")).changes
    assert mod.value is old and old() == 2
    assert not w.pending and limeade.safe_point() is None


class Woken(BaseException):
    """Raised by the test's own signal handler: like KeyboardInterrupt, nothing swallows it."""


def test_main_thread_blocked_in_sleep_is_woken_and_refreshed(
    live: Any, stopped_at_end: list[Any]
) -> None:
    mod = live.load("sl", "def value():\n    return 'old'\n")
    refreshed_on: list[int] = []
    w = limeade.watch(on_refresh=lambda report: refreshed_on.append(threading.get_ident()))
    stopped_at_end.append(w)
    main = threading.get_ident()

    def edit_then_wake() -> None:
        time.sleep(0.2)
        # Renamed into place: a thread of this process writing in place can be descheduled
        # between truncating and writing for longer than the debounce on a loaded machine.
        save(live.path("sl"), "def value():\n    return 'new'\n", "rename")
        end = time.monotonic() + DEADLINE
        while not refreshed_on and time.monotonic() < end:
            time.sleep(0.01)
        signal.pthread_kill(main, signal.SIGUSR1)

    def raise_woken(signum: int, frame: Any) -> None:
        raise Woken

    previous = signal.signal(signal.SIGUSR1, raise_woken)
    helper = threading.Thread(target=edit_then_wake)
    helper.start()
    try:
        with pytest.raises(Woken):
            time.sleep(DEADLINE * 3)
    finally:
        helper.join()
        signal.signal(signal.SIGUSR1, previous)
    assert mod.value() == "new"
    assert refreshed_on == [main], "one refresh, committed on the main thread during the sleep"


def test_asyncio_loop_commits_between_callbacks(live: Any, stopped_at_end: list[Any]) -> None:
    mod = live.load("aio", "def value():\n    return 'old'\n")
    seen: list[tuple[bool, bool]] = []

    async def main() -> str:
        done = asyncio.Event()

        def on_refresh(report: Any) -> None:
            # No task is running: the refresh runs between two callbacks of the loop.
            on_main = threading.current_thread() is threading.main_thread()
            seen.append((asyncio.current_task() is None, on_main))
            done.set()

        stopped_at_end.append(limeade.watch(on_refresh=on_refresh))
        threading.Timer(0.1, save, (live.path("aio"), "def value():\n    return 'new'\n")).start()
        # The loop sleeps in its selector: the wake-up must reach it there.
        await asyncio.wait_for(done.wait(), DEADLINE)
        return mod.value()

    assert asyncio.run(main()) == "new"
    assert seen == [(True, True)]


def test_a_syntax_error_is_reported_and_the_fix_then_applies(
    live: Any, stopped_at_end: list[Any]
) -> None:
    mod = live.load("se", "def value():\n    return 1\n")
    errors: list[BaseException] = []
    w = limeade.watch(commit="safe_point", on_error=errors.append)
    stopped_at_end.append(w)
    save(live.path("se"), "def value(:\n    return 2\n")
    wait_until(lambda: w.pending, "the broken save noticed")
    assert limeade.safe_point() is None
    assert len(errors) == 1 and isinstance(errors[0], limeade.PlanError)
    assert errors[0].line == 1 and mod.value() == 1
    save(live.path("se"), "def value():\n    return 3\n")
    wait_until(lambda: w.pending, "the fix noticed")
    limeade.safe_point()
    assert mod.value() == 3 and len(errors) == 1


def test_stop_leaves_no_thread_and_ignores_later_saves(live: Any) -> None:
    mod = live.load("st", "def value():\n    return 1\n")
    with limeade.watch(commit="safe_point") as w:
        assert len(watcher_threads()) == 1
    assert watcher_threads() == []
    save(live.path("st"), "def value():\n    return 2\n")
    time.sleep(0.2)  # a stopped watcher has no thread to notice anything: nothing to wait for
    assert not w.pending and limeade.safe_point() is None and mod.value() == 1
    w.stop()


def test_explicit_paths_watch_new_folders_and_include_patterns(
    tmp_path: Path, stopped_at_end: list[Any]
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    w = limeade.watch([str(root)], commit="safe_point", include=["*.cfg"])
    stopped_at_end.append(w)
    (root / "notes.txt").write_text("not included")
    (root / "sub").mkdir()
    # The new folder is watched as it appears; a matching file in it is a reason to refresh.
    end = time.monotonic() + DEADLINE
    while not w.pending:
        (root / "sub" / "app.cfg").write_text(str(time.monotonic()))
        assert time.monotonic() < end, "a file in a new folder was not noticed"
        time.sleep(0.05)
    limeade.safe_point()
    # The loop may have saved again while that batch was being delivered: let those saves'
    # batch arrive and apply it too, so what follows starts from a quiet watcher.
    time.sleep(0.3)
    limeade.safe_point()
    assert not w.pending
    # Editor swap files and excluded folders never are.
    (root / ".app.cfg.swp").write_text("x")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.cfg").write_text("x")
    (root / "sub" / "later.txt").write_text("x")
    time.sleep(0.3)  # absence of a reaction: several debounce intervals
    assert not w.pending


def test_polling_backend_sees_saves(live: Any, stopped_at_end: list[Any]) -> None:
    mod = live.load("po", "def value():\n    return 1\n")
    w = limeade.watch(poll=True, commit="safe_point")
    stopped_at_end.append(w)
    assert w.backend == "polling"
    save(live.path("po"), "def value():\n    return 22\n", "rename")
    wait_until(lambda: w.pending, "the polled save noticed")
    limeade.safe_point()
    assert mod.value() == 22


def test_a_watcher_follows_a_backend_switch_by_another(
    live: Any, stopped_at_end: list[Any]
) -> None:
    mod = live.load("sw", "def value():\n    return 1\n")
    first = limeade.watch(commit="safe_point")
    stopped_at_end.append(first)
    stopped_at_end.append(limeade.watch(poll=True, commit="safe_point"))
    save(live.path("sw"), "def value():\n    return 2\n")
    wait_until(lambda: first.pending, "the first watcher still sees saves")
    limeade.safe_point()
    assert mod.value() == 2


def test_watch_limit_falls_back_to_polling_with_one_warning(
    live: Any, stopped_at_end: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    native = _tracking.REGISTRY.replace_watcher(False)
    native.set_native_limit(0)
    with caplog.at_level(logging.WARNING, logger="limeade"):
        mod = live.load("lim.a", "def value():\n    return 1\n")
        live.load("lim2.b", "X = 1\n")
        # The folders are watched when the watcher starts (importing watches nothing yet).
        w = limeade.watch(commit="safe_point")
        stopped_at_end.append(w)
        live.load("lim3.c", "X = 1\n")
    warnings = [r for r in caplog.records if "inotify watches" in r.getMessage()]
    assert len(warnings) == 1, caplog.text
    save(live.path("lim.a"), "def value():\n    return 2\n")
    wait_until(lambda: w.pending, "a save in a polled folder noticed")
    limeade.safe_point()
    assert mod.value() == 2


def test_watch_from_another_thread_needs_safe_point_mode() -> None:
    errors: list[BaseException] = []
    # As before any watcher started: the handler can only be installed by the main thread.
    previous = signal.signal(_watch.WAKE_SIGNAL, signal.SIG_DFL)

    def start() -> None:
        try:
            limeade.watch().stop()
        except RuntimeError as e:
            errors.append(e)

    t = threading.Thread(target=start)
    t.start()
    t.join()
    signal.signal(_watch.WAKE_SIGNAL, previous)
    assert errors and "safe_point" in str(errors[0])
    assert watcher_threads() == []
