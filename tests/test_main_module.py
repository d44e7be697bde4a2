"""A program's ``__main__`` module can be refreshed when it came from a file, and its
``if __name__ == "__main__":`` block is never run again."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROGRAM = textwrap.dedent(
    """
    import limeade

    STARTS = []


    def greet():
        return "one"


    if __name__ == "__main__":
        STARTS.append(1)
        old = greet
        print(greet())
        src = open(__file__).read()
        src = src.replace('return "one"', 'return "two"', 1)
        src = src.replace("STARTS.append(1)", "STARTS.append(2)")
        open(__file__, "w").write(src)
        report = limeade.refresh()  # a child process: conftest's plan-vs-report check is not there
        print(greet(), greet is old, STARTS, report.modules[0].not_updated[0][1])
    """
)


def test_main_module_is_refreshed_without_rerunning_its_guard(tmp_path: Path) -> None:
    program = tmp_path / "prog.py"
    program.write_text(PROGRAM)
    done = subprocess.run(
        [sys.executable, str(program)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "one"
    # greet runs the new code through the same object; the changed guard did not run again.
    assert lines[1] == "two True [1] never re-run: it would start the program again", done.stdout
