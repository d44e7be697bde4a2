"""Functions made before the refresh by code that changed: closures (``make_adder(2)``, the
wrapper a decorator returned, a lambda) and functions made by statements that only moved. The
executor :class:`ClosureUpdates` collects what changed per module (from the functions updated
in place); :func:`update_closures` searches the heap once per refresh."""

from __future__ import annotations

import gc
import inspect
import sys
import types
from collections.abc import Iterator
from typing import NamedTuple, Optional, cast

from ._errors import ApplyError
from ._live_counts import closure_count, functions_running
from ._lookup import (
    code_qualname,
    describe,
    find_code,
    has_nested_code,
    is_plain_function,
    namespace_of,
)
from ._mutations import Mutations
from ._outcomes import CLOSURE_UPDATED, NOT_UPDATED, Outcome
from ._plan_data import new_lines, old_lines
from ._running import Sandbox
from ._state import ModuleState


def nested_codes(
    code: types.CodeType, qualname: str
) -> Iterator[tuple[tuple[str, int], types.CodeType]]:
    """Every code object nested in ``code`` (the code of ``qualname``: functions, lambdas,
    comprehensions, classes), keyed by qualified name and the how-many-th of that name it is, in
    compilation order: the key pairs an old nested code with its new version."""
    seen: dict[str, int] = {}
    queue = [(code, qualname)]
    while queue:
        current, current_qualname = queue.pop(0)
        # Names inside a function are `f.<locals>.g`; inside a class body `C.g` (what
        # `co_qualname` says on 3.11+, computed here for older versions).
        inside = (
            f"{current_qualname}.<locals>."
            if current.co_flags & inspect.CO_NEWLOCALS
            else f"{current_qualname}."
        )
        for const in current.co_consts:
            if isinstance(const, types.CodeType):
                name = code_qualname(const)
                if not hasattr(const, "co_qualname"):
                    name = inside + const.co_name
                index = seen.get(name, 0)
                seen[name] = index + 1
                yield (name, index), const
                queue.append((const, name))


class ClosureSwap(NamedTuple):
    """A nested code object of an updated function and its new version."""

    old: types.CodeType
    new: types.CodeType
    #: Qualified name of the nested function (``make_adder.<locals>.add``).
    qualname: str
    #: Module it belongs to.
    module: str
    #: The old code of the updated function ``old`` is nested in, kept alive here: its
    #: constants hold ``held`` references to ``old`` (see :func:`_may_have_functions`).
    outer: Optional[types.CodeType] = None
    held: int = 0


#: Why live closures keep their old code.
CLOSURE_REFUSED = "closure not updated: free variables changed"


def update_closures(
    swaps: dict[int, ClosureSwap],
) -> tuple[Mutations, dict[tuple[str, str], Outcome]]:
    """Closures created before the refresh (``make_adder(2)``, a decorator's wrapper, a
    lambda) get the new inner code when their free variables are unchanged: the mutations, and
    the outcome per ``(module, nested qualname)`` (how many live closures were updated, or why
    they could not be). The heap is searched once per refresh, for all modules together, and
    only when some nested code changed."""
    mutations = Mutations()
    updated: dict[tuple[str, str], int] = {}
    refused: set[tuple[str, str]] = set()
    if not swaps:
        return mutations, {}
    for each in swaps.values():
        updated.setdefault((each.module, each.qualname), 0)
        if each.new.co_freevars != each.old.co_freevars:
            # Closures made from the old code hold cells for the old free variables only.
            refused.add((each.module, each.qualname))
    # The refused ones are only counted as such: no need to look for their closures; nor for
    # those no function can hold.
    baseline = _own_references()
    wanted = {
        i: each.old
        for i, each in swaps.items()
        if (each.module, each.qualname) not in refused and _may_have_functions(each, baseline)
    }
    for obj in functions_running(gc.get_objects(), wanted) if wanted else ():
        swap = swaps[id(obj.__code__)]
        mutations.setattr(obj, "__code__", swap.new)
        updated[(swap.module, swap.qualname)] += 1
    outcomes: dict[tuple[str, str], Outcome] = {}
    for key, count in updated.items():
        if key in refused:
            outcomes[key] = Outcome(NOT_UPDATED, CLOSURE_REFUSED)
        else:
            # None alive: closures made from now on come from the enclosing function's new code.
            outcomes[key] = Outcome(CLOSURE_UPDATED, closure_count(count))
    return mutations, outcomes


