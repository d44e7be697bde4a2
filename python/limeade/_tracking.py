"""Which modules limeade tracks, and the exact source each was loaded from.

Modules imported after ``import limeade`` are recorded by an import hook at the moment they are
compiled, from the very bytes that are compiled (never from a cached ``.pyc``). Modules already
imported are read once, when limeade is imported. By default only code outside the standard
library and ``site-packages`` is tracked. Modules of custom loaders that give their source are
tracked through the loader (``_loaders.py``): their source is asked for when the hook sees the
finder return their spec, and they are tracked at the next scan once imported."""

from __future__ import annotations

import atexit
import importlib.machinery
import os
import site
import sys
import types

from . import _bytecode, _disable, _exposure, _loaders, _native
from ._errors import TrackError
from ._log import logger

#: `typing` is imported for type checking only: `import limeade` must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional


def poll_from_env() -> bool:
    """Whether ``LIMEADE_POLL`` asks the file watcher to poll."""
    return os.environ.get("LIMEADE_POLL", "") not in ("", "0")


#: Every tracked module's recorded source and tree (native); ``LIMEADE_POLL=1`` makes its file
#: watcher poll.
REGISTRY = _native.Registry(poll=poll_from_env())
if _disable.disabled():
    # Off: not even the watcher's thread runs (nothing will be tracked or watched).
    REGISTRY.close_watcher()
#: Names the user untracked: the import hook leaves them alone.
_IGNORED: set[str] = set()
#: Names the user asked to track although the default policy would not.
_FORCED: set[str] = set()
#: Tracked modules of custom loaders: how to read each one's current source.
LOADER_MODULES: dict[str, _loaders.LoaderSource] = {}
#: Source read when a finder returned a custom loader's spec, until the module is imported:
#: name -> (spec, reader, source).
_FOUND: dict[str, tuple[Any, _loaders.LoaderSource, _loaders.Source]] = {}
#: Names of ``sys.modules`` already looked at for custom loaders, and its length then.
_CONSIDERED: set[str] = set()
_CONSIDERED_LEN = -1
#: Modules run as ``__main__`` (``python -m limeade run -m NAME``): recorded under that name.
MAIN_ALIASES: set[str] = set()
#: Whether :func:`install_hook` put the hook in place (not when ``LIMEADE_DISABLE`` is set).
_HOOKED = False


