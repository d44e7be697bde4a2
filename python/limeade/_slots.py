"""Storage for ``__slots__`` names added by a refresh.

An instance's slots are fixed when its class is created, so a slot added later has no room in
the instance. :class:`SideSlot` is the descriptor limeade puts on the class for such a name: it
keeps each instance's value in a side table, so old and new instances can both use it. Instances
that support weak references are forgotten when they die; for the others the table keeps the
instance alive once a value was set (slotted classes without ``__weakref__`` cannot be tracked
otherwise)."""

from __future__ import annotations

import weakref
from typing import Any


class SideSlot:
    """A data descriptor standing in for a slot the class did not have when it was created."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._weak: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._strong: dict[int, tuple[Any, Any]] = {}

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        try:
            return self._weak[obj]
        except TypeError:
            pass
        except KeyError:
            raise AttributeError(self.name) from None
        try:
            return self._strong[id(obj)][1]
        except KeyError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Any, value: Any) -> None:
        try:
            self._weak[obj] = value
        except TypeError:
            self._strong[id(obj)] = (obj, value)

    def __delete__(self, obj: Any) -> None:
        try:
            del self._weak[obj]
            return
        except TypeError:
            pass
        except KeyError:
            raise AttributeError(self.name) from None
        if self._strong.pop(id(obj), None) is None:
            raise AttributeError(self.name)

    def __repr__(self) -> str:
        return f"<limeade side slot {self.name!r}>"
