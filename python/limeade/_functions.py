"""Functions updated in place: new code (and defaults, annotations, docstring) moved into the
live function object, definitions run again in full when they cannot be, renames that keep the
object. The executor of the steps "update function" and "rename" (:mod:`._decide`): it only adds
mutations."""

from __future__ import annotations

import functools
import inspect
import types
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, cast

if TYPE_CHECKING:
    from typing_extensions import TypeGuard

from ._errors import ApplyError
from ._in_progress import (
    RUNNING_NOW,
    SUSPENDED_NOW,
    running_codes,
    suspendable,
    suspended_codes,
)
from ._lookup import (
    MISSING,
    describe,
    find_code,
    find_function,
    function_qualname,
    is_plain_function,
    namespace_of,
    shift_lines,
)
from ._outcomes import NOT_UPDATED, REPLACED, UPDATED
from ._plan_data import Definition, new_lines, old_lines
from ._previews import Previews
from ._report import definition_name
from ._running import Sandbox
from ._state import ModuleState

#: Aspects whose new values come from evaluating the ``def`` (defaults, annotations).
_EVALUATED_ASPECTS = frozenset({"defaults", "kw_defaults", "annotations", "signature"})


#: Code flags that make a function a generator, coroutine or async generator.
_KIND_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _kind_name(code: types.CodeType) -> str:
    """What kind of function ``code`` makes, in words."""
    if code.co_flags & inspect.CO_ASYNC_GENERATOR:
        return "an async generator"
    if code.co_flags & inspect.CO_COROUTINE:
        return "a coroutine function"
    if code.co_flags & inspect.CO_GENERATOR:
        return "a generator function"
    return "a plain function"


def _same_cells(old: Optional[tuple[Any, ...]], new: Optional[tuple[Any, ...]]) -> bool:
    """Whether two closures hold the same objects (empty cells count as equal)."""
    if not old or not new:
        return not old and not new
    for a, b in zip(old, new):
        try:
            if a.cell_contents is not b.cell_contents:
                return False
        except ValueError:
            continue
    return True


def _no_annotations(format: int) -> dict[str, Any]:
    """The ``__annotate__`` of a function whose new version has no annotations (Python 3.14+:
    ``None`` would leave the annotations the old version computed in place)."""
    return {}


#: What a call of a cached function running during the refresh does when it returns.
RUNNING_CACHED = "the call in progress may store a result of the old code"


def _cache_note(bound: Any) -> str:
    """What updating a function behind ``functools.lru_cache``/``cache`` does to its results:
    they are dropped after the commit (results of the old code must not outlive it)."""
    if not isinstance(bound, functools._lru_cache_wrapper):  # type: ignore[attr-defined]
        return ""
    count = bound.cache_info().currsize
    return f"cache cleared: {count} result{'' if count == 1 else 's'}"


class FunctionDecision(NamedTuple):
    """What :meth:`FunctionUpdates.decide_function` decided for one function."""

    outcome: str
    why: str = ""
    #: The live function that gets the new code.
    target: Optional[types.FunctionType] = None
    #: Its new code (compiled, or the old code with its lines moved).
    code: Optional[types.CodeType] = None


