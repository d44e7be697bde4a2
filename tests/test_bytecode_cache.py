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


def _age(path: Path, seconds: int = 60) -> None:
    """Date ``path`` back: a file not modified within the last two seconds keeps its stamp
    until it is written again, so the hook reads its bytes in the background."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9))


def test_without_a_cache_the_bytes_compiled_are_the_bytes_recorded(tmp_path):
    # Without a cache the hook stamps the file, then reads it to compile: a save in between
    # must not leave the registry with other bytes than the ones that run, or the next
    # refresh would compare the wrong versions.
    (tmp_path / "mod_race.py").write_text("VALUE = 'first'\n")
    out = _run(
        tmp_path,
        """
        import pathlib
        from limeade import _tracking

        stamp = _tracking._stamp

        def stamp_then_save(path):
            done = stamp(path)
            if path.endswith("mod_race.py") and "first" in pathlib.Path(path).read_text():
                pathlib.Path(path).write_text("VALUE = 'second'\\n")
            return done

        _tracking._stamp = stamp_then_save
        import mod_race

        print(mod_race.VALUE, _tracking.REGISTRY.source("mod_race").strip())
        """,
        write_bytecode=False,
    )
    assert out == "second VALUE = 'second'"


def test_a_module_run_from_its_cache_is_tracked_with_the_bytes_read_later(tmp_path):
    path = tmp_path / "mod_later.py"
    path.write_text("def f():\n    return 1\n")
    _age(path)
    assert _run(tmp_path, "import mod_later\nprint(mod_later.f())\n") == "1"
    out = _run(
        tmp_path,
        """
        import pathlib, mod_later
        from limeade import _tracking

        f = mod_later.f
        print(repr(_tracking.REGISTRY.source("mod_later")))
        pathlib.Path("mod_later.py").write_text("def f():\\n    return 2\\n")
        limeade.refresh()  # a child process: conftest's plan-vs-report check is not there
        print(f(), "mod_later" in limeade.tracked())
        """,
    )
    assert out.splitlines() == [repr("def f():\n    return 1\n"), "2 True"]


@pytest.mark.parametrize("recent", [False, True])
def test_a_save_after_the_cache_was_checked_never_records_other_bytes(tmp_path, recent):
    """The cache was validated against the file's stamp, then the file was saved before the
    registry read it. An old file is read in the background: its new stamp shows the bytes
    are not the ones the cache was compiled from, so the module is not tracked (a warning
    says why). A recent file is read at once: the hook sees the stamp moved and compiles the
    bytes it records."""
    path = tmp_path / "mod_saved.py"
    path.write_text("VALUE = 'cached'\n")
    if not recent:
        _age(path)
    assert _run(tmp_path, "import mod_saved\nprint(mod_saved.VALUE)\n") == "cached"
    out = _run(
        tmp_path,
        """
        import logging, pathlib, sys
        from limeade import _tracking

        logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)
        record = _tracking.record_stamped

        def save_then_record(name, path, is_package, stamp):
            if name == "mod_saved":
                pathlib.Path(path).write_text("VALUE = 'saved after'\\n")
            return record(name, path, is_package, stamp)

        _tracking.record_stamped = save_then_record
        import mod_saved

        print(mod_saved.VALUE)
        print("mod_saved" in limeade.tracked(), _tracking.REGISTRY.source("mod_saved"))
        """,
    )
    lines = out.splitlines()
    if recent:
        assert lines == ["saved after", f"True {'VALUE = ' + repr('saved after')}"]
    else:
        assert (lines[0], lines[-1]) == ("cached", "False None"), out
        warnings = [line for line in lines if "limeade cannot track mod_saved" in line]
        assert len(warnings) == 1 and "changed after the module was imported" in warnings[0], out


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_right_after_the_imports_gets_every_source(tmp_path):
    """Forked while the background reads may be under way (their thread does not survive a
    fork): the child reads what is left itself."""
    for i in range(30):
        path = tmp_path / f"mod_fork{i}.py"
        path.write_text(f"VALUE = {i}\n")
        _age(path)
    names = [f"mod_fork{i}" for i in range(30)]
    _run(tmp_path, f"import importlib\nfor n in {names!r}:\n    importlib.import_module(n)\n")
    out = _run(
        tmp_path,
        f"""
        import importlib, os
        from limeade import _tracking

        for n in {names!r}:
            importlib.import_module(n)
        pid = os.fork()
        if pid == 0:
            sources = [_tracking.REGISTRY.source(n) for n in {names!r}]
            ok = sources == [f"VALUE = {{i}}\\n" for i in range(30)]
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        """,
    )
    assert out == "0"
