"""``%load_ext limeade`` in a real IPython ``InteractiveShell``: modules imported in cells are
refreshed before each cell, quietly, and a failed refresh is one line and never stops the cell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Live


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    # IPython's profile and history stay in the test's directory (no history thread either).
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.enabled = False
    main = sys.modules["__main__"]
    ip = InteractiveShell.instance(config=config)
    try:
        assert ip.run_cell("%load_ext limeade").success
        yield ip
        ip.run_cell("%unload_ext limeade")
    finally:
        InteractiveShell.clear_instance()
        sys.modules["__main__"] = main


def run(ip: Any, cell: str) -> Any:
    """Run a cell like a user would; return the value of its last expression."""
    result = ip.run_cell(cell)
    assert result.error_in_exec is None, result.error_in_exec
    assert result.error_before_exec is None, result.error_before_exec
    return result.result


GREETER = """
class Greeter:
    def greet(self):
        return "old"


def shout(text):
    return text.upper()
"""


def test_next_cell_runs_new_code_on_objects_from_earlier_cells(
    shell: Any, live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    live.write("m", GREETER)
    run(shell, f"import {live.name('m')} as m\ng = m.Greeter()\nmethod = g.greet")
    capsys.readouterr()
    live.edit("m", '"old"', '"new"')
    assert run(shell, "g.greet(), method(), type(g) is m.Greeter") == ("new", "new", True)
    out, err = capsys.readouterr()
    assert f"limeade: {live.name('m')}  1 change  " in out
    assert out.count("limeade:") == 1
    assert err == ""


def test_nothing_printed_when_nothing_changed(
    shell: Any, live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    live.write("m", GREETER)
    run(shell, f"import {live.name('m')} as m")
    run(shell, "x = m.shout('a')")
    run(shell, "y = x * 2")
    assert capsys.readouterr() == ("", "")
    # A comment that moves no line changes no code: still nothing to say.
    live.edit("m", 'return "old"', 'return "old"  # a comment')
    run(shell, "z = 1")
    assert capsys.readouterr() == ("", "")


def test_syntax_error_is_one_line_and_the_cell_runs_on_old_code(
    shell: Any, live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    live.write("m", GREETER)
    run(shell, f"import {live.name('m')} as m\ng = m.Greeter()")
    capsys.readouterr()
    live.edit("m", 'return "old"', 'return "new"\n\ndef broken(:\n    pass')
    assert run(shell, "g.greet()") == "old"
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("limeade: ")
    assert f"{live.name('m')}.py:5:" in lines[0]
    assert "syntax error" in lines[0]
    assert "Traceback" not in out + err
    # Fixed: the next cell gets the new code.
    live.edit("m", "def broken(:", "def broken():")
    assert run(shell, "g.greet(), callable(m.broken)") == ("new", True)


def test_raising_statement_is_one_line_naming_its_line(
    shell: Any, live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    live.write("m", "LIMIT = 3\n" + GREETER)
    run(shell, f"import {live.name('m')} as m\ng = m.Greeter()")
    capsys.readouterr()
    live.edit("m", "LIMIT = 3", "LIMIT = 3 // 0")
    live.edit("m", '"old"', '"new"')
    assert run(shell, "g.greet(), m.LIMIT") == ("old", 3)
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert f"{live.name('m')}.py:1: " in err
    assert "ZeroDivisionError" in err


def test_off_stops_refreshing_and_on_resumes(
    shell: Any, live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    live.write("m", GREETER)
    run(shell, f"import {live.name('m')} as m\ng = m.Greeter()")
    run(shell, "%limeade off")
    live.edit("m", '"old"', '"new"')
    assert run(shell, "g.greet()") == "old"
    assert run(shell, "g.greet()") == "old"
    capsys.readouterr()
    run(shell, "%limeade on")
    assert run(shell, "g.greet()") == "new"
    assert "1 change" in capsys.readouterr().out


def test_limeade_magic_shows_the_plan_before_applying_it(
    shell: Any, live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    live.write("m", GREETER)
    run(shell, f"import {live.name('m')} as m\ng = m.Greeter()")
    run(shell, "%limeade")
    assert capsys.readouterr().out == "nothing changed\n"
    live.edit("m", '"old"', '"new"')
    run(shell, "%limeade")
    out = capsys.readouterr().out
    assert f"module {live.name('m')}" in out
    assert "~ Greeter.greet  body" in out
    # Showing the plan applied nothing; %limeade refresh does.
    run(shell, "%limeade off")
    assert run(shell, "g.greet()") == "old"
    capsys.readouterr()
    run(shell, "%limeade refresh")
    assert "1 change" in capsys.readouterr().out
    assert run(shell, "g.greet()") == "new"
    capsys.readouterr()
    run(shell, "%limeade refresh")
    assert capsys.readouterr().out == "limeade: nothing to refresh\n"
    run(shell, "%limeade sideways")
    assert "usage: %limeade" in capsys.readouterr().err


def test_definitions_made_in_cells_are_left_alone(shell: Any, live: Live) -> None:
    live.write("m", "RATE = 1\n" + GREETER)
    run(
        shell,
        f"""
import {live.name("m")} as m
from {live.name("m")} import RATE, Greeter as Imported

def shout(text):
    return "cell " + text

class Polite(m.Greeter):
    def greet(self):
        return "cell " + super().greet()

class Greeter:
    def greet(self):
        return "cell greeter"

p, own = Polite(), Greeter()
""",
    )
    live.edit("m", '"old"', '"new"')
    live.edit("m", "text.upper()", "text.lower()")
    live.edit("m", "RATE = 1", "RATE = 2")
    assert run(shell, "shout('A'), m.shout('A'), p.greet(), own.greet()") == (
        "cell A",
        "a",
        "cell new",
        "cell greeter",
    )
    # Copies made with `from m import ...` in a cell: a class is the same object (new code), a
    # value is not rebound (the notebook's namespace is not a tracked module).
    assert run(shell, "Imported is m.Greeter, Imported().greet(), RATE, m.RATE") == (
        True,
        "new",
        1,
        2,
    )


def test_unload_stops_refreshing(shell: Any, live: Live) -> None:
    live.write("m", GREETER)
    run(shell, f"import {live.name('m')} as m\ng = m.Greeter()")
    run(shell, "%unload_ext limeade")
    live.edit("m", '"old"', '"new"')
    assert run(shell, "g.greet()") == "old"
    assert shell.run_cell("%limeade").error_in_exec is not None or not shell.find_line_magic(
        "limeade"
    )
    run(shell, "%load_ext limeade")
    assert run(shell, "g.greet()") == "new"


def test_import_limeade_never_imports_ipython() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import limeade, sys; assert 'IPython' not in sys.modules"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
