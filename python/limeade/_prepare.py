"""Turn one module's plan into mutations.

Everything that runs new code happens here, before any live object changes: changed definitions
are compiled (at their real line numbers, inside their classes so name mangling and ``super()``
work), changed and added statements run in scratch namespaces, and what they produce becomes a
list of mutation tuples. ``limeade._native.commit`` then applies that list atomically. Nothing in
this module mutates a live object.
"""

from __future__ import annotations

import abc
import ast
import functools
import gc
import inspect
import sys
import types
from typing import Any, Optional

from ._closures import ClosureSwap, ClosureUpdates
from ._errors import ApplyError, ConflictError
from ._grafting import ClassChanges
from ._layout import (
    assignable_bases,
    decorated_member_changes,
    graftable,
    in_place,
    replace_reason,
)
from ._lookup import (
    MISSING,
    describe,
    find_code,
    find_function,
    function_qualname,
    future_flags,
    is_plain_function,
    namespace_of,
    parent_scope,
    shift_lines,
    split_lines,
)
from ._running import ScratchNamespace, SourceRunner

__all__ = [
    "ModulePreparation",
    "in_place",
    "prepare_module",
    "split_lines",
    "strategy_name",
]


def _metaclass_intercepts(cls: type, name: str) -> bool:
    """Whether ``type.__setattr__(cls, name, ...)`` would call a Python data descriptor found on
    the metaclass instead of setting the class attribute."""
    for klass in type(cls).__mro__:
        if klass is type:
            return False
        descriptor = klass.__dict__.get(name)
        if descriptor is not None:
            return hasattr(type(descriptor), "__set__")
    return False


#: Methods ``type.__new__`` wraps implicitly, and in what: setting one on an existing class must
#: wrap it the same way.
_IMPLICIT_WRAPPERS: dict[str, type] = {
    "__init_subclass__": classmethod,
    "__class_getitem__": classmethod,
    "__new__": staticmethod,
}

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


def _is_definition_like(obj: Any) -> bool:
    """Whether a replaced value is worth a report line: a function, class, method wrapper or
    other callable (not data such as a number or a list)."""
    return isinstance(obj, (type, classmethod, staticmethod, property)) or callable(obj)


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