def _counts_every_reference() -> bool:
    """Whether reference counts count every reference: not in free-threaded builds (3.13+),
    which count some lazily (deferred reference counting), so that there a count cannot prove
    that nothing holds an object. Older versions have no such build and need no ``sysconfig``
    import to know it."""
    if sys.version_info < (3, 13):
        return True
    import sysconfig

    return not sysconfig.get_config_var("Py_GIL_DISABLED")


_COUNTS_EVERY_REFERENCE = _counts_every_reference()


def _own_references() -> int:
    """What ``sys.getrefcount(swap.old)`` counts for a swap's own field and the call itself,
    measured on an object nothing else holds (the call's own reference is counted up to 3.13
    and may not be from 3.14 on)."""
    probe = ClosureSwap(cast(types.CodeType, object()), cast(types.CodeType, None), "", "")
    return sys.getrefcount(probe.old)


def _may_have_functions(swap: ClosureSwap, own: int) -> bool:
    """Whether a live function may hold ``swap.old``: anything holding it beyond the constants
    of its old outer code (kept alive by the swap) and the swap itself shows in its reference
    count. Most nested code (comprehensions, lambdas called at once, inner functions not kept)
    has no live function, and a sweep that moves every definition need not search the heap."""
    if not _COUNTS_EVERY_REFERENCE or swap.outer is None:
        return True
    return sys.getrefcount(swap.old) > swap.held + own


class ClosureUpdates:
    """Builds the mutations for closures and for functions made by moved statements."""

    def __init__(self, state: ModuleState, sandbox: Sandbox) -> None:
        self.state = state
        self.sandbox = sandbox

    def collect_closure_swaps(self) -> None:
        """Pair the nested code objects (functions, lambdas, comprehensions) of every function
        updated in place with their new versions, for :func:`update_closures`."""
        for old_outer, new_outer, qualname in self.state.code_swaps:
            if not has_nested_code(old_outer):
                continue
            new_nested = dict(nested_codes(new_outer, qualname))
            old_nested = list(nested_codes(old_outer, qualname))
            # How many constants of the old code's tree hold each nested code (once, unless
            # the compiler shared one between two places).
            held: dict[int, int] = {}
            for _, old_code in old_nested:
                held[id(old_code)] = held.get(id(old_code), 0) + 1
            for key, old_code in old_nested:
                new_code = new_nested.get(key)
                if not old_code.co_flags & inspect.CO_NEWLOCALS:
                    continue  # a class body: no function runs it (see `_decide.route_module`)
                if new_code is not None and new_code != old_code:
                    self.state.closure_swaps[id(old_code)] = ClosureSwap(
                        old_code, new_code, key[0], self.state.name, old_outer, held[id(old_code)]
                    )

    def update_moved_statements(self) -> None:
        """Functions made by statements that did not change but moved (``h = lambda: ...``, a
        ``def`` inside an ``if``) get code with the new line numbers, so tracebacks stay right."""
        for st in self.state.plan.get("moved_statements", ()):
            scope_name = st["scope"]
            scope = self.state.live_class(scope_name) if scope_name else self.state.globals
            if scope is None:
                continue
            live_items = namespace_of(scope)
            span = new_lines(st)
            old_first, old_last = old_lines(st)
            shift = span[0] - old_first
            targets = [
                f
                for f in (live_items.get(name) for name in st["binds"])
                if is_plain_function(f)
                and f.__code__.co_filename == self.state.path
                and old_first <= f.__code__.co_firstlineno <= old_last
            ]
            if not targets:
                continue
            try:
                code = self.sandbox.compile(
                    self.sandbox.snippet([span], self.sandbox.headers(scope_name)), describe(st)
                )
            except ApplyError:
                continue
            for f in targets:
                new = find_code(code, code_qualname(f.__code__), f.__code__.co_firstlineno + shift)
                if new is not None and new.co_freevars == f.__code__.co_freevars:
                    self.state.mutations.setattr(f, "__code__", new)
