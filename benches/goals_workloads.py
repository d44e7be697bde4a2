"""The workloads of ``benches/goals_bench.py`` that the comparison (``benches/compare/``) has no
equivalent for, each run in a fresh interpreter as

    python benches/goals_workloads.py WORKLOAD SYSTEM [--runs N] [--added N] [--root DIR]

and reporting one ``@@bench {"result": ...}`` line (``benches/compare/timing.py``'s protocol:
``samples`` in seconds, or ``failure``). SYSTEM is ``limeade`` or the workload's baseline.

- ``sweep-packaging`` / ``sweep-rich``: a copy of the installed package (``--root``) imported
  under its own name; every module saved with comment lines added at the top (every definition
  moved), for rich also one function added per module. ``limeade``: one ``refresh()``;
  ``reload``: ``importlib.reload`` of every module, in import order.
- ``compile-exec``: the ``added`` workload's grown file read, ``compile()``d and ``exec``d into a
  fresh namespace (the floor the issue compares the 200,000-function refresh with).
- ``startup``: the primed tree at ``--root`` (500 modules with valid ``.pyc`` caches), timed
  from before ``import limeade`` (``limeade``) or from the first import (``plain``) to the last
  module imported.
- ``threads-idle``: the comparison's threads workload (``limeade`` refreshes of the 10,000-line
  module) without the 4 threads: the no-thread refresh the threaded one is compared with.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import shutil
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent / "compare"))
import codegen
import timing
from timing import call, edit_loop, emit, expect, failure_text, save

SWEEP_COMMENT = "# moved by the goals benchmark\n"
# Module ``boot.m{i}`` of the start-up tree: ``codegen.package_module`` (``value()`` says which
# version runs) followed by this many functions of the big module, ~6.4 KB a module as in the
# issue (500 modules, 3.2 MB of source).
STARTUP_MODULES = 500
STARTUP_PADDING = 27
# The start-up module edited after the timing, to check that the tracked source is right.
STARTUP_EDITED = 7


def startup_module(i: int, version: int) -> str:
    return codegen.package_module(i, version) + codegen.big_module(STARTUP_PADDING)


def write_startup_tree(root: Path) -> None:
    """The start-up package under ``root/boot``; sources stamped a minute ago (so no cache check
    has a reason to distrust a stamp made within the same second)."""
    package = root / "boot"
    package.mkdir(parents=True)
    old = time.time() - 60
    files = [package / "__init__.py"]
    files[0].write_text("", encoding="utf-8")
    for i in range(STARTUP_MODULES):
        path = package / f"m{i:03d}.py"
        path.write_text(startup_module(i, 0), encoding="utf-8")
        files.append(path)
    for path in files:
        os.utime(path, (old, old))


def startup(system: str, root: Path, runs: int, **_) -> dict:
    """One start-up from the primed tree at ``root``, timed; then (``limeade``) an edit of one
    module, refreshed and checked through the function imported before it. The edited file gets
    its bytes and stamp back afterwards, so its cache stays valid for the next process. (The
    tree is used where its caches were written: caches compiled at another path name that path
    in their code objects.)"""
    importlib.invalidate_caches()
    sys.path.insert(0, str(root))
    start = time.perf_counter()
    if system == "limeade":
        import limeade
    modules = [importlib.import_module(f"boot.m{i:03d}") for i in range(STARTUP_MODULES)]
    elapsed = time.perf_counter() - start
    total = sum(m.value() for m in modules)
    wanted = sum(codegen.package_value(i, 0) for i in range(STARTUP_MODULES))
    if total != wanted:
        return {"failure": f"the imported modules do not work: {total} != {wanted}"}
    uncached = [m.__name__ for m in modules if not Path(m.__cached__ or "-").exists()]
    if uncached:
        return {"failure": f"{len(uncached)} modules have no cache: {uncached[:3]}"}
    result = {"samples": [elapsed], "check": "none"}
    if system != "limeade":
        return result
    missing = [m.__name__ for m in modules if m.__name__ not in limeade.tracked()]
    if missing:
        return {"failure": f"limeade does not track {len(missing)} modules: {missing[:3]}"}
    k = STARTUP_EDITED
    held = modules[k].value
    path = root / "boot" / f"m{k:03d}.py"
    original, stamp = path.read_bytes(), path.stat()
    try:
        save(path, startup_module(k, 1))
        limeade.refresh()
        problem = expect(call(held), codegen.package_value(k, 1), f"old boot.m{k:03d}.value()")
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    if problem:
        return {"failure": f"an edit after the cached start-up did not take effect: {problem}"}
    result["check"] = "old-object"
    return result


def _compile_exec(path: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    text = path.read_text(encoding="utf-8")
    namespace: dict = {"__name__": path.stem, "__file__": str(path)}
    exec(compile(text, str(path), "exec"), namespace)
    return time.perf_counter() - start, namespace


def compile_exec(system: str, root: Path, runs: int, added: int = 200_000, **_) -> dict:
    """``compile()`` + ``exec`` of the grown module of the ``added`` workload, once. Also, as a
    note, the same for as many functions without a default value: CPython's own compile is
    superlinear in the number of functions with defaults in one module (a constant tuple each)."""
    path = root / "growing.py"
    save(path, codegen.grown_module(added))
    elapsed, namespace = _compile_exec(path)
    problem = expect(call(lambda: namespace["probe"](added)), added - 1, f"probe({added})")
    if problem:
        return {"failure": problem}
    plain = root / "plain_defs.py"
    save(plain, "".join(f"\n\ndef added_{i}():\n    return {i}\n" for i in range(added)))
    plain_seconds, namespace = _compile_exec(plain)
    problem = expect(call(namespace[f"added_{added - 1}"]), added - 1, "the last plain function")
    if problem:
        return {"failure": problem}
    extra = {"added": added, "no_defaults_seconds": plain_seconds}
    return {"samples": [elapsed], "check": "new-namespace", "extra": extra}


class _Refresh:
    """The ``edit_loop`` adapter for limeade."""

    updates_old_objects = True

    def settle(self) -> None:
        from adapters.limeade import Adapter

        Adapter().settle()

    def apply(self, edited: list) -> None:
        import limeade

        if not limeade.refresh():
            raise RuntimeError("refresh() found nothing to do after an edit")


class _Reload:
    """The ``edit_loop`` adapter for ``importlib.reload`` of each edited module, in order."""

    updates_old_objects = False

    def apply(self, edited: list) -> None:
        for module in edited:
            importlib.reload(module)


def threads_idle(system: str, root: Path, runs: int, **_) -> dict:
    """The threads workload's edits and checks, with no thread running."""
    import limeade  # noqa: F401  (before the module: it is tracked)

    base = codegen.big_module()
    path = root / "threaded.py"
    save(path, codegen.threads_module(base, 0))
    module = importlib.import_module("threaded")
    held_work, held_worker = module.work, module.Worker()

    def check(version: int) -> Optional[str]:
        wanted = codegen.THREADS_TAGS[version]
        return expect(call(held_work), wanted, "old work()") or expect(
            call(held_worker.run), wanted, "old Worker().run()"
        )

    def write(version: int) -> None:
        save(path, codegen.threads_module(base, version))

    return edit_loop(_Refresh(), runs, write, [module], check)


