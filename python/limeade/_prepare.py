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
import types
from typing import Any, Optional

from ._errors import ApplyError
from ._grafting import ClassChanges
from ._layout import decorated_member_changes, graftable, in_place, replace_reason
from ._lookup import (
    MISSING,
    describe,
    find_class,
    find_code,
    find_function,
    future_flags,
    is_plain_function,
    namespace_of,
    parent_scope,
    split_lines,
)

__all__ = [
    "ModulePreparation",
    "in_place",
    "prepare_module",
    "split_lines",
    "strategy_name",
]


class ScratchNamespace(dict):  # type: ignore[type-arg]
    """Locals for module-level statements run before the commit: bindings land here, and a
    ``del`` of a name that only the live module holds is recorded instead of failing."""

    def __init__(self, live: dict[str, Any]) -> None:
        super().__init__()
        self.live = live
        self.deleted: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self.deleted.discard(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        if dict.__contains__(self, key):
            super().__delitem__(key)
        elif key not in self.live or key in self.deleted:
            raise KeyError(key)
        self.deleted.add(key)


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


class ModulePreparation(ClassChanges):
    """Builds the mutations for one module from its plan."""

    def __init__(self, module: types.ModuleType, plan: dict[str, Any], new_text: str) -> None:
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
        #: (old code, new code) of every function updated in place, to find nested code.
        self.code_swaps: list[tuple[types.CodeType, types.CodeType]] = []
        self.definitions = plan["definitions"]
        self.class_def_lines = {
            d["qualname"]: d["def_line"]
            for d in self.definitions
            if d["kind"] == "class" and d["status"] != "removed"
        }
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

    # ----------------------------------------------------------------------------- snippets

    def snippet(self, spans: list[tuple[int, int]], headers: list[str]) -> str:
        """Source holding the given line spans at their real line numbers, preceded right above
        the first by ``headers`` (enclosing ``class`` lines)."""
        spans = sorted(spans)
        first = spans[0][0]
        header_line = first - len(headers)
        if header_line < 1:
            raise ApplyError(
                f"{self.path}:{first}: cannot compile this definition at its own line",
                self.name,
                f"line {first}",
            )
        out = ["\n" * (header_line - 1)]
        out.extend(h + "\n" for h in headers)
        current = first
        for start, end in spans:
            if start < current:
                continue
            out.append("\n" * (start - current))
            out.append("".join(self.lines[start - 1 : end]))
            current = end + 1
        return "".join(out)

    def compile(self, source: str, what: str) -> types.CodeType:
        try:
            return compile(source, self.path, "exec", flags=self.flags, dont_inherit=True)
        except SyntaxError as e:
            raise ApplyError(
                f"{self.path}:{e.lineno}: the interpreter rejects {what}: {e.msg}",
                self.name,
                what,
            ) from e

    def headers(self, class_qualname: str) -> list[str]:
        """``class`` lines for the chain of classes enclosing a member, with their real
        indentation."""
        if not class_qualname:
            return []
        parts = class_qualname.split(".")
        out = []
        for i in range(len(parts)):
            prefix = ".".join(parts[: i + 1])
            line_no = self.class_def_lines.get(prefix)
            if line_no is None:
                raise ApplyError(f"no class {prefix} in the new source", self.name, prefix)
            line = self.lines[line_no - 1]
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}class {parts[i]}:")
        return out

    def live_class(self, class_qualname: str) -> Optional[type]:
        return find_class(self.globals, class_qualname)

    def run_in_class(
        self, class_qualname: str, spans: list[tuple[int, int]], live: type, what: str
    ) -> dict[str, Any]:
        """Run statements of a class body (at their lines) in a namespace holding a copy of the
        live class's attributes; returns that namespace."""
        code = self.compile(self.snippet(spans, self.headers(class_qualname)), what)
        body = find_code(code, class_qualname)
        if body is None:
            raise ApplyError(f"class body of {class_qualname} not compiled", self.name, what)
        namespace = dict(live.__dict__)
        annotations = namespace.get("__annotations__")
        if isinstance(annotations, dict):
            # The live dict must not change before the commit: run against a copy.
            namespace["__annotations__"] = dict(annotations)
        try:
            exec(body, self.globals, namespace)
        except Exception as e:
            raise ApplyError(
                f"{self.path}: running {what} in class {class_qualname} raised {e!r}",
                self.name,
                what,
            ) from e
        cell = namespace.pop("__classcell__", None)
        if cell is not None:
            # Methods using super() or __class__ must see the class that is kept.
            cell.cell_contents = live
        return namespace

    def run_in_module(
        self, spans: list[tuple[int, int]], namespace: dict[str, Any], what: str
    ) -> None:
        """Run module-level statements with the module's globals and ``namespace`` as locals.
        Writes that reach the real globals anyway (``global`` in a function the statement calls,
        a walrus in a comprehension) are taken back and replayed in the commit."""
        code = self.compile(self.snippet(spans, []), what)
        before = dict(self.globals)
        try:
            exec(code, self.globals, namespace)
        except Exception as e:
            self.take_back_global_writes(before, replay=False)
            raise ApplyError(f"{self.path}: running {what} raised {e!r}", self.name, what) from e
        self.take_back_global_writes(before, replay=True)

    def take_back_global_writes(self, before: dict[str, Any], *, replay: bool) -> None:
        g = self.globals
        if len(g) == len(before) and all(g.get(k, MISSING) is v for k, v in before.items()):
            return
        for key in [k for k in g if k not in before]:
            if replay:
                self.mutations.append(("setitem", g, key, g[key]))
            del g[key]
        for key, value in before.items():
            current = g.get(key, MISSING)
            if current is value:
                continue
            if replay:
                if current is MISSING:
                    self.mutations.append(("delitem", g, key))
                else:
                    self.mutations.append(("setitem", g, key, current))
            g[key] = value

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
        when their closures differ in shape and ``old`` cannot take the new code."""
        if old.__code__.co_freevars != new.__code__.co_freevars:
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
        return True

    def merge(
        self, scope: Any, qualprefix: str, namespace: dict[str, Any], names: list[str]
    ) -> None:
        """Bind ``names`` from ``namespace`` into the live ``scope`` (module dict or class),
        updating matched functions in place instead of replacing them."""
        live_items = namespace_of(scope)
        for name in names:
            if name not in namespace:
                continue
            new = namespace[name]
            old = live_items.get(name, MISSING)
            if old is new:
                continue
            if is_plain_function(old) and is_plain_function(new) and self.transfer(old, new):
                continue
            already = any(q == qualprefix + name for q, _ in self.replaced)
            if not already and old is not MISSING and isinstance(old, (types.FunctionType, type)):
                self.replaced.append((qualprefix + name, "a new object was bound"))
            if isinstance(scope, type) and hasattr(type(new), "__set_name__"):
                try:
                    new.__set_name__(scope, name)
                except Exception as e:
                    raise ApplyError(
                        f"__set_name__ of {qualprefix}{name} raised {e!r}", self.name, name
                    ) from e
            self.set_name(scope, name, new)

    def merge_annotations(self, scope: Any, live_names: Any, namespace: dict[str, Any]) -> None:
        """Annotated assignments that ran update a copy of ``__annotations__``: bind it."""
        new = namespace.get("__annotations__")
        if isinstance(new, dict) and new != live_names.get("__annotations__"):
            self.set_name(scope, "__annotations__", new)

    def update_function(self, d: dict[str, Any], scope: Any, class_qualname: str) -> None:
        """A matched function whose decorators did not change: new code (and defaults,
        annotations, docstring where they changed) into the live function object."""
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
            self.replace_definition(d, scope, class_qualname, "its closure variables changed")
            return
        self.mutations.append(("setattr", target, "__code__", code))
        self.code_swaps.append((target.__code__, code))
        if "docstring" in aspects:
            doc = (
                code.co_consts[0] if code.co_consts and isinstance(code.co_consts[0], str) else None
            )
            self.mutations.append(("setattr", target, "__doc__", doc))
        if aspects & {"defaults", "kw_defaults", "annotations", "signature"}:
            fresh = self.evaluate_undecorated(d, scope, class_qualname)
            self.mutations.append(("setattr", target, "__defaults__", fresh.__defaults__))
            self.mutations.append(("setattr", target, "__kwdefaults__", fresh.__kwdefaults__))
            self.mutations.append(
                ("setattr", target, "__annotations__", dict(fresh.__annotations__))
            )

    def evaluate_undecorated(
        self, d: dict[str, Any], scope: Any, class_qualname: str
    ) -> types.FunctionType:
        """Run the ``def`` without its decorators to evaluate defaults and annotations."""
        name = d["qualname"].rsplit(".", 1)[-1]
        what = describe(d)
        namespace = self.run_span(
            class_qualname, scope, (d["def_line"], d["new_span"]["end_line"]), what
        )
        fresh = namespace.get(name)
        if not isinstance(fresh, types.FunctionType):
            raise ApplyError(f"{what}: did not produce a function", self.name, what)
        return fresh

    def run_span(
        self, class_qualname: str, scope: Any, span: tuple[int, int], what: str
    ) -> dict[str, Any]:
        """Run the statement at ``span`` in its class body (``scope``) or at module level, in a
        scratch namespace; returns the namespace."""
        if class_qualname:
            return self.run_in_class(class_qualname, [span], scope, what)
        namespace: dict[str, Any] = {}
        self.run_in_module([span], namespace, what)
        return namespace

    def replace_definition(
        self, d: dict[str, Any], scope: Any, class_qualname: str, why: str
    ) -> None:
        """Run a definition in full (decorators included) and bind the result."""
        name = d["qualname"].rsplit(".", 1)[-1]
        span = (d["new_span"]["start_line"], d["new_span"]["end_line"])
        namespace = self.run_span(class_qualname, scope, span, describe(d))
        live_items = namespace_of(scope)
        old = live_items.get(name, MISSING)
        new = namespace[name]
        if is_plain_function(old) and is_plain_function(new) and self.transfer(old, new):
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
        for qualname in list(self.conflicted):
            live = self.live_class(qualname)
            fix = in_place(self.module, qualname, self.plan["conflicts"])
            if live is None or fix is None:
                continue
            if fix.new_bases is not None:
                # CPython accepts the new bases for this layout: keep the class.
                self.mutations.append(("setattr", live, "__bases__", fix.new_bases))
                # ABCs cache isinstance() answers, negative ones too.
                for klass in {*live.__mro__, *(c for b in fix.new_bases for c in b.__mro__)}:
                    if isinstance(klass, abc.ABCMeta):
                        self.after_commit.append(klass._abc_caches_clear)
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
        for scope_name in sorted(scopes, key=lambda q: (q.count(".") if q else -1, q)):
            if any(scope_name == r or scope_name.startswith(r + ".") for r in replaced_classes):
                continue
            self.prepare_scope(scope_name, scopes[scope_name], replaced_classes)
        for name in self.plan["unbound_names"]:
            if name in self.globals:
                self.mutations.append(("delitem", self.globals, name))
        self.update_closures()
        self.update_abstract_methods()
        self.update_protocols()
        self.update_moved_statements()

    def update_moved_statements(self) -> None:
        """Functions made by statements that did not change but moved (``h = lambda: ...``, a
        ``def`` inside an ``if``) get code with the new line numbers, so tracebacks stay right."""
        for st in self.plan.get("moved_statements", ()):
            scope_name = st["scope"]
            scope = self.live_class(scope_name) if scope_name else self.globals
            if scope is None:
                continue
            live_items = namespace_of(scope)
            shift = st["new_span"]["start_line"] - st["old_span"]["start_line"]
            old_first, old_last = st["old_span"]["start_line"], st["old_span"]["end_line"]
            targets = [
                f
                for f in (live_items.get(name) for name in st["binds"])
                if is_plain_function(f)
                and f.__code__.co_filename == self.path
                and old_first <= f.__code__.co_firstlineno <= old_last
            ]
            if not targets:
                continue
            span = (st["new_span"]["start_line"], st["new_span"]["end_line"])
            try:
                code = self.compile(self.snippet([span], self.headers(scope_name)), describe(st))
            except ApplyError:
                continue
            for f in targets:
                qualname = getattr(f.__code__, "co_qualname", f.__code__.co_name)
                new = find_code(code, qualname, f.__code__.co_firstlineno + shift)
                if new is not None and new.co_freevars == f.__code__.co_freevars:
                    self.mutations.append(("setattr", f, "__code__", new))

    def update_closures(self) -> None:
        """Closures created before the refresh (``make_adder(2)``) run the new inner code when
        their free variables are unchanged. Only when a nested function changed is the heap
        searched, once, for functions holding the old nested code objects."""
        nested = [
            d
            for d in self.definitions
            if "<locals>" in d["qualname"] and d["status"] == "changed" and d["kind"] != "class"
        ]
        if not nested or not self.code_swaps:
            return
        swaps: dict[int, tuple[types.CodeType, dict[str, Any]]] = {}
        for d in nested:
            for old_outer, new_outer in self.code_swaps:
                old_code = find_code(old_outer, d["qualname"], d["old_span"]["start_line"])
                new_code = find_code(new_outer, d["qualname"], d["new_span"]["start_line"])
                if old_code is not None and new_code is not None:
                    swaps[id(old_code)] = (new_code, d)
                    break
        if not swaps:
            return
        for obj in gc.get_objects():
            if type(obj) is not types.FunctionType:
                continue
            found = swaps.get(id(obj.__code__))
            if found is None:
                continue
            new_code, d = found
            if new_code.co_freevars == obj.__code__.co_freevars:
                self.mutations.append(("setattr", obj, "__code__", new_code))
            else:
                reason = "closure not updated: free variables changed"
                if (d["qualname"], reason) not in self.not_updated:
                    self.not_updated.append((d["qualname"], reason))

    def prepare_scope(
        self, scope_name: str, entries: list[tuple[str, dict[str, Any]]], replaced_classes: set[str]
    ) -> None:
        if scope_name:
            live = self.live_class(scope_name)
            if live is None:
                raise ApplyError(
                    f"class {scope_name} not found in module {self.name}", self.name, scope_name
                )
            scope: Any = live
            live_names = live.__dict__
            self.changed_classes.append(live)
        else:
            scope = self.globals
            live_names = self.globals
        prefix = f"{scope_name}." if scope_name else ""
        to_run: list[tuple[int, int]] = []
        bound: list[str] = []
        removed: list[str] = []
        code_only: list[dict[str, Any]] = []
        star = False
        for kind, entry in entries:
            if kind == "stmt":
                if self.is_main_guard(entry):
                    # Re-running `if __name__ == "__main__":` would start the program again
                    # inside refresh(); its definitions elsewhere are still updated.
                    self.not_updated.append(
                        (describe(entry), "never re-run: it would start the program again")
                    )
                    continue
                if entry["status"] == "removed":
                    removed.extend(entry["binds"])
                else:
                    span = entry["new_span"]
                    to_run.append((span["start_line"], span["end_line"]))
                    bound.extend(entry["binds"])
                    star = star or "*" in entry["binds"]
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
                continue
            runs_in_full = (
                entry["status"] == "added"
                or entry["qualname"] in replaced_classes
                or (entry["kind"] != "class" and "decorators" in entry["aspects"])
            )
            if runs_in_full:
                span = entry["new_span"]
                to_run.append((span["start_line"], span["end_line"]))
                bound.append(name)
                if entry["qualname"] in replaced_classes:
                    reason = self.conflicted.get(
                        entry["qualname"],
                        self.replace_reasons.get(entry["qualname"], "class decorators changed"),
                    )
                    self.replaced.append((entry["qualname"], reason))
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
                code_only.append(entry)
        # A grafted class already got these names from its rebuilt version.
        bound = [b for b in bound if b not in self.graft_bound.get(scope_name, ())]
        if to_run:
            what = f"{len(to_run)} changed statement(s) in {scope_name or self.name}"
            if scope_name:
                namespace = self.run_in_class(scope_name, to_run, scope, what)
            else:
                namespace = ScratchNamespace(self.globals)
                if isinstance(self.globals.get("__annotations__"), dict):
                    namespace["__annotations__"] = dict(self.globals["__annotations__"])
                for span in sorted(to_run):
                    self.run_in_module([span], namespace, _describe_span(span))
                if star:
                    # `from m import *` binds whatever m exports.
                    bound.extend(k for k in namespace if k != "__annotations__")
                for name in namespace.deleted:
                    # `del NAME` at module level: the name goes at the commit.
                    if name in self.globals:
                        self.mutations.append(("delitem", self.globals, name))
            self.merge(scope, prefix, namespace, list(dict.fromkeys(bound)))
            if scope_name not in self.graft_bound:
                self.merge_annotations(scope, live_names, namespace)
        for entry in code_only:
            self.update_function(entry, scope, scope_name)
        still_bound = set(bound) | self.names_bound_in(scope_name)
        for name in dict.fromkeys(removed):
            if name not in still_bound and name in live_names:
                if scope_name:
                    self.mutations.append(("delattr", scope, name))
                # Module-level names are removed through the plan's unbound names.

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


def _describe_span(span: tuple[int, int]) -> str:
    return f"statement at line {span[0]}"


def prepare_module(
    module: types.ModuleType, plan: dict[str, Any], new_text: str
) -> ModulePreparation:
    """Prepare one module: its mutations, replacements and definitions left alone."""
    preparation = ModulePreparation(module, plan, new_text)
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
