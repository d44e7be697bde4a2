"""Turn one module's plan into mutations, or predict what they would do.

:mod:`._decide` decides what happens to every change (which classes are kept, replaced or
grafted; the :class:`~._decide.Step` of every statement and definition, by scope).
:class:`ModulePreparation` does it scope by scope (the module, then each kept class), before any
live object changes: it runs what runs in full and binds the results (merging a new function
into its live version), and hands every other step to its executor. The executors share one
:class:`~._state.ModuleState` (the facts, and the mutations and outcomes they add to) and are
given what they call: the :class:`~._running.Sandbox` compiles new code at its real line
numbers (inside its classes, so name mangling and ``super()`` work) and runs statements in
scratch namespaces; :mod:`._functions` (new code into live functions, renames),
:mod:`._moves`, :mod:`._grafting` (classes), :mod:`._closures` and :mod:`._previews` turn the
results into mutations, which ``limeade._native.commit`` applies atomically.
:func:`predict_module` acts on the same decisions without running new code (:mod:`._predict`).
Nothing in this module mutates a live object.
"""

from __future__ import annotations

import types
from typing import Any, NamedTuple, Optional, cast

from . import _native
from ._closures import ClosureUpdates
from ._decide import (
    Action,
    ClassDecisions,
    Step,
    decide_classes,
    inside,
    live_conflicts,
    merges_into_live,
    route_module,
)
from ._errors import ApplyError, ConflictError
from ._functions import FunctionUpdates
from ._grafting import ClassChanges
from ._in_progress import running_module_lines
from ._layout import BasesRaised, assignable_bases
from ._lookup import (
    MISSING,
    compiled_from,
    describe,
    is_definition_like,
    is_plain_function,
    namespace_of,
    split_lines,
)
from ._moves import Moves
from ._outcomes import (
    ADDED,
    GRAFTED,
    KEPT_WITH_NEW_BASES,
    NEW_OBJECT,
    NOT_UPDATED,
    RAN,
    REMOVED,
    RENAMED,
    REPLACED,
    UPDATED,
    Outcome,
    OutcomeLog,
    kept_outcome,
)
from ._plan_data import Definition, ModulePlan, old_lines
from ._predict import Predictions
from ._previews import Previews
from ._registries import unregister_dispatch
from ._report import EXECUTION_LABELS, definition_name, statement_key
from ._running import Sandbox, ScratchNamespace, compiled_docstring
from ._state import ModuleState

__all__ = [
    "ModulePreparation",
    "predict_module",
    "prepare_module",
    "split_lines",
    "strategy_name",
]


#: Methods ``type.__new__`` wraps implicitly, and in what: setting one on an existing class must
#: wrap it the same way.
_IMPLICIT_WRAPPERS: dict[str, type] = {
    "__init_subclass__": classmethod,
    "__class_getitem__": classmethod,
    "__new__": staticmethod,
}


