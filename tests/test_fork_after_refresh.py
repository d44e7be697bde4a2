"""A process that refreshed before it forked: the planner parses edited windows on a thread it
keeps between refreshes, and a forked child has the parent's memory of that thread but not the
thread. The child's refresh must start its own (not wait forever for the parent's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import dedent
from livechild import child_env

SCRIPT = dedent(
    """
    import os
    import signal
    import time
    from pathlib import Path

    import limeade
    import models

    held = models.value

    def edit(value):
        path = Path("models.py")
        path.write_text(path.read_text().replace(repr(held()), repr(value)))
        stamp = time.time() + 5
        os.utime(path, (stamp, stamp))

    edit("parent")
    # In a child process: conftest's plan-vs-report check is not there.
    limeade.refresh()
    assert held() == "parent", held()
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)  # a child waiting for the parent's thread ends, failing the test
        edit("child")
        # In a child process: conftest's plan-vs-report check is not there.
        limeade.refresh()
        os._exit(0 if held() == "child" else 3)
    _, status = os.waitpid(pid, 0)
    print("child exit", os.waitstatus_to_exitcode(status), flush=True)
    """
)

MODELS = dedent(
    """
    def value():
        return 'start'


    def other():
        return 1
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_after_a_refresh_refreshes(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODELS)
    (tmp_path / "forks.py").write_text(SCRIPT)
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "forks.py"],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "child exit 0", (done.stdout, done.stderr)