def _own_function(module: types.ModuleType) -> Optional[types.FunctionType]:
    """A function defined in ``module`` (at its top level or in one of its classes), or None."""
    for value in list(vars(module).values()):
        candidates = [value]
        if isinstance(value, type) and value.__module__ == module.__name__:
            candidates = list(vars(value).values())
        for candidate in candidates:
            if (
                isinstance(candidate, types.FunctionType)
                and candidate.__code__.co_filename == module.__file__
            ):
                return candidate
    return None


def _qualname_lookup(module: types.ModuleType, qualname: str) -> object:
    value: object = module
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def sweep(system: str, root: Path, runs: int, package: str = "", adds: bool = False) -> dict:
    """Every module of the copy of ``package`` under ``root`` saved with every definition moved
    (and, when ``adds``, one more function at its end), then refreshed or reloaded. Edit ``r``
    puts 3 (odd ``r``) or 6 (even) comment lines at the top, so every edit moves everything."""
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(root))
    if system == "limeade":
        import limeade
    top = importlib.import_module(package)
    if not Path(top.__file__).is_relative_to(root):
        return {"failure": f"{package} was imported from {top.__file__}, not from the copy"}
    for info in pkgutil.walk_packages(top.__path__, f"{package}."):
        try:
            importlib.import_module(info.name)
        except ImportError:
            pass  # e.g. rich's Windows-only modules
    # Import order (each after what it imports): the order a reload of all of them needs.
    names = [n for n in sys.modules if n == package or n.startswith(f"{package}.")]
    modules = [sys.modules[n] for n in names]
    if system == "limeade":
        missing = sorted(set(names) - set(limeade.tracked()))
        if missing:
            return {"failure": f"limeade does not track {len(missing)} modules: {missing[:3]}"}
    files = {m.__name__: Path(m.__file__) for m in modules}
    originals = {name: path.read_text(encoding="utf-8") for name, path in files.items()}
    held = {m.__name__: f for m in modules if (f := _own_function(m)) is not None}
    first_lines = {name: f.__code__.co_firstlineno for name, f in held.items()}
    edits = [0]

    def text(name: str, r: int) -> str:
        body = originals[name]
        if not body.endswith("\n"):
            body += "\n"
        added = "".join(
            f"\n\ndef limeade_goals_added_{k}():\n    return {k}\n" for k in range(1, r + 1)
        )
        return SWEEP_COMMENT * (3 if r % 2 else 6) + body + (added if adds else "")

    def write(_version: int) -> None:
        edits[0] += 1
        for name, path in files.items():
            save(path, text(name, edits[0]))

    def check_with(get: Callable[[str], object]) -> Callable[[int], Optional[str]]:
        def check(_version: int) -> Optional[str]:
            r = edits[0]
            shift = 3 if r % 2 else 6
            for name, function in held.items():
                code = getattr(get(name), "__code__", None)
                got = code.co_firstlineno if code else None
                problem = expect(
                    got, first_lines[name] + shift, f"first line of {function.__qualname__}"
                )
                if problem:
                    return f"{name}: {problem}"
            if adds:
                for module in modules:
                    added = getattr(module, f"limeade_goals_added_{r}", None)
                    problem = expect(call(added) if added else None, r, f"{module.__name__} added")
                    if problem:
                        return problem
            return None

        return check

    adapter = _Refresh() if system == "limeade" else _Reload()
    result = edit_loop(
        adapter,
        runs,
        write,
        modules,
        check_with(lambda name: held[name]),
        check_with(lambda name: _qualname_lookup(sys.modules[name], held[name].__qualname__)),
    )
    result.setdefault("extra", {}).update(modules=len(modules), checked=len(held))
    return result


WORKLOADS = {
    "startup": startup,
    "compile-exec": compile_exec,
    "threads-idle": threads_idle,
    "sweep-packaging": lambda s, r, n, **_: sweep(s, r, n, package="packaging"),
    "sweep-rich": lambda s, r, n, **_: sweep(s, r, n, package="rich", adds=True),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("system")
    parser.add_argument("--runs", type=int, default=5, help="timed edits after the warm-up")
    parser.add_argument("--added", type=int, default=200_000)
    parser.add_argument("--root", type=Path, help="the package copy or the start-up tree")
    args = parser.parse_args()
    timing.BUDGET = 120.0
    root = args.root or Path(tempfile.mkdtemp(prefix="limeade-goals-"))
    if args.root is None:
        sys.path.insert(0, str(root))
    started = time.perf_counter()
    try:
        result = WORKLOADS[args.workload](args.system, root, args.runs, added=args.added)
    except Exception as exc:
        result = {"failure": f"setup {failure_text(exc)}"}
    finally:
        if args.root is None:
            shutil.rmtree(root, ignore_errors=True)
    result.update(workload=args.workload, system=args.system)
    result["seconds"] = time.perf_counter() - started
    emit({"result": result})


if __name__ == "__main__":
    main()
