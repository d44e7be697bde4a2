"""What ``import limeade`` costs a program at start-up, and that the shortcuts taken for it keep
the default tracking policy: only the import hook is loaded (the refresh machinery, ``logging``
and ``sysconfig`` come when first needed), and the policy's answer is decided once per folder.
Each start-up case runs in a fresh interpreter, as a program's start-up would."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from limeade import _tracking
from livechild import child_env


def _fresh(code: str, tmp_path: Path, **env_extra: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a new interpreter started in ``tmp_path`` (its modules importable)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env=child_env(**env_extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_limeade_loads_only_the_import_hook(tmp_path: Path) -> None:
    result = _fresh(
        """
        import sys
        import importlib.util, typing  # what the hook needs (3.9's importlib.util loads abc)
        before = set(sys.modules)
        import limeade
        loaded = set(sys.modules) - before
        heavy = ["logging", "inspect", "dataclasses", "sysconfig", "importlib.abc",
                 "limeade._transaction", "limeade._report", "limeade._watch"]
        print(sorted(name for name in heavy if name in loaded))
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_lazy_names_work_after_a_lean_import(tmp_path: Path) -> None:
    """The public names of the lazily imported modules are there, are the real objects, and
    a plan and a refresh work, from a program that only did ``import limeade``."""
    (tmp_path / "shop.py").write_text("def price():\n    return 1\n", encoding="utf-8")
    result = _fresh(
        """
        import limeade
        from limeade import Plan, RefreshReport, Watcher, on_refresh, safe_point
        from limeade import _report, _watch, _hooks
        assert Plan is _report.Plan and RefreshReport is _report.RefreshReport
        assert Watcher is _watch.Watcher and safe_point is _watch.safe_point
        assert on_refresh is _hooks.on_refresh
        assert {"Plan", "Watcher", "refresh"} <= set(dir(limeade))
        import shop
        held = shop.price
        with open(shop.__file__, "w") as f:
            f.write("def price():\\n    return 2\\n")
        plan = limeade.plan()
        assert isinstance(plan, Plan), plan
        # In a child process: conftest's plan-vs-report check is not there.
        report = limeade.refresh()
        assert isinstance(report, RefreshReport), report
        print(held(), held is shop.price)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2 True"


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    import limeade

    with pytest.raises(AttributeError, match="no_such_thing"):
        limeade.no_such_thing  # noqa: B018


def test_debug_records_reach_logging_configured_before_import(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text("X = 1\n", encoding="utf-8")
    result = _fresh(
        """
        import logging
        logging.basicConfig(level=logging.DEBUG, format="%(name)s %(message)s")
        import limeade
        import shop
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "limeade tracking shop" in result.stderr


def test_a_warning_is_shown_without_logging_configured(tmp_path: Path) -> None:
    """``logging`` is not imported by ``import limeade``, but a warning still reaches the
    terminal (through logging's last-resort handler, as before)."""
    result = _fresh(
        "import limeade, sys; print('logging' in sys.modules)", tmp_path, LIMEADE_DISABLE="1"
    )
    assert result.returncode == 0, result.stderr
    assert "limeade: off (LIMEADE_DISABLE=1)" in result.stderr
    assert result.stdout.strip() == "True"  # imported to log the warning


@pytest.mark.parametrize("key", ["stdlib", "platstdlib", "purelib", "platlib"])
def test_sysconfig_paths_are_not_tracked_by_default(key: str) -> None:
    """The excluded roots are found without ``sysconfig``; every path it names must still be
    covered (checked on each interpreter the suite runs on)."""
    path = sysconfig.get_paths().get(key)
    if not path:
        pytest.skip(f"sysconfig has no {key} path here")
    assert not _tracking.is_default_tracked(os.path.join(path, "some_module.py"))


def test_a_folder_linked_into_the_standard_library_is_not_tracked(tmp_path: Path) -> None:
    stdlib = os.path.dirname(os.__file__)
    (tmp_path / "linked").symlink_to(stdlib, target_is_directory=True)
    assert not _tracking.is_default_tracked(str(tmp_path / "linked" / "os.py"))
    # Asked twice: the folder's answer is kept, and stays right.
    assert not _tracking.is_default_tracked(str(tmp_path / "linked" / "json" / "__init__.py"))
    assert not _tracking.is_default_tracked(str(tmp_path / "linked" / "os.py"))


def test_a_file_linked_into_the_standard_library_is_not_tracked(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "theirs.py").symlink_to(os.__file__)
    assert _tracking.is_default_tracked(str(tmp_path / "mine.py"))
    assert not _tracking.is_default_tracked(str(tmp_path / "theirs.py"))
    assert _tracking.is_default_tracked(str(tmp_path / "mine.py"))


def test_running_sources_are_parsed_in_the_background_once_imports_go_quiet(
    tmp_path: Path,
) -> None:
    """After start-up the registry holds the running versions' trees before any refresh (so
    the first refresh re-parses incrementally), and that refresh works as any other."""
    for i in range(3):
        body = "".join(f"def f{k}():\n    return {k}\n\n" for k in range(50))
        (tmp_path / f"part{i}.py").write_text(body, encoding="utf-8")
    result = _fresh(
        """
        import time
        import limeade
        from limeade import _tracking
        import part0, part1, part2
        trees_at_import = dict(_tracking.REGISTRY.memory_use())["trees"]
        deadline = time.monotonic() + 30
        while dict(_tracking.REGISTRY.memory_use())["trees"] == 0:
            assert time.monotonic() < deadline, "never parsed"
            time.sleep(0.05)
        held = part1.f7
        with open(part1.__file__, "a") as f:
            f.write("def f7():\\n    return 'new'\\n")
        # In a child process: conftest's plan-vs-report check is not there.
        limeade.refresh()
        print(trees_at_import, held(), held is part1.f7)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "new", "True"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_gets_its_own_watcher_without_any_auto_refresh(tmp_path: Path) -> None:
    """The registry's file watcher and background parser are threads: a child forked from a
    program that never started a watcher (so ``limeade._watch`` was never imported) still
    replaces them, and sees its own edits; the parent sees its own afterwards."""
    (tmp_path / "shared.py").write_text("def value():\n    return 1\n", encoding="utf-8")
    result = _fresh(
        """
        import os, sys, time
        import limeade
        import shared
        held = shared.value
        # In a child process: conftest's plan-vs-report check is not there.
        limeade.refresh()  # the folder is watched from here on
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                assert "limeade._watch" not in sys.modules
                with open(shared.__file__, "w") as f:
                    f.write("def value():\\n    return 2\\n")
                started = time.monotonic()
                # In a child process: conftest's plan-vs-report check is not there.
                limeade.refresh()
                # Without a watcher of its own, the child's first scan waits a
                # second for the parent's dead watcher thread to confirm its events.
                status = 0 if held() == 2 and time.monotonic() - started < 0.5 else 3
            finally:
                os._exit(status)
        _, status = os.waitpid(pid, 0)
        # The child's save is on disk: the parent refreshes to it as well.
        # In a child process: conftest's plan-vs-report check is not there.
        limeade.refresh()
        print(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode")
              else status >> 8, held())
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "2"]


def test_the_refresh_machinery_is_imported_once_imports_go_quiet(tmp_path: Path) -> None:
    """Not by ``import limeade`` (start-up), not by the first refresh (which may come while
    the program's threads keep the GIL busy): by a thread of limeade's, about a second after
    the program's imports stopped."""
    result = _fresh(
        """
        import sys, time
        import limeade
        at_import = "limeade._transaction" in sys.modules
        deadline = time.monotonic() + 20
        while "limeade._transaction" not in sys.modules and time.monotonic() < deadline:
            time.sleep(0.05)
        print(at_import, "limeade._transaction" in sys.modules)
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
    off = _fresh(
        "import sys, time, limeade; time.sleep(2); print('limeade._transaction' in sys.modules)",
        tmp_path,
        LIMEADE_DISABLE="1",
    )
    assert off.stdout.strip() == "False", off.stderr


def test_machinery_import_lowers_the_switch_interval_and_restores_it(tmp_path: Path) -> None:
    # The first refresh imports the machinery with a short GIL switch interval (its file reads
    # give the GIL away; spinning threads would keep it for 5 ms each time); the program's own
    # interval is back afterwards, and one the program sets meanwhile is left alone.
    (tmp_path / "m.py").write_text("def f():\n    return 1\n")
    result = _fresh(
        """
        import sys, importlib.abc
        seen = []

        class Spy(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "limeade._transaction":
                    seen.append(sys.getswitchinterval())
                return None

        sys.meta_path.insert(0, Spy())
        sys.setswitchinterval(0.002)
        import limeade, m
        open("m.py", "w").write("def f():\\n    return 2\\n")
        limeade.refresh()
        after_refresh = sys.getswitchinterval()

        from limeade import _preload
        _preload._lower_switch_interval()
        sys.setswitchinterval(0.003)  # the program's own, while limeade's is in force
        _preload._restore_switch_interval()
        print(seen[0] < 0.001, after_refresh, sys.getswitchinterval(), m.f())
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "0.002", "0.003", "2"]
