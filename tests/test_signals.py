"""``limeade.install_signal_handler``: ``kill -USR1 <pid>`` refreshes a running daemon; the outcome
goes to logging and a failure never stops the program."""

from __future__ import annotations

import logging
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import IO, Any, Callable

import limeade
import pytest
from conftest import Live

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")

DEADLINE = 30.0

DAEMON = textwrap.dedent(
    """
    import logging, signal, sys, time

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    import limeade
    import worker

    job = worker.Job()
    limeade.install_signal_handler(signal.SIGUSR1)
    print("ready", flush=True)
    while True:
        print(job.describe(), flush=True)
        time.sleep(0.02)
    """
)

WORKER = textwrap.dedent(
    """
    class Job:
        def __init__(self):
            self.runs = 0

        def describe(self):
            self.runs += 1
            return "v1"
    """
)


class Lines:
    """The lines a stream prints, read on a thread, waited for with a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line.rstrip("\n"))

    def wait_for(self, wanted: Callable[[str], bool], what: str) -> str:
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            try:
                line = self.queue.get(timeout=end - time.monotonic())
            except queue.Empty:
                break
            self.seen.append(line)
            if wanted(line):
                return line
        raise AssertionError(f"no {what} within {DEADLINE} s; seen: {self.seen[-20:]}")


@pytest.fixture
def daemon(tmp_path: Path) -> Any:
    (tmp_path / "daemon.py").write_text(DAEMON)
    (tmp_path / "worker.py").write_text(WORKER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "daemon.py")],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc, Lines(proc.stdout), Lines(proc.stderr), tmp_path / "worker.py"  # type: ignore[arg-type]
    finally:
        proc.kill()
        proc.wait(timeout=DEADLINE)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_sigusr1_refreshes_the_running_daemon(daemon: Any) -> None:
    proc, out, err, worker = daemon
    out.wait_for(lambda line: line == "ready", "start")
    out.wait_for(lambda line: line == "v1", "first value")
    worker.write_text(WORKER.replace('"v1"', '"v2"'))
    # Without a signal the daemon keeps its code: a few more ticks still print v1.
    for _ in range(3):
        assert out.wait_for(lambda line: True, "a tick") == "v1"
    os.kill(proc.pid, signal.SIGUSR1)
    out.wait_for(lambda line: line == "v2", "the new value after SIGUSR1")
    line = err.wait_for(lambda line: line.endswith("(on SIGUSR1)"), "the summary log")
    assert line.startswith("INFO limeade: worker  1 change  "), line
    assert proc.poll() is None

    # A syntax error: one logged line naming the file and line; the daemon keeps running.
    worker.write_text(WORKER.replace('"v1"', '"v3"').replace("self.runs = 0", "self.runs = = 0"))
    os.kill(proc.pid, signal.SIGUSR1)
    line = err.wait_for(lambda line: line.startswith("ERROR"), "the error log")
    assert "refresh on SIGUSR1 failed: worker.py:4:" in line, line
    assert "Traceback" not in line
    assert out.wait_for(lambda line: True, "a tick after the error") == "v2"
    assert proc.poll() is None

    # The fix then applies, on the same process and the same Job instance.
    worker.write_text(WORKER.replace('"v1"', '"v3"'))
    os.kill(proc.pid, signal.SIGUSR1)
    out.wait_for(lambda line: line == "v3", "the fixed value")
    assert proc.poll() is None


def test_sigusr1_wakes_a_main_thread_sleeping(tmp_path: Path) -> None:
    """A daemon whose main thread sleeps for minutes refreshes as soon as the signal arrives."""
    (tmp_path / "worker.py").write_text(WORKER)
    program = (
        "import logging, signal, sys, time\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stderr, format='%(message)s')\n"
        "import limeade, worker\n"
        "limeade.install_signal_handler()\n"
        "print('ready', flush=True)\n"
        "time.sleep(600)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    with subprocess.Popen(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            Lines(proc.stdout).wait_for(lambda line: line == "ready", "start")  # type: ignore[arg-type]
            (tmp_path / "worker.py").write_text(WORKER.replace('"v1"', '"v2"'))
            os.kill(proc.pid, signal.SIGUSR1)
            err = Lines(proc.stderr)  # type: ignore[arg-type]
            err.wait_for(lambda line: line.endswith("(on SIGUSR1)"), "the refresh while asleep")
            assert proc.poll() is None
        finally:
            proc.kill()


def test_install_returns_the_previous_handler_and_uninstall_restores_it() -> None:
    def mine(signum: int, frame: Any) -> None:
        pass

    original = signal.signal(signal.SIGUSR1, mine)
    try:
        assert limeade.install_signal_handler(signal.SIGUSR1) is mine
        # Installing again keeps the handler to restore.
        assert limeade.install_signal_handler() is mine
        assert signal.getsignal(signal.SIGUSR1) is not mine
        limeade.uninstall_signal_handler(signal.SIGUSR1)
        assert signal.getsignal(signal.SIGUSR1) is mine
        # Not installed: nothing to undo, the program's handler stays.
        limeade.uninstall_signal_handler()
        assert signal.getsignal(signal.SIGUSR1) is mine
    finally:
        signal.signal(signal.SIGUSR1, original)


def test_signal_refreshes_in_process_and_logs(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    m = live.load("m", "def f():\n    return 1\n")
    f = m.f
    limeade.install_signal_handler()
    try:
        live.edit("m", "return 1", "return 2")
        with caplog.at_level(logging.INFO, logger="limeade"):
            signal.raise_signal(signal.SIGUSR1)
        assert f() == 2
        assert any("(on SIGUSR1)" in r.getMessage() for r in caplog.records)
        caplog.clear()
        live.edit("m", "return 2", "return (")
        with caplog.at_level(logging.INFO, logger="limeade"):
            signal.raise_signal(signal.SIGUSR1)  # never raised out of the handler
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and f"{live.name('m')}.py:2:" in errors[0], errors
        assert f() == 2
    finally:
        limeade.uninstall_signal_handler()


def test_a_signal_during_a_refresh_waits_until_it_is_over(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    # The new code sends the signal itself: the handler runs while the refresh's transaction is
    # on the stack, so it must not refresh there; it asks again once that refresh is over.
    m = live.load("m", "import os, signal\n\nSTEP = 1\n")
    limeade.install_signal_handler()
    try:
        live.edit("m", "STEP = 1", "os.kill(os.getpid(), signal.SIGUSR1)\nSTEP = 2")
        with caplog.at_level(logging.DEBUG, logger="limeade"):
            report = live.refresh()
            assert report and m.STEP == 2
            assert any("during a refresh" in r.getMessage() for r in caplog.records)
            end = time.monotonic() + DEADLINE
            while not any("nothing to refresh" in r.getMessage() for r in caplog.records):
                assert time.monotonic() < end, "the signal was not sent again"
                time.sleep(0.01)
    finally:
        limeade.uninstall_signal_handler()
