"""Modules of custom loaders: their source is read through the loader, never by assuming a
``.py`` file.

A loader gives source in one of two ways: a ``SourceLoader`` (``get_filename`` + ``get_data``)
gives the bytes it compiles, decoded like a file; any ``InspectLoader`` gives decoded text with
``get_source``. Where the loader's bytes come from a real file, that file's stamp says when to
read again; otherwise the loader is asked at every scan. For a loader limeade does not control,
the source asked for when the module is found (just before it is compiled) is the best record of
what runs."""

from __future__ import annotations

import importlib.machinery
import os
import sys
import time
import types

#: `typing` is imported for type checking only: `import limeade` must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

    Source = Union[bytes, str]


#: Loaders the import hook handles itself (exact types): not "custom".
STANDARD_LOADERS: set[type] = {importlib.machinery.SourceFileLoader}

#: Seconds within which a file's stamp is not trusted (same-size writes in one clock tick).
_RACY_SECONDS = 2.0


def loader_of(spec: Any, module: Optional[types.ModuleType] = None) -> Any:
    loader = getattr(spec, "loader", None) if spec is not None else None
    if loader is None and module is not None:
        loader = getattr(module, "__loader__", None)
    return loader


def is_custom(loader: Any) -> bool:
    """Whether ``loader`` is neither the import hook's source loader nor one of the import
    system's loaders that give no source (built-in, frozen, extension, bytecode, namespace)."""
    if loader is None:
        return False
    cls = loader if isinstance(loader, type) else type(loader)
    if cls in STANDARD_LOADERS:
        return False
    return cls.__module__ not in ("_frozen_importlib", "_frozen_importlib_external")


def _stamp(path: str) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _is_source_loader(loader: Any) -> bool:
    # machinery's file loaders are registered with the ABC, so their subclasses count too.
    # (Imported here: ``importlib.abc`` pulls in ``importlib.resources`` and ``tempfile``, a
    # start-up cost for every program, and only modules of other loaders get here.)
    import importlib.abc

    return isinstance(loader, importlib.abc.SourceLoader)


class LoaderSource:
    """How one module's current source is read through its loader."""

    __slots__ = ("file", "filename", "last", "loader", "name", "stamp")

    def __init__(self, name: str, loader: Any, filename: Optional[str]) -> None:
        self.name = name
        self.loader = loader
        #: What ``get_filename`` says (bytes are ``get_data(filename)``), or ``None``: the
        #: source is ``get_source(name)``.
        self.filename = filename
        #: ``filename`` when it is a real file whose stamp says when to read again.
        self.file = filename if filename is not None and os.path.isfile(filename) else None
        self.stamp: Optional[tuple[int, int, int]] = None
        #: The source last handed to the registry: the same text again is no news.
        self.last: Optional[Source] = None

    def read(self) -> Source:
        """The source as the loader gives it now (``LookupError`` when it gives none)."""
        if self.file is not None:
            self.stamp = _stamp(self.file)
        if self.filename is not None:
            data = self.loader.get_data(self.filename)
        else:
            data = self.loader.get_source(self.name)
        if not isinstance(data, (bytes, str)):
            raise LookupError(f"its loader gives no source now ({type(data).__name__})")
        return data

    def news(self) -> Optional[Source]:
        """The source now, or ``None`` when it is the one last handed over or its file's stamp
        says it cannot have changed."""
        if self.file is not None:
            stamp = _stamp(self.file)
            if stamp == self.stamp and time.time_ns() - stamp[0] > _RACY_SECONDS * 1e9:
                return None
        source = self.read()
        if source is self.last or source == self.last:
            return None
        self.last = source
        return source


def source_of(name: str, spec: Any, module: Optional[types.ModuleType] = None) -> Any:
    """A :class:`LoaderSource` for a module of a custom loader that gives source, else ``None``."""
    loader = loader_of(spec, module)
    if not is_custom(loader) or is_namespace(spec):
        return None
    has = lambda attr: callable(getattr(loader, attr, None))  # noqa: E731
    if (
        has("get_data")
        and has("get_filename")
        and (_is_source_loader(loader) or not has("get_source"))
    ):
        try:
            filename = loader.get_filename(name)
        except (ImportError, OSError):
            filename = None
        if isinstance(filename, str):
            return LoaderSource(name, loader, filename)
    if has("get_source"):
        return LoaderSource(name, loader, None)
    return None


def is_namespace(spec: Any) -> bool:
    """Whether ``spec`` is a namespace package's (its loader's ``get_source`` gives ``""``)."""
    loader = getattr(spec, "loader", None)
    return type(loader).__name__ in ("NamespaceLoader", "_NamespaceLoader") or (
        spec is not None
        and loader is None
        and getattr(spec, "submodule_search_locations", None) is not None
    )


def no_source_reason(name: str, module: types.ModuleType) -> str:
    """Why ``module`` has no Python source limeade can track, in words."""
    spec = getattr(module, "__spec__", None)
    loader = loader_of(spec, module)
    origin = getattr(spec, "origin", None)
    if is_namespace(spec):
        return "it is a namespace package (a directory without __init__.py)"
    if loader is importlib.machinery.BuiltinImporter or origin == "built-in":
        return "it is built into the interpreter"
    if loader is importlib.machinery.FrozenImporter or origin == "frozen":
        return "it is frozen into the interpreter"
    if isinstance(loader, importlib.machinery.ExtensionFileLoader):
        return f"it is an extension module ({origin}), compiled code"
    if isinstance(loader, importlib.machinery.SourcelessFileLoader):
        return f"it was loaded from bytecode only ({origin})"
    if loader is None:
        return "it has no loader"
    cls = loader if isinstance(loader, type) else type(loader)
    return (
        f"its loader ({cls.__module__}.{cls.__qualname__}) gives no source: it has no "
        "get_source(), nor get_data() with get_filename(), or they gave none"
    )


def not_python(source: Source, path: str) -> Optional[str]:
    """Why ``source`` cannot be what the module runs (a loader that translates another
    language gives that language's text), or ``None`` when it compiles as Python."""
    try:
        compile(source, path, "exec", 0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
    except SyntaxError as e:
        return (
            f"the source its loader gives is not Python ({path}:{e.lineno}: {e.msg}): "
            "the loader must translate it"
        )
    except (ValueError, UnicodeError) as e:
        return f"the source its loader gives cannot be compiled ({e})"
    return None


def compiled_filename(module: types.ModuleType, name: str, source: LoaderSource) -> str:
    """The file name the module's code was compiled with (``co_filename``): tracebacks and
    the refresh's matching of new to live functions use it. Read from a function of the
    module; else what the loader would use."""
    for value in list(vars(module).values()):
        if isinstance(value, type) and value.__module__ == name:
            members = list(vars(value).values())
        else:
            members = [value]
        for member in members:
            if isinstance(member, (classmethod, staticmethod)):
                member = member.__func__
            if isinstance(member, types.FunctionType) and member.__module__ == name:
                return member.__code__.co_filename
    if source.filename is not None:
        return source.filename
    origin = getattr(getattr(module, "__spec__", None), "origin", None)
    if isinstance(origin, str):
        return origin
    file = getattr(module, "__file__", None)
    return file if isinstance(file, str) else f"<{name}>"


def defining_file(loader: Any) -> Optional[str]:
    """The file that defines the loader's class, if any."""
    cls = loader if isinstance(loader, type) else type(loader)
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return file if isinstance(file, str) else None
