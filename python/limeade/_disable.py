"""``LIMEADE_DISABLE``: one switch that makes every entry point of limeade a no-op, for
deployments that import the same code in production.

Each entry point (the import hook set up by ``import limeade``, :func:`limeade.track`,
:func:`limeade.watch`, ``python -m limeade run``, ``%load_ext limeade``,
:func:`limeade.install_signal_handler`) asks :func:`disabled` when it is called, so the variable
is read then, not once at import. The first entry point that finds it set logs one line; later
ones say nothing more, in this process."""

from __future__ import annotations

import _thread
import os

from ._log import logger

#: The environment variable.
ENV = "LIMEADE_DISABLE"
#: Values that leave limeade on. Every other non-empty value turns it off: a switch meant to
#: keep a reloader out of production must not read a typo (``on``, ``y``) as "on".
_ENABLED = ("", "0", "false", "no")

_lock = _thread.allocate_lock()
_announced = False


def disabled() -> bool:
    """Whether ``LIMEADE_DISABLE`` turns limeade off (``1``, ``true``, ``yes``, any case; ``0``
    or empty leave it on). The first time it does in this process, one line is logged."""
    value = os.environ.get(ENV, "").strip()
    if value.lower() in _ENABLED:
        return False
    _announce(value)
    return True


def _announce(value: str) -> None:
    """One WARNING per process: logging shows WARNING with no configuration at all (and the line
    is usually logged by ``import limeade``, before the program configures logging), so whoever
    wonders why saves change nothing, or checks that production runs without a reloader, sees
    it; at INFO it would be dropped by default."""
    global _announced
    with _lock:
        if _announced:
            return
        _announced = True
    logger.warning(
        "limeade: off (%s=%s): no import hook, file watcher, signal handler or IPython "
        "refresh; the program runs its code as it was loaded",
        ENV,
        value,
    )
