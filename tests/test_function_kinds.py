"""Generator functions, coroutines, async generators and context managers are changed in place
(or replaced where CPython refuses code of another kind), and a running generator's frame
keeps its code."""

from __future__ import annotations

import asyncio
import inspect


def test_generator_function_change(live):
    m = live.load(
        "m",
        """
        def gen(n):
            for i in range(n):
                yield i
        """,
    )
    old_gen = m.gen
    assert list(old_gen(3)) == [0, 1, 2]
    live.edit("m", "yield i", "yield i * 10")
    live.refresh()
    assert list(old_gen(3)) == [0, 10, 20]
    assert inspect.isgeneratorfunction(old_gen)


def test_function_becomes_generator(live):
    m = live.load(
        "m",
        """
        def f():
            return [1, 2]
        """,
    )
    old_f = m.f
    live.edit("m", "return [1, 2]", "yield 1\n    yield 2")
    report = live.refresh()
    # A function cannot change kind in place (CPython 3.13 deprecates it): it is replaced, and
    # the report says so; old references keep returning a list.
    assert ("f", "it became a generator function") in report.modules[0].replaced
    assert old_f() == [1, 2]
    result = m.f()
    assert inspect.isgenerator(result)
    assert list(result) == [1, 2]


def test_coroutine_change(live):
    m = live.load(
        "m",
        """
        import asyncio

        async def fetch(x):
            await asyncio.sleep(0)
            return x + 1
        """,
    )
    old_fetch = m.fetch
    assert asyncio.run(old_fetch(1)) == 2
    live.edit("m", "return x + 1", "return x + 2")
    live.refresh()
    assert asyncio.run(old_fetch(1)) == 3
    assert inspect.iscoroutinefunction(old_fetch)


def test_async_generator_change(live):
    m = live.load(
        "m",
        """
        async def agen(n):
            for i in range(n):
                yield i
        """,
    )
    old_agen = m.agen

    async def collect():
        return [x async for x in old_agen(3)]

    assert asyncio.run(collect()) == [0, 1, 2]
    live.edit("m", "yield i", "yield -i")
    live.refresh()
    assert asyncio.run(collect()) == [0, -1, -2]


def test_frame_of_running_generator_unaffected(live):
    m = live.load(
        "m",
        """
        def gen():
            yield "old-1"
            yield "old-2"
        """,
    )
    running = m.gen()
    assert next(running) == "old-1"
    live.edit("m", 'yield "old-2"', 'yield "new-2"')
    live.refresh()
    # A frame that already runs keeps its code; new calls run the new code.
    assert next(running) == "old-2"
    assert list(m.gen()) == ["old-1", "new-2"]


def test_function_becomes_async(live):
    m = live.load(
        "m",
        """
        def f():
            return 1
        """,
    )
    f = m.f
    live.edit("m", "def f", "async def f")
    report = live.refresh()
    assert ("f", "it became a coroutine function") in report.modules[0].replaced
    assert f() == 1
    assert inspect.iscoroutinefunction(m.f)
    assert asyncio.run(m.f()) == 1


def test_contextmanager_body_change(live):
    m = live.load(
        "m",
        """
        import contextlib

        @contextlib.contextmanager
        def opened():
            yield "old"
        """,
    )
    opened = m.opened
    live.edit("m", 'yield "old"', 'yield "new"')
    live.refresh()
    with opened() as value:
        assert value == "new"
    assert m.opened is opened


def test_a_suspended_generator_keeps_its_old_code_and_the_report_says_so(live):
    m = live.load(
        "gens",
        "def ticks():\n    i = 0\n    while True:\n        i += 1\n        yield ('v1', i)\n",
    )
    running, fresh = m.ticks(), m.ticks()
    assert next(running) == ("v1", 1)
    live.edit("gens", "'v1'", "'v2'")
    report = live.refresh()
    (change,) = [c for c in report.changes if c.qualname == "ticks"]
    assert change.outcome == "updated in place"
    assert change.why.startswith("2 unfinished generators made before keep the old code")
    # A frame cannot change its code: generators made before the refresh (started or not)
    # run the old version; every later call runs the new one.
    assert next(running) == ("v1", 2) and next(fresh) == ("v1", 1)
    assert next(m.ticks()) == ("v2", 1)
