"""Previews: while a refresh runs new code (statements, decorators, class bodies), a function
changed above it is called in its new version, through a *preview* (a function with the new code,
the live function's globals and closure). Before the commit, every reference to a preview is
turned into the live function, which gets the same code in the commit, so ``is`` holds."""

from __future__ import annotations

import gc
import sys
import types
from typing import Any

from ._running import Sandbox
from ._state import ModuleState


class Previews:
    """Keeps the previews of one module's refresh and recalls them before the commit."""

    def __init__(self, state: ModuleState, sandbox: Sandbox) -> None:
        self.state = state
        self.sandbox = sandbox
        #: id(preview) -> (preview, live function).
        self.previews: dict[int, tuple[types.FunctionType, types.FunctionType]] = {}

    def make_preview(self, target: types.FunctionType, code: types.CodeType) -> types.FunctionType:
        """A function running ``code`` that stands for the live ``target`` until the commit."""
        preview = types.FunctionType(
            code, target.__globals__, target.__name__, target.__defaults__, target.__closure__
        )
        preview.__kwdefaults__ = target.__kwdefaults__
        preview.__qualname__ = target.__qualname__
        preview.__dict__.update(target.__dict__)
        self.previews[id(preview)] = (preview, target)
        return preview

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
        self.state.mutations.replace_values(self.resolve_value)

    def resolve_value(self, value: Any) -> Any:
        """A value about to be bound, with a preview (itself, or one a new container holds)
        turned into its live function."""
        resolved = self.resolve(value)
        return self.resolve_inside(value) if resolved is value else resolved

    def recall_escaped_previews(self) -> None:
        """Previews that code run by the refresh stored somewhere (a registry dict, a list, a
        closure cell) are replaced there by the live function. Reference counts tell whether
        any escaped; only then is the heap searched for what holds them."""
        own = [self.sandbox.module_scratch, *self.sandbox.class_namespaces]
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
            members = [self.resolve(v) for v in value]
            value.clear()
            value.update(members)
        return value
