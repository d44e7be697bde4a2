"""Bytecode caches (``__pycache__/*.pyc``) for the exact bytes the import hook records.

The hook reads a module's source once, records those bytes as what the module runs, and must
run code compiled from them. Compiling every tracked module at start-up is slow, so a cache is
used when it provably belongs to those bytes: a hash-based ``.pyc`` whose hash is the recorded
bytes' hash, or a timestamp ``.pyc`` whose size and mtime match the file *and* that was written
after the file was last modified (two same-size saves within one second would otherwise share
a cache, as they can for CPython's own loader). Anything else is compiled from source. With
bytecode writing on, a compiled module gets a timestamp ``.pyc``, as CPython's loader writes.
The documented ``.pyc`` layout (PEP 552) and the functions ``importlib.util`` offers for it
are used; ``cache_from_source`` and ``MAGIC_NUMBER`` are taken from the module
``importlib.util`` takes them from, and ``importlib.util`` is imported for hash-based caches
only: importing it adds ``contextlib``, ``collections`` and ``functools`` to a program's
start-up (a few ms).
"""

from __future__ import annotations

import _imp
import io
import marshal
import os
import sys
import types
from importlib import _bootstrap_external as _importlib_util

#: `typing` is imported for type checking only: `import limeade` must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    #: ``(mtime_ns, size, inode)`` of a source file, as the hook took it before reading.
    Stamp = Optional[tuple[int, int, int]]


_HEADER = 16
_HASH_BASED = 0b1


def _field(pyc: bytes, start: int) -> int:
    return int.from_bytes(pyc[start : start + 4], "little")


#: A bytecode cache as read: its bytes and its file's mtime (ns).
CacheFile = tuple[bytes, int]


def read_cache(path: str) -> Optional[CacheFile]:
    """``path``'s bytecode cache file as it is now, or None when there is none to read."""
    try:
        cache = _importlib_util.cache_from_source(path)
        # ``open_code``, as CPython's loader reads caches: an audit hook vets what will run.
        with io.open_code(cache) as f:
            return f.read(), os.fstat(f.fileno()).st_mtime_ns
    except (NotImplementedError, ValueError, OSError):
        return None


def cached_code(
    path: str,
    stamp: Stamp,
    source: Optional[bytes] = None,
    cache: Optional[CacheFile] = None,
) -> Optional[types.CodeType]:
    """The code in ``path``'s bytecode cache (``cache``, as :func:`read_cache` read it, else
    read now), when the cache was compiled from the bytes the hook recorded: ``source``, or
    (``None``) the bytes the registry read with ``stamp``, whose size it checked. A hash-based
    cache needs ``source`` (its hash is of the bytes)."""
    if cache is None:
        cache = read_cache(path)
        if cache is None:
            return None
    pyc, cache_mtime_ns = cache
    if len(pyc) < _HEADER or pyc[:4] != _importlib_util.MAGIC_NUMBER:
        return None
    flags = _field(pyc, 4)
    if flags & _HASH_BASED:
        if source is None:
            return None
        import importlib.util  # only for hash-based caches (rare): see the module docstring

        if pyc[8:16] != importlib.util.source_hash(source):
            return None
    elif (
        stamp is None
        or (source is not None and stamp[1] != len(source))
        or _field(pyc, 8) != (stamp[0] // 1_000_000_000) & 0xFFFFFFFF
        or _field(pyc, 12) != stamp[1] & 0xFFFFFFFF
        or cache_mtime_ns < stamp[0]
    ):
        return None
    try:
        # A view, not a copy of the body (as CPython's loader reads it).
        code = marshal.loads(memoryview(pyc)[_HEADER:])
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(code, types.CodeType):
        return None
    # A cache written where the tree used to be (copied, moved, a container image) names the
    # old path: give its code objects this file's, as CPython's loader does, or the refresh
    # would find no live function compiled from this file.
    _imp._fix_co_filename(code, path)  # type: ignore[attr-defined]
    return code


def write_cache(loader: Any, path: str, source: bytes, stamp: Stamp, code: types.CodeType) -> None:
    """Write a timestamp ``.pyc`` for ``code`` as CPython's loader would, when bytecode writing
    is on and ``source`` is what the file held when it was stamped."""
    if sys.dont_write_bytecode or stamp is None or stamp[1] != len(source):
        return
    try:
        cache = _importlib_util.cache_from_source(path)
    except (NotImplementedError, ValueError):
        return
    header = (
        _importlib_util.MAGIC_NUMBER
        + (0).to_bytes(4, "little")
        + ((stamp[0] // 1_000_000_000) & 0xFFFFFFFF).to_bytes(4, "little")
        + (len(source) & 0xFFFFFFFF).to_bytes(4, "little")
    )
    try:
        # SourceFileLoader.set_data makes the folder and writes atomically, like the import
        # system does; a read-only folder is not an error.
        loader.set_data(cache, header + marshal.dumps(code))
    except (OSError, NotImplementedError):
        pass
