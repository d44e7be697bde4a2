"""The program's own logic after a refresh: ``on_refresh`` / ``on_error`` callbacks and a module's
``__limeade_refreshed__(report)``. Hooks run after the transaction: one that raises is logged and
never undoes a committed refresh."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Callable

import limeade
import pytest
from conftest import Live


@pytest.fixture
def hooks() -> Iterator[Callable[[Callable[..., Any]], Any]]:
    """Registers hooks for one test and removes them afterwards, whatever the test did."""
    added: list[Callable[..., Any]] = []

    def keep(callback: Callable[..., Any]) -> Any:
        added.append(callback)
        return callback

    yield keep
    for callback in added:
        limeade.remove_hook(callback)


def test_on_refresh_is_called_once_per_refresh_that_changed_something(
    live: Live, hooks: Any
) -> None:
    m = live.load("m", "def f():\n    return 1\n")
    reports: list[tuple[limeade.RefreshReport, int]] = []

    @hooks
    @limeade.on_refresh
    def record(report: limeade.RefreshReport) -> None:
        reports.append((report, m.f()))

    assert callable(record)  # used as a decorator, the function is kept
    live.edit("m", "return 1", "return 2")
    report = live.refresh()
    # Called once, with the report, when the new code is already committed.
    assert reports == [(report, 2)]
    assert reports[0][0] is report
    # Nothing changed: no call. A comment that moves no line: no call either.
    live.refresh()
    live.edit("m", "return 2", "return 2  # note")
    assert not live.refresh()
    assert reports == [(report, 2)]


def test_remove_hook_stops_the_calls(live: Live) -> None:
    live.load("m", "def f():\n    return 1\n")
    calls: list[Any] = []
    callback = limeade.on_refresh(calls.append)
    live.edit("m", "return 1", "return 2")
    live.refresh()
    assert limeade.remove_hook(callback) is True
    assert limeade.remove_hook(callback) is False
    live.edit("m", "return 2", "return 3")
    live.refresh()
    assert len(calls) == 1


def test_on_error_gets_the_plan_error_and_the_caller_still_gets_it(live: Live, hooks: Any) -> None:
    m = live.load("m", "def f():\n    return 1\n")
    errors: list[Exception] = []
    refreshed: list[Any] = []
    hooks(limeade.on_error(errors.append))
    hooks(limeade.on_refresh(refreshed.append))
    live.edit("m", "return 1", "return (")
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    assert errors == [info.value]
    assert refreshed == []
    assert m.f() == 1


def test_on_error_gets_the_apply_error_after_the_rollback(live: Live, hooks: Any) -> None:
    m = live.load("m", "LIMIT = 3\n\ndef f():\n    return 1\n")
    seen: list[Any] = []

    @hooks
    @limeade.on_error
    def record(error: Exception) -> None:
        # Called once the refresh is undone: the live module runs the old code.
        seen.append((error, m.f(), m.LIMIT))

    live.edit("m", "return 1", "return 2")
    live.edit("m", "LIMIT = 3", "LIMIT = 3 // 0")
    with pytest.raises(limeade.ApplyError) as info:
        live.refresh()
    assert seen == [(info.value, 1, 3)]
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_module_hook_runs_the_new_code_after_its_module_was_refreshed(live: Live) -> None:
    m = live.load(
        "m",
        """
        CACHE = {"page": "rendered by v1"}
        CALLS = []


        def render():
            return "v1"


        def __limeade_refreshed__(report):
            CALLS.append(("v1", render()))
        """,
    )
    other = live.load("other", "def g():\n    return 1\n")
    live.edit("m", 'return "v1"', 'return "v2"')
    live.edit("m", 'CALLS.append(("v1", render()))', "CACHE.clear()\n    CALLS.append(report)")
    report = live.refresh()
    # The edited hook ran (looked up after the commit), with the report, once.
    assert m.CALLS == [report]
    assert m.CACHE == {}
    # A refresh of another module does not call it.
    live.edit("other", "return 1", "return 2")
    live.refresh()
    assert other.g() == 2
    assert m.CALLS == [report]


def test_a_raising_hook_is_logged_and_the_refresh_stays_committed(
    live: Live, hooks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    m = live.load(
        "m",
        """
        def f():
            return 1


        def __limeade_refreshed__(report):
            raise RuntimeError("module hook broke")
        """,
    )
    f = m.f
    later: list[Any] = []

    @hooks
    @limeade.on_refresh
    def broken(report: limeade.RefreshReport) -> None:
        raise ValueError("callback broke")

    hooks(limeade.on_refresh(later.append))
    live.edit("m", "return 1", "return 2")
    with caplog.at_level(logging.ERROR, logger="limeade"):
        report = live.refresh()
    assert report
    assert f() == 2  # committed, not undone
    # Each failure is logged with what raised; the hooks after it still ran.
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(f"{m.__name__}.__limeade_refreshed__ raised" in t for t in messages), messages
    assert any("broken raised" in t for t in messages), messages
    assert later == [report]
    # Nothing left pending: the next refresh has nothing to do.
    assert not live.refresh()
    assert f() == 2


def test_a_raising_error_hook_is_logged_and_the_refresh_error_still_raised(
    live: Live, hooks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    live.load("m", "def f():\n    return 1\n")

    @hooks
    @limeade.on_error
    def broken(error: Exception) -> None:
        raise ValueError("error hook broke")

    live.edit("m", "return 1", "return (")
    with caplog.at_level(logging.ERROR, logger="limeade"):
        with pytest.raises(limeade.PlanError):
            live.refresh()
    assert any("on_error hook" in r.getMessage() for r in caplog.records)


def test_hooks_must_be_callable() -> None:
    with pytest.raises(TypeError):
        limeade.on_refresh("not callable")  # type: ignore[type-var]
    with pytest.raises(TypeError):
        limeade.on_error(None)  # type: ignore[type-var]
