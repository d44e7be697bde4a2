"""The mutations of one commit, built through typed methods and indexed as they are added.

``limeade._native.commit`` takes the list as it is (``("setattr", obj, name, value)``,
``("delattr", obj, name)``, ``("setitem", dict, key, value)``, ``("delitem", dict, key)``, in
order) and applies it atomically with an undo log. What the rest of the refresh asks about a
commit before it happens (what a module's namespace will hold, whether a name is already being
set, which namespaces change, which attributes of a function change) is answered from the
index kept here, instead of scanning the whole list again for each question.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Optional, SupportsIndex, Union

#: One mutation tuple, as ``limeade._native.commit`` reads it.
Mutation = tuple[Any, ...]

#: Marks a key or attribute the commit deletes.
_DELETED = object()


class Mutations(list[Mutation]):
    """An ordered list of mutations with an index of what they set and delete per target."""

    def __init__(self, mutations: Iterable[Mutation] = ()) -> None:
        super().__init__()
        #: id(dict) -> (the dict, key -> new value or _DELETED), for item mutations.
        self._items: dict[int, tuple[dict[Any, Any], dict[Any, Any]]] = {}
        #: id(object) -> (the object, attribute -> new value or _DELETED).
        self._attrs: dict[int, tuple[Any, dict[str, Any]]] = {}
        #: Set when the list changed other than by appending: the index is rebuilt when next
        #: asked (``resolve_previews`` rewrites values in place, many at a time).
        self._stale = False
        self.extend(mutations)

    # ------------------------------------------------------------------- building

    def setattr(self, obj: Any, name: str, value: Any) -> None:
        self.append(("setattr", obj, name, value))

    def delattr(self, obj: Any, name: str) -> None:
        self.append(("delattr", obj, name))

    def setitem(self, target: dict[Any, Any], key: Any, value: Any) -> None:
        self.append(("setitem", target, key, value))

    def delitem(self, target: dict[Any, Any], key: Any) -> None:
        self.append(("delitem", target, key))

    def append(self, mutation: Mutation) -> None:
        super().append(mutation)
        if not self._stale:
            self._index(mutation)

    def extend(self, mutations: Iterable[Mutation]) -> None:
        for mutation in mutations:
            self.append(mutation)

    def __iadd__(self, mutations: Iterable[Mutation]) -> Mutations:  # type: ignore[override,misc]
        self.extend(mutations)
        return self

    def insert(self, index: SupportsIndex, mutation: Mutation) -> None:
        super().insert(index, mutation)
        self._stale = True

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._stale = True

    def __delitem__(self, index: Union[SupportsIndex, slice]) -> None:
        super().__delitem__(index)
        self._stale = True

    def clear(self) -> None:
        super().clear()
        self._stale = True

    def _fresh(self) -> None:
        if self._stale:
            self._stale = False
            self._items.clear()
            self._attrs.clear()
            for mutation in self:
                self._index(mutation)

    def _index(self, m: Mutation) -> None:
        op = m[0]
        if op in ("setitem", "delitem"):
            entry = self._items.setdefault(id(m[1]), (m[1], {}))
            entry[1][m[2]] = m[3] if op == "setitem" else _DELETED
        elif op in ("setattr", "delattr"):
            attrs = self._attrs.setdefault(id(m[1]), (m[1], {}))
            attrs[1][m[2]] = m[3] if op == "setattr" else _DELETED

    def replace_values(self, change: Callable[[Any], Any]) -> None:
        """Give every ``setattr`` and ``setitem`` the value ``change`` returns for the value it
        holds (``change`` returns the same object to leave one as it is)."""
        for i, m in enumerate(self):
            if m[0] == "setattr" or m[0] == "setitem":
                value = change(m[3])
                if value is not m[3]:
                    self[i] = (m[0], m[1], m[2], value)

    # ------------------------------------------------------------------- questions

    def touched(self, target: dict[Any, Any], key: Any) -> bool:
        """Whether the commit sets or deletes ``target[key]``."""
        self._fresh()
        entry = self._items.get(id(target))
        return entry is not None and entry[0] is target and key in entry[1]

    def item_changes(self, target: dict[Any, Any]) -> dict[Any, Any]:
        """Key -> new value for the keys the commit sets in ``target`` (deleted keys map to
        :data:`DELETED`)."""
        self._fresh()
        entry = self._items.get(id(target))
        return dict(entry[1]) if entry is not None and entry[0] is target else {}

    def post_commit(self, namespace: dict[str, Any]) -> Optional[dict[str, Any]]:
        """A copy of ``namespace`` as the commit will leave it, or ``None`` when the commit does
        not touch it."""
        changes = self.item_changes(namespace)
        if not changes:
            return None
        after = dict(namespace)
        for key, value in changes.items():
            if value is _DELETED:
                after.pop(key, None)
            else:
                after[key] = value
        return after

    def changed_dicts(self) -> list[dict[Any, Any]]:
        """Every dict the commit changes, in first-mutation order."""
        self._fresh()
        return [target for target, _ in self._items.values()]

    def attribute_changes(self, obj: Any) -> dict[str, Any]:
        """Attribute -> new value for what the commit sets on ``obj`` (deleted attributes map
        to :data:`DELETED`)."""
        self._fresh()
        entry = self._attrs.get(id(obj))
        return dict(entry[1]) if entry is not None and entry[0] is obj else {}


#: What :meth:`Mutations.item_changes` and :meth:`Mutations.attribute_changes` map a deleted
#: key or attribute to.
DELETED = _DELETED
