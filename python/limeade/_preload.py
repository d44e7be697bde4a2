"""The refresh machinery, imported in the background once the program's own imports went quiet.

``import limeade`` loads only the import hook, so a program does not pay for the modules that
plan and refresh (``_transaction`` and what it imports: about 45 ms here) at start-up. Left to the
first refresh, that import is paid when the program is busy: with four threads running Python
code, the refresh's own imports wait for the GIL at every file they read, and the first refresh
took 3 s instead of 60 ms. So a thread of limeade's waits until ``sys.modules`` stopped growing
for :data:`QUIET_SECONDS` and imports the machinery then, while the program usually idles.

Imports read files, and each read lets go of the GIL: with threads running Python code, taking
it back waits a switch interval (5 ms) or several, so while limeade imports its machinery the
interval is lowered to :data:`IMPORT_SWITCH_INTERVAL` and then restored (the first refresh
under four spinning threads: 4.9 s -> 0.2 s). Only then: a refresh holds the GIL for most of its
work, and a short interval would hand it away every 0.1 ms (2 ms -> 7 ms a refresh).

A fork waits for that import to finish (a module lock held by a thread that does not exist in
the child would block the child's first refresh forever)."""

from __future__ import annotations

import _thread
import importlib
import os
import sys
import time

from ._log import logger

#: How long ``sys.modules`` must not have grown before the machinery is imported.
QUIET_SECONDS = 1.0
#: How often the thread looks at ``sys.modules`` meanwhile.
POLL_SECONDS = 0.2
#: Modules imported: everything ``refresh()`` and ``plan()`` import on their first call.
MODULES = ("_transaction", "_hooks")
#: The GIL switch interval (seconds) while the machinery is imported.
IMPORT_SWITCH_INTERVAL = 0.0001
#: Held while the thread imports; taken by a fork (for at most :data:`FORK_WAIT_SECONDS`).
_importing = _thread.allocate_lock()
FORK_WAIT_SECONDS = 5.0
_held_for_fork = False
_started = False
_loaded = False
#: Guards the count of imports under way with the lowered interval, and the interval to restore.
_interval_lock = _thread.allocate_lock()
_lowered_by = 0
_interval_before = 0.0
_interval_lowered = 0.0


def start() -> None:
    """Start the thread (once per process)."""
    global _started
    if _started:
        return
    _started = True
    try:
        _thread.start_new_thread(_run, ())
    except RuntimeError as e:  # no threads here: the first refresh imports the machinery
        logger.debug("limeade: no preload thread: %s", e)


def _run() -> None:
    seen, stable_since = -1, time.monotonic()
    while True:
        count = len(sys.modules)
        now = time.monotonic()
        if count != seen:
            seen, stable_since = count, now
        elif now - stable_since >= QUIET_SECONDS:
            break
        time.sleep(POLL_SECONDS)
    with _importing:
        try:
            import_machinery()
        except BaseException as e:  # the interpreter may be finalizing
            logger.debug("limeade: preloading the refresh machinery failed: %r", e)


def import_machinery() -> None:
    """Import what plans and refreshes now (the thread's job; a watcher and the signal handler
    call it as they start, so no refresh imports from inside a signal handler; ``refresh()``
    and ``plan()`` call it first, so their imports take the GIL back quickly too)."""
    global _loaded
    if _loaded:
        return
    _lower_switch_interval()
    try:
        for name in MODULES:
            importlib.import_module(f"{__package__}.{name}")
    finally:
        _restore_switch_interval()
    _loaded = True


def _lower_switch_interval() -> None:
    global _lowered_by, _interval_before, _interval_lowered
    with _interval_lock:
        if _lowered_by == 0:
            _interval_before = sys.getswitchinterval()
            sys.setswitchinterval(min(_interval_before, IMPORT_SWITCH_INTERVAL))
            # As the interpreter keeps it (whole microseconds): compared with when restoring.
            _interval_lowered = sys.getswitchinterval()
        _lowered_by += 1


def _restore_switch_interval() -> None:
    global _lowered_by
    with _interval_lock:
        _lowered_by -= 1
        # Left as it is when the program set an interval of its own meanwhile.
        if _lowered_by == 0 and sys.getswitchinterval() == _interval_lowered:
            sys.setswitchinterval(_interval_before)


def _before_fork() -> None:
    global _held_for_fork
    _held_for_fork = _importing.acquire(timeout=FORK_WAIT_SECONDS)


def _after_fork() -> None:
    global _held_for_fork
    if _held_for_fork:
        _held_for_fork = False
        _importing.release()


def _after_fork_in_child() -> None:
    # The thread did not survive the fork: the child starts its own if the machinery is not
    # imported yet.
    global _started
    _started = False
    _after_fork()
    if f"{__package__}.{MODULES[0]}" not in sys.modules:
        start()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork_in_child
    )
