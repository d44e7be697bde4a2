"""Which modules limeade tracks, and the exact source each was loaded from.

Modules imported after ``import limeade`` are recorded by an import hook at the moment they are
compiled, from the very bytes that are compiled (never from a cached ``.pyc``). Modules already
imported are read once, when limeade is imported. By default only code outside the standard
library and ``site-packages`` is tracked."""

from __future__ import annotations

import importlib.machinery
import logging
import os
import site
import sys
import sysconfig
import types
from typing import Any, Optional

from . import _native

logger = logging.getLogger("limeade")

#: Every tracked module's recorded source and tree (native); ``LIMEADE_POLL=1`` makes its file
#: watcher poll.
REGISTRY = _native.Registry(poll=os.environ.get("LIMEADE_POLL", "") not in ("", "0"))
#: Names the user untracked: the import hook leaves them alone.
_IGNORED: set[str] = set()
#: Names the user asked to track although the default policy would not.
_FORCED: set[str] = set()
#: Modules run as ``__main__`` (``python -m limeade run -m NAME``): recorded under that name.
MAIN_ALIASES: set[str] = set()


def _stamp(path: str) -> Optional[tuple[int, int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _excluded_roots() -> tuple[str, ...]:
    roots: set[str] = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(os.path.realpath(path))
    try:
        roots.update(os.path.realpath(p) for p in site.getsitepackages())
    except AttributeError:  # virtualenv's old site.py
        pass
    user_site = site.getusersitepackages() if hasattr(site, "getusersitepackages") else None
    if isinstance(user_site, str):
        roots.add(os.path.realpath(user_site))
    roots.add(os.path.realpath(os.path.dirname(__file__)))
    return tuple(sorted(roots))


_EXCLUDED = _excluded_roots()


def is_default_tracked(path: Optional[str]) -> bool:
    """Whether the default policy tracks a module whose source is ``path``: a ``.py`` file
    outside the standard library, ``site-packages`` and limeade itself."""
    if not path or not path.endswith(".py"):
        return False
    real = os.path.realpath(path)
    return not any(real == root or real.startswith(root + os.sep) for root in _EXCLUDED)


def record(name: str, path: str, is_package: bool, source: bytes, stamp: Any) -> None:
    """Record that module ``name`` runs ``source``."""
    try:
        REGISTRY.track(name, path, is_package, source, stamp)
        logger.debug("tracking %s (%s)", name, path)
        warning = REGISTRY.take_watch_warning()
        if warning:
            logger.warning("limeade: %s", warning)
    except _native.PlanFailure as e:
        logger.warning("limeade cannot track %s: %s", name, e.args[0])


class TrackingLoader(importlib.machinery.SourceFileLoader):
    """A source loader that compiles from the bytes it records, skipping bytecode caches."""

    def get_code(self, fullname: str) -> types.CodeType:  # type: ignore[override]
        path = self.get_filename(fullname)
        stamp = _stamp(path)
        data = self.get_data(path)
        if fullname in MAIN_ALIASES:
            record("__main__", path, False, data, stamp)
        elif fullname not in _IGNORED:
            record(fullname, path, self.is_package(fullname), data, stamp)
        return self.source_to_code(data, path)


class TrackingFinder:
    """Placed just before ``PathFinder`` on ``sys.meta_path``: finds modules exactly as it does
    and swaps in :class:`TrackingLoader` for tracked source files."""

    @classmethod
    def find_spec(
        cls, fullname: str, path: Any = None, target: Any = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or fullname in _IGNORED:
            return spec
        loader = spec.loader
        if type(loader) is importlib.machinery.SourceFileLoader and (
            fullname in _FORCED or is_default_tracked(spec.origin)
        ):
            spec.loader = TrackingLoader(loader.name, loader.path)
        return spec

    @classmethod
    def invalidate_caches(cls) -> None:
        importlib.machinery.PathFinder.invalidate_caches()


def install_hook() -> None:
    """Put :class:`TrackingFinder` on ``sys.meta_path`` (once)."""
    if any(f is TrackingFinder for f in sys.meta_path):
        return
    for i, finder in enumerate(sys.meta_path):
        if finder is importlib.machinery.PathFinder:
            sys.meta_path.insert(i, TrackingFinder)  # type: ignore[arg-type]
            return
    sys.meta_path.append(TrackingFinder)  # type: ignore[arg-type]


def module_source_path(module: types.ModuleType) -> Optional[str]:
    """The ``.py`` file a module was loaded from, if any."""
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) if spec is not None else None
    path = origin if isinstance(origin, str) and origin.endswith(".py") else None
    if path is None:
        file = getattr(module, "__file__", None)
        path = file if isinstance(file, str) and file.endswith(".py") else None
    return path


def track_loaded(module: types.ModuleType, name: str, *, forced: bool = False) -> bool:
    """Track an already imported module by reading its file now; returns whether it is tracked."""
    path = module_source_path(module)
    if path is None or not os.path.exists(path):
        return False
    if not forced and not is_default_tracked(path):
        return False
    stamp = _stamp(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        logger.warning("limeade cannot read %s: %s", path, e)
        return False
    is_package = os.path.basename(path) == "__init__.py"
    record(name, path, is_package, data, stamp)
    return name in REGISTRY


def baseline() -> None:
    """Track every already imported module the default policy covers (``__main__`` included
    when it came from a file)."""
    for name, module in list(sys.modules.items()):
        if module is None or name in REGISTRY or name in _IGNORED:
            continue
        if name.startswith("limeade"):
            continue
        track_loaded(module, name)


def track(*modules: Any) -> list[str]:
    """Track modules (objects or names) even where the default policy would not."""
    names = []
    for m in modules:
        name = m if isinstance(m, str) else m.__name__
        _IGNORED.discard(name)
        _FORCED.add(name)
        module = sys.modules.get(name)
        if module is None:
            raise KeyError(f"module {name!r} is not imported")
        if not track_loaded(module, name, forced=True):
            raise ValueError(f"module {name!r} has no Python source file to track")
        names.append(name)
    return names


def untrack(*modules: Any) -> None:
    """Stop tracking modules (objects or names); later imports of them are not tracked either."""
    for m in modules:
        name = m if isinstance(m, str) else m.__name__
        _FORCED.discard(name)
        _IGNORED.add(name)
        REGISTRY.untrack(name)
