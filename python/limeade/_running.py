"""Running new source before the commit: snippets compiled at their real line numbers (inside
their enclosing ``class`` lines, so name mangling and ``super()`` work), and the scratch
namespaces they run in. Module-level code runs with the live module's globals and a scratch
namespace as locals, so the functions it creates get the real globals while the live module
does not change. A mixin of :class:`limeade._prepare.ModulePreparation`."""

from __future__ import annotations

import types
from typing import Any, Optional

from ._errors import ApplyError
from ._lookup import MISSING, find_class, find_code


class ScratchNamespace(dict):  # type: ignore[type-arg]
    """Locals for module-level statements run before the commit: bindings land here, and a
    ``del`` of a name that only the live module holds is recorded instead of failing. Later
    statements of the same refresh read what earlier ones bound (as a fresh import would)."""

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


class ClassNamespace(dict):  # type: ignore[type-arg]
    """Locals for class-body statements run before the commit: a copy of the live class's
    attributes. A name the class does not bind is looked up in the module's scratch namespace
    before the live globals, so a class body sees module-level names the same refresh bound
    (``hello = outer`` with ``outer`` added in the same edit)."""

    def __init__(self, attributes: dict[str, Any], module_scratch: dict[str, Any]) -> None:
        super().__init__(attributes)
        self.module_scratch = module_scratch

    def __missing__(self, key: str) -> Any:
        # Only the class body's own name lookups (LOAD_NAME) reach this; a KeyError sends
        # them on to the globals and builtins. Dunders (`__annotations__`, `__module__`) are
        # the class's own business, never the module's.
        if key.startswith("__") and key.endswith("__"):
            raise KeyError(key)
        return dict.__getitem__(self.module_scratch, key)


class SourceRunner:
    """Compiles and runs parts of the new source of one module."""

    # Provided by ModulePreparation.
    path: str
    name: str
    lines: list[str]
    flags: int
    globals: dict[str, Any]
    class_def_lines: dict[str, int]
    class_type_params: dict[str, str]
    mutations: list[tuple[Any, ...]]
    module_scratch: ScratchNamespace

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
        indentation and type parameters (``class Registry[T]:``, whose methods close over
        ``T``)."""
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
            params = self.class_type_params.get(prefix, "")
            out.append(f"{indent}class {parts[i]}{params}:")
        return out

    def live_class(self, class_qualname: str) -> Optional[type]:
        return find_class(self.globals, class_qualname)

    def class_namespace(self, live: type) -> ClassNamespace:
        """A scratch copy of a live class's attributes to run its body statements in."""
        namespace = ClassNamespace(dict(live.__dict__), self.module_scratch)
        annotations = namespace.get("__annotations__")
        if isinstance(annotations, dict):
            # The live dict must not change before the commit: run against a copy.
            namespace["__annotations__"] = dict(annotations)
        return namespace

    def run_in_class(
        self,
        class_qualname: str,
        spans: list[tuple[int, int]],
        live: type,
        what: str,
        namespace: Optional[dict[str, Any]] = None,
    ) -> dict[str, Any]:
        """Run statements of a class body (at their lines) in ``namespace`` (by default a fresh
        copy of the live class's attributes); returns that namespace."""
        code = self.compile(self.snippet(spans, self.headers(class_qualname)), what)
        body = find_code(code, class_qualname)
        if body is None:
            raise ApplyError(f"class body of {class_qualname} not compiled", self.name, what)
        if namespace is None:
            namespace = self.class_namespace(live)
        closure = self.type_param_cells(body, live)
        try:
            if closure:
                exec(body, self.globals, namespace, closure=closure)
            else:
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

    def type_param_cells(self, body: types.CodeType, live: type) -> Optional[tuple[Any, ...]]:
        """The closure a generic class's body needs (``class C[T]``: its body closes over the
        type parameters), made from the live class's own ``__type_params__``."""
        if not body.co_freevars:
            return None
        params = {getattr(p, "__name__", None): p for p in getattr(live, "__type_params__", ())}
        cells = []
        for var in body.co_freevars:
            if var == ".type_params":
                cells.append(types.CellType(tuple(params.values())))
            elif var in params:
                cells.append(types.CellType(params[var]))
            else:
                raise ApplyError(
                    f"{self.path}: class body of {live.__qualname__} needs the enclosing "
                    f"variable {var!r}",
                    self.name,
                    live.__qualname__,
                )
        return tuple(cells)

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

    def run_span(
        self,
        class_qualname: str,
        scope: Any,
        span: tuple[int, int],
        what: str,
        namespace: Optional[dict[str, Any]] = None,
    ) -> dict[str, Any]:
        """Run the statement at ``span`` in its class body (``scope``) or at module level, in
        ``namespace`` (by default a fresh scratch namespace); returns the namespace."""
        if class_qualname:
            return self.run_in_class(class_qualname, [span], scope, what, namespace)
        if namespace is None:
            namespace = ScratchNamespace(self.globals)
            namespace.update(self.module_scratch)
        self.run_in_module([span], namespace, what)
        return namespace