def _stamp(path: str) -> Optional[tuple[int, int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _excluded_roots() -> tuple[str, ...]:
    """The standard library and every ``site-packages`` of this interpreter, limeade itself.
    Found without :mod:`sysconfig`, whose import costs ``import limeade`` a few milliseconds:
    the standard library is where :mod:`os` is, the package folders are what :mod:`site` put
    on the path (tests check that ``sysconfig``'s paths lie within these roots)."""
    roots = {os.path.realpath(os.path.dirname(os.__file__))}
    # sysconfig's ``platstdlib`` (for a virtual environment, its own lib folder).
    if os.name == "posix":
        libdir = getattr(sys, "platlibdir", "lib")
        version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
        lib = [os.path.join(prefix, libdir, version) for prefix in (sys.prefix, sys.exec_prefix)]
    else:
        lib = [os.path.join(prefix, "Lib") for prefix in (sys.prefix, sys.exec_prefix)]
    roots.update(os.path.realpath(path) for path in lib)
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
    return not _is_excluded(path)


def _is_excluded(path: str) -> bool:
    """Whether ``path`` (links resolved) lies under an excluded root. Decided once per folder:
    the import hook asks for every module imported, and resolving each path component by
    component costs more than importing a module from its cache; a file that is itself a link
    is resolved on its own."""
    folder = os.path.dirname(path)
    if os.path.basename(path) in _links_in(folder):
        return _under_excluded(os.path.realpath(path))
    excluded = _EXCLUDED_FOLDERS.get(folder)
    if excluded is None:
        # A file is under a root exactly when its folder is the root or under it.
        excluded = _under_excluded(os.path.realpath(folder))
        if os.path.isabs(folder):  # a relative one depends on the working directory
            _EXCLUDED_FOLDERS[folder] = excluded
    return excluded


#: Per folder (as spelled in module paths): whether it lies under an excluded root.
_EXCLUDED_FOLDERS: dict[str, bool] = {}
#: Per folder: the names in it that are symbolic links, listed once (one ``scandir`` instead of
#: an ``lstat`` per module imported from it).
_LINKS: dict[str, frozenset[str]] = {}


def _links_in(folder: str) -> frozenset[str]:
    links = _LINKS.get(folder)
    if links is None:
        try:
            with os.scandir(folder or os.curdir) as entries:
                links = frozenset(e.name for e in entries if e.is_symlink())
        except OSError:
            links = frozenset()
        if os.path.isabs(folder):
            _LINKS[folder] = links
    return links


def _under_excluded(real: str) -> bool:
    return any(real == root or real.startswith(root + os.sep) for root in _EXCLUDED)


def is_default_tracked_loader(spec: Any, reader: _loaders.LoaderSource) -> bool:
    """Whether the default policy tracks a module of a custom loader: its file (or absolute
    origin) is outside the excluded roots; without one, its loader is not defined there."""
    where = reader.filename
    if where is None or not os.path.isabs(where):
        origin = getattr(spec, "origin", None)
        where = origin if isinstance(origin, str) and os.path.isabs(origin) else None
    if where is None:
        where = _loaders.defining_file(reader.loader)
        if where is None:
            return True
    return not _is_excluded(where)


def record(name: str, path: str, is_package: bool, source: bytes, stamp: Any = None) -> None:
    """Record that module ``name`` runs ``source`` (read with ``stamp``). A module that cannot
    be tracked (undecodable source) is left out, with a warning."""
    LOADER_MODULES.pop(name, None)
    try:
        REGISTRY.track(name, path, is_package, source, stamp)
        logger.debug("tracking %s (%s)", name, path)
        _log_watch_fallback()
        _exposure.tracked_while_watching(path)
    except _native.PlanFailure as e:
        logger.warning("limeade cannot track %s: %s", name, e.args[0])


def record_stamped(name: str, path: str, is_package: bool, stamp: tuple[int, int, int]) -> bool:
    """Record that module ``name`` runs the bytes its file held with ``stamp`` (its bytecode
    cache was validated against that stamp): the registry reads them in the background, and
    keeps them only if the file still has that stamp then (see :func:`log_lost`). Returns
    ``False`` when the file changed already: the caller reads and compiles it."""
    LOADER_MODULES.pop(name, None)
    try:
        if not REGISTRY.track_later(name, path, is_package, stamp):
            return False
    except _native.PlanFailure as e:  # read at once (a recent file) and undecodable
        logger.warning("limeade cannot track %s: %s", name, e.args[0])
        return True
    logger.debug("tracking %s (%s)", name, path)
    _exposure.tracked_while_watching(path)
    return True


def log_watch_warning() -> None:
    """Log the registry's warning, once, when folders had to be polled for lack of native
    watches (the folders are watched when a scan or a watcher needs them, not at import), and
    the modules whose source could not be read after their import (:func:`log_lost`)."""
    log_lost()
    _log_watch_fallback()


def _log_watch_fallback() -> None:
    warning = REGISTRY.take_watch_warning()
    if warning:
        logger.warning("limeade: %s", warning)


def log_lost() -> None:
    """Log each module whose background read failed (its file changed after it was imported
    and before it was read, or it cannot be read or decoded): it is not tracked."""
    for name, why in REGISTRY.take_lost():
        logger.warning("limeade cannot track %s: %s", name, why)


class TrackingLoader(importlib.machinery.SourceFileLoader):
    """A source loader that runs code compiled from the very bytes it records: from a bytecode
    cache only when the cache provably belongs to those bytes (:mod:`limeade._bytecode`)."""

    def get_code(self, fullname: str) -> types.CodeType:  # type: ignore[override]
        path = self.get_filename(fullname)
        name = "__main__" if fullname in MAIN_ALIASES else fullname
        tracked = fullname in MAIN_ALIASES or fullname not in _IGNORED
        is_package = name != "__main__" and self.is_package(fullname)
        stamp = _stamp(path)
        # Read once: with no cache file (a fresh tree), the code is compiled below without
        # looking for one again.
        cache = _bytecode.read_cache(path)
        if cache is not None and tracked and stamp is not None:
            # The common start-up: a timestamp cache of the bytes the file holds with this
            # stamp holds the code; the registry reads those bytes in the background (no
            # bytes cross into Python, no read on the importing thread).
            code = _bytecode.cached_code(path, stamp, cache=cache)
            if code is not None:
                if record_stamped(name, path, is_package, stamp):
                    return code
                stamp = _stamp(path)  # the file changed since it was stamped
        # Compiled from the bytes read now, which are recorded (a save after the stamp shows
        # as a new stamp at the next scan, which then compares the bytes).
        data = self.get_data(path)
        if tracked:
            record(name, path, is_package, data, stamp)
        code = _bytecode.cached_code(path, stamp, data, cache) if cache is not None else None
        if code is None:
            code = self.source_to_code(data, path)
            _bytecode.write_cache(self, path, data, stamp, code)
        return code


_loaders.STANDARD_LOADERS.add(TrackingLoader)


class TrackingFinder:
    """Placed first on ``sys.meta_path``: asks the finders after it, in order, exactly as the
    import system would, and returns the first spec. For tracked source files found with the
    standard loader it swaps in :class:`TrackingLoader`; for a custom loader that gives source
    it reads that source now, before the module is compiled (the module is tracked at the next
    scan). An import no finder resolves asks each finder twice (here, then by the import
    system)."""

    @classmethod
    def find_spec(
        cls, fullname: str, path: Any = None, target: Any = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        finders = sys.meta_path
        try:
            after = finders[finders.index(cls) + 1 :]  # type: ignore[arg-type]
        except ValueError:
            after = [importlib.machinery.PathFinder]
        for finder in after:
            if finder is importlib.machinery.PathFinder:
                spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
            else:
                find = getattr(finder, "find_spec", None)
                spec = find(fullname, path, target) if find is not None else None
            if spec is not None:
                if fullname not in _IGNORED:
                    _take_over(fullname, spec)
                return spec
        return None

    @classmethod
    def invalidate_caches(cls) -> None:
        importlib.machinery.PathFinder.invalidate_caches()


def _take_over(fullname: str, spec: importlib.machinery.ModuleSpec) -> None:
    """Swap in :class:`TrackingLoader` for a tracked source file found with the standard
    loader (by ``PathFinder`` or any other finder); read a custom loader's source now."""
    loader = spec.loader
    if type(loader) is importlib.machinery.SourceFileLoader:
        if fullname in _FORCED or is_default_tracked(spec.origin):
            spec.loader = TrackingLoader(loader.name, loader.path)
    elif _loaders.is_custom(loader):
        _note_found(fullname, spec)


def _note_found(name: str, spec: Any) -> None:
    """Read the source of a custom loader's module now, just before it is compiled. Never
    lets an import fail: a loader that raises here is asked again at the next scan."""
    try:
        reader = _loaders.source_of(name, spec)
        if reader is None or not (name in _FORCED or is_default_tracked_loader(spec, reader)):
            return
        _FOUND[name] = (spec, reader, reader.read())
    except Exception as e:  # the import goes on; the module is read at the next scan
        logger.debug("limeade: reading %s through its loader failed: %r", name, e)


def _after_fork_in_child() -> None:
    """A forked child has none of its parent's threads (the registry's file watcher and
    background parser), and the parent's watcher descriptor must not be read here: start afresh
    (with the auto-refresh watchers, when :mod:`limeade._watch` is in use)."""
    watch = sys.modules.get(f"{__package__}._watch")
    if watch is not None:
        watch.after_fork_in_child()
    else:
        REGISTRY.reset_after_fork(poll_from_env())


def _at_exit() -> None:
    watch = sys.modules.get(f"{__package__}._watch")
    if watch is not None:
        watch.stop_all()
    REGISTRY.close_watcher()


# Here, not in ``_watch`` (imported only when a watcher starts): every process that imported
# limeade has the registry's threads to replace after a fork and to stop at exit.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)


def install_hook() -> None:
    """Put :class:`TrackingFinder` first on ``sys.meta_path`` (once); nothing when
    ``LIMEADE_DISABLE`` is set."""
    global _HOOKED
    if _disable.disabled():
        return
    _HOOKED = True
    if any(f is TrackingFinder for f in sys.meta_path):
        return
    sys.meta_path.insert(0, TrackingFinder)  # type: ignore[arg-type]


def discover() -> None:
    """Track the modules of custom loaders imported (or reloaded) since the last call. Costs a
    length check of ``sys.modules`` when nothing was imported. Nothing when the hook was never
    installed (``LIMEADE_DISABLE``)."""
    global _CONSIDERED_LEN
    if not _HOOKED:
        return
    log_lost()
    if sys.meta_path[:1] != [TrackingFinder]:
        # A finder put first after ``import limeade``: its later imports are seen again.
        try:
            sys.meta_path.remove(TrackingFinder)  # type: ignore[arg-type]
        except ValueError:
            pass
        sys.meta_path.insert(0, TrackingFinder)  # type: ignore[arg-type]
    if len(sys.modules) == _CONSIDERED_LEN and not _FOUND:
        return
    current = sys.modules.copy()
    noted = list(_FOUND)
    _CONSIDERED.intersection_update(current)
    for name in (current.keys() - _CONSIDERED) | set(noted):
        module = current.get(name)
        if module is None:
            continue
        _CONSIDERED.add(name)
        if name in _IGNORED or name.startswith("limeade"):
            continue
        found = _FOUND.get(name)
        if name in REGISTRY and (found is None or found[0] is not getattr(module, "__spec__", 0)):
            continue  # tracked already, and not reloaded since
        try:
            track_through_loader(module, name, forced=name in _FORCED)
        except TrackError as e:
            logger.warning("limeade cannot track %s: %s", name, e.reason)
    for name in noted:  # found but not imported (``importlib.util.find_spec``)
        _FOUND.pop(name, None)
    _CONSIDERED_LEN = len(sys.modules)


def track_through_loader(module: types.ModuleType, name: str, *, forced: bool) -> bool:
    """Track a module of a custom loader that gives source; returns whether it did. Raises
    :class:`TrackError` when ``forced`` and the loader gives no Python source. A loader
    without source (pytest's assertion rewriter) leaves the module to :func:`track_loaded`."""
    spec = getattr(module, "__spec__", None)
    found = _FOUND.pop(name, None)
    if found is not None and found[0] is spec:
        _, reader, source = found
    else:
        reader = _loaders.source_of(name, spec, module)
        if reader is None:
            return False
        if not forced and not is_default_tracked_loader(spec, reader):
            return False
        try:
            source = reader.read()
        except Exception as e:
            if forced:
                raise TrackError(name, f"its loader could not give the source: {e!r}") from e
            logger.debug("limeade: reading %s through its loader failed: %r", name, e)
            return False
    path = _loaders.compiled_filename(module, name, reader)
    reason = _loaders.not_python(source, path)
    if reason is None:
        is_package = getattr(spec, "submodule_search_locations", None) is not None
        try:
            REGISTRY.track_offered(name, path, is_package, source)
        except _native.PlanFailure as e:
            reason = e.args[0]
    if reason is not None:
        if forced:
            raise TrackError(name, reason)
        logger.debug("limeade: not tracking %s: %s", name, reason)
        return False
    reader.last = source
    LOADER_MODULES[name] = reader
    logger.debug("tracking %s through its loader (%s)", name, path)
    return True


def offer_loader_sources(names: Optional[list[str]]) -> list[tuple[str, str]]:
    """Hand the current source of tracked custom-loader modules (all, or ``names``) to the
    registry; returns the modules whose loader could not give it, with why."""
    problems = []
    wanted = None if names is None else set(names)
    for name, reader in list(LOADER_MODULES.items()):
        if wanted is not None and name not in wanted:
            continue
        if name not in REGISTRY:
            del LOADER_MODULES[name]
            continue
        try:
            source = reader.news()
        except FileNotFoundError:
            problems.append((name, "file deleted"))
            continue
        except Exception as e:
            problems.append((name, f"its loader could not give the source: {e!r}"))
            continue
        if source is None:
            continue
        try:
            REGISTRY.offer_source(name, source)
        except (TypeError, KeyError) as e:
            problems.append((name, f"its loader could not give the source: {e!r}"))
    return problems


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
    """Track an already imported module by reading its file (or asking its custom loader) now;
    returns whether it is tracked."""
    if track_through_loader(module, name, forced=forced):
        return True
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
    when it came from a file). Nothing when ``LIMEADE_DISABLE`` is set."""
    if _disable.disabled():
        return
    for name, module in list(sys.modules.items()):
        if module is None or name in REGISTRY or name in _IGNORED:
            continue
        if name.startswith("limeade"):
            continue
        track_loaded(module, name)
    discover()


def track(*modules: Any) -> list[str]:
    """Track modules (objects or names) even where the default policy would not. Tracks
    nothing (an empty list) when ``LIMEADE_DISABLE`` is set."""
    if _disable.disabled():
        return []
    names = []
    for m in modules:
        name = m if isinstance(m, str) else m.__name__
        _IGNORED.discard(name)
        _FORCED.add(name)
        module = sys.modules.get(name)
        if module is None:
            raise KeyError(f"module {name!r} is not imported")
        if not track_loaded(module, name, forced=True):
            raise TrackError(name, _loaders.no_source_reason(name, module))
        names.append(name)
    return names


def untrack(*modules: Any) -> None:
    """Stop tracking modules (objects or names); later imports of them are not tracked either."""
    for m in modules:
        name = m if isinstance(m, str) else m.__name__
        _FORCED.discard(name)
        _IGNORED.add(name)
        LOADER_MODULES.pop(name, None)
        REGISTRY.untrack(name)
