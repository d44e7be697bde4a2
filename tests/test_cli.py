"""``python -m limeade run`` drives a real program in a subprocess: each save, however the editor
writes it, changes the program's output exactly once, without restarting it; a broken save is
reported with its location and the fix then applies; ``plan`` prints the planner's text."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import dedent
from limeade._cli import ReportPrinter
from livechild import Child, child_env, save

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

APP = dedent(
    """
    import os
    import sys
    import time

    import models

    STARTS = []


    def label(value):
        return f"value={value}"


    if __name__ == "__main__":
        STARTS.append(1)
        print("started", os.getpid(), sys.argv[1:], flush=True)
        last = None
        while not os.path.exists("STOP"):
            line = label(models.value())
            if line != last:
                print(line, len(STARTS), flush=True)
                last = line
            time.sleep(0.01)
        print("stopped", flush=True)
        sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    """
)


def model(value: str) -> str:
    return f"def value():\n    return {value!r}\n"


def python_m(cwd: Path, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m MODULE ARGS`` run to its end in ``cwd``, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def app(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "models.py").write_text(model("a"))
    return tmp_path


def test_each_save_changes_the_output_once_however_it_is_written(app: Path) -> None:
    child = Child(["-m", "limeade", "run", "app.py", "7"], app)
    try:
        started = child.expect("out", lambda line: line.startswith("started"), "start line")
        child.out("value=a 1")
        saves = [("write", "b"), ("rename", "c"), ("recreate", "d")]
        for how, value in saves:
            save(app / "models.py", model(value), how)
            child.out(f"value={value} 1")
            child.err("limeade: models  1 change")
        # A burst: three saves in a row make one refresh, to the last text.
        for value in ("e", "f", "g"):
            save(app / "models.py", model(value), "rename")
        child.out("value=g 1")
        # The script itself: its definitions are refreshed, its main guard never runs again.
        save(app / "app.py", APP.replace('f"value={value}"', 'f"v={value}!"'))
        child.out("v=g! 1")
        (app / "STOP").write_text("")
        child.out("stopped")
        assert child.finish() == 7, child.transcript()
    finally:
        child.kill()
    assert started.endswith("['7']"), "sys.argv is the program's own"
    values = [line for line in child.stdout if line.startswith(("value=", "v="))]
    shown = ["value=a", "value=b", "value=c", "value=d", "value=g", "v=g!"]
    assert values == [f"{v} 1" for v in shown], "each save changed the output once"
    refreshes = child.refresh_lines()
    assert len(refreshes) == 5, child.transcript()
    assert refreshes[-1].startswith("limeade: __main__  1 change"), child.transcript()


@pytest.mark.parametrize("backend", [[], ["--poll"]], ids=["native", "polling"])
def test_a_syntax_error_keeps_the_program_running_and_the_fix_applies(
    app: Path, backend: list[str]
) -> None:
    child = Child(["-m", "limeade", "run", *backend, "app.py"], app)
    try:
        child.out("value=a 1")
        save(app / "models.py", "def value(:\n    return 'b'\n")
        line = child.err("models.py:1")
        # Saved back as the program runs it: nothing to apply, and the user is told so.
        save(app / "models.py", model("a"))
        child.err("limeade: nothing to refresh: the program runs the code on disk")
        save(app / "models.py", "def value(:\n    return 'b'\n")
        child.err("models.py:1")
        save(app / "models.py", model("fixed"))
        child.out("value=fixed 1")
        (app / "STOP").write_text("")
        assert child.finish() == 0, child.transcript()
    finally:
        child.kill()
    assert "syntax error" in line, child.transcript()


def test_run_module_has_python_dash_m_semantics(tmp_path: Path) -> None:
    pkg = tmp_path / "tool"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text(
        dedent(
            """
            import sys
            print(__name__, sys.argv[0].endswith("__main__.py"), sys.argv[1:], sys.path[0] == "")
            raise SystemExit(3)
            """
        )
    )
    done = python_m(tmp_path, "limeade", "run", "-q", "-m", "tool", "--flag", "x")
    plain = python_m(tmp_path, "tool", "--flag", "x")
    assert (
        (done.returncode, done.stdout)
        == (plain.returncode, plain.stdout)
        == (
            3,
            "__main__ True ['--flag', 'x'] False\n",
        )
    ), done.stderr


def test_an_uncaught_exception_exits_1_with_the_programs_traceback(tmp_path: Path) -> None:
    (tmp_path / "boom.py").write_text("def f():\n    raise ValueError('boom')\n\nf()\n")
    done = python_m(tmp_path, "limeade", "run", "boom.py")
    assert done.returncode == 1
    assert "ValueError: boom" in done.stderr and "limeade" not in done.stderr, done.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_refreshes_with_its_own_watcher(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(model("a"))
    (tmp_path / "forks.py").write_text(
        dedent(
            """
            import os
            import time
            import models

            who = "child" if os.fork() == 0 else "parent"
            last = None
            while not os.path.exists("STOP"):
                if models.value() != last:
                    last = models.value()
                    os.write(1, f"{who} {last}\\n".encode())
                time.sleep(0.01)
            """
        )
    )
    child = Child(["-W", "ignore", "-m", "limeade", "run", "-q", "forks.py"], tmp_path)
    try:
        for who in ("parent", "child"):
            child.out(f"{who} a")
        save(tmp_path / "models.py", model("b"), "rename")
        seen = {
            child.expect("out", lambda line: line.endswith(" b"), "a refreshed line")
            for _ in range(2)
        }
        assert seen == {"parent b", "child b"}, child.transcript()
        (tmp_path / "STOP").write_text("")
        assert child.finish() == 0, child.transcript()
    finally:
        child.kill()


def test_usage_errors_exit_2_and_help_exits_0(tmp_path: Path) -> None:
    for args in ([], ["run"], ["bogus"], ["plan", "only-one"], ["run", "--nope", "x.py"]):
        done = python_m(tmp_path, "limeade", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "usage" in done.stderr, (args, done.stderr)
    for args in (["--help"], ["run", "--help"], ["plan", "--help"]):
        done = python_m(tmp_path, "limeade", *args)
        assert done.returncode == 0 and "usage" in done.stdout, args


def test_plan_prints_the_planners_text_for_files_and_trees() -> None:
    snapshots = FIXTURES.parent / "crates" / "limeade-plan" / "tests" / "snapshots"
    for name in ("function_body_changed", "class_method_added"):
        done = python_m(
            FIXTURES, "limeade", "plan", "--module", name, f"{name}/before.py", f"{name}/after.py"
        )
        expected = (snapshots / f"{name}.snap").read_text().split("---\n", 2)[2]
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected.strip()
    tree = FIXTURES / "batch_relative_imports"
    done = python_m(tree, "limeade", "plan", "before", "after")
    expected = (snapshots / "batch_relative_imports.snap").read_text().split("---\n", 2)[2]
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected.strip()
    # A path that does not exist is named as such.
    done = python_m(tree, "limeade", "plan", "before/app/__init__.py", "after/missing.py")
    assert done.returncode == 2
    assert "after/missing.py: no such file or directory" in done.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_report_lines_colour_only_on_a_terminal_without_no_color(
    live: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.load("rp", "def f():\n    return 1\n\n\ndef g():\n    return 1\n")
    live.edit("rp", "return 1\n\n\ndef g():\n    return 1", "return 2\n\n\ndef g():\n    return 2")
    report = live.refresh()
    monkeypatch.delenv("NO_COLOR", raising=False)
    plain, tty, verbose = io.StringIO(), Terminal(), io.StringIO()
    ReportPrinter(plain).report(report)
    ReportPrinter(tty).report(report)
    ReportPrinter(verbose, verbose=True).report(report)
    assert re.fullmatch(rf"limeade: {live.name('rp')}  2 changes  \d+\.\d ms\n", plain.getvalue())
    assert tty.getvalue() == plain.getvalue().replace("limeade:", "\033[32mlimeade:\033[0m")
    assert verbose.getvalue().startswith(plain.getvalue()) and "  f  body" in verbose.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    no_colour = Terminal()
    ReportPrinter(no_colour).report(report)
    quiet = io.StringIO()
    ReportPrinter(quiet, quiet=True).report(report)
    assert no_colour.getvalue() == plain.getvalue() and quiet.getvalue() == ""


def test_the_report_line_says_what_was_not_updated(live: Any) -> None:
    # An edit the program does not take (the block that starts it is never run again) must not
    # read as a plain success in the one line a user watching `limeade run` sees.
    m = live.load(
        "guarded",
        'def f():\n    return 1\n\n\nif __name__ == "__main__":\n    print("started")\n',
    )
    live.edit("guarded", 'print("started")', 'print("STARTED")')
    live.edit("guarded", "return 1", "return 2")
    report = live.refresh()
    out = io.StringIO()
    ReportPrinter(out).report(report)
    line = out.getvalue()
    assert f"limeade: {m.__name__}  " in line
    guard = "<__main__ block> (never re-run: it would start the program again)"
    assert f"; not updated: {guard}" in line
    assert m.f() == 2


def test_the_report_line_names_the_module_when_nothing_changed(live: Any) -> None:
    m = live.load("commented", "def f():\n    return 1  # one\n")
    live.edit("commented", "# one", "# the first")
    report = live.refresh()
    out = io.StringIO()
    ReportPrinter(out).report(report)
    assert out.getvalue().startswith(f"limeade: {m.__name__}  ")


def _line(report: Any) -> str:
    out = io.StringIO()
    ReportPrinter(out).report(report)
    return re.sub(r"\d+\.\d ms", "T ms", out.getvalue().strip())


def test_report_line_counts_moved_definitions_apart(live: Any) -> None:
    source = "def f():\n    return 1\n\n\ndef g():\n    return 1\n\n\ndef h():\n    return 1\n"
    m = live.load("mv", source)
    name = live.name("mv")
    # One import added at the top: every definition moved, no edit of them.
    live.write("mv", "import os\n" + source)
    assert _line(live.refresh()) == f"limeade: {name}  1 change (+3 moved)  T ms"
    live.write("mv", "# a comment\nimport os\n" + source)
    assert _line(live.refresh()) == f"limeade: {name}  3 moved  T ms"
    assert m.f() == 1 and m.f.__code__.co_firstlineno == 3


def test_report_line_names_a_function_whose_running_call_keeps_old_code(live: Any) -> None:
    import threading

    m = live.load(
        "spin",
        "import time\n\n\ndef run(stop, seen):\n    while not stop.is_set():\n"
        "        seen.append(1)\n        time.sleep(0.001)\n",
    )
    stop, seen = threading.Event(), []
    worker = threading.Thread(target=m.run, args=(stop, seen))
    worker.start()
    try:
        while not seen:
            stop.wait(0.001)
        live.edit("spin", "seen.append(1)", "seen.append(2)")
        line = _line(live.refresh())
    finally:
        stop.set()
        worker.join()
    assert line == (
        f"limeade: {live.name('spin')}  1 change  T ms; old code until its running call "
        "returns: run"
    )
