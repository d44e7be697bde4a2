"""Running new source before the commit: snippets compiled at their real line numbers (inside
their enclosing ``class`` lines, so name mangling and ``super()`` work), and the scratch
namespaces they run in. Module-level code runs with the live module's globals and a scratch
namespace as locals, so the functions it creates get the real globals while the live module
does not change. The :class:`Sandbox` of one module's refresh serves every executor of
:mod:`._prepare` that compiles or runs new code."""

from __future__ import annotations

import functools
import sys
import types
from typing import Any, Callable, Optional, Union

from . import _native
from ._errors import ApplyError
from ._lookup import MISSING, find_code, future_flags, shift_lines, split_lines
from ._stack import on_large_stack
from ._state import ModuleState


def compiled_docstring(literal: Optional[str]) -> Optional[str]:
    """The ``__doc__`` the running interpreter's compiler makes of a docstring whose literal
    gives ``literal`` (what the plan carries): the value itself before Python 3.13; from 3.13
    on, the compiler dedents it (tabs expanded, the first line's leading spaces dropped, the
    common leading spaces of the other non-blank lines removed; unlike ``inspect.cleandoc``,
    blank first and last lines stay); ``None`` under ``-OO``, which drops docstrings. The
    plan cannot decide this: it does not know which interpreter runs the program."""
    if literal is None or sys.flags.optimize >= 2:
        return None
    if sys.version_info < (3, 13):
        return literal
    first, *rest = literal.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip(" ")) for line in rest if line.lstrip(" ")]
    margin = min(indents, default=0)
    return "\n".join([first.lstrip(" "), *(line[margin:] for line in rest)])


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


#: How an error names what was running: a description, or one computed from the line that failed
#: (a batch of statements run as one piece of code).
Describe = Union[str, Callable[[Optional[int]], str]]


def describe_failure(what: Describe, error: BaseException, code: types.CodeType) -> str:
    """``what``, or for a batch the description of the statement whose line raised."""
    if isinstance(what, str):
        return what
    line = None
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            line = tb.tb_lineno
        tb = tb.tb_next
    return what(line)


def _static(what: Describe) -> str:
    return what if isinstance(what, str) else what(None)


class Snippet(str):
    """Source of some lines of a module, starting ``offset`` lines above where they really are:
    compiled there and then moved down (:func:`limeade._lookup.shift_lines`), so each snippet
    costs what its own lines cost, not a padding as long as the file before it."""

    offset: int

    def __new__(cls, text: str, offset: int) -> Snippet:
        snippet = super().__new__(cls, text)
        snippet.offset = offset
        return snippet


