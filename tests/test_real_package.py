"""A widely used pure-Python package (``packaging``), copied out of site-packages and refreshed in
a separate interpreter: every module is edited, then reverted."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = r"""
import importlib
import inspect
import pkgutil
import sys
import traceback
from pathlib import Path

root = Path(sys.argv[1])
sys.path.insert(0, str(root))

import limeade  # noqa: E402  (first: modules imported afterwards are tracked)

import packaging  # noqa: E402

assert Path(packaging.__file__).is_relative_to(root), packaging.__file__
names = ["packaging"]
for info in pkgutil.walk_packages(packaging.__path__, "packaging."):
    importlib.import_module(info.name)
    names.append(info.name)
modules = {name: sys.modules[name] for name in names}
tracked = set(limeade.tracked())
assert set(names) <= tracked, sorted(set(names) - tracked)

from packaging.requirements import Requirement  # noqa: E402
from packaging.specifiers import SpecifierSet  # noqa: E402
from packaging.version import InvalidVersion, Version  # noqa: E402

v = Version("1.0")
spec = SpecifierSet(">=1,<3")
req = Requirement("demo[extra]>=1.0; python_version >= '3'")
old_str = Version.__str__
old_len = SpecifierSet.__len__
files = {name: Path(m.__file__) for name, m in modules.items()}
originals = {name: path.read_text(encoding="utf-8") for name, path in files.items()}

def failing_frame():
    try:
        Version("not a version")
    except InvalidVersion as e:
        return traceback.extract_tb(e.__traceback__)[-1]
    raise AssertionError("no InvalidVersion")

def check_frame(frame, text):
    assert Path(frame.filename) == files["packaging.version"], frame.filename
    assert frame.line == text.splitlines()[frame.lineno - 1].strip(), (frame, frame.line)
    assert "raise" in frame.line, frame.line

def check_source(func, text):
    lines, start = inspect.getsourcelines(func)
    assert start == func.__code__.co_firstlineno, (start, func.__code__.co_firstlineno)
    assert "".join(lines) == "".join(text.splitlines(True)[start - 1 : start - 1 + len(lines)])
    return "".join(lines)

frame_before = failing_frame()
check_frame(frame_before, originals["packaging.version"])
assert str(v) == "1.0" and len(spec) == 2

# ---------------------------------------------------------------- edit every module
SHIFT = 7
edited = {}
for i, name in enumerate(names):
    text = originals[name]
    if name == "packaging.version":
        marker = "        return version\n\n    @property\n    def _str"
        assert text.count(marker) == 1
        text = text.replace(marker, marker.replace("return version", 'return "v:" + version'))
    if name == "packaging.specifiers":
        marker = "        return len(self._specs)\n"
        assert text.count(marker) == 1
        text = text.replace(marker, "        return len(self._specs) + 100\n")
    text = "# limeade test: moved\n" * (SHIFT - 1) + "\n" + text
    text += f"\n\ndef limeade_added_{i}():\n    return {i}\n"
    edited[name] = text
    files[name].write_text(text, encoding="utf-8")

plan = limeade.plan()
assert sorted(plan.modules) == sorted(names), plan.modules
# In a child process: conftest's plan-vs-report check is not there (compared below).
report = limeade.refresh()
told = sorted(c[:4] for c in plan.changes)
done = sorted(c[:4] for c in report.changes)
assert told == done, (sorted(set(told) - set(done)), sorted(set(done) - set(told)))
assert sorted(r.module for r in report.modules) == sorted(names)
print(report)

assert str(v) == "v:1.0", str(v)
assert repr(v) == "<Version('v:1.0')>", repr(v)
assert len(spec) == 102, len(spec)
assert Version.__str__ is old_str and SpecifierSet.__len__ is old_len
assert v < Version("2.0") and spec.contains("1.5") and not spec.contains("3.1")
assert req.specifier.contains("1.2") and req.name == "demo"
for i, name in enumerate(names):
    assert getattr(modules[name], f"limeade_added_{i}")() == i, name

frame_after = failing_frame()
check_frame(frame_after, edited["packaging.version"])
assert frame_after.lineno == frame_before.lineno + SHIFT, (frame_before, frame_after)
source = check_source(Version.__str__, edited["packaging.version"])
assert 'return "v:" + version' in source, source
assert "+ 100" in check_source(SpecifierSet.__len__, edited["packaging.specifiers"])
assert Version.__str__.__code__.co_firstlineno == edited["packaging.version"].splitlines().index(
    "    def __str__(self) -> str:"
) + 1

# ---------------------------------------------------------------- revert everything
for name in names:
    files[name].write_text(originals[name], encoding="utf-8")
# In a child process: conftest's plan-vs-report check is not there.
report = limeade.refresh()
assert sorted(r.module for r in report.modules) == sorted(names)
assert str(v) == "1.0" and len(spec) == 2
for i, name in enumerate(names):
    assert not hasattr(modules[name], f"limeade_added_{i}"), name
frame_reverted = failing_frame()
check_frame(frame_reverted, originals["packaging.version"])
assert frame_reverted.lineno == frame_before.lineno
assert 'return "v:"' not in check_source(Version.__str__, originals["packaging.version"])
# In a child process: conftest's plan-vs-report check is not there.
assert not limeade.refresh()
print("OK", len(names), "modules")
"""


def _site_packaging() -> Path:
    import packaging

    return Path(packaging.__file__).parent


@pytest.mark.skipif(sys.version_info < (3, 9), reason="needs Path.is_relative_to")
def test_packaging_copy_edited_and_reverted_in_subprocess(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(
        _site_packaging(), root / "packaging", ignore=shutil.ignore_patterns("__pycache__")
    )
    script = tmp_path / "drive.py"
    script.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-W", "error", str(script), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    output = f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, output
    assert "OK" in proc.stdout, output