class FunctionUpdates:
    """Builds the mutations that give live functions their new versions."""

    def __init__(self, state: ModuleState, sandbox: Sandbox, previews: Previews) -> None:
        self.state = state
        self.sandbox = sandbox
        self.previews = previews
        self.path = state.path
        self.mutations = state.mutations
        #: ``id`` of the code objects running now, once :meth:`running_codes` looked them up.
        self._running: Optional[set[int]] = None
        self._suspended: Optional[dict[int, int]] = None

    def transfer(self, old: types.FunctionType, new: types.FunctionType) -> bool:
        """Make ``old`` behave as ``new`` (code, defaults, annotations, doc, attributes); False
        when their closures differ in shape or their kinds differ (function, generator,
        coroutine) and ``old`` cannot take the new code."""
        if old.__code__.co_freevars != new.__code__.co_freevars:
            return False
        if (old.__code__.co_flags ^ new.__code__.co_flags) & _KIND_FLAGS:
            return False
        if not _same_cells(old.__closure__, new.__closure__):
            # A closure made with other values (`make_adder(50)`, `@deco(10)`): the old object
            # cannot take them, the new one must be bound instead.
            return False
        m = self.mutations
        m.setattr(old, "__code__", new.__code__)
        m.setattr(old, "__defaults__", new.__defaults__)
        m.setattr(old, "__kwdefaults__", new.__kwdefaults__)
        self.move_annotations(old, new)
        m.setattr(old, "__doc__", new.__doc__)
        for key, value in new.__dict__.items():
            m.setitem(old.__dict__, key, value)
        for key in old.__dict__:
            if key not in new.__dict__:
                m.delitem(old.__dict__, key)
        self.state.code_swaps.append((old.__code__, new.__code__, function_qualname(old)))
        return True

    def move_annotations(self, target: types.FunctionType, source: types.FunctionType) -> None:
        """Give ``target`` the annotations of ``source``. Before Python 3.14 they were evaluated
        with the ``def``: copy the dict. From 3.14 (PEP 649) they are evaluated when first asked
        for: move the function that computes them, and never evaluate them here (an annotation
        naming something defined later would raise, and the refresh with it)."""
        annotate = getattr(source, "__annotate__", MISSING)
        if annotate is MISSING:
            self.mutations.setattr(target, "__annotations__", dict(source.__annotations__))
        else:
            # Setting `__annotate__` drops the annotations the old function computed.
            self.mutations.setattr(
                target, "__annotate__", annotate if annotate is not None else _no_annotations
            )

    def same_definition(self, old: Any, new: Any) -> TypeGuard[types.FunctionType]:
        """Whether ``new`` is the new version of the live function ``old``: both compiled from
        this module's file under the same qualified name. Only then is ``new`` merged into
        ``old``; an alias now bound to another function (``h = k``), or a ``def`` replacing
        a name imported from another module, simply rebinds the name."""
        return (
            is_plain_function(old)
            and is_plain_function(new)
            and old.__code__.co_filename == self.path
            and new.__code__.co_filename == self.path
            and function_qualname(old) == function_qualname(new)
        )

    def suspended_codes(self) -> dict[int, int]:
        """Suspended generators by code (see :mod:`._in_progress`): one heap walk per module,
        only when a generator function's new code is going in place."""
        if self._suspended is None:
            self._suspended = suspended_codes()
        return self._suspended

    def running_codes(self) -> set[int]:
        """Code objects some call is executing now (see :mod:`._in_progress`): looked up once
        per module, and only when a function's new code is going in place."""
        if self._running is None:
            self._running = running_codes()
        return self._running

    def decide_function(self, d: Definition, scope: Any, class_qualname: str) -> FunctionDecision:
        """What a matched function whose decorators did not change gets: its new code in
        place, replaced (a new object; why), or nothing (no live object holds it). Compiles
        the new ``def`` but runs nothing."""
        qualname, name = d["qualname"], d["leaf"]
        old_first, _ = old_lines(d)
        new_span = new_lines(d)
        live_items = namespace_of(scope)
        target = find_function(live_items.get(name), qualname, old_first, self.path)
        if target is None:
            # Registered under another name (`@show.register def _`), or held by another object
            # of the module or class.
            target = find_function(list(live_items.values()), qualname, old_first, self.path)
        if target is None:
            return FunctionDecision(NOT_UPDATED, "no live object holds this definition")
        if d["action"] == "move":
            # Same code, same layout: only the line numbers move, no compiling.
            return FunctionDecision(
                UPDATED, target=target, code=shift_lines(target.__code__, d["line_shift"])
            )
        what = describe(d)
        code = find_code(
            self.sandbox.compile(
                self.sandbox.snippet([new_span], self.sandbox.headers(class_qualname)), what
            ),
            qualname,
            new_span[0],
        )
        if code is None:
            raise ApplyError(f"{what}: compiled code not found", self.state.name, what)
        if code.co_freevars != target.__code__.co_freevars:
            return FunctionDecision(REPLACED, "its closure variables changed", target, code)
        if (code.co_flags ^ target.__code__.co_flags) & _KIND_FLAGS:
            # CPython 3.13 deprecates giving a function code of another kind (and a later
            # version refuses it): callers would get a generator where they expected a value.
            return FunctionDecision(REPLACED, f"it became {_kind_name(code)}", target, code)
        why = _cache_note(live_items.get(name))
        if id(target.__code__) in self.running_codes():
            # A `while True` loop edited while it runs: that call goes on with the old code,
            # and a cached function's call stores its old-code result when it returns.
            why = f"{RUNNING_NOW}; {why}; {RUNNING_CACHED}" if why else RUNNING_NOW
        elif suspendable(target.__code__):
            # A generator someone iterates (`while True: ... yield`) resumes its old code.
            count = self.suspended_codes().get(id(target.__code__))
            if count:
                note = f"{count} {SUSPENDED_NOW}"
                why = f"{note}; {why}" if why else note
        return FunctionDecision(UPDATED, why, target, code)

    def update_function(
        self, d: Definition, scope: Any, class_qualname: str, namespace: dict[str, Any]
    ) -> None:
        """A matched function whose decorators did not change: new code (and defaults,
        annotations, docstring where they changed) into the live function object. Defaults are
        evaluated in ``namespace``, the scope's scratch namespace at this point of the source."""
        qualname, name = d["qualname"], d["leaf"]
        decision = self.decide_function(d, scope, class_qualname)
        target, code = decision.target, decision.code
        if target is None or code is None:
            self.state.outcomes.record(definition_name(d), NOT_UPDATED, decision.why)
            return
        if decision.outcome == REPLACED:
            self.replace_definition(d, scope, class_qualname, decision.why, namespace)
            return
        self.state.outcomes.record(definition_name(d), UPDATED, decision.why)
        aspects = set(d["aspects"])
        if d["action"] == "move":
            self.mutations.setattr(target, "__code__", code)
            self.state.code_swaps.append((target.__code__, code, qualname))
            return
        root = namespace_of(scope).get(name)
        if isinstance(root, functools._lru_cache_wrapper):  # type: ignore[attr-defined]
            # Results computed by the old code must not outlive it.
            self.state.after_commit.append(root.cache_clear)
        self.mutations.setattr(target, "__code__", code)
        self.state.code_swaps.append((target.__code__, code, qualname))
        preview: Optional[types.FunctionType] = None
        if dict.get(namespace, name, root) is target:
            # Code run later in this refresh (`VALUE = compute()`, `@factory(2)`) calls the new
            # version, as a fresh import would.
            preview = self.previews.make_preview(cast(types.FunctionType, target), code)
            dict.__setitem__(namespace, name, preview)
        if "docstring" in aspects:
            doc = (
                code.co_consts[0] if code.co_consts and isinstance(code.co_consts[0], str) else None
            )
            self.mutations.setattr(target, "__doc__", doc)
        if aspects & _EVALUATED_ASPECTS:
            fresh = self.evaluate_undecorated(d, scope, class_qualname, namespace)
            if preview is not None:
                preview.__defaults__ = fresh.__defaults__
                preview.__kwdefaults__ = fresh.__kwdefaults__
            self.mutations.setattr(target, "__defaults__", fresh.__defaults__)
            self.mutations.setattr(target, "__kwdefaults__", fresh.__kwdefaults__)
            self.move_annotations(cast(types.FunctionType, target), fresh)

    def evaluate_undecorated(
        self, d: Definition, scope: Any, class_qualname: str, namespace: dict[str, Any]
    ) -> types.FunctionType:
        """Run the ``def`` without its decorators, in ``namespace`` where it stands in the
        source, to evaluate defaults and annotations; the namespace is left as it was."""
        name = d["leaf"]
        what = describe(d)
        before = dict.get(namespace, name, MISSING)
        def_line = d["def_line"] if d["def_line"] is not None else new_lines(d)[0]
        self.sandbox.run_span(class_qualname, scope, (def_line, new_lines(d)[1]), what, namespace)
        fresh = dict.get(namespace, name)
        if before is MISSING:
            dict.pop(namespace, name, None)
        else:
            dict.__setitem__(namespace, name, before)
        if not isinstance(fresh, types.FunctionType):
            raise ApplyError(f"{what}: did not produce a function", self.state.name, what)
        return fresh

    def replace_definition(
        self,
        d: Definition,
        scope: Any,
        class_qualname: str,
        why: str,
        namespace: dict[str, Any],
    ) -> None:
        """Run a definition in full (decorators included) in ``namespace`` and bind the
        result."""
        name = d["leaf"]
        self.sandbox.run_span(class_qualname, scope, new_lines(d), describe(d), namespace)
        old = namespace_of(scope).get(name, MISSING)
        new = namespace[name]
        if self.same_definition(old, new) and self.transfer(old, new):
            dict.__setitem__(namespace, name, old)
            self.state.outcomes.record(definition_name(d), UPDATED)
            return
        self.state.outcomes.record(definition_name(d), REPLACED, why)
        self.state.set_name(scope, name, new)

    def rename(self, entry: Definition, old: Definition, scope: Any, scope_name: str) -> bool:
        """Bind the old function object under its new name (with code compiled under that name),
        so references to it keep working; False when that is not possible here."""
        target = rename_target(entry, old, scope, self.path)
        if target is None:
            return False
        bound = namespace_of(scope)[old["leaf"]]
        new_name = entry["leaf"]
        span = new_lines(entry)
        what = describe(entry)
        code = find_code(
            self.sandbox.compile(
                self.sandbox.snippet([span], self.sandbox.headers(scope_name)), what
            ),
            entry["qualname"],
            span[0],
        )
        if code is None or code.co_freevars != target.__code__.co_freevars:
            return False
        self.mutations.setattr(target, "__code__", code)
        self.mutations.setattr(target, "__name__", new_name)
        self.mutations.setattr(target, "__qualname__", entry["qualname"])
        self.state.set_name(scope, new_name, bound)
        return True


def rename_target(
    new: Definition, old: Definition, scope: Any, path: str
) -> Optional[types.FunctionType]:
    """The live function a rename keeps under its new name: the one compiled from ``old``,
    bound (maybe behind decorators) under the old name in the live ``scope``, when the new name
    is still free there. None otherwise: the renamed definition then runs like an added one."""
    items = namespace_of(scope) if scope is not None else {}
    if new["leaf"] in items:
        return None
    bound = items.get(old["leaf"])
    return find_function(bound, old["qualname"], old_lines(old)[0], path)