class Sandbox:
    """Compiles and runs parts of the new source of one module, in scratch namespaces: the
    module's scratch namespace holds what the refresh bound so far, in source order (what later
    statements, defaults and class bodies read before the live module changes)."""

    def __init__(self, state: ModuleState, source: _native.SourceText) -> None:
        self.state = state
        self.path = state.path
        self.name = state.name
        self.source = source
        self.globals = state.globals
        #: ``from __future__`` flags the new code compiles with.
        self.flags = future_flags(self.globals)
        self.module_scratch = ScratchNamespace(self.globals)
        #: The scratch namespaces of kept classes this refresh ran code in.
        self.class_namespaces: list[dict[str, Any]] = []
        definitions = state.definitions
        self.class_def_lines = {
            d["qualname"]: d["def_line"]
            for d in definitions
            if d["kind"] == "class" and d["status"] != "removed" and d["def_line"] is not None
        }
        self.class_type_params: dict[str, str] = {
            d["qualname"]: d["type_params"]
            for d in definitions
            if d["kind"] == "class" and d["status"] != "removed" and d.get("type_params")
        }

    @functools.cached_property
    def text(self) -> str:
        """The whole new source, made a ``str`` when first needed: a refresh that compiles one
        definition takes only its lines (:meth:`line_texts`)."""
        return self.source.text()

    @functools.cached_property
    def lines(self) -> list[str]:
        """The new source's lines as the compiler counts them, split when first needed."""
        return split_lines(self.text)

    def line_texts(self, spans: list[tuple[int, int]]) -> list[str]:
        """Lines ``first..last`` of the new source per span, cut out natively in one pass: a
        refresh that compiles one definition does not split a 10,000-line module into lines."""
        return self.source.lines(spans)

    def snippet(self, spans: list[tuple[int, int]], headers: list[str]) -> Snippet:
        """Source holding the given line spans, preceded right above the first by ``headers``
        (enclosing ``class`` lines); compiled, it is at the spans' real line numbers."""
        spans = sorted(spans)
        first = spans[0][0]
        header_line = first - len(headers)
        if header_line < 1:
            raise ApplyError(
                f"{self.path}:{first}: cannot compile this definition at its own line",
                self.name,
                f"line {first}",
            )
        kept: list[tuple[int, int]] = []
        current = first
        for start, end in spans:
            if start < current:
                continue
            kept.append((start, end))
            current = end + 1
        out = [h + "\n" for h in headers]
        current = first
        for (start, end), text in zip(kept, self.line_texts(kept)):
            out.append("\n" * (start - current))
            out.append(text)
            current = end + 1
        return Snippet("".join(out), header_line - 1)

    def compile(self, source: str, what: Describe) -> types.CodeType:
        """Compile a snippet (or a whole module's text) as this module's code."""
        offset = source.offset if isinstance(source, Snippet) else 0
        try:
            code = on_large_stack(
                lambda: compile(source, self.path, "exec", flags=self.flags, dont_inherit=True)
            )
        except SyntaxError as e:
            line = e.lineno + offset if e.lineno is not None else None
            if offset:
                # The chained error shows the real line, not the snippet's.
                e.lineno = line
                end = getattr(e, "end_lineno", None)
                if end is not None:
                    e.end_lineno = end + offset
                if line is not None and 0 < line <= len(self.lines):
                    e.text = self.lines[line - 1]
            described = what(line) if callable(what) else what
            raise ApplyError(
                f"{self.path}:{line}: the interpreter rejects {described}: {e.msg}",
                self.name,
                described,
            ) from e
        except (RecursionError, MemoryError, ValueError, OverflowError) as e:
            # Too deep or too big for the interpreter's compiler (chains of calls or subscripts
            # thousands long): it would refuse the file at import too.
            described = what(None) if callable(what) else what
            raise ApplyError(
                f"{self.path}: the interpreter cannot compile {described}: {e!r}",
                self.name,
                described,
            ) from e
        return shift_lines(code, offset) if offset else code

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
            (line,) = self.line_texts([(line_no, line_no)])
            indent = line[: len(line) - len(line.lstrip())]
            params = self.class_type_params.get(prefix, "")
            out.append(f"{indent}class {parts[i]}{params}:")
        return out

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
        what: Describe,
        namespace: Optional[dict[str, Any]] = None,
    ) -> dict[str, Any]:
        """Run statements of a class body (at their lines) in ``namespace`` (by default a fresh
        copy of the live class's attributes); returns that namespace."""
        code = self.compile(self.snippet(spans, self.headers(class_qualname)), what)
        body = find_code(code, class_qualname)
        if body is None:
            raise ApplyError(
                f"class body of {class_qualname} not compiled", self.name, _static(what)
            )
        if namespace is None:
            namespace = self.class_namespace(live)
        closure = self.type_param_cells(body, live)
        try:
            if closure:
                exec(body, self.globals, namespace, closure=closure)
            else:
                exec(body, self.globals, namespace)
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # SystemExit from new code must not end the program
            described = describe_failure(what, e, body)
            raise ApplyError(
                f"{self.path}: running {described} in class {class_qualname} raised {e!r}",
                self.name,
                described,
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
        self, spans: list[tuple[int, int]], namespace: dict[str, Any], what: Describe
    ) -> None:
        """Run module-level statements with the module's globals and ``namespace`` as locals.
        Writes that reach the real globals anyway (``global`` in a function the statement calls,
        a walrus in a comprehension) are taken back and replayed in the commit."""
        code = self.compile(self.snippet(spans, []), what)
        before = dict(self.globals)
        try:
            exec(code, self.globals, namespace)
        except BaseException as e:  # SystemExit from new code must not end the program
            self.take_back_global_writes(before, replay=False)
            if isinstance(e, KeyboardInterrupt):
                raise
            described = describe_failure(what, e, code)
            raise ApplyError(
                f"{self.path}: running {described} raised {e!r}", self.name, described
            ) from e
        self.take_back_global_writes(before, replay=True)

    def take_back_global_writes(self, before: dict[str, Any], *, replay: bool) -> None:
        g = self.globals
        if len(g) == len(before) and all(g.get(k, MISSING) is v for k, v in before.items()):
            return
        for key in [k for k in g if k not in before]:
            if replay:
                self.state.mutations.setitem(g, key, g[key])
            del g[key]
        for key, value in before.items():
            current = g.get(key, MISSING)
            if current is value:
                continue
            if replay:
                if current is MISSING:
                    self.state.mutations.delitem(g, key)
                else:
                    self.state.mutations.setitem(g, key, current)
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
