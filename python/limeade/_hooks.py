"""Hooks for the program's own logic after a refresh: callbacks registered with
:func:`on_refresh` / :func:`on_error`, and a module's own ``__limeade_refreshed__(report)``.

Hooks run after the refresh transaction is over (committed, or rolled back), so a hook that
raises is logged and changes nothing about the refresh: a committed refresh stays committed,
and the caller of a failed refresh still gets the refresh's own exception."""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable, TypeVar

from ._report import RefreshReport

logger = logging.getLogger("limeade")

RefreshCallback = TypeVar("RefreshCallback", bound=Callable[[RefreshReport], Any])
ErrorCallback = TypeVar("ErrorCallback", bound=Callable[[Exception], Any])

_ON_REFRESH: list[Callable[[RefreshReport], Any]] = []
_ON_ERROR: list[Callable[[Exception], Any]] = []

#: The name of the hook a module may define to run after it was refreshed.
MODULE_HOOK = "__limeade_refreshed__"


def on_refresh(callback: RefreshCallback) -> RefreshCallback:
    """Call ``callback(report)`` after every refresh that changed something (``bool(report)``),
    once per refresh. Returns ``callback``, so it can be used as a decorator; remove it with
    :func:`remove_hook`."""
    if not callable(callback):
        raise TypeError(f"on_refresh expects a callable, not {callback!r}")
    _ON_REFRESH.append(callback)
    return callback


def on_error(callback: ErrorCallback) -> ErrorCallback:
    """Call ``callback(exception)`` when a refresh fails (after it was rolled back; the caller
    of :func:`limeade.refresh` still gets the exception). Returns ``callback``, so it can be used
    as a decorator; remove it with :func:`remove_hook`."""
    if not callable(callback):
        raise TypeError(f"on_error expects a callable, not {callback!r}")
    _ON_ERROR.append(callback)
    return callback


def remove_hook(callback: Callable[..., Any]) -> bool:
    """Remove ``callback`` from the :func:`on_refresh` and :func:`on_error` hooks; returns
    whether it was registered."""
    found = False
    for hooks in (_ON_REFRESH, _ON_ERROR):
        while callback in hooks:
            hooks.remove(callback)
            found = True
    return found


def refreshed(report: RefreshReport) -> None:
    """Run the hooks of a committed refresh: each changed module's ``__limeade_refreshed__``
    (looked up now, so the new version runs), in apply order, then the :func:`on_refresh`
    callbacks. Nothing runs when nothing changed."""
    if not report:
        return
    for module_report in report.modules:
        if not module_report.changes:
            continue
        module = sys.modules.get(module_report.module)
        hook = getattr(module, MODULE_HOOK, None) if module is not None else None
        if callable(hook):
            _call(hook, report, "module hook")
    for callback in list(_ON_REFRESH):
        _call(callback, report, "on_refresh hook")


def failed(error: Exception) -> None:
    """Run the :func:`on_error` callbacks of a failed refresh."""
    for callback in list(_ON_ERROR):
        _call(callback, error, "on_error hook")


def _call(hook: Callable[[Any], Any], arg: Any, what: str) -> None:
    try:
        hook(arg)
    except Exception:
        logger.exception("limeade: %s %s raised (the refresh is not undone)", what, _name(hook))


def _name(hook: Callable[..., Any]) -> str:
    module = getattr(hook, "__module__", None)
    qualname = getattr(hook, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else repr(hook)
