"""A program's ``__main__`` module can be refreshed when it came from a file, and its
``if __name__ == "__main__":`` block is never run again."""

from __future__ import annotations

import os
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


LOOP_SCRIPT = textwrap.dedent(
    """
    import limeade, os, shutil

    SPEED = 1


    def step(x):
        return x + SPEED


    x = 0
    for frame in range(3):
        x = step(x)
        print("frame", frame, x, "old loop")
        if frame == 0:
            shutil.copyfile(os.environ["NEXT_VERSION"], __file__)
            plan = limeade.plan()
            report = limeade.refresh()
            for change in report.changes:
                print("change", change.qualname, change.outcome, change.why.split(":")[0])
            print("plan agrees", plan.changes == report.changes)
    print("end", x)
    """
)


def test_a_script_loop_running_at_top_level_is_not_run_again(tmp_path: Path) -> None:
    # A script with no main guard, refreshed from inside its own top-level loop (as a watcher
    # refreshes it on the main thread): the loop statement is running, so running its new
    # version would start a second loop inside the refresh; the statement below it has not
    # run yet. Both are left alone and said so; the constant above them and the function run
    # the new code, and the loop goes on exactly as often as before.
    program = tmp_path / "game.py"
    program.write_text(LOOP_SCRIPT)
    edited = (
        LOOP_SCRIPT.replace("SPEED = 1", "SPEED = 10")
        .replace("x + SPEED", "x + SPEED * 2")
        .replace('"old loop"', '"new loop"')
        .replace('print("end", x)', 'print("END", x)')
    )
    (tmp_path / "next.txt").write_text(edited)
    done = subprocess.run(
        [sys.executable, str(program)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NEXT_VERSION": str(tmp_path / "next.txt")},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    changes = sorted(line for line in lines if line.startswith("change"))
    assert changes == [
        "change <expression> not updated not reached yet",
        "change SPEED ran ",
        "change frame, x, plan, report, change not updated running now",
        "change step updated in place ",
    ], done.stdout
    assert "plan agrees True" in lines
    frames = [line for line in lines if line.startswith("frame")]
    assert frames == ["frame 0 1 old loop", "frame 1 21 old loop", "frame 2 41 old loop"]
    assert lines[-1] == "end 41"
