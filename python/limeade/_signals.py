"""Refresh a running daemon on a signal: ``kill -USR1 <pid>``.

Python runs signal handlers on the main thread, between two bytecodes, so the handler refreshes
right there: the program's main thread is paused at a point where its own code is consistent.
The outcome goes to ``logging``; nothing is ever raised out of the handler. A signal that lands
while the main thread is itself inside a refresh's transaction is not acted on there (two
refreshes must not interleave): it is sent again shortly, until that refresh is over."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import types
from typing import Any, Callable, Optional, Union

from . import _disable, _preload
from ._summary import error_line, summary_line

logger = logging.getLogger("limeade")

Handler = Union[Callable[[int, Optional[types.FrameType]], Any], int, signal.Handlers, None]

#: Per signal number, the handler that was there before :func:`install_signal_handler`.
_PREVIOUS: dict[int, Handler] = {}
#: How long to wait before sending a signal again that landed inside a refresh.
RETRY_SECONDS = 0.02


def _default_signal() -> int:
    signum = getattr(signal, "SIGUSR1", None)
    if signum is None:
        raise ValueError("this platform has no SIGUSR1: pass the signal to use")
    return int(signum)


def install_signal_handler(signum: Optional[int] = None) -> Handler:
    """Refresh every changed tracked module when the process receives ``signum`` (default
    ``SIGUSR1``: ``kill -USR1 <pid>``). The refresh runs on the main thread at the next
    bytecode boundary; its outcome is logged to ``logging.getLogger("limeade")`` (a summary at
    INFO, a failure at ERROR as ``file:line: message``). Must be called from the main thread.
    Returns the previous handler; :func:`uninstall_signal_handler` puts it back. With
    ``LIMEADE_DISABLE`` set, installs nothing and returns the handler in place."""
    number = _default_signal() if signum is None else int(signum)
    if _disable.disabled():
        return signal.getsignal(number)
    _preload.import_machinery()
    previous = signal.signal(number, _handle)
    if previous is not _handle:
        _PREVIOUS[number] = previous
    return _PREVIOUS.get(number, previous)


def uninstall_signal_handler(signum: Optional[int] = None) -> None:
    """Put back the handler ``signum`` (default ``SIGUSR1``) had before
    :func:`install_signal_handler`. Does nothing if limeade's handler is not installed."""
    number = _default_signal() if signum is None else int(signum)
    if signal.getsignal(number) is not _handle:
        return
    previous = _PREVIOUS.pop(number, signal.SIG_DFL)
    signal.signal(number, previous if previous is not None else signal.SIG_DFL)


def _handle(signum: int, frame: Optional[types.FrameType]) -> None:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    if _inside_refresh(frame):
        logger.debug("limeade: %s during a refresh: sent again once it is over", name)
        _send_again(signum)
        return
    from . import refresh  # the package is fully imported by the time a signal arrives

    started = time.perf_counter()
    try:
        report = refresh()
    except Exception as e:
        logger.error("limeade: refresh on %s failed: %s", name, error_line(e))
        logger.debug("limeade: refresh on %s failed", name, exc_info=True)
        return
    if report:
        logger.info("%s  (on %s)", summary_line(report, time.perf_counter() - started), name)
    else:
        logger.debug("limeade: %s: nothing to refresh", name)


def _inside_refresh(frame: Optional[types.FrameType]) -> bool:
    """Whether the interrupted main thread is in a refresh's transaction (not in its hooks,
    which run once the transaction is over and may refresh again)."""
    from ._transaction import run_refresh

    transaction = run_refresh.__code__  # the function that holds the transaction, not its hooks
    while frame is not None:
        if frame.f_code is transaction:
            return True
        frame = frame.f_back
    return False


def _send_again(signum: int) -> None:
    timer = threading.Timer(RETRY_SECONDS, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()
