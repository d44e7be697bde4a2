"""A program run in a subprocess (``python -m limeade run ...``) whose output lines a test reads
with a deadline: never a blind sleep, always "until this line appears or time runs out"."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

import limeade

#: How long one expected line may take (interpreter start, a refresh on a busy machine).
DEADLINE = 20.0


# A test run started in the background (`nohup`, `cmd &` in a script) inherits SIGINT ignored,
# and so would every program it starts: they would not stop on Ctrl+C (a test's SIGINT), and
# tests of that would hang. A handler set here is reset to the default in the programs started
# (an ignored signal stays ignored across exec; a handled one does not).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def _thread_signals(pid: int) -> str:
    """Per thread of process ``pid``, its blocked and pending signals (Linux: ``/proc``)."""
    lines = []
    try:
        for tid in sorted(os.listdir(f"/proc/{pid}/task")):
            with open(f"/proc/{pid}/task/{tid}/status", encoding="ascii") as f:
                fields = dict(
                    line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line
                )
            lines.append(
                f"thread {tid} {fields.get('Name', '?').strip()}: "
                + " ".join(
                    f"{k} {fields.get(k, '?').strip()}"
                    for k in ("SigBlk", "SigPnd", "ShdPnd", "SigCgt", "SigIgn")
                )
            )
    except OSError:
        return ""
    return "\n".join(lines) + "\n"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child: same interpreter, this limeade importable, no colour."""
    env = dict(os.environ)
    package_root = str(Path(limeade.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    # A child that hangs is made to print every thread's stack (SIGABRT, see `finish`).
    env["PYTHONFAULTHANDLER"] = "1"
    env.pop("NO_COLOR", None)
    env.pop("LIMEADE_POLL", None)
    env.pop("LIMEADE_DISABLE", None)
    env.update(extra)
    return env


class Child:
    """A running program; its stdout and stderr lines, read on two threads."""

    def __init__(self, args: list[str], cwd: Path, **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env=child_env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # Its own process group: a failed test kills the program's children too.
            start_new_session=True,
        )
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.cursor = {"out": 0, "err": 0}
        self.readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr))
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str, stream: Any) -> None:
        with stream:
            for line in stream:
                self.lines.put((name, line.rstrip("\n")))

    def expect(
        self, stream: str, wanted: Callable[[str], bool], what: str, deadline: float = DEADLINE
    ) -> str:
        """The next line of ``stream`` (``"out"`` or ``"err"``) satisfying ``wanted``, looking
        past the lines an earlier call matched; lines of both streams are kept as they come.
        Fails with the transcript when the deadline passes."""
        lines = self.stdout if stream == "out" else self.stderr
        end = time.monotonic() + deadline
        while True:
            for i in range(self.cursor[stream], len(lines)):
                if wanted(lines[i]):
                    self.cursor[stream] = i + 1
                    return lines[i]
            self.cursor[stream] = len(lines)
            left = end - time.monotonic()
            try:
                got, line = self.lines.get(timeout=max(left, 0.0))
            except queue.Empty:
                message = f"no {what} within {deadline} s\n{self.transcript()}"
                raise AssertionError(message) from None
            (self.stdout if got == "out" else self.stderr).append(line)

    def out(self, text: str, deadline: float = DEADLINE) -> str:
        return self.expect("out", lambda line: line == text, f"stdout line {text!r}", deadline)

    def err(self, part: str, deadline: float = DEADLINE) -> str:
        return self.expect("err", lambda line: part in line, f"stderr with {part!r}", deadline)

    def finish(self, timeout: float = DEADLINE) -> int:
        """Wait for the exit; drain what is left. Returns the exit status."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # What the program printed, every thread's stack (faulthandler prints them on
            # SIGABRT) and its signal masks say where it hung (a Flask server under `limeade
            # run` ignored Ctrl+C in runs started in the background: SIGINT was ignored).
            signals = _thread_signals(self.proc.pid)
            self.proc.send_signal(signal.SIGABRT)
            self._drain(2.0)
            message = f"no exit within {timeout} s\n{signals}{self.transcript()}"
            raise AssertionError(message) from None
        self._drain(timeout)
        return code

    def _drain(self, timeout: float) -> None:
        for reader in self.readers:
            reader.join(timeout)
        while not self.lines.empty():
            stream, line = self.lines.get()
            (self.stdout if stream == "out" else self.stderr).append(line)

    def kill(self) -> None:
        """Make sure the program is gone and its pipes closed (after a failure too)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:  # already gone, with its children
            pass
        self.proc.wait()
        self._drain(DEADLINE)

    def transcript(self) -> str:
        return "stdout:\n  " + "\n  ".join(self.stdout) + "\nstderr:\n  " + "\n  ".join(self.stderr)

    def refresh_lines(self) -> list[str]:
        return [line for line in self.stderr if line.startswith("limeade: ") and " change" in line]


def save(path: Path, text: str, how: str = "write", old: Optional[str] = None) -> None:
    """Save ``text`` to ``path`` the way editors do: ``write`` in place, ``rename`` a temporary
    file over it, ``recreate`` (delete, then write anew)."""
    if how == "write":
        path.write_text(text)
    elif how == "rename":
        temp = path.with_name(path.name + ".saving")
        temp.write_text(text)
        os.replace(temp, path)
    elif how == "recreate":
        path.unlink()
        path.write_text(text)
    else:
        raise ValueError(how)
