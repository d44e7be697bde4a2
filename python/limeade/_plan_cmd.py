"""``python -m limeade plan OLD NEW``: the dry run of ``cargo xtask plan`` from the installed
package. Python reads the files; the native planner decodes, plans and renders them, so the
text is the same."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import _native


def _python_files(root: str) -> list[str]:
    """Every ``.py`` file under ``root``, relative, ``/``-separated, sorted."""
    out = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            if name.endswith(".py"):
                relative = os.path.relpath(os.path.join(dirpath, name), root)
                out.append(relative.replace(os.sep, "/"))
    return sorted(out)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _tree_batch(old_root: str, new_root: str) -> list[tuple[str, str, bool, bytes, bytes]]:
    """The modules of two trees, paired by relative path; a module only in one tree is planned
    against empty source."""
    batch = []
    for relative in sorted(set(_python_files(old_root)) | set(_python_files(new_root))):
        name, is_package = _native.module_name_from_path(relative)
        old, new = os.path.join(old_root, relative), os.path.join(new_root, relative)
        batch.append(
            (
                name,
                relative,
                is_package,
                _read(old) if os.path.exists(old) else b"",
                _read(new) if os.path.exists(new) else b"",
            )
        )
    return batch


def plan_command(parser: argparse.ArgumentParser, options: Any) -> int:
    old, new = options.old, options.new
    if os.path.isdir(old) and os.path.isdir(new):
        if options.module is not None:
            parser.error("--module applies to single files; directory names come from paths")
        batch = _tree_batch(old, new)
    elif os.path.isfile(old) and os.path.isfile(new):
        stem = os.path.splitext(os.path.basename(new))[0] or "module"
        name = options.module or stem
        batch = [(name, new, os.path.basename(new) == "__init__.py", _read(old), _read(new))]
    else:
        missing = [path for path in (old, new) if not os.path.exists(path)]
        if missing:
            parser.error(f"{missing[0]}: no such file or directory")
        parser.error(f"{old} and {new} must both be files or both be directories")
    try:
        plan = _native.plan_batch(batch)
    except _native.PlanFailure as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 1
    if options.json:
        print(plan.to_json())
    else:
        sys.stdout.write(plan.render())
    return 0
