"""Security: ``LIMEADE_DISABLE`` turns every entry point into a no-op that logs one line; the
runner and ``watch()`` warn once about tracked files and watched folders other users can write;
a watcher never follows a symbolic link out of the watched trees."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import limeade
import pytest
from conftest import DEADLINE, Live, dedent, wait_until, watcher_threads
from limeade import _disable, _tracking
from livechild import child_env, save

OFF_LINE = "limeade: off (LIMEADE_DISABLE="

needs_posix_modes = pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")


@pytest.fixture
def off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """LIMEADE_DISABLE=1 for this test, as if this process had not announced it yet."""
    monkeypatch.setenv("LIMEADE_DISABLE", "1")
    monkeypatch.setattr(_disable, "_announced", False)
    yield


@pytest.fixture
def watchers() -> Iterator[list[limeade.Watcher]]:
    made: list[limeade.Watcher] = []
    yield made
    for w in made:
        w.stop()
    native = _tracking.REGISTRY.watcher()
    if native is None or native.backend != "native":
        _tracking.REGISTRY.replace_watcher(False)


def off_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(OFF_LINE)]


# --------------------------------------------------------------------- LIMEADE_DISABLE


@pytest.mark.parametrize(
    ("value", "is_off"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("on", True),  # not a "leave it on" value: a typo must not leave a reloader running
        ("", False),
        ("0", False),
        ("false", False),
        ("No", False),
    ],
)
def test_which_values_turn_limeade_off(
    value: str, is_off: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIMEADE_DISABLE", value)
    monkeypatch.setattr(_disable, "_announced", False)
    assert _disable.disabled() is is_off


def test_entry_points_in_process_do_nothing_and_log_one_line(
    live: Live,
    off: None,
    watchers: list[Any],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mod = live.load("m", "def value():\n    return 1\n")
    caplog.set_level(logging.INFO, logger="limeade")
    # watch(): a watcher of nothing, whose stop() and context manager work.
    w = limeade.watch(commit="safe_point")
    assert w.backend == "disabled" and "disabled" in repr(w)
    assert watcher_threads() == []
    with limeade.watch() as w2:
        assert watcher_threads() == []
    w2.stop()
    # The signal handler: not installed; the handler in place is returned.
    before = signal.getsignal(signal.SIGUSR1)
    assert limeade.install_signal_handler(signal.SIGUSR1) is before
    assert signal.getsignal(signal.SIGUSR1) is before
    # track(): tracks nothing.
    live.write("forced", "X = 1\n")
    untracked = live.load("forced")
    limeade.untrack(untracked)
    assert limeade.track(untracked) == []
    assert live.name("forced") not in limeade.tracked()
    assert len(off_records(caplog)) == 1, caplog.text
    # Positive control: a watcher started with limeade on sees the save the disabled one never
    # does (it has no thread, and is not among the watchers safe_point() asks).
    monkeypatch.setenv("LIMEADE_DISABLE", "0")
    assert limeade.track(untracked) == [live.name("forced")]
    on = limeade.watch(commit="safe_point")
    watchers.extend([w, on])
    save(live.path("m"), "def value():\n    return 2\n", "rename")
    wait_until(lambda: on.pending, "the save noticed by the enabled watcher")
    assert not w.pending
    limeade.safe_point()
    assert mod.value() == 2
    w.stop()
    assert len(off_records(caplog)) == 1, "one line per process"


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.enabled = False
    main = sys.modules["__main__"]
    ip = InteractiveShell.instance(config=config)
    try:
        yield ip
        ip.run_cell("%unload_ext limeade")
    finally:
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main


def test_ipython_extension_is_a_no_op(
    shell: Any, live: Live, off: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="limeade")
    live.write("m", "def value():\n    return 'old'\n")
    assert shell.run_cell("%load_ext limeade").success
    assert "limeade" not in shell.magics_manager.magics["line"], "no %limeade either"
    assert shell.run_cell(f"import {live.name('m')} as m\nf = m.value").success
    live.edit("m", "'old'", "'new'")
    assert shell.run_cell("result = f()").success
    assert shell.user_ns["result"] == "old", "no refresh before the cell"
    assert len(off_records(caplog)) == 1, caplog.text
    # Positive control: the edit was refreshable, and a refresh runs the new code.
    assert live.refresh().module(live.name("m")).changes
    assert shell.run_cell("result = f()").success
    assert shell.user_ns["result"] == "new"


PROGRAM = dedent(
    """
    import logging, os, signal, sys, threading

    import limeade
    from limeade import _tracking
    import target

    w = limeade.watch()
    limeade.install_signal_handler(signal.SIGUSR1)
    before = target.value()
    with open("target.py", "w") as f:
        f.write("def value():\\n    return 2\\n")
    print(
        "tracked", limeade.tracked(),
        "hooked", _tracking.TrackingFinder in sys.meta_path,
        "native-watcher", _tracking.REGISTRY.watcher() is not None,
        "threads", [t.name for t in threading.enumerate() if t.name.startswith("limeade")],
        "forced", limeade.track(target),
        # A child process: conftest's plan-vs-report check is not there.
        "refreshed", bool(limeade.refresh()),
        "value", before, target.value(),
        "handler", signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL,
        flush=True,
    )
    with w:
        pass
    """
)


def test_import_hook_and_every_entry_point_off_in_a_fresh_process(tmp_path: Path) -> None:
    (tmp_path / "prog.py").write_text(PROGRAM)
    (tmp_path / "target.py").write_text("def value():\n    return 1\n")
    done = subprocess.run(
        [sys.executable, "prog.py"],
        cwd=tmp_path,
        env=child_env(LIMEADE_DISABLE="yes"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    expected = (
        "tracked [] hooked False native-watcher False threads [] forced [] "
        "refreshed False value 1 1 handler True"
    )
    assert done.stdout.strip() == expected, done.stdout
    assert done.stderr.splitlines() == [
        "limeade: off (LIMEADE_DISABLE=yes): no import hook, file watcher, signal handler or "
        "IPython refresh; the program runs its code as it was loaded"
    ], done.stderr


APP = dedent(
    """
    import os, sys, threading, time

    import limeade
    import models

    first = models.value()
    with open("models.py.saving", "w") as f:
        f.write("def value():\\n    return 'b'\\n")
    os.replace("models.py.saving", "models.py")
    end = time.monotonic() + float(sys.argv[1])
    while models.value() == first and time.monotonic() < end:
        time.sleep(0.01)
    threads = [t.name for t in threading.enumerate() if t.name.startswith("limeade")]
    print(__name__, sys.argv[2:], first, models.value(), bool(limeade.tracked()), threads)
    raise SystemExit(5)
    """
)


def run_app(tmp_path: Path, how: list[str], wait: float, **env: str) -> Any:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "models.py").write_text("def value():\n    return 'a'\n")
    return subprocess.run(
        [sys.executable, "-m", "limeade", "run", *how, str(wait), "x", "--y"],
        cwd=tmp_path,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("how", [["app.py"], ["-m", "app"]], ids=["script", "module"])
def test_runner_runs_the_program_as_python_would_without_a_watcher(
    tmp_path: Path, how: list[str]
) -> None:
    # Half a second for a refresh that never comes; the stronger checks are that no watcher
    # thread runs and nothing is tracked. The positive control below: the same save refreshes
    # the program when limeade is on.
    done = run_app(tmp_path, how, 0.5, LIMEADE_DISABLE="1")
    assert done.returncode == 5, done.stderr
    assert done.stdout == "__main__ ['x', '--y'] a a False []\n", done.stdout
    assert done.stderr.splitlines() == [
        "limeade: off (LIMEADE_DISABLE=1): no import hook, file watcher, signal handler or "
        "IPython refresh; the program runs its code as it was loaded"
    ], done.stderr


def test_runner_positive_control_the_same_save_is_refreshed_when_on(tmp_path: Path) -> None:
    done = run_app(tmp_path, ["app.py"], DEADLINE)
    assert done.returncode == 5, done.stderr
    assert done.stdout == "__main__ ['x', '--y'] a b True ['limeade-watch']\n", done.stdout
    assert OFF_LINE not in done.stderr


# --------------------------------------------------------------------- writable by others


def warnings_about(caplog: pytest.LogCaptureFixture, path: Path) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and f" {path} is writable by other users" in r.getMessage()
    ]


@needs_posix_modes
def test_watch_warns_once_about_what_other_users_can_write(
    live: Live, watchers: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="limeade")
    live.write("shared.a", "X = 1\n")
    live.write("grouped.b", "X = 1\n")
    live.write("plain.c", "X = 1\n")
    shared = live.path("shared.a").parent
    grouped = live.path("grouped.b").parent
    open_file = live.path("plain.c")
    live.path("shared.a").chmod(0o644)
    shared.chmod(0o777)
    grouped.chmod(0o775)
    open_file.chmod(0o646)
    for short in ("shared.a", "grouped.b", "plain.c"):
        live.load(short)
    assert not warnings_about(caplog, shared), "nothing said before a watcher runs"
    watchers.append(limeade.watch(commit="safe_point"))
    assert len(warnings_about(caplog, shared)) == 1, caplog.text
    assert "folder" in warnings_about(caplog, shared)[0]
    assert len(warnings_about(caplog, open_file)) == 1, caplog.text
    assert warnings_about(caplog, grouped) == [], "group-writable is not warned about"
    assert warnings_about(caplog, live.path("shared.a")) == [], "the file itself is 0644"
    # Another watcher, or the same paths again: no second warning.
    watchers.append(limeade.watch(commit="safe_point"))
    assert len(warnings_about(caplog, shared)) == 1, caplog.text
    # A module tracked while a watcher runs is checked as it is tracked.
    live.write("late.d", "X = 1\n")
    late = live.path("late.d").parent
    late.chmod(0o757)
    live.load("late.d")
    assert len(warnings_about(caplog, late)) == 1, caplog.text


@needs_posix_modes
def test_sticky_folders_are_warned_about_too(
    tmp_path: Path, watchers: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="limeade")
    tree = tmp_path / "tree"
    tree.mkdir()
    tree.chmod(0o1777)
    watchers.append(limeade.watch([str(tree)], commit="safe_point"))
    [message] = warnings_about(caplog, tree)
    assert "add modules" in message and "replace" not in message, message
    # A folder created inside an explicit path is checked as it is watched.
    sub = tree / "sub"
    umask = os.umask(0)  # created writable by others, not made so after it was first checked
    try:
        sub.mkdir(mode=0o777)
    finally:
        os.umask(umask)
    wait_until(lambda: len(warnings_about(caplog, sub)) == 1, "the new folder checked")


@needs_posix_modes
def test_runner_warns_once_on_stderr(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("import helper\nprint(helper.X)\n")
    (app / "helper.py").write_text("X = 'ran'\n")
    app.chmod(0o777)
    done = subprocess.run(
        [sys.executable, "-m", "limeade", "run", "main.py"],
        cwd=app,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout == "ran\n", done.stderr
    lines = [line for line in done.stderr.splitlines() if "writable by other users" in line]
    assert len(lines) == 1 and f"folder {app} is writable" in lines[0], done.stderr


@needs_posix_modes
def test_runner_prints_the_warning_when_the_program_logs_elsewhere(tmp_path: Path) -> None:
    """A program whose logging goes to stdout still gets the runner's own stderr line."""
    app = tmp_path / "app"
    (app / "lib").mkdir(parents=True)
    (app / "main.py").write_text(
        "import logging, sys\nlogging.basicConfig(stream=sys.stdout)\nimport lib.helper\n"
    )
    (app / "lib" / "helper.py").write_text("X = 1\n")
    (app / "lib").chmod(0o777)
    done = subprocess.run(
        [sys.executable, "-m", "limeade", "run", "main.py"],
        cwd=app,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    on_stderr = [line for line in done.stderr.splitlines() if "writable by other" in line]
    assert len(on_stderr) == 1 and f"warning: folder {app / 'lib'} is" in on_stderr[0], done.stderr
    assert "writable by other users" in done.stdout, "and the program's logging got it"


# --------------------------------------------------------------------- symbolic links


@pytest.mark.parametrize("poll", [False, True], ids=["native", "polling"])
def test_a_link_out_of_the_watched_tree_is_never_followed(
    tmp_path: Path, watchers: list[Any], poll: bool
) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    tree.mkdir()
    (outside / "linked.cfg").write_text("a")
    (outside / "dir" / "deep.cfg").write_text("a")
    (tree / "linked.cfg").symlink_to(outside / "linked.cfg")
    (tree / "dir").symlink_to(outside / "dir", target_is_directory=True)
    w = limeade.watch([str(tree)], commit="safe_point", include=["*.cfg"], poll=poll)
    watchers.append(w)
    # Several debounce intervals (50 ms), and for polling several poll intervals (250 ms).
    quiet = 0.6 if poll else 0.3

    def inside_save_noticed(settle: bool) -> None:
        end = time.monotonic() + DEADLINE
        while not w.pending:
            (tree / "inside.cfg").write_text(str(time.monotonic()))
            assert time.monotonic() < end, "a save inside the tree was not noticed"
            time.sleep(0.05)
        limeade.safe_point()
        if settle:
            # Saves made while that batch was delivered make one more: let it come, apply it.
            time.sleep(quiet)
            limeade.safe_point()
            assert not w.pending

    inside_save_noticed(settle=True)  # the watcher is alive
    save(outside / "linked.cfg", "b", "rename")
    (outside / "dir" / "deep.cfg").write_text("b")
    (outside / "dir" / "new.cfg").write_text("b")
    # A new link inside the tree, to a file outside: an event inside, for a path outside.
    (outside / "other.cfg").write_text("b")
    (tree / "other.cfg").symlink_to(outside / "other.cfg")
    time.sleep(quiet)  # absence of a reaction
    assert not w.pending
    inside_save_noticed(settle=False)  # and still alive


def test_tracked_module_imported_through_a_link_still_refreshes(
    live: Live, tmp_path: Path, watchers: list[Any]
) -> None:
    """A tracked module lives where it lives: its own folder is watched, even when reached
    through a link (that is not following a link out of a watched tree)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "lib.py").write_text("def value():\n    return 1\n")
    (live.root / f"{live.prefix}lib").symlink_to(elsewhere, target_is_directory=True)
    mod = live.load("lib.lib")
    w = limeade.watch(commit="safe_point")
    watchers.append(w)
    save(elsewhere / "lib.py", "def value():\n    return 2\n", "rename")
    wait_until(lambda: w.pending, "the save in the module's own folder noticed")
    limeade.safe_point()
    assert mod.value() == 2
