"""The comparison's workloads. Each writes generated code under ``root`` (on ``sys.path``),
imports it for real, and returns a result dict (``samples`` in seconds, or ``failure`` / ``na``,
plus ``check``, ``note`` and ``extra``)."""

from __future__ import annotations

import ast
import gc
import importlib
import os
import threading
import time
from pathlib import Path

import codegen
from timing import WARMUP, call, edit_loop, expect, save, timed_next


def _import_new(root: Path, name: str, text: str):
    path = root / f"{name}.py"
    save(path, text)
    return path, importlib.import_module(name)


def _big_checks(module):
    """Whether an edit of the generated big module took effect: through the function object
    held before it, and through the module attribute."""
    held = module.function_505

    def check_old(version: int):
        return expect(call(lambda: held([3], 1)), codegen.big_expected(version), "old function_505")

    def check_attribute(version: int):
        got = call(lambda: module.function_505([3], 1))
        return expect(got, codegen.big_expected(version), "module.function_505")

    return check_old, check_attribute


def _big_edit(adapter, root: Path, runs: int) -> dict:
    """Workload 1's body (workload 4 runs it with a heavy heap)."""
    base = codegen.big_module()
    path, module = _import_new(root, "big", base)
    adapter.tracked([module])
    check_old, check_attribute = _big_checks(module)

    result = edit_loop(
        adapter,
        runs,
        lambda v: save(path, codegen.big_version(base, v)),
        [module],
        check_old,
        check_attribute,
        warmup_version=2,
    )
    result["extra"] = {"lines": base.count("\n")}
    return result


def one_function(adapter, root: Path, runs: int, **_) -> dict:
    """1. One function body edited in a 10,000-line module (1,000 functions, 100 classes)."""
    return _big_edit(adapter, root, runs)


class _Ballast:
    def __init__(self, value: int) -> None:
        self.value = value


def big_heap(adapter, root: Path, runs: int, **_) -> dict:
    """4. Workload 1 with 1,000,000 unrelated live objects (tracked by the garbage collector)."""
    ballast = [_Ballast(i) for i in range(1_000_000)]
    try:
        return _big_edit(adapter, root, runs)
    finally:
        del ballast


def package_edit(adapter, root: Path, runs: int, **_) -> dict:
    """2. Ten modules of a 200-module package edited at once."""
    package = root / "pkg200"
    package.mkdir()
    save(package / "__init__.py", "")
    for i in range(200):
        save(package / f"m{i:03d}.py", codegen.package_module(i, 0))
    modules = [importlib.import_module(f"pkg200.m{i:03d}") for i in range(200)]
    adapter.tracked(modules)
    chosen = list(range(0, 200, 20))
    edited = [modules[i] for i in chosen]
    held = {i: modules[i].value for i in chosen}

    def write(version: int) -> None:
        for i in chosen:
            save(package / f"m{i:03d}.py", codegen.package_module(i, version))

    def check_with(get_value):
        def check(version: int):
            for i in chosen:
                wanted = codegen.package_value(i, version)
                problem = expect(call(get_value(i)), wanted, f"value() of m{i:03d}")
                if problem:
                    return problem
            return None

        return check

    return edit_loop(
        adapter,
        runs,
        write,
        edited,
        check_with(lambda i: held[i]),
        check_with(lambda i: modules[i].value),
    )


