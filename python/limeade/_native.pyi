"""Type stubs for ``limeade._native``, the private extension module built from
``crates/limeade-py``. Use the public API in :mod:`limeade` instead."""

import types
from typing import Any, Optional, Union, final

__all__ = [
    "FileWatcher",
    "MutationLog",
    "Plan",
    "PlanFailure",
    "Registry",
    "SourceText",
    "Subscription",
    "bases_assignable",
    "commit",
    "functions_with_code",
    "labels",
    "module_name_from_path",
    "mutation_count",
    "plan_batch",
    "set_fail_at",
]

class PlanFailure(Exception):
    """Planning failed; ``args`` are ``(message, path, line, col, kind)``: ``line`` and ``col``
    are ``None`` when unknown, ``kind`` is ``"syntax"``, ``"unsupported"``, ``"decode"``,
    ``"too_deep"`` or ``"internal"``."""

    args: tuple[str, str, Optional[int], Optional[int], str]

@final
class Plan:
    """A plan made by the Rust planner."""

    def render_with_outcomes(
        self, outcomes: dict[str, list[str]], elsewhere: dict[str, list[str]]
    ) -> str:
        """The compact text with each change's kind and predicted outcome (module -> each
        change's ``"body -> updated in place"``, in the order :meth:`changes` gives them)."""
    def render(self) -> str:
        """The compact text (``~ C.method  body``)."""
    def changes(self) -> dict[str, list[tuple[str, str, str]]]:
        """Each module's changes as every view names them: ``[(key, shown, kind)]`` in plan
        order (``key`` is what the change's outcome is recorded under)."""
    def to_json(self) -> str:
        """The whole plan as JSON."""
    def actions_json(self) -> str:
        """The part of the plan the live side acts on, as JSON."""
    def actions(self) -> Any:
        """What :meth:`actions_json` holds, as Python objects built directly."""

@final
class Subscription:
    """One consumer of the file watcher's events."""

    def wait(
        self, debounce_ms: int, timeout_ms: int
    ) -> tuple[str, list[str], list[str], bool, list[str]]:
        """Block (without the GIL) until something changed and no event came for
        ``debounce_ms``: ``("batch", paths, created_dirs, everything, errors)``; or
        ``("timeout", ...)`` / ``("closed", ...)`` with empty fields."""
    def close(self) -> None:
        """Stop receiving batches; a thread blocked in :meth:`wait` returns ``"closed"``."""

@final
class FileWatcher:
    """The file watcher (``notify``): native backend, or polling."""

    def __new__(cls, poll: bool = False, poll_interval_ms: int = 250) -> FileWatcher:
        """A watcher of its own, not the registry's (for tests and tools)."""
    @property
    def backend(self) -> str:
        """``"native"``, ``"polling"``, ``"native+polling"`` or ``"closed"``."""
    def watch_dir(self, path: str) -> tuple[str, bool]:
        """Watch the files directly in ``path``: ``(coverage, newly_watched)`` with coverage
        ``"immediate"``, ``"native"`` or ``"polled"``. Counted: one :meth:`unwatch_dir` each."""
    def unwatch_dir(self, path: str) -> None:
        """Undo one :meth:`watch_dir`."""
    def take_fallback_warning(self) -> Optional[str]:
        """The warning to give once when the native backend ran out of watches."""
    def set_native_limit(self, limit: Optional[int] = None) -> None:
        """Test hook: pretend the native backend takes only ``limit`` directories."""
    def subscribe(self) -> Subscription:
        """A new consumer of event batches."""
    def close(self) -> None:
        """Stop both backends; waiting subscriptions return ``"closed"``."""