class ModulePreparation:
    """Builds the mutations for one module from its plan: decides (:mod:`._decide`), then runs
    each scope's changes in source order, handing each step to its executor."""

    def __init__(
        self,
        module: types.ModuleType,
        plan: ModulePlan,
        new_source: _native.SourceText,
        refuse_conflicts: bool = False,
    ) -> None:
        self.state = state = ModuleState(module, plan, refuse_conflicts)
        self.module = module
        self.name = state.name
        self.plan = plan
        self.globals = state.globals
        self.mutations = state.mutations
        self.outcomes = state.outcomes
        self.sandbox = Sandbox(state, new_source)
        self.previews = Previews(state, self.sandbox)
        self.functions = FunctionUpdates(state, self.sandbox, self.previews)
        self.moves = Moves(state, self.functions)
        self.classes = ClassChanges(state, self.sandbox)
        self.closures = ClosureUpdates(state, self.sandbox)
        #: Names a statement rebound from a definition-like object to a new one (old references
        #: keep the old object): what the statement's outcome says beside "ran" (see
        #: :meth:`statement_outcome`).
        self.rebound_definitions: dict[str, str] = {}
        #: What :meth:`ModulePreparation.bind` did per name, for the definitions that ran in full.
        self.bound: dict[str, Outcome] = {}
        #: Per grafted class, the names the graft bound (not bound again by the scope update).
        self.graft_bound: dict[str, set[str]] = {}

    # ---------------------------------------------------------------------------- mutations

    def merge(
        self,
        scope: Any,
        qualprefix: str,
        namespace: dict[str, Any],
        names: list[str],
        into_live: bool = True,
    ) -> None:
        """Bind ``names`` from ``namespace`` into the live ``scope`` (module dict or class),
        updating matched functions in place instead of replacing them. A function merged into
        a live one stays in the namespace as that function's *preview*: code run later in the
        refresh calls the new version, and :meth:`._previews.Previews.resolve_previews` turns
        every reference to it into the live function (``HANDLERS = [f]`` keeps
        ``HANDLERS[0] is f``). ``into_live=False``: never merged, only bound (see
        :func:`._decide.merges_into_live`)."""
        for name in names:
            if name in namespace:
                new = namespace[name]
                kept = self.bind(scope, qualprefix, name, new, into_live)
                if kept is not new and is_plain_function(new) and is_plain_function(kept):
                    # Later code of this refresh runs the new version under the kept identity.
                    self.previews.previews[id(new)] = (new, kept)
                else:
                    dict.__setitem__(namespace, name, kept)

    def unregister_implementation(self, d: Definition) -> None:
        """A removed function registered as a ``singledispatch`` implementation (``@f.register
        def _``, whose name a later ``_`` may still bind) leaves the registry with it."""
        if d["kind"] == "class":
            return
        old_first, _ = old_lines(d)
        qualname, path = d["qualname"], self.state.path
        unregister_dispatch(
            self.module,
            lambda impl: compiled_from(impl, qualname, old_first, path),
            self.state.mutations,
            self.state.after_commit,
        )

    def bind(self, scope: Any, qualprefix: str, name: str, new: Any, into_live: bool = True) -> Any:
        """Bind ``new`` as ``name`` in the live scope; returns the object the scope will hold
        (the live function when ``new`` was merged into it)."""
        new = self.previews.resolve(new)
        old = namespace_of(scope).get(name, MISSING)
        if old is new:
            self.bound[qualprefix + name] = Outcome(UPDATED)
            return new
        implicit = _IMPLICIT_WRAPPERS.get(name) if isinstance(scope, type) else None
        if implicit is not None and is_plain_function(new):
            # `type.__new__` would have made a classmethod (staticmethod) of it.
            inner = getattr(old, "__func__", None) if isinstance(old, implicit) else None
            if (
                into_live
                and self.functions.same_definition(inner, new)
                and self.functions.transfer(inner, new)
            ):
                self.bound[qualprefix + name] = Outcome(UPDATED)
                return old
            new = implicit(new)
        elif (
            into_live
            and self.functions.same_definition(old, new)
            and self.functions.transfer(old, new)
        ):
            self.bound[qualprefix + name] = Outcome(UPDATED)
            return old
        if old is not MISSING and is_definition_like(old):
            self.rebound_definitions.setdefault(qualprefix + name, NEW_OBJECT)
        self.bound[qualprefix + name] = (
            Outcome(ADDED) if old is MISSING else Outcome(REPLACED, NEW_OBJECT)
        )
        if isinstance(scope, type) and hasattr(type(new), "__set_name__"):
            try:
                new.__set_name__(scope, name)
            except Exception as e:
                raise ApplyError(
                    f"__set_name__ of {qualprefix}{name} raised {e!r}", self.name, name
                ) from e
        self.state.set_name(scope, name, new)
        return new

    def statement_outcome(self, prefix: str, names: list[str]) -> Outcome:
        """What running a statement did: it ran, unless binding one of its names did more to
        say (a name the metaclass's descriptor owns was left alone; a function or class was
        rebound to a new object, which old references do not see)."""
        for table, outcome in (
            (self.state.refused_names, NOT_UPDATED),
            (self.rebound_definitions, REPLACED),
        ):
            for name in names:
                why = table.get(prefix + name)
                if why is not None:
                    return Outcome(outcome, why)
        return Outcome(RAN)

    def merge_annotations(self, scope: Any, live_names: Any, namespace: dict[str, Any]) -> None:
        """Annotated assignments that ran update a copy of ``__annotations__``: bind it."""
        new = namespace.get("__annotations__")
        if isinstance(new, dict) and new != live_names.get("__annotations__"):
            self.state.set_name(scope, "__annotations__", new)

    # --------------------------------------------------------------------------- scopes

    def prepare(self) -> None:
        execution = self.plan["execution"]
        if execution == "nothing":
            return
        if execution == "full_body":
            self.prepare_full_body()
            return
        decided = self.decide_classes()
        if self.state.refuse_conflicts:
            # What the early check could not tell without running code (new base expressions).
            conflicted = {c["qualname"] for c in live_conflicts(self.plan)}
            refused = [(self.name, q, r) for q, r in decided.replaced.items() if q in conflicted]
            for _, qualname, _ in refused:
                error = decided.raised.get(qualname)
                if error is not None:
                    # The new code itself fails: that is what to fix, not a conflict.
                    what = f"the new bases of class {qualname}"
                    raise ApplyError(
                        f"{self.state.path}: evaluating {what} raised {error!r}", self.name, what
                    ) from error
            if refused:
                raise ConflictError.refusing(refused)
        for qualname, fix in decided.kept.items():
            live = self.state.live_class(qualname)
            if live is None:
                continue
            if fix.new_bases is not None:
                self.classes.assign_bases(live, fix.new_bases)
            if fix.deferred_bases is not None:
                self.state.deferred_bases[qualname] = fix.deferred_bases
            if fix.slots is not None:
                self.classes.change_slots(live, *fix.slots)
            bases_changed = fix.new_bases is not None or fix.deferred_bases is not None
            self.outcomes.record(qualname, kept_outcome(bases_changed))
        route = route_module(self.plan, decided, running_module_lines(self.globals))
        for action in route.inside_functions:
            self.outcomes.record(action.key, action.outcome, action.why)
        for qualname in route.graft_order:
            self.graft_bound[qualname] = self.classes.graft(qualname)
            self.outcomes.record(qualname, GRAFTED)
        whole = set(route.whole)
        for work in route.scopes:
            if work.scope and self.state.deferred_bases:
                # Base classes the module's statements just bound can be evaluated now.
                whole |= self.resolve_deferred_bases()
            if inside(work.scope, whole):
                continue
            if work.actions:
                self.prepare_scope(work.scope, work.actions)
            if work.moves:
                self.moves.shift_moved(work.scope, list(work.moves))
        if self.state.deferred_bases:
            self.resolve_deferred_bases()
        self.unbind_removed_names()
        self.closures.collect_closure_swaps()
        self.classes.update_abstract_methods()
        self.classes.update_protocols()
        self.closures.update_moved_statements()
        self.previews.resolve_previews()

    def resolve_deferred_bases(self) -> set[str]:
        """Classes whose new bases name something this refresh binds (a mixin added in the same
        edit): evaluated against what the module's statements bound. The class is kept when
        CPython accepts the bases, else its statement runs in full and replaces it. Returns the
        classes replaced."""
        replaced: set[str] = set()
        state = self.state
        deferred, state.deferred_bases = state.deferred_bases, {}
        namespace = {**self.globals, **self.sandbox.module_scratch}
        for qualname, texts in deferred.items():
            live = state.live_class(qualname)
            if live is None:
                continue
            try:
                bases = assignable_bases(namespace, live, texts)
            except (NameError, BasesRaised):
                bases = None  # running the class statement raises it, as a refresh error
            if bases is not None:
                self.classes.assign_bases(live, bases)
                self.outcomes.record(qualname, KEPT_WITH_NEW_BASES)
                continue
            reason = f"bases changed: ({', '.join(texts)}) cannot be assigned to the live class"
            if state.refuse_conflicts:
                raise ConflictError.refusing([(self.name, qualname, reason)])
            entry = next(
                d for d in state.definitions if d["qualname"] == qualname and d["kind"] == "class"
            )
            parent = entry["scope"]
            parent_class = state.live_class(parent) if parent else None
            scope: Any = parent_class if parent_class is not None else self.globals
            namespace_for = (
                self.sandbox.class_namespace(parent_class)
                if parent_class is not None
                else self.sandbox.module_scratch
            )
            self.outcomes.record(qualname, REPLACED, reason)
            name = entry["leaf"]
            self.run_entries(parent, scope, [(entry, [name])], namespace_for)
            self.merge(scope, f"{parent}." if parent else "", namespace_for, [name])
            replaced.add(qualname)
        return replaced

    def decide_classes(self) -> ClassDecisions:
        """Which changed classes are kept, replaced or grafted (:func:`._decide.decide_classes`)."""
        return decide_classes(
            self.module, self.plan, self.state.live_class, self.state.names_bound_in
        )

    def prepare_scope(self, scope_name: str, actions: tuple[Action, ...]) -> None:
        """Do one scope's changes (the module, or one kept class) in source order: each
        statement or definition runs where it stands, against a scratch namespace holding what
        the refresh bound before it, as a fresh import of the new source would see it."""
        if scope_name:
            live = self.state.live_class(scope_name)
            if live is None:
                raise ApplyError(
                    f"class {scope_name} not found in module {self.name}", self.name, scope_name
                )
            scope: Any = live
            live_names: Any = live.__dict__
            self.state.changed_classes.append(live)
            namespace: dict[str, Any] = self.sandbox.class_namespace(live)
            self.sandbox.class_namespaces.append(namespace)
        else:
            scope = self.globals
            live_names = self.globals
            namespace = self.sandbox.module_scratch
            if isinstance(self.globals.get("__annotations__"), dict):
                namespace["__annotations__"] = dict(self.globals["__annotations__"])
        prefix = f"{scope_name}." if scope_name else ""
        #: Names the graft of this class already bound from its rebuilt version.
        grafted_names = self.graft_bound.get(scope_name, set())
        bound: list[str] = []
        removed: list[str] = []
        ran = False
        #: Consecutive statements and definitions that run in full: one compile, one exec.
        batch: list[tuple[Any, list[str]]] = []

        def flush() -> None:
            if batch:
                separate = {
                    names[0] for entry, names in batch if not merges_into_live(entry) and names
                }
                for name in self.run_entries(scope_name, scope, batch, namespace):
                    if name not in grafted_names:
                        self.merge(scope, prefix, namespace, [name], name not in separate)
                for entry, names in batch:
                    if "qualname" not in entry:
                        self.outcomes.record_outcome(
                            statement_key(entry), self.statement_outcome(prefix, names)
                        )
                    elif definition_name(entry) not in self.outcomes.by_name:
                        # What binding its name did (a replaced class has its reason already).
                        outcome = self.bound.get(prefix + names[0], Outcome(ADDED))
                        self.outcomes.record(definition_name(entry), *outcome)
                batch.clear()

        for action in actions:
            step, entry = action.step, action.entry
            key = action.key
            if step is Step.GRAFTED:
                continue
            if step is Step.LEFT_ALONE:
                self.outcomes.record(key, NOT_UPDATED, action.why)
                continue
            if step is Step.REMOVE:
                removed.extend(action.binds)
                self.outcomes.record(key, REMOVED)
                if not action.is_statement:
                    self.unregister_implementation(cast(Definition, entry))
                continue
            if step is Step.RUN or step is Step.REPLACE_CLASS:
                batch.append((entry, list(action.binds)))
                ran = True
                bound.extend(b for b in action.binds if b != "*")
                if step is Step.REPLACE_CLASS:
                    self.outcomes.record(key, REPLACED, action.why)
                continue
            # Everything else reads what the statements above it bound: run them first.
            flush()
            definition: Definition = entry  # type: ignore[assignment]
            name = action.binds[0]
            if step is Step.RENAME:
                assert action.renamed_from is not None
                if self.functions.rename(definition, action.renamed_from, scope, scope_name):
                    self.outcomes.record(definition["qualname"], RENAMED)
                    bound.append(name)
                    dict.__setitem__(namespace, name, namespace_of(scope).get(name))
                else:
                    batch.append((entry, [name]))
                    ran = True
                    bound.append(name)
            elif step is Step.CLASS_HEADER:
                self.moves.move_class_first_line(definition)
                if "docstring" in definition["aspects"]:
                    self.outcomes.record(key, UPDATED)
                    self.mutations.setattr(
                        self.state.live_class(definition["qualname"]),
                        "__doc__",
                        compiled_docstring(definition.get("docstring")),
                    )
            else:
                self.functions.update_function(definition, scope, scope_name, namespace)
        flush()
        if ran and isinstance(namespace, ScratchNamespace):
            for name in namespace.deleted:
                # `del NAME` at module level: the name goes at the commit.
                if name in self.globals:
                    self.mutations.delitem(self.globals, name)
        if ran and scope_name not in self.graft_bound:
            self.merge_annotations(scope, live_names, namespace)
        for name in dict.fromkeys(removed):
            if name in bound or name in self.state.names_bound_in(scope_name):
                continue
            if name in live_names:
                if scope_name:
                    self.mutations.delattr(scope, name)
                # Module-level names are removed through the plan's unbound names.
        if scope_name:
            self.follow_implicit_hash(scope, scope_name, actions)

    def follow_implicit_hash(
        self, live: type, scope_name: str, actions: tuple[Action, ...]
    ) -> None:
        """``type.__new__`` sets ``__hash__ = None`` in a class body that defines ``__eq__``
        and not ``__hash__``: a kept class that gains ``__eq__`` becomes unhashable, one that
        loses it (with no ``__hash__`` of its own) hashable again, as after a restart."""
        eq_change = next(
            (
                a.entry["status"]
                for a in actions
                if not a.is_statement
                and a.binds == ("__eq__",)
                and a.entry["status"] in ("added", "removed")
            ),
            None,
        )
        if eq_change is None or "__hash__" in self.state.names_bound_in(scope_name):
            return
        own = live.__dict__
        if eq_change == "added" and own.get("__hash__", MISSING) is not None:
            self.mutations.setattr(live, "__hash__", None)
        elif eq_change == "removed" and "__hash__" in own and own["__hash__"] is None:
            self.mutations.delattr(live, "__hash__")

    def run_entries(
        self,
        scope_name: str,
        scope: Any,
        entries: list[tuple[Any, list[str]]],
        namespace: dict[str, Any],
    ) -> list[str]:
        """Run consecutive statements and definitions in full, as one piece of code, in the
        scope's scratch namespace (a fresh import runs them in this order too); returns the
        names they bound, in order (for ``from m import *``, whatever ``m`` exported)."""
        star = any("*" in binds for _, binds in entries)
        before = set(namespace) if star else set()
        spans = [(e["new_span"]["start_line"], e["new_span"]["end_line"]) for e, _ in entries]

        def what(line: Optional[int]) -> str:
            for entry, _ in entries:
                span = entry["new_span"]
                if line is None or span["start_line"] <= line <= span["end_line"]:
                    return describe(entry)
            return describe(entries[0][0])

        if scope_name:
            self.sandbox.run_in_class(scope_name, spans, scope, what, namespace)
        else:
            self.sandbox.run_in_module(spans, namespace, what)
        names = [b for _, binds in entries for b in binds if b != "*"]
        if star:
            # `from m import *` binds whatever m exports.
            names += [k for k in namespace if k not in before and k != "__annotations__"]
        return list(dict.fromkeys(names))

    def prepare_full_body(self) -> None:
        """A ``from __future__`` import changed: run the whole new body, keep matched functions.
        A class statement that runs again makes a new class: under ``conflicts="error"`` a class
        in conflict that the module holds refuses the refresh (no class is kept this way)."""
        if self.state.refuse_conflicts:
            refused = [
                (self.name, c["qualname"], c["reason"])
                for c in live_conflicts(self.plan)
                if self.state.live_class(c["qualname"]) is not None
            ]
            if refused:
                raise ConflictError.refusing(refused)
        code = self.sandbox.compile(self.sandbox.text, f"module {self.name}")
        self.sandbox.flags = code.co_flags
        namespace: dict[str, Any] = {}
        try:
            exec(code, self.globals, namespace)
        except Exception as e:
            raise ApplyError(
                f"{self.state.path}: running the module body raised {e!r}", self.name, "module body"
            ) from e
        self.merge(self.globals, "", namespace, list(namespace))
        for d in self.state.definitions:
            if d["status"] == "removed":
                self.outcomes.record(definition_name(d), REMOVED)
            elif d["status"] != "unchanged" and not d["scope"]:
                outcome = self.bound.get(d["qualname"], Outcome(UPDATED))
                self.outcomes.record(definition_name(d), *outcome)
        for st in self.plan["statements"]:
            if st["status"] != "unchanged":
                self.outcomes.record(statement_key(st), RAN)
        self.unbind_removed_names()

    def unbind_removed_names(self) -> None:
        """Module-level names the new source no longer binds go at the commit."""
        for name in self.plan["unbound_names"]:
            if name in self.globals:
                self.mutations.delitem(self.globals, name)
            self.outcomes.record(name, REMOVED)


