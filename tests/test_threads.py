"""Other threads keep calling the code while it is refreshed: they never see half a change."""

from __future__ import annotations

import threading
from typing import Any, Callable

import limeade
import pytest
from limeade import _native

SOURCE = """
X = {v}

def f(x={v}):
    return (x, {v})

def g():
    return (X, {v})

class C:
    A = {v}

    def m(self, y={v}):
        return (y, {v})

    def attr(self):
        return (self.A, {v})

    @staticmethod
    def s(z={v}):
        return (z, {v})
"""


def _run_threads(
    m: Any, body: Callable[[], None], n_threads: int = 3
) -> tuple[list[Any], list[BaseException], list[int]]:
    obj = m.C()
    # Each call returns (default, constant): both come from the function object when the call
    # starts, so a half-applied refresh is the only way to see them differ. (Globals and class
    # attributes are read later, while the call runs, so they are not used here.)
    calls: list[Callable[[], Any]] = [m.f, obj.m, m.C.s, m.C().m]
    mixed: list[Any] = []
    errors: list[BaseException] = []
    counts = [0] * n_threads
    stop = threading.Event()

    def worker(i: int) -> None:
        try:
            while not stop.is_set():
                for call in calls:
                    result = call()
                    if result[0] != result[1]:
                        mixed.append((call, result))
                counts[i] += 1
        except BaseException as e:  # collected and re-checked by the test
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    try:
        body()
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return mixed, errors, counts


def test_threads_never_see_mixed_versions(live, fast_switching):
    m = live.load("m", SOURCE.format(v=1))
    seen_versions = []

    def body() -> None:
        for i in range(20):
            version = 2 if i % 2 == 0 else 1
            live.write("m", SOURCE.format(v=version))
            report = live.refresh()
            assert report, i
            seen_versions.append(m.f())

    mixed, errors, counts = _run_threads(m, body)
    assert errors == []
    assert mixed == []
    assert all(c > 0 for c in counts)
    assert seen_versions == [(2, 2), (1, 1)] * 10


def test_threads_never_see_partial_failed_refresh(live, fast_switching):
    m = live.load("m", SOURCE.format(v=1))
    probe_total = []

    def body() -> None:
        live.write("m", SOURCE.format(v=2))
        _native.set_fail_at(10**9)
        limeade.refresh()  # counts this refresh's mutations alone: no plan before it
        total = _native.mutation_count()
        _native.set_fail_at(None)
        probe_total.append(total)
        assert m.f() == (2, 2)
        for i in range(20):
            live.write("m", SOURCE.format(v=1 if i % 2 == 0 else 2))
            _native.set_fail_at(i % total)
            try:
                with pytest.raises(limeade.ApplyError):  # fails: no report to compare
                    limeade.refresh()
            finally:
                _native.set_fail_at(None)
            assert m.f() == ((2, 2) if i % 2 == 0 else (1, 1))
            live.refresh()
            assert m.f() == ((1, 1) if i % 2 == 0 else (2, 2))

    mixed, errors, _ = _run_threads(m, body)
    assert errors == []
    assert mixed == []
    assert probe_total and probe_total[0] > 4
