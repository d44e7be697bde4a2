"""Long runs: threads calling into a module through many refreshes, and many refreshes in a row.

The default suite runs short versions (tens to hundreds of cycles); ``--long`` (``cargo xtask
test --long``) runs the full ones (1,000 threaded cycles, 10,000 refresh cycles) and prints the
figures the README quotes.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import weakref
from typing import Any, Callable

import limeade
import pytest
from conftest import Live

#: Version ``{v}`` of the module. Every call returns a pair that a torn refresh would make
#: unequal: a default and a constant of the same code (both fixed when the call starts). The
#: module and class namespaces are copied in one step (``dict(...)``) and hold two attributes
#: of the version.
SOURCE = """
A = {v}
B = {v}


def f(x={v}):
    return (x, {v})


def make():
    def inner():
        # Closures made before a refresh keep their defaults and cells (what the factory gave
        # them) and get the new code: only constants can be compared.
        return ({v}, {v})

    return inner


INNER = make()
ADDER = (lambda k={v}: (k, {v}))


class C:
    A = {v}
    B = {v}

    def m(self, y={v}):
        return (y, {v})

    @property
    def p(self, d={v}):
        return (d, {v})

    @staticmethod
    def s(z={v}):
        return (z, {v})

    @classmethod
    def k(cls, w={v}):
        return (w, {v})
"""


def _calls(m: Any) -> dict[str, Callable[[], tuple[int, int]]]:
    """Everything a thread calls, held from before the first refresh."""
    obj, f, inner, adder, cls = m.C(), m.f, m.INNER, m.ADDER, m.C
    bound, static, klass = obj.m, cls.s, cls.k

    def class_namespace() -> tuple[int, int]:
        ns = dict(vars(cls))
        return (ns["A"], ns["B"])

    def module_namespace() -> tuple[int, int]:
        ns = dict(vars(m))
        return (ns["A"], ns["B"])

    return {
        "function": f,
        "method": bound,
        "method via instance": lambda: obj.m(),
        "property": lambda: obj.p,
        "staticmethod": static,
        "classmethod": klass,
        "closure": inner,
        "lambda": adder,
        "class namespace": class_namespace,
        "module namespace": module_namespace,
    }


def _threaded_cycles(live: Live, cycles: int, n_threads: int = 8) -> dict[str, Any]:
    """``n_threads`` threads call into the module in tight loops while the main thread edits
    and refreshes it ``cycles`` times, each time to a higher version. A thread must see every
    call return a pair of equal versions, never older than the last it saw."""
    m = live.load("m", SOURCE.format(v=0))
    calls = _calls(m)
    torn: list[Any] = []
    errors: list[BaseException] = []
    counts = [0] * n_threads
    stop = threading.Event()

    def worker(i: int) -> None:
        last = dict.fromkeys(calls, 0)
        try:
            while not stop.is_set():
                for name, call in calls.items():
                    a, b = call()
                    if a != b or a < last[name]:
                        torn.append((name, (a, b), last[name]))
                    last[name] = a
                counts[i] += 1
        except BaseException as e:  # reported by the test
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n_threads)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    try:
        for v in range(1, cycles + 1):
            live.write("m", SOURCE.format(v=v))
            limeade.refresh()  # timed thousands of times: the short tests check plans
            # The main thread sees the new version at once, through the same objects.
            assert {name: call() for name, call in calls.items()} == dict.fromkeys(calls, (v, v))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert torn == []
    assert all(c > 0 for c in counts)
    return {"cycles": cycles, "seconds": elapsed, "thread loops": sum(counts)}


def test_threads_call_everything_through_refresh_cycles(live: Live, fast_switching: Any) -> None:
    _threaded_cycles(live, cycles=10)


@pytest.mark.long
def test_threads_call_everything_through_a_thousand_refresh_cycles(
    live: Live, fast_switching: Any
) -> None:
    figures = _threaded_cycles(live, cycles=1_000)
    print(f"\nthreaded refresh cycles: {figures}")


# --------------------------------------------------------------------------- many refreshes


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


#: A module edited at every cycle: a function body, a default, a class attribute, a statement
#: and an added/removed definition change every time; a closure factory every tenth time (the
#: closures it made are then found by a search of the whole heap, the slow part of a refresh).
CHANGING = """
TABLE = [{v}] * 100


def f(x={v}):
    return x + {v}


def make():
    def inner():
        return {w}

    return inner


INNER = make()


class C:
    A = {v}

    def m(self):
        return "{v}" * 10
{extra}
"""


def _refresh_cycles(live: Live, cycles: int) -> dict[str, Any]:
    """Refresh a changing module ``cycles`` times; return resident-memory figures and check
    that no old code object, source text or replaced value is still alive afterwards."""
    m = live.load("m", CHANGING.format(v=0, w=0, extra=""))
    f, obj, inner = m.f, m.C(), m.INNER
    first_code = weakref.ref(f.__code__)
    old_codes: list[weakref.ref[Any]] = []
    gc.collect()
    rss: list[int] = []
    warmup = min(100, cycles // 10)
    for v in range(1, cycles + 1):
        extra = f"\n\ndef added_{v}():\n    return {v}\n" if v % 2 else ""
        live.write("m", CHANGING.format(v=v, w=v // 10 * 10, extra=extra))
        if v % max(1, cycles // 20) == 0:
            # A sample of what this refresh replaces (weak references only).
            old_codes.append(weakref.ref(f.__code__))
            old_codes.append(weakref.ref(obj.m.__func__.__code__))
        limeade.refresh()  # timed thousands of times: the short tests check plans
        assert (f(1), obj.m(), inner(), m.C.A) == (1 + v, str(v) * 10, v // 10 * 10, v)
        if v == warmup:
            gc.collect()
            rss.append(_rss_bytes())
        if v % max(1, cycles // 10) == 0:
            rss.append(_rss_bytes())
    gc.collect()
    rss.append(_rss_bytes())
    leaked = [r() for r in [first_code, *old_codes] if r() is not None]
    assert leaked == [], f"{len(leaked)} old code objects are still alive"
    # The registry keeps one source per tracked module: no old version's text stays alive.
    old_texts = [
        o
        for o in gc.get_objects()
        if isinstance(o, str) and "TABLE = [" in o and f"TABLE = [{cycles}]" not in o
    ]
    assert old_texts == [], "old versions of the source are still referenced"
    return {
        "cycles": cycles,
        "rss after warm-up MiB": round(rss[0] / 2**20, 1),
        "rss at end MiB": round(rss[-1] / 2**20, 1),
        "growth KiB": (rss[-1] - rss[0]) // 1024,
        "samples MiB": [round(r / 2**20, 1) for r in rss],
    }


def test_refresh_cycles_free_old_code(live: Live) -> None:
    _refresh_cycles(live, cycles=200)


@pytest.mark.long
def test_ten_thousand_refresh_cycles_memory_stays_flat(live: Live) -> None:
    figures = _refresh_cycles(live, cycles=10_000)
    print(f"\nrefresh cycles: {figures}")
    # Flat: what ten thousand refreshes leave behind is below a few MiB (no per-cycle leak of
    # source, trees or code: each cycle's module text alone is about 1 KiB).
    assert figures["growth KiB"] < 4 * 1024, figures
