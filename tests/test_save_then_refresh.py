"""A save followed at once by ``refresh()`` is always applied.

Between refreshes limeade only reads the files its watcher saw change, and before trusting that
list it waits until the watcher has delivered every event written so far (a probe file it
writes to). The program runs in a fresh interpreter whose temporary folder also holds a tracked
module: the probe's events must not be counted twice through that folder's watch, or the wait
ends early and a save is missed until a later refresh.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from livechild import child_env

SAVES = 150


def test_every_save_is_seen_by_the_refresh_right_after_it(tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    script = textwrap.dedent(
        f"""
        import importlib, pathlib, sys, tempfile
        import limeade

        folder = pathlib.Path(tempfile.gettempdir())
        sys.path.insert(0, str(folder))
        for i in range(3):
            (folder / f"saved_{{i}}.py").write_text("def value():\\n    return 0\\n")
        modules = [importlib.import_module(f"saved_{{i}}") for i in range(3)]
        functions = [m.value for m in modules]
        missed = []
        for save in range(1, {SAVES}):
            i = save % 3
            (folder / f"saved_{{i}}.py").write_text(
                f"def value():\\n    return {{save}}\\n" + "#" * (save % 2)
            )
            limeade.refresh()  # a child process: conftest's plan-vs-report check is not there
            if functions[i]() != save:
                missed.append(save)
        print(len(missed), missed[:5])
        """
    )
    env = child_env()
    env["TMPDIR"] = str(temp)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(" ", 1)[0] == "0", f"saves missed by the next refresh: {done.stdout}"
    # The probe and its folder are gone as soon as they are watched.
    assert [p for p in os.listdir(temp) if p.startswith(".limeade-probe")] == []