@final
class Registry:
    """Tracked modules: their running source, parsed tree and change detection."""

    def __new__(cls, poll: bool = False) -> Registry:
        """``poll``: the file watcher polls instead of using the native backend."""
    def watcher(self) -> Optional[FileWatcher]:
        """The file watcher change detection reads (shared with auto-refresh)."""
    def replace_watcher(self, poll: bool) -> FileWatcher:
        """Watch the same directories with a new backend (polling when ``poll``)."""
    def reset_after_fork(self, poll: bool) -> Optional[FileWatcher]:
        """In a forked child: forget the parent's watcher, start a new one."""
    def close_watcher(self) -> None:
        """Stop watching (interpreter exit); later scans check every file."""
    def set_watch_at_once(self, at_once: bool) -> None:
        """Watch a newly tracked module's folder as it is tracked, or from the next scan on."""
    def take_watch_warning(self) -> Optional[str]:
        """The warning to give once when directories had to be polled."""
    def track(
        self,
        name: str,
        path: str,
        is_package: bool,
        source: bytes,
        stamp: Optional[tuple[int, int, int]] = None,
    ) -> None:
        """Record that ``name`` runs ``source``; ``stamp`` is ``(mtime_ns, size, inode)``."""
    def track_later(
        self, name: str, path: str, is_package: bool, stamp: tuple[int, int, int]
    ) -> bool:
        """Record that ``name`` runs the bytes its file held with ``stamp``, read in the
        background; ``False`` when the file (recent, so read now) no longer has that stamp."""
    def take_lost(self) -> list[tuple[str, str]]:
        """``[(name, why)]``: background reads that failed since the last call (untracked)."""
    def track_offered(
        self, name: str, path: str, is_package: bool, source: Union[bytes, str]
    ) -> None:
        """Record that ``name``, a custom loader's module, runs ``source`` (``bytes`` decoded
        like a file, or ``str``); nothing is read from ``path``."""
    def offer_source(self, name: str, source: Union[bytes, str]) -> bool:
        """The current source of a ``track_offered`` module; whether it differs from what
        runs."""
    def untrack(self, name: str) -> bool:
        """Stop tracking ``name``."""
    def __contains__(self, name: str, /) -> bool: ...
    def names(self) -> list[str]:
        """Tracked module names, sorted."""
    def path(self, name: str) -> Optional[str]:
        """Source path of a tracked module."""
    def source(self, name: str) -> Optional[str]:
        """The source the program runs."""
    def pending_source(self, name: str) -> Optional[str]:
        """The newer source found on disk by :meth:`scan`."""
    def pending_text(self, name: str) -> Optional[SourceText]:
        """The newer source found on disk by :meth:`scan`, shared: lines are cut out of it
        natively."""
    def scan(self, names: Optional[list[str]] = None) -> list[tuple[str, str, str]]:
        """``[(name, "changed" | "deleted" | "unreadable", detail)]``."""
    def plan(self, names: list[str]) -> Plan:
        """Plan the pending versions (raises :class:`PlanFailure`)."""
    def importers_of(self, source: str) -> list[tuple[str, str, str]]:
        """``[(importer, bound_as, name)]`` for ``from source import name as bound_as``;
        ``("*", "*")`` for ``from source import *``."""
    def default_readers(
        self, module: str, names: list[str]
    ) -> list[tuple[str, int, list[tuple[str, Optional[int], str, int, list[str]]]]]:
        """``[(qualname, first_line, [(param, index, text, line, reads)])]``: functions of the
        running source of ``module`` (module level and methods of its classes) whose default
        expressions read one of ``names``. ``index`` is the position in ``__defaults__``
        (``None`` for a keyword-only parameter), ``text`` the expression as written."""
    def file_is_running_version(self, name: str) -> bool:
        """Whether the module's file is, by its stamp, the version the program runs."""
    def memory_use(self) -> list[tuple[str, int]]:
        """Heap bytes the registry keeps, by kind (for the memory benchmark)."""
    def warm_queue(self) -> int:
        """How many running sources the background parser has yet to parse."""
    def accept(self, names: list[str]) -> None:
        """The pending versions are now what the program runs."""

@final
class SourceText:
    """A version of a module's source as the registry holds it, shared (not copied)."""

    def text(self) -> str:
        """The whole text."""
    def lines(self, spans: list[tuple[int, int]]) -> list[str]:
        """For each ``(first, last)`` span (1-based, inclusive), those lines as the compiler
        counts them (split at ``\\n`` only), with their line ends; a last line without one gets
        one. One pass over the text for spans in source order."""
    def __len__(self) -> int: ...

@final
class MutationLog:
    """Undo log of one commit."""

    def rollback(self) -> None:
        """Undo every mutation of the commit, newest first."""
    def __len__(self) -> int: ...

def labels() -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """The plan's words for people: ``(aspects, executions, outcomes)`` as ``(name in the
    JSON, word)`` pairs (``("kw_defaults", "kw-only defaults")``)."""

def plan_batch(modules: list[tuple[str, str, bool, bytes, bytes]]) -> Plan:
    """Plan ``[(name, path, is_package, old_bytes, new_bytes)]`` (decoded per PEP 263)."""

def module_name_from_path(relative: str) -> tuple[str, bool]:
    """``(module name, is_package)`` of a ``/``-separated path relative to a source root."""

def commit(mutations: list[tuple[Any, ...]]) -> MutationLog:
    """Apply mutation tuples atomically (no Python code runs in between); undone on failure."""

def bases_assignable(cls: type, new_bases: tuple[type, ...]) -> bool:
    """Whether CPython accepts ``new_bases`` for ``cls`` (tried and reverted atomically)."""

def set_fail_at(k: Optional[int] = None) -> None:
    """Test hook: make mutation ``k`` (counted from now) fail."""

def functions_with_code(
    objects: list[Any], function_type: type, codes: list[int]
) -> list[types.FunctionType]:
    """The objects of exactly ``function_type`` whose ``__code__`` has one of the ``id()``s in
    ``codes``, in order (the refresh's one heap search, as one native loop)."""

def mutation_count() -> int:
    """Test hook: mutations counted since injection was armed."""