def idle(adapter, root: Path, runs: int, **_) -> dict:
    """3. An idle check with 1,000 tracked modules and no change; afterwards an edit to one of
    them must still be picked up (through an instance made before it)."""
    if getattr(adapter, "no_idle_check", None):
        return {"na": adapter.no_idle_check}
    folder = root / "idle"
    folder.mkdir()
    # Files saved a minute ago: no system has a reason to distrust their stamps.
    old = time.time() - 60
    for i in range(1_000):
        path = folder / f"idle_{i:04d}.py"
        save(path, codegen.small_module(i))
        os.utime(path, (old, old))
    importlib.invalidate_caches()
    import sys

    sys.path.insert(0, str(folder))
    modules = [importlib.import_module(f"idle_{i:04d}") for i in range(1_000)]
    adapter.tracked(modules)
    adapter.idle()
    samples = []
    gc.collect()
    for _ in range(runs * 10):
        timed_next()
        start = time.perf_counter()
        try:
            adapter.idle()
        except Exception as exc:
            return {"failure": f"idle check raised {type(exc).__name__}: {exc}"}
        samples.append(time.perf_counter() - start)
    k = 500
    instance = getattr(modules[k], f"Item{k}")()
    save(folder / f"idle_{k:04d}.py", codegen.small_module(k, 1))
    adapter.apply([modules[k]])
    problem = expect(call(instance.double), 3 * k, f"old Item{k}().double()")
    if problem:
        return {"failure": f"after the idle checks, an edit was missed: {problem}"}
    result = {"samples": samples, "check": "old-object"}
    if getattr(adapter, "idle_note", None):
        result["note"] = adapter.idle_note
    return result


def moved(adapter, root: Path, runs: int, **_) -> dict:
    """5. Every definition of a 10,000-line module moved (three lines added at the top), with
    one function body changed so the check can see the edit ran. Also reports whether an
    unchanged old function's line numbers follow its definition (what tracebacks show)."""
    base = codegen.big_module()
    path, module = _import_new(root, "big_moved", base)
    adapter.tracked([module])
    check_old, check_attribute = _big_checks(module)
    unchanged = module.function_905

    def text(version: int) -> str:
        # 1: moved down, 0: back where they were, 2 (warm-up): not moved, body edited.
        if version == 1:
            return codegen.MOVE_PREFIX + codegen.big_version(base, 1)
        return codegen.big_version(base, version)

    result = edit_loop(
        adapter,
        runs,
        lambda v: save(path, text(v)),
        [module],
        check_old,
        check_attribute,
        warmup_version=2,
    )
    if "samples" in result:
        result.setdefault("extra", {})
        current = path.read_text(encoding="utf-8").splitlines()
        line = current.index("def function_905(items, factor=2):") + 1
        follows = unchanged.__code__.co_firstlineno == line
        result["extra"]["lines_follow"] = follows
        result["note"] = (
            "line numbers of unchanged functions follow"
            if follows
            else ("line numbers of unchanged functions stay old")
        )
    return result


def added(adapter, root: Path, runs: int, added: int = 200_000, **_) -> dict:
    """6. ``added`` functions added to a module, once per process (after an untimed small
    edit, so caches built at a first change are warm)."""
    path, module = _import_new(root, "growing", codegen.growing_module())
    adapter.tracked([module])
    probe = module.probe
    save(path, codegen.GROWING_HEAD.format(body="0"))
    try:
        adapter.apply([module])
    except Exception as exc:
        return {"failure": f"the warm-up edit raised {type(exc).__name__}: {exc}"}
    check = "old-object"
    if call(lambda: probe(1)) != 0:
        if adapter.updates_old_objects:
            return {"failure": f"the warm-up edit did not take effect: {call(lambda: probe(1))!r}"}
        check = "module-attribute"
    save(path, codegen.grown_module(added))
    gc.collect()
    timed_next()
    start = time.perf_counter()
    try:
        adapter.apply([module])
    except Exception as exc:
        return {"failure": f"raised {type(exc).__name__}: {str(exc)[:200]}"}
    elapsed = time.perf_counter() - start
    getter = (lambda: probe(added)) if check == "old-object" else (lambda: module.probe(added))
    problem = expect(call(getter), added - 1, f"probe({added})")
    if problem:
        return {"failure": f"the addition did not take effect: {problem}"}
    result = {"samples": [elapsed], "check": check, "extra": {"added": added}}
    if check != "old-object":
        result["old_object_failure"] = "old probe kept its old code"
    return result


