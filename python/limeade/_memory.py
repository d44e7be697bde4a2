"""Giving back what a large refresh freed.

A refresh holds both versions of every changed module for a while (the running source and the
new one, their trees, the plan, the new code) and then frees the old versions. glibc's
allocator keeps freed memory for later instead of returning it to the system, so a refresh
of hundreds of modules left the process several megabytes larger than what it keeps. After a
refresh that replaced at least :data:`RELEASE_AFTER` bytes of source, ``malloc_trim(0)`` hands
the whole free pages back: a few milliseconds against the hundreds such a refresh takes (the
one-function edit never pays it). Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Optional

#: A refresh that replaced this many bytes of source (all modules together) or more gives the
#: memory it freed back to the system.
RELEASE_AFTER = 1 << 20

#: ``malloc_trim`` once looked up (``None`` when the C library has none).
_trim: Optional[Callable[[int], Any]] = None
_looked_up = False


def release_after_refresh(replaced: int) -> bool:
    """After a refresh that replaced ``replaced`` bytes of source: give the free pages back to
    the system when that was a large one. Returns whether it did."""
    if replaced < RELEASE_AFTER:
        return False
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def _malloc_trim() -> Optional[Callable[[int], Any]]:
    global _trim, _looked_up
    if not _looked_up:
        _trim, _looked_up = _find_malloc_trim(), True
    return _trim


def _find_malloc_trim() -> Optional[Callable[[int], Any]]:
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):  # not a glibc system
        return None
    if not (libc or "").startswith("glibc"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (ImportError, OSError, AttributeError):
        return None
