"""Start-up with bytecode caches: the import hook runs code from a ``.pyc`` only when the cache
belongs to the exact bytes it records, and writes caches as CPython's loader does when bytecode
writing is on. Each case runs in a fresh interpreter, as a program's start-up would."""

from __future__ import annotations

import importlib.util
import marshal
import os
import py_compile
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def _run(root: Path, code: str, *, write_bytecode: bool = True) -> str:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not write_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(root), *sys.path])
    script = "import limeade\n" + textwrap.dedent(code)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _forged_cache(source_path: Path, source: bytes, other_code: str) -> Path:
    """A timestamp ``.pyc`` whose header matches ``source`` on disk but holds other code."""
    stat = source_path.stat()
    header = (
        importlib.util.MAGIC_NUMBER
        + (0).to_bytes(4, "little")
        + (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + (len(source) & 0xFFFFFFFF).to_bytes(4, "little")
    )
    cache = Path(importlib.util.cache_from_source(str(source_path)))
    cache.parent.mkdir(exist_ok=True)
    cache.write_bytes(header + marshal.dumps(compile(other_code, str(source_path), "exec")))
    return cache


def test_tracked_module_writes_a_cache_and_still_refreshes(tmp_path):
    (tmp_path / "mod_a.py").write_text("def f():\n    return 1\n")
    out = _run(tmp_path, "import mod_a\nprint(mod_a.f())\n")
    assert out == "1"
    cache = Path(importlib.util.cache_from_source(str(tmp_path / "mod_a.py")))
    assert cache.exists()
    out = _run(
        tmp_path,
        """
        import pathlib, mod_a
        f = mod_a.f
        pathlib.Path("mod_a.py").write_text("def f():\\n    return 2\\n")
        limeade.refresh()  # a child process: conftest's plan-vs-report check is not there
        print(f(), "mod_a" in limeade.tracked())
        """,
    )
    assert out == "2 True"


def test_cache_matching_the_recorded_bytes_is_used(tmp_path):
    path = tmp_path / "mod_b.py"
    source = b"VALUE = 'from source'\n"
    path.write_bytes(source)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**10))
    # The cache was written after the file: it is trusted for these bytes, so its (different)
    # code runs; this shows that no compile happened.
    _forged_cache(path, source, "VALUE = 'from cache'\n")
    assert _run(tmp_path, "import mod_b\nprint(mod_b.VALUE)\n") == "from cache"


def test_cache_older_than_the_file_is_not_trusted(tmp_path):
    path = tmp_path / "mod_c.py"
    source = b"VALUE = 'new bytes'\n"
    path.write_bytes(source)
    cache = _forged_cache(path, source, "VALUE = 'old bytes'\n")
    # Same size, same mtime second, but the file was written after the cache: a same-second,
    # same-size save that CPython's own check cannot tell apart.
    mtime = path.stat().st_mtime_ns
    os.utime(cache, ns=(mtime - 1_000, mtime - 1_000))
    assert _run(tmp_path, "import mod_c\nprint(mod_c.VALUE)\n") == "new bytes"


@pytest.mark.parametrize("same_bytes", [True, False])
def test_hash_based_cache_is_checked_against_the_recorded_bytes(tmp_path, same_bytes):
    path = tmp_path / "mod_d.py"
    path.write_text("VALUE = 'first'\n")
    py_compile.compile(str(path), invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    if not same_bytes:
        stat = path.stat()
        path.write_text("VALUE = 'other'\n")  # same size
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    expected = "first" if same_bytes else "other"
    out = _run(tmp_path, "import mod_d\nprint(mod_d.VALUE)\n", write_bytecode=False)
    assert out == expected


def test_cache_written_elsewhere_names_this_file_and_refreshes(tmp_path):
    """A tree copied with its caches (a deploy, a container image): the code objects loaded
    from the caches name the new place, as CPython's loader makes them, so a refresh finds and
    updates the live functions."""
    first = tmp_path / "first"
    first.mkdir()
    (first / "mod_e.py").write_text("def f():\n    return 1\n")
    assert _run(first, "import mod_e\nprint(mod_e.f())\n") == "1"
    assert Path(importlib.util.cache_from_source(str(first / "mod_e.py"))).exists()
    moved = tmp_path / "moved"
    shutil.copytree(first, moved)
    out = _run(
        moved,
        """
        import pathlib, mod_e
        f = mod_e.f
        print(f.__code__.co_filename == str(pathlib.Path("mod_e.py").resolve()))
        pathlib.Path("mod_e.py").write_text("def f():\\n    return 2\\n")
        # A child process: conftest's plan-vs-report check is not there.
        print(limeade.refresh().changes[0].outcome, f())
        """,
    )
    assert out.splitlines() == ["True", "updated in place 2"]


def test_undecodable_source_is_refused_once_and_fails_as_without_limeade(tmp_path):
    (tmp_path / "mod_bad.py").write_bytes(b"VALUE = '\xff\xfe'\n")
    out = _run(
        tmp_path,
        """
        import logging, sys
        logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)
        try:
            import mod_bad
        except SyntaxError as e:
            print("SyntaxError", "utf-8" in str(e))
        print("mod_bad" in limeade.tracked())
        """,
    )
    lines = out.splitlines()
    assert lines[-2:] == ["SyntaxError True", "False"]
    refusals = [line for line in lines if "limeade cannot track" in line and "mod_bad" in line]
    assert len(refusals) == 1, out


def test_without_a_cache_the_bytes_compiled_are_the_bytes_recorded(tmp_path):
    # The hook reads a file twice when no cache holds its code (the registry, then the
    # compiler's read): a save in between must not leave the registry with other bytes than
    # the ones that run, or the next refresh would compare the wrong versions.
    (tmp_path / "mod_race.py").write_text("VALUE = 'first'\n")
    out = _run(
        tmp_path,
        """
        import pathlib
        from limeade import _tracking

        fast = _tracking.record

        def record_then_save(name, path, is_package, source=None, stamp=None):
            done = fast(name, path, is_package, source, stamp)
            if source is None and name == "mod_race":
                pathlib.Path(path).write_text("VALUE = 'second'\\n")
            return done

        _tracking.record = record_then_save
        import mod_race

        print(mod_race.VALUE, _tracking.REGISTRY.source("mod_race").strip())
        """,
        write_bytecode=False,
    )
    assert out == "second VALUE = 'second'"