def startup(adapter, root: Path, runs: int, **_) -> dict:
    """7. Start-up: the tool started, then 500 modules imported (one sample per process)."""
    package = root / "boot"
    package.mkdir()
    save(package / "__init__.py", "")
    for i in range(500):
        save(package / f"m{i:03d}.py", codegen.package_module(i, 0))
    importlib.invalidate_caches()
    gc.collect()
    start = time.perf_counter()
    adapter.start(str(root), startup=True)
    modules = [importlib.import_module(f"boot.m{i:03d}") for i in range(500)]
    adapter.tracked(modules, startup=True)
    elapsed = time.perf_counter() - start
    total = sum(m.value() for m in modules)
    if total != sum(codegen.package_value(i, 0) for i in range(500)):
        return {"failure": "the imported modules do not work"}
    return {"samples": [elapsed], "check": "none"}


def threads(adapter, root: Path, runs: int, **_) -> dict:
    """8. Refreshes of the 10,000-line module while 4 threads call into it (two call an old
    function, two an old instance's method); each result names its version twice, so a call
    that ran new code with old defaults (or the reverse) shows as torn."""
    base = codegen.big_module()
    path, module = _import_new(root, "threaded", codegen.threads_module(base, 0))
    adapter.tracked([module])
    held_work = module.work
    held_worker = module.Worker()
    by_attribute = not adapter.updates_old_objects
    calls = [0] * 4
    torn: list = []
    errors: list = []
    stop = threading.Event()

    def hammer(slot: int) -> None:
        while not stop.is_set():
            try:
                if by_attribute:
                    got = module.work() if slot % 2 else module.Worker().run()
                else:
                    got = held_work() if slot % 2 else held_worker.run()
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            calls[slot] += 1
            if got not in codegen.THREADS_TAGS:
                torn.append(got)

    def check(version: int):
        wanted = codegen.THREADS_TAGS[version]
        if by_attribute:
            return expect(call(module.work), wanted, "module.work()")
        return expect(call(held_work), wanted, "old work()") or expect(
            call(held_worker.run), wanted, "old Worker().run()"
        )

    workers = [threading.Thread(target=hammer, args=(slot,), daemon=True) for slot in range(4)]
    for worker in workers:
        worker.start()
    try:
        result = edit_loop(
            adapter, runs, lambda v: save(path, codegen.threads_module(base, v)), [module], check
        )
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    if by_attribute:
        result["check"] = "module-attribute"
        result["old_object_failure"] = "old objects keep old code"
    result["extra"] = {"calls": sum(calls), "torn": len(torn), "errors": len(errors)}
    note = f"{len(torn)} torn of {sum(calls):,} calls"
    if errors:
        note += f", {len(errors)} calls raised ({errors[0][:80]})"
    result["note"] = note
    if torn and "samples" in result:
        result["failure"] = f"torn results: {torn[:3]}"
    return result


def planning(adapter, root: Path, runs: int, **_) -> dict:
    """9. Planning throughput: limeade-plan's cold plan of a 10,000-line module's two versions
    (both parsed) against CPython's ``ast.parse`` of the same two texts, in MB/s."""
    try:
        from limeade import _native
    except ImportError:
        return {"na": "the planner is limeade's"}
    old = codegen.big_module()
    new = codegen.big_version(old, 1)
    size = len(old.encode()) + len(new.encode())
    batch = [("big", str(root / "big.py"), False, old.encode(), new.encode())]
    plan_samples, parse_samples = [], []
    for _ in range(WARMUP + runs * 3):
        start = time.perf_counter()
        plan = _native.plan_batch(batch)
        plan_samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        ast.parse(old)
        ast.parse(new)
        parse_samples.append(time.perf_counter() - start)
    if "function_505" not in str(plan.render() if hasattr(plan, "render") else plan):
        return {"failure": "the plan does not name the edited function"}
    del plan_samples[:WARMUP], parse_samples[:WARMUP]
    return {
        "samples": plan_samples,
        "check": "none",
        "extra": {"bytes": size, "ast_parse_samples": parse_samples},
    }


WORKLOADS = {
    "one-function": one_function,
    "package": package_edit,
    "idle": idle,
    "heap": big_heap,
    "moved": moved,
    "added": added,
    "startup": startup,
    "threads": threads,
    "planning": planning,
}