class ModulePreparation(SourceRunner, ClassChanges, ClosureUpdates):
    """Builds the mutations for one module from its plan."""

    def __init__(
        self,
        module: types.ModuleType,
        plan: dict[str, Any],
        new_text: str,
        refuse_conflicts: bool = False,
    ) -> None:
        self.module = module
        self.name = plan["module"]
        self.globals = module.__dict__
        self.plan = plan
        self.path = plan["path"]
        self.text = new_text
        self.lines = split_lines(new_text)
        self.flags = future_flags(self.globals)
        self.mutations: list[tuple[Any, ...]] = []
        self.replaced: list[tuple[str, str]] = []
        self.not_updated: list[tuple[str, str]] = []
        #: Derived state to reset after the commit (``lru_cache`` results, ABC caches).
        self.after_commit: list[Any] = []
        #: Classes kept and changed in place (for ``__abstractmethods__`` and migration hooks).
        self.changed_classes: list[type] = []
        #: (old code, new code, qualname) of every function updated in place, to find nested
        #: code.
        self.code_swaps: list[tuple[types.CodeType, types.CodeType, str]] = []
        #: id(old nested code) -> its new version, for the refresh's one heap search.
        self.closure_swaps: dict[int, ClosureSwap] = {}
        self.definitions = plan["definitions"]
        self.class_def_lines = {
            d["qualname"]: d["def_line"]
            for d in self.definitions
            if d["kind"] == "class" and d["status"] != "removed"
        }
        self.class_type_params: dict[str, str] = {
            d["qualname"]: d["type_params"]
            for d in self.definitions
            if d["kind"] == "class" and d["status"] != "removed" and d.get("type_params")
        }
        #: Module-level names bound by this refresh so far, in source order: what later
        #: statements, defaults and class bodies read before the live module changes.
        self.module_scratch = ScratchNamespace(self.globals)
        #: Classes whose new bases are evaluated after the module's statements ran.
        self.deferred_bases: dict[str, list[str]] = {}
        #: ``conflicts="error"``: a class that turns out not to be keepable refuses the refresh.
        self.refuse_conflicts = refuse_conflicts
        #: id(preview) -> (preview, live function): functions with the new code that code run
        #: during the refresh calls in place of live functions still holding the old code.
        #: Every reference to a preview is turned into the live function before the commit.
        self.previews: dict[int, tuple[types.FunctionType, types.FunctionType]] = {}
        #: The scratch namespaces of kept classes this refresh ran code in.
        self.class_namespaces: list[dict[str, Any]] = []
        self.conflicted = {c["qualname"]: c["reason"] for c in plan["conflicts"]}
        self.replace_reasons: dict[str, str] = {}
        #: Dataclasses and enums kept while their generated parts are replaced.
        self.grafted: set[str] = set()
        #: Per grafted class, the names the graft bound (not bound again by the scope update).
        self.graft_bound: dict[str, set[str]] = {}
        by_qualname = {d["qualname"]: d for d in self.definitions if d["occurrence"] == 0}
        #: new qualname -> the removed definition it renames (same code, same scope).
        self.renames: dict[str, dict[str, Any]] = {
            r["new_qualname"]: by_qualname[r["old_qualname"]]
            for r in plan["renames"]
            if r["old_qualname"] in by_qualname
            and parent_scope(r["old_qualname"]) == parent_scope(r["new_qualname"])
        }

    # ---------------------------------------------------------------------------- mutations

    def set_name(self, scope: Any, name: str, value: Any) -> None:
        if isinstance(scope, type):
            if _metaclass_intercepts(scope, name):
                # Setting it would run the metaclass's descriptor (Python code) in the commit.
                self.not_updated.append((name, "a data descriptor of the metaclass owns this name"))
                return
            self.mutations.append(("setattr", scope, name, value))
        else:
            self.mutations.append(("setitem", scope, name, value))

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
        m.append(("setattr", old, "__code__", new.__code__))
        m.append(("setattr", old, "__defaults__", new.__defaults__))
        m.append(("setattr", old, "__kwdefaults__", new.__kwdefaults__))
        m.append(("setattr", old, "__annotations__", dict(new.__annotations__)))
        m.append(("setattr", old, "__doc__", new.__doc__))
        for key, value in new.__dict__.items():
            m.append(("setitem", old.__dict__, key, value))
        for key in old.__dict__:
            if key not in new.__dict__:
                m.append(("delitem", old.__dict__, key))
        self.code_swaps.append((old.__code__, new.__code__, function_qualname(old)))
        return True

    def same_definition(self, old: Any, new: Any) -> bool:
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

    def merge(
        self, scope: Any, qualprefix: str, namespace: dict[str, Any], names: list[str]
    ) -> None:
        """Bind ``names`` from ``namespace`` into the live ``scope`` (module dict or class),
        updating matched functions in place instead of replacing them. A function merged into
        a live one stays in the namespace as that function's *preview*: code run later in the
        refresh calls the new version, and :meth:`resolve_previews` turns every reference to
        it into the live function (``HANDLERS = [f]`` keeps ``HANDLERS[0] is f``)."""
        for name in names:
            if name in namespace:
                new = namespace[name]
                kept = self.bind(scope, qualprefix, name, new)
                if kept is not new and is_plain_function(new) and is_plain_function(kept):
                    # Later code of this refresh runs the new version under the kept identity.
                    self.previews[id(new)] = (new, kept)
                else:
                    dict.__setitem__(namespace, name, kept)

    def bind(self, scope: Any, qualprefix: str, name: str, new: Any) -> Any:
        """Bind ``new`` as ``name`` in the live scope; returns the object the scope will hold
        (the live function when ``new`` was merged into it)."""
        new = self.resolve(new)
        old = namespace_of(scope).get(name, MISSING)
        if old is new:
            return new
        implicit = _IMPLICIT_WRAPPERS.get(name) if isinstance(scope, type) else None
        if implicit is not None and is_plain_function(new):
            # `type.__new__` would have made a classmethod (staticmethod) of it.
            if isinstance(old, implicit) and self.same_definition(old.__func__, new):
                if self.transfer(old.__func__, new):
                    return old
            new = implicit(new)
        elif self.same_definition(old, new) and self.transfer(old, new):
            return old
        already = any(q == qualprefix + name for q, _ in self.replaced)
        if not already and old is not MISSING and _is_definition_like(old):
            self.replaced.append((qualprefix + name, "a new object was bound"))
        if isinstance(scope, type) and hasattr(type(new), "__set_name__"):
            try:
                new.__set_name__(scope, name)
            except Exception as e:
                raise ApplyError(
                    f"__set_name__ of {qualprefix}{name} raised {e!r}", self.name, name
                ) from e
        self.set_name(scope, name, new)
        return new

    def resolve(self, value: Any) -> Any:
        """The live function a preview stands for (any other value as it is)."""
        found = self.previews.get(id(value))
        return found[1] if found is not None and found[0] is value else value

    def resolve_previews(self) -> None:
        """Before the commit, every value about to be bound that is a preview, or a new list,
        dict, set or tuple holding one, refers to the live function instead; and so does every
        container or cell a statement stored a preview in (``HANDLERS["f"] = f``)."""
        if not self.previews:
            return
        self.recall_escaped_previews()
        for i, m in enumerate(self.mutations):
            if m[0] not in ("setattr", "setitem"):
                continue
            value = m[3]
            resolved = self.resolve(value)
            if resolved is value:
                resolved = self.resolve_inside(value)
            if resolved is not value:
                self.mutations[i] = (*m[:3], resolved)

    def recall_escaped_previews(self) -> None:
        """Previews that code run by the refresh stored somewhere (a registry dict, a list, a
        closure cell) are replaced there by the live function. Reference counts tell whether
        any escaped; only then is the heap searched for what holds them."""
        own = [self.module_scratch, *self.class_namespaces]
        escaped = []
        for preview, _ in self.previews.values():
            held = sum(1 for namespace in own for v in namespace.values() if v is preview)
            # The previews entry, the loop variable and getrefcount's own argument.
            if sys.getrefcount(preview) > 3 + held:
                escaped.append(preview)
        if not escaped:
            return
        skip = {id(namespace) for namespace in own}
        for holder in gc.get_referrers(*escaped):
            if id(holder) in skip:
                continue
            if isinstance(holder, dict):
                for key, value in list(dict.items(holder)):
                    if id(value) in self.previews:
                        dict.__setitem__(holder, key, self.resolve(value))
            elif isinstance(holder, list):
                for i, value in enumerate(holder):
                    if id(value) in self.previews:
                        list.__setitem__(holder, i, self.resolve(value))
            elif isinstance(holder, set):
                found = [v for v in holder if id(v) in self.previews]
                for value in found:
                    set.discard(holder, value)
                    set.add(holder, self.resolve(value))
            elif isinstance(holder, types.CellType):
                try:
                    value = holder.cell_contents
                except ValueError:
                    continue
                if id(value) in self.previews:
                    holder.cell_contents = self.resolve(value)

    def resolve_inside(self, value: Any) -> Any:
        """``value`` with previews it directly holds replaced (new containers made by this
        refresh's statements: changing them does not touch a live object)."""
        kind = type(value)
        if kind is tuple:
            items = tuple(self.resolve(v) for v in value)
            changed = any(a is not b for a, b in zip(items, value))
            return items if changed else value
        if kind is list:
            for i, v in enumerate(value):
                value[i] = self.resolve(v)
        elif kind is dict:
            for k, v in value.items():
                value[k] = self.resolve(v)
        elif kind is set and any(id(v) in self.previews for v in value):
            items = [self.resolve(v) for v in value]
            value.clear()
            value.update(items)
        return value

    def merge_annotations(self, scope: Any, live_names: Any, namespace: dict[str, Any]) -> None:
        """Annotated assignments that ran update a copy of ``__annotations__``: bind it."""
        new = namespace.get("__annotations__")
        if isinstance(new, dict) and new != live_names.get("__annotations__"):
            self.set_name(scope, "__annotations__", new)

    def update_function(
        self, d: dict[str, Any], scope: Any, class_qualname: str, namespace: dict[str, Any]
    ) -> None:
        """A matched function whose decorators did not change: new code (and defaults,
        annotations, docstring where they changed) into the live function object. Defaults are
        evaluated in ``namespace``, the scope's scratch namespace at this point of the source."""
        qualname, name = d["qualname"], d["qualname"].rsplit(".", 1)[-1]
        old_span, new_span = d["old_span"], d["new_span"]
        live_items = namespace_of(scope)
        target = find_function(live_items.get(name), qualname, old_span["start_line"], self.path)
        if target is None:
            # Registered under another name (`@show.register def _`), or held by another object
            # of the module or class.
            target = find_function(
                list(live_items.values()), qualname, old_span["start_line"], self.path
            )
        aspects = set(d["aspects"])
        headers = self.headers(class_qualname)
        what = describe(d)
        if target is None:
            self.not_updated.append((qualname, "no live object holds this definition"))
            return
        root = live_items.get(name)
        shift = d.get("line_shift")
        if shift is not None and aspects == {"moved"}:
            # Same code, same layout: only the line numbers move, no compiling.
            code = shift_lines(target.__code__, shift)
            self.mutations.append(("setattr", target, "__code__", code))
            self.code_swaps.append((target.__code__, code, qualname))
            return
        if isinstance(root, functools._lru_cache_wrapper):  # type: ignore[attr-defined]
            # Results computed by the old code must not outlive it.
            self.after_commit.append(root.cache_clear)
        code = find_code(
            self.compile(
                self.snippet([(new_span["start_line"], new_span["end_line"])], headers), what
            ),
            qualname,
            new_span["start_line"],
        )
        if code is None:
            raise ApplyError(f"{what}: compiled code not found", self.name, what)
        if code.co_freevars != target.__code__.co_freevars:
            self.replace_definition(
                d, scope, class_qualname, "its closure variables changed", namespace
            )
            return
        if (code.co_flags ^ target.__code__.co_flags) & _KIND_FLAGS:
            # CPython 3.13 deprecates giving a function code of another kind (and a later
            # version refuses it): callers would get a generator where they expected a value.
            self.replace_definition(
                d, scope, class_qualname, f"it became {_kind_name(code)}", namespace
            )
            return
        self.mutations.append(("setattr", target, "__code__", code))
        self.code_swaps.append((target.__code__, code, qualname))
        preview = None
        if dict.get(namespace, name, root) is target:
            # Code run later in this refresh (`VALUE = compute()`, `@factory(2)`) calls the new
            # version, as a fresh import would.
            preview = types.FunctionType(
                code, target.__globals__, target.__name__, target.__defaults__, target.__closure__
            )
            preview.__kwdefaults__ = target.__kwdefaults__
            preview.__qualname__ = target.__qualname__
            preview.__dict__.update(target.__dict__)
            self.previews[id(preview)] = (preview, target)
            dict.__setitem__(namespace, name, preview)
        if "docstring" in aspects:
            doc = (
                code.co_consts[0] if code.co_consts and isinstance(code.co_consts[0], str) else None
            )
            self.mutations.append(("setattr", target, "__doc__", doc))
        if aspects & _EVALUATED_ASPECTS:
            fresh = self.evaluate_undecorated(d, scope, class_qualname, namespace)
            if preview is not None:
                preview.__defaults__ = fresh.__defaults__
                preview.__kwdefaults__ = fresh.__kwdefaults__
            self.mutations.append(("setattr", target, "__defaults__", fresh.__defaults__))
            self.mutations.append(("setattr", target, "__kwdefaults__", fresh.__kwdefaults__))
            self.mutations.append(
                ("setattr", target, "__annotations__", dict(fresh.__annotations__))
            )

    def evaluate_undecorated(
        self, d: dict[str, Any], scope: Any, class_qualname: str, namespace: dict[str, Any]
    ) -> types.FunctionType:
        """Run the ``def`` without its decorators, in ``namespace`` where it stands in the
        source, to evaluate defaults and annotations; the namespace is left as it was."""
        name = d["qualname"].rsplit(".", 1)[-1]
        what = describe(d)
        before = dict.get(namespace, name, MISSING)
        self.run_span(
            class_qualname, scope, (d["def_line"], d["new_span"]["end_line"]), what, namespace
        )
        fresh = dict.get(namespace, name)
        if before is MISSING:
            dict.pop(namespace, name, None)
        else:
            dict.__setitem__(namespace, name, before)
        if not isinstance(fresh, types.FunctionType):
            raise ApplyError(f"{what}: did not produce a function", self.name, what)
        return fresh

    def replace_definition(
        self,
        d: dict[str, Any],
        scope: Any,
        class_qualname: str,
        why: str,
        namespace: dict[str, Any],
    ) -> None:
        """Run a definition in full (decorators included) in ``namespace`` and bind the
        result."""
        name = d["qualname"].rsplit(".", 1)[-1]
        span = (d["new_span"]["start_line"], d["new_span"]["end_line"])
        self.run_span(class_qualname, scope, span, describe(d), namespace)
        old = namespace_of(scope).get(name, MISSING)
        new = namespace[name]
        if self.same_definition(old, new) and self.transfer(old, new):
            dict.__setitem__(namespace, name, old)
            return
        self.replaced.append((d["qualname"], why))
        self.set_name(scope, name, new)

    # --------------------------------------------------------------------------- scopes

    def prepare(self) -> None:
        execution = self.plan["execution"]
        if execution == "nothing":
            return
        if execution == "full_body":
            self.prepare_full_body()
            return
        pending = frozenset(self.names_bound_in(""))
        for qualname in list(self.conflicted):
            live = self.live_class(qualname)
            fix = in_place(self.module, qualname, self.plan["conflicts"], pending)
            if live is None or fix is None:
                continue
            if fix.new_bases is not None:
                self.assign_bases(live, fix.new_bases)
            if fix.deferred_bases is not None:
                self.deferred_bases[qualname] = fix.deferred_bases
            if fix.slots is not None:
                self.change_slots(live, *fix.slots)
            del self.conflicted[qualname]
        replaced_classes = {
            d["qualname"]
            for d in self.definitions
            if d["kind"] == "class"
            and d["status"] != "removed"
            and (d["qualname"] in self.conflicted or "decorators" in d["aspects"])
        }
        for entry in [*self.definitions, *self.plan["statements"]]:
            # `class C: x = 1`: a member on its class's own line cannot be compiled alone.
            scope = entry["scope"] if "scope" in entry else parent_scope(entry["qualname"])
            span = entry.get("new_span")
            if scope in self.class_def_lines and span is not None:
                if (
                    span["start_line"] <= self.class_def_lines[scope]
                    and scope not in replaced_classes
                ):
                    replaced_classes.add(scope)
                    self.replace_reasons[scope] = "the class body is on its header line"
        grafted: set[str] = set()
        for s in [*self.plan["statements"], *decorated_member_changes(self.plan, self.live_class)]:
            # Dataclasses, enums, NamedTuples, attrs classes and pydantic models generate code or
            # members from their class-level statements: setting one attribute would leave them
            # inconsistent.
            scope = s["scope"]
            if s["status"] == "unchanged" or not scope or scope in replaced_classes | grafted:
                continue
            live = self.live_class(scope)
            if live is None:
                continue
            if graftable(live):
                grafted.add(scope)
            elif replace_reason(live) is not None:
                replaced_classes.add(scope)
                self.replace_reasons[scope] = replace_reason(live)
        for qualname in sorted(grafted, key=lambda q: q.count(".")):
            if not any(
                qualname.startswith(r + ".") for r in replaced_classes | grafted - {qualname}
            ):
                self.graft_bound[qualname] = self.graft(qualname)
        self.grafted = grafted
        scopes: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for d in self.definitions:
            if "<locals>" in d["qualname"]:
                continue
            if d["status"] == "unchanged" and d["qualname"] not in replaced_classes:
                continue
            scopes.setdefault(parent_scope(d["qualname"]), []).append(("def", d))
        for s in self.plan["statements"]:
            if s["status"] != "unchanged":
                scopes.setdefault(s["scope"], []).append(("stmt", s))
        # Members of a class whose statement runs in full (added or replaced) come with it; a
        # removed class's members go with it.
        whole = replaced_classes | {
            d["qualname"]
            for d in self.definitions
            if d["kind"] == "class" and d["status"] in ("added", "removed")
        }
        for scope_name in sorted(scopes, key=lambda q: (q.count(".") if q else -1, q)):
            if scope_name and self.deferred_bases:
                # Base classes the module's statements just bound can be evaluated now.
                whole |= self.resolve_deferred_bases(replaced_classes)
            if any(scope_name == r or scope_name.startswith(r + ".") for r in whole):
                continue
            self.prepare_scope(scope_name, scopes[scope_name], replaced_classes)
        if self.deferred_bases:
            self.resolve_deferred_bases(replaced_classes)
        for name in self.plan["unbound_names"]:
            if name in self.globals:
                self.mutations.append(("delitem", self.globals, name))
        self.collect_closure_swaps()
        self.update_abstract_methods()
        self.update_protocols()
        self.update_moved_statements()
        self.resolve_previews()

    def assign_bases(self, live: type, bases: tuple[type, ...]) -> None:
        """CPython accepts the new bases for this layout: keep the class."""
        self.mutations.append(("setattr", live, "__bases__", bases))
        # ABCs cache isinstance() answers, negative ones too.
        for klass in {*live.__mro__, *(c for b in bases for c in b.__mro__)}:
            if isinstance(klass, abc.ABCMeta):
                self.after_commit.append(klass._abc_caches_clear)

    def resolve_deferred_bases(self, replaced_classes: set[str]) -> set[str]:
        """Classes whose new bases name something this refresh binds (a mixin added in the same
        edit): evaluated against what the module's statements bound. The class is kept when
        CPython accepts the bases, else its statement runs in full and replaces it. Returns the
        classes replaced."""
        replaced: set[str] = set()
        deferred, self.deferred_bases = self.deferred_bases, {}
        namespace = {**self.globals, **self.module_scratch}
        for qualname, texts in deferred.items():
            live = self.live_class(qualname)
            if live is None:
                continue
            try:
                bases = assignable_bases(namespace, live, texts)
            except NameError:
                bases = None
            if bases is not None:
                self.assign_bases(live, bases)
                continue
            reason = f"bases changed: ({', '.join(texts)}) cannot be assigned to the live class"
            if self.refuse_conflicts:
                raise ConflictError(
                    f"refresh refused, classes cannot be mutated in place: "
                    f"{self.name}.{qualname}: {reason}",
                    [(self.name, qualname, reason)],
                )
            entry = next(
                d for d in self.definitions if d["qualname"] == qualname and d["kind"] == "class"
            )
            parent = parent_scope(qualname)
            scope = self.live_class(parent) if parent else self.globals
            namespace_for = self.module_scratch if not parent else self.class_namespace(scope)
            self.replaced.append((qualname, reason))
            self.run_entry(parent, scope, entry, namespace_for)
            self.merge(
                scope,
                f"{parent}." if parent else "",
                namespace_for,
                [entry["qualname"].rsplit(".", 1)[-1]],
            )
            replaced_classes.add(qualname)
            replaced.add(qualname)
        return replaced

    def prepare_scope(
        self, scope_name: str, entries: list[tuple[str, dict[str, Any]]], replaced_classes: set[str]
    ) -> None:
        """Apply one scope's changes (the module, or one kept class) in source order: each
        statement or definition runs where it stands, against a scratch namespace holding what
        the refresh bound before it, as a fresh import of the new source would see it."""
        if scope_name:
            live = self.live_class(scope_name)
            if live is None:
                raise ApplyError(
                    f"class {scope_name} not found in module {self.name}", self.name, scope_name
                )
            scope: Any = live
            live_names: Any = live.__dict__
            self.changed_classes.append(live)
            namespace: dict[str, Any] = self.class_namespace(live)
            self.class_namespaces.append(namespace)
        else:
            scope = self.globals
            live_names = self.globals
            namespace = self.module_scratch
            if isinstance(self.globals.get("__annotations__"), dict):
                namespace["__annotations__"] = dict(self.globals["__annotations__"])
        prefix = f"{scope_name}." if scope_name else ""
        #: Names the graft of this class already bound from its rebuilt version.
        grafted_names = self.graft_bound.get(scope_name, set())
        bound: list[str] = []
        removed: list[str] = []
        ran = False
        for kind, entry in sorted(entries, key=_source_position):
            if kind == "stmt":
                if self.is_main_guard(entry):
                    # Re-running `if __name__ == "__main__":` would start the program again
                    # inside refresh(); its definitions elsewhere are still updated.
                    self.not_updated.append(
                        (describe(entry), "never re-run: it would start the program again")
                    )
                elif entry["status"] == "removed":
                    removed.extend(entry["binds"])
                else:
                    names = self.run_entry(scope_name, scope, entry, namespace)
                    ran = True
                    bound.extend(names)
                    kept = [n for n in names if n not in grafted_names]
                    self.merge(scope, prefix, namespace, kept)
                continue
            name = entry["qualname"].rsplit(".", 1)[-1]
            if entry["qualname"] in self.grafted:
                continue
            if entry["status"] == "removed":
                removed.append(name)
                continue
            renamed_from = self.renames.get(entry["qualname"])
            if renamed_from is not None and self.rename(entry, renamed_from, scope, scope_name):
                bound.append(name)
                dict.__setitem__(namespace, name, namespace_of(scope).get(name))
                continue
            runs_in_full = (
                entry["status"] == "added"
                or entry["qualname"] in replaced_classes
                or (entry["kind"] != "class" and "decorators" in entry["aspects"])
            )
            if runs_in_full:
                self.run_entry(scope_name, scope, entry, namespace)
                ran = True
                bound.append(name)
                if entry["qualname"] in replaced_classes:
                    reason = self.conflicted.get(
                        entry["qualname"],
                        self.replace_reasons.get(entry["qualname"], "class decorators changed"),
                    )
                    self.replaced.append((entry["qualname"], reason))
                if name not in grafted_names:
                    self.merge(scope, prefix, namespace, [name])
            elif entry["kind"] == "class":
                if "docstring" in entry["aspects"]:
                    self.mutations.append(
                        (
                            "setattr",
                            self.live_class(entry["qualname"]),
                            "__doc__",
                            self.class_doc(entry),
                        )
                    )
            else:
                self.update_function(entry, scope, scope_name, namespace)
        if ran and isinstance(namespace, ScratchNamespace):
            for name in namespace.deleted:
                # `del NAME` at module level: the name goes at the commit.
                if name in self.globals:
                    self.mutations.append(("delitem", self.globals, name))
        if ran and scope_name not in self.graft_bound:
            self.merge_annotations(scope, live_names, namespace)
        still_bound = set(bound) | self.names_bound_in(scope_name)
        for name in dict.fromkeys(removed):
            if name not in still_bound and name in live_names:
                if scope_name:
                    self.mutations.append(("delattr", scope, name))
                # Module-level names are removed through the plan's unbound names.

    def run_entry(
        self, scope_name: str, scope: Any, entry: dict[str, Any], namespace: dict[str, Any]
    ) -> list[str]:
        """Run one statement or definition in full in the scope's scratch namespace; returns
        the names it bound (for ``from m import *``, whatever ``m`` exported)."""
        span = (entry["new_span"]["start_line"], entry["new_span"]["end_line"])
        binds = entry.get("binds", [entry.get("qualname", "").rsplit(".", 1)[-1]])
        before = set(namespace) if "*" in binds else set()
        self.run_span(scope_name, scope, span, describe(entry), namespace)
        if "*" in binds:
            # `from m import *` binds whatever m exports.
            names = [b for b in binds if b != "*"]
            names += [k for k in namespace if k not in before and k != "__annotations__"]
            return names
        return list(binds)

    def rename(
        self, entry: dict[str, Any], old: dict[str, Any], scope: Any, scope_name: str
    ) -> bool:
        """Bind the old function object under its new name (with code compiled under that name),
        so references to it keep working; False when that is not possible here."""
        live_items = namespace_of(scope)
        old_name = old["qualname"].rsplit(".", 1)[-1]
        new_name = entry["qualname"].rsplit(".", 1)[-1]
        bound = live_items.get(old_name)
        target = find_function(bound, old["qualname"], old["old_span"]["start_line"], self.path)
        if target is None or new_name in live_items:
            return False
        span = entry["new_span"]
        what = describe(entry)
        code = find_code(
            self.compile(
                self.snippet([(span["start_line"], span["end_line"])], self.headers(scope_name)),
                what,
            ),
            entry["qualname"],
            span["start_line"],
        )
        if code is None or code.co_freevars != target.__code__.co_freevars:
            return False
        self.mutations.append(("setattr", target, "__code__", code))
        self.mutations.append(("setattr", target, "__name__", new_name))
        self.mutations.append(("setattr", target, "__qualname__", entry["qualname"]))
        self.set_name(scope, new_name, bound)
        return True

    def is_main_guard(self, entry: dict[str, Any]) -> bool:
        span = entry.get("new_span")
        if entry["scope"] or entry["label"] != "if" or span is None:
            return False
        first = self.lines[span["start_line"] - 1].replace(" ", "").replace("'", '"')
        return first.startswith('if__name__=="__main__"')

    def names_bound_in(self, scope_name: str) -> set[str]:
        """Names the new source binds directly in a class body (or the module)."""
        return set(self.plan["scope_names"].get(scope_name, ()))

    def class_doc(self, entry: dict[str, Any]) -> Optional[str]:
        span = (entry["new_span"]["start_line"], entry["new_span"]["end_line"])
        tree = ast.parse(self.snippet([span], self.headers(parent_scope(entry["qualname"]))))
        node: Any = tree
        for _ in entry["qualname"].split("."):
            node = next(n for n in node.body if isinstance(n, ast.ClassDef))
        return ast.get_docstring(node, clean=False)

    def prepare_full_body(self) -> None:
        """A ``from __future__`` import changed: run the whole new body, keep matched functions."""
        code = self.compile(self.text, f"module {self.name}")
        self.flags = code.co_flags
        namespace: dict[str, Any] = {}
        try:
            exec(code, self.globals, namespace)
        except Exception as e:
            raise ApplyError(
                f"{self.path}: running the module body raised {e!r}", self.name, "module body"
            ) from e
        self.merge(self.globals, "", namespace, list(namespace))
        for name in self.plan["unbound_names"]:
            if name in self.globals:
                self.mutations.append(("delitem", self.globals, name))


def _source_position(item: tuple[str, dict[str, Any]]) -> int:
    """Where a plan entry stands in the new source (removed ones first: they run nothing)."""
    span = item[1].get("new_span")
    return span["start_line"] if span else 0


def prepare_module(
    module: types.ModuleType,
    plan: dict[str, Any],
    new_text: str,
    refuse_conflicts: bool = False,
) -> ModulePreparation:
    """Prepare one module: its mutations, replacements and definitions left alone.
    ``refuse_conflicts`` (``conflicts="error"``) raises :class:`ConflictError` for a class that
    cannot be kept instead of replacing it."""
    preparation = ModulePreparation(module, plan, new_text, refuse_conflicts)
    preparation.prepare()
    return preparation


def strategy_name(execution: str) -> str:
    """The report's word for a plan's execution mode."""
    return {
        "nothing": "nothing changed",
        "definitions_only": "definitions only",
        "statements": "changed statements",
        "full_body": "full body",
    }.get(execution, execution)