def prepare_module(
    module: types.ModuleType,
    plan: ModulePlan,
    new_source: _native.SourceText,
    refuse_conflicts: bool = False,
) -> ModuleState:
    """Prepare one module: its mutations, each change's outcome, and what the commit needs
    after it. ``refuse_conflicts`` (``conflicts="error"``) raises :class:`ConflictError` for a
    class that cannot be kept instead of replacing it. The text, its lines and the scratch
    namespaces served the preparation only: a refresh of many modules keeps each module's
    state until it ends, and none of them."""
    preparation = ModulePreparation(module, plan, new_source, refuse_conflicts)
    preparation.prepare()
    return preparation.state


class Prediction(NamedTuple):
    """What :func:`predict_module` tells about one module."""

    #: The outcome predicted for each change.
    outcomes: OutcomeLog
    #: Classes whose ``__limeade_migrate__`` would run.
    migrations: list[type]
    #: Per nested function whose live closures would get the new code, their old code object.
    closure_codes: dict[str, types.CodeType]


def predict_module(
    module: types.ModuleType, plan: ModulePlan, new_source: _native.SourceText
) -> Prediction:
    """What :func:`prepare_module` and the commit would do to each change of the module, decided
    by the same code without running any new code or changing anything."""
    state = ModuleState(module, plan)
    sandbox = Sandbox(state, new_source)
    functions = FunctionUpdates(state, sandbox, Previews(state, sandbox))
    # Decided once; new bases written as names are looked up, other base expressions are left
    # to the refresh (a plan runs no program code).
    decided = (
        decide_classes(module, plan, state.live_class, state.names_bound_in, run_code=False)
        if plan["execution"] not in ("nothing", "full_body")
        else None
    )
    predictions = Predictions(state, functions)
    outcomes = predictions.predict(decided)
    return Prediction(outcomes, predictions.predict_migrations(), predictions.closure_codes)


def strategy_name(execution: str) -> str:
    """The report's word for a plan's execution mode: the plan text's own."""
    return EXECUTION_LABELS.get(execution, execution)
