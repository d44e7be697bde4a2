"""Class changes applied to the live class that plain attribute updates cannot express: slots that
grow, dataclasses and enums rebuilt from a throwaway new version (*grafting*), and ABCs' abstract
method sets, new bases assigned to the live class. The executor of the class decisions of
:mod:`._decide` (kept with new bases or slots, grafted): it only adds mutations."""

from __future__ import annotations

import abc
import enum
import types
import typing
from collections.abc import Sequence
from typing import Any

from ._errors import ApplyError
from ._lookup import describe, find_code, rehome
from ._mutations import DELETED
from ._plan_data import new_lines
from ._running import Sandbox
from ._slots import SideSlot
from ._state import ModuleState
from ._throwaway import quiet_builtins


class ClassChanges:
    """Builds the mutations for grafted classes, slots and abstract methods."""

    def __init__(self, state: ModuleState, sandbox: Sandbox) -> None:
        self.state = state
        self.sandbox = sandbox
        self.mutations = state.mutations

    def change_slots(self, live: type, added: list[str], removed: list[str]) -> None:
        """Slots cannot grow in place: an added name gets a :class:`SideSlot` descriptor (or the
        original slot back, if it was removed by an earlier refresh); a removed name's slot
        descriptor is kept aside so restoring the name later reaches the same storage."""
        kept = dict(live.__dict__.get("__limeade_removed_slots__", {}))
        for name in removed:
            descriptor = live.__dict__.get(name)
            if descriptor is not None:
                kept[name] = descriptor
                self.mutations.delattr(live, name)
        for name in added:
            descriptor = kept.pop(name, None)
            self.mutations.setattr(live, name, descriptor or SideSlot(name))
        self.mutations.setattr(live, "__limeade_removed_slots__", kept)

    def new_class(self, qualname: str) -> type:
        """Run a class statement in full, in a scratch namespace: a throwaway class to take
        generated methods and members from. Hooks of its bases and metaclass for new classes
        (``__init_subclass__``, the metaclass's ``__init__``) do not run: see ``_throwaway``."""
        d = next(
            x for x in self.state.definitions if x["qualname"] == qualname and x["kind"] == "class"
        )
        span = new_lines(d)
        parent, name = d["scope"], d["leaf"]
        what = describe(d)
        live_parent = self.state.live_class(parent) if parent else self.state.globals
        if live_parent is None:
            raise ApplyError(f"class {parent} not found", self.state.name, what)
        code = self.sandbox.compile(
            self.sandbox.snippet([span], self.sandbox.headers(parent)), what
        )
        scope_code = find_code(code, parent) if parent else code
        body = find_code(scope_code, qualname) if scope_code is not None else None
        if scope_code is None or body is None:
            raise ApplyError(f"{what}: compiled class body not found", self.state.name, what)
        namespace: dict[str, Any] = {}
        if parent:
            # Names of the enclosing class body resolve as they would in it.
            namespace = dict(live_parent.__dict__)
            if isinstance(namespace.get("__annotations__"), dict):
                namespace["__annotations__"] = dict(namespace["__annotations__"])
        scratch = dict(self.state.globals)
        scratch["__builtins__"] = quiet_builtins(self.state.globals, body)
        try:
            exec(scope_code, scratch, namespace)
        except Exception as e:
            raise ApplyError(
                f"{self.state.path}: running {what} raised {e!r}", self.state.name, what
            ) from e
        new = namespace.get(name)
        if not isinstance(new, type):
            raise ApplyError(f"{what} did not produce a class", self.state.name, what)
        return new

    def graft(self, qualname: str) -> set[str]:
        """Keep a dataclass or enum whose fields or members changed: build the new class, then
        move what it generated (``__init__``, ``__repr__``, ``__dataclass_fields__``, new enum
        members) and the values of changed statements onto the live class. Methods are left to
        the ordinary in-place update, and attributes of unchanged statements (class state) are
        kept. Returns the names it bound, which the ordinary update must not bind again."""
        live = self.state.live_class(qualname)
        if live is None:
            return set()
        new = self.new_class(qualname)
        self.state.changed_classes.append(live)
        changed = {
            b
            for s in self.state.plan["statements"]
            if s["scope"] == qualname and s["status"] in ("changed", "added")
            for b in s["binds"]
        }
        if isinstance(live, enum.EnumMeta):
            self.graft_enum(live, new)
            return changed
        own = set(self.state.plan["scope_names"].get(qualname, ())) - changed
        skip = {"__dict__", "__weakref__", "__module__", "__qualname__"} | own
        for key, value in new.__dict__.items():
            if key in skip:
                continue
            self.mutations.setattr(live, key, rehome_member(value, new, live))
        for key in changed:
            # A changed statement whose name the generator no longer leaves on the class (a
            # default that became `field(default_factory=...)`). Anything else the live class
            # holds (attributes set by base or metaclass hooks) stays.
            if key in live.__dict__ and key not in new.__dict__ and key not in skip:
                self.mutations.delattr(live, key)
        return changed

    def graft_enum(self, live: Any, new: Any) -> None:
        """New enum members join the live enum; existing members keep their identity, and
        take the value the new version gives them (``auto()`` values shift when a member is
        inserted above); a new alias is an alias of the live member."""
        members = dict(live._member_map_)
        values = self.shift_enum_values(live, new, members)
        for name, member in new._member_map_.items():
            if name in members:
                continue
            canonical = member._name_
            if canonical != name and canonical in members and canonical in live._member_map_:
                # `URGENT = 3` beside `HIGH = 3`: another name of the live member.
                members[name] = members[canonical]
                self.mutations.setattr(live, name, live.__dict__.get(canonical, members[canonical]))
                continue
            # A fresh member of the throwaway class becomes a member of the live one.
            member.__class__ = live
            member.__objclass__ = live
            members[name] = member
            attribute = new.__dict__.get(name, member)
            if isinstance(attribute, types.DynamicClassAttribute):
                attribute.member = member  # type: ignore[attr-defined]
            self.mutations.setattr(live, name, attribute)
        # In the new version's order (`__members__`, aliases included), as a fresh start.
        members = {
            **{n: members[n] for n in new._member_map_ if n in members},
            **members,
        }
        names = [n for n in new._member_names_ if n in members]
        # Rebuilt when values shifted (the old numbers would find the wrong members).
        value_map = {} if values else dict(live._value2member_map_)
        for name, member in members.items():
            try:
                value_map.setdefault(values.get(name, member._value_), member)
            except TypeError:
                pass
        self.mutations.setattr(live, "_member_names_", names)
        self.mutations.setattr(live, "_member_map_", members)
        self.mutations.setattr(live, "_value2member_map_", value_map)
        for key in ("_flag_mask_", "_singles_mask_", "_all_bits_"):
            if key in new.__dict__:
                self.mutations.setattr(live, key, new.__dict__[key])

    def shift_enum_values(self, live: Any, new: Any, members: dict[str, Any]) -> dict[str, Any]:
        """Existing members whose value the new version changes without their statement
        changing (``auto()`` numbering after a member inserted above them) get it in place: a
        plain enum's member holds its value as ``_value_``. A member that *is* its value (an
        ``IntEnum``'s int, a ``StrEnum``'s str) cannot change: the refresh is refused.
        Returns the new values by member name."""
        values: dict[str, Any] = {}
        for name, member in list(members.items()):
            fresh = new._member_map_.get(name)
            if fresh is None or member._name_ != name or fresh._value_ == member._value_:
                continue
            if live._member_type_ is not object:
                raise ApplyError(
                    f"{self.state.path}: {live.__qualname__}.{name} would change value "
                    f"{member._value_!r} -> {fresh._value_!r} (auto() numbering shifted by a "
                    f"member added above it); a {live._member_type_.__name__} member cannot "
                    "change value in place: restart, or give the members explicit values",
                    self.state.name,
                    f"{live.__qualname__}.{name}",
                )
            self.mutations.setattr(member, "_value_", fresh._value_)
            values[name] = fresh._value_
        return values

    def committed_view(self, cls: type) -> dict[str, Any]:
        """What ``cls.__dict__`` will hold after the commit of this module's mutations."""
        namespace = dict(cls.__dict__)
        for name, value in self.mutations.attribute_changes(cls).items():
            if value is DELETED:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        return namespace

    def update_abstract_methods(self) -> None:
        """ABCs: recompute ``__abstractmethods__`` of changed classes and of every class deriving
        from them, as ``ABCMeta`` computes it when a class is made, from what the classes' dicts
        will hold after the commit: adding or implementing an abstract method takes effect in
        the whole hierarchy (a subclass that lacks a method its base just made abstract can no
        longer be instantiated, as after a fresh import)."""
        changed = [
            c for c in dict.fromkeys(self.state.changed_classes) if isinstance(c, abc.ABCMeta)
        ]
        if not changed:
            return
        views: dict[int, dict[str, Any]] = {}

        def view(cls: type) -> dict[str, Any]:
            found = views.get(id(cls))
            if found is None:
                found = views[id(cls)] = self.committed_view(cls)
            return found

        new: dict[int, frozenset[str]] = {}
        # Bases before the classes deriving from them: a class's MRO is longer than its bases'.
        for cls in sorted(_with_subclasses(changed), key=lambda c: len(c.__mro__)):
            if not isinstance(cls, abc.ABCMeta):
                continue
            abstract = {
                n for n, v in view(cls).items() if getattr(v, "__isabstractmethod__", False)
            }
            for base in cls.__bases__:
                for n in new.get(id(base), getattr(base, "__abstractmethods__", ())):
                    value = next((view(k)[n] for k in cls.__mro__ if n in view(k)), None)
                    if getattr(value, "__isabstractmethod__", False):
                        abstract.add(n)
            new[id(cls)] = frozenset(abstract)
            if new[id(cls)] != getattr(cls, "__abstractmethods__", frozenset()):
                self.mutations.setattr(cls, "__abstractmethods__", new[id(cls)])

    def update_protocols(self) -> None:
        """Runtime-checkable protocols: the member sets ``typing`` keeps on a protocol (3.12+)
        are recomputed, for changed protocols and the protocols deriving from them, from what
        their dicts will hold after the commit; and the ``isinstance`` answers every changed
        ABC (protocols included) and its subclasses cached are dropped after the commit."""
        changed = [
            c for c in dict.fromkeys(self.state.changed_classes) if isinstance(c, abc.ABCMeta)
        ]
        for cls in _with_subclasses(changed):
            if cls.__dict__.get("_is_protocol") and "__protocol_attrs__" in cls.__dict__:
                self.update_protocol_members(cls)
            if isinstance(cls, abc.ABCMeta):
                self.state.after_commit.append(cls._abc_caches_clear)  # type: ignore[attr-defined]

    def update_protocol_members(self, cls: type) -> None:
        """``__protocol_attrs__`` and the callable-members flags ``typing`` derives from it, as
        ``typing`` would compute them for the committed class."""
        views = [self.committed_view(k) for k in cls.__mro__[:-1]]
        members = protocol_members(cls, views)
        if members != cls.__dict__["__protocol_attrs__"]:
            self.mutations.setattr(cls, "__protocol_attrs__", members)

        def callable_member(name: str) -> bool:
            view = next((v for v in views if name in v), {})
            value: Any = view.get(name)
            try:
                if hasattr(type(value), "__get__"):
                    value = value.__get__(None, cls)  # as `getattr(cls, name)` finds it
            except Exception:
                return False
            return callable(value)

        derived = {
            # 3.13 (set by runtime_checkable), and 3.12.0-3.12.1.
            "__non_callable_proto_members__": lambda: {
                n for n in members if not callable_member(n)
            },
            "__callable_proto_members_only__": lambda: all(callable_member(n) for n in members),
        }
        for key, compute in derived.items():
            if key in cls.__dict__:
                value = compute()
                if value != cls.__dict__[key]:
                    self.mutations.setattr(cls, key, value)

    def assign_bases(self, live: type, bases: tuple[type, ...]) -> None:
        """CPython accepts the new bases for this layout: keep the class."""
        self.mutations.setattr(live, "__bases__", bases)
        # ABCs cache isinstance() answers, negative ones too.
        for klass in {*live.__mro__, *(c for b in bases for c in b.__mro__)}:
            if isinstance(klass, abc.ABCMeta):
                self.state.after_commit.append(klass._abc_caches_clear)  # type: ignore[attr-defined]


def protocol_members(cls: type, views: list[dict[str, Any]]) -> set[str]:
    """A protocol's members as ``typing`` counts them (names its classes bind or annotate,
    except typing's own and special names), from ``views`` of the dicts of ``cls.__mro__``."""
    excluded: frozenset[str] = getattr(typing, "EXCLUDED_ATTRIBUTES", frozenset())
    members: set[str] = set()
    for klass, view in zip(cls.__mro__, views):
        if klass.__name__ in ("Protocol", "Generic"):
            continue
        annotations = view.get("__annotations__")
        if not isinstance(annotations, dict):
            annotations = getattr(klass, "__annotations__", {})
        for name in (*view, *annotations):
            if not name.startswith("_abc_") and name not in excluded:
                members.add(name)
    return members


def _with_subclasses(classes: Sequence[type]) -> list[type]:
    """``classes`` and every class deriving from them, each once."""
    out: dict[int, type] = {}
    stack = list(reversed(classes))
    while stack:
        cls = stack.pop()
        if id(cls) not in out:
            out[id(cls)] = cls
            stack.extend(type.__subclasses__(cls))
    return list(out.values())


def rehome_member(value: Any, new: type, live: type) -> Any:
    """A class attribute of the throwaway class made to refer to the live class: functions, and
    the functions inside properties, classmethods and staticmethods (``super()`` cells)."""
    if isinstance(value, types.FunctionType):
        return rehome(value, new, live)
    if isinstance(value, property):
        parts: list[Any] = [
            rehome(f, new, live) if isinstance(f, types.FunctionType) else f
            for f in (value.fget, value.fset, value.fdel)
        ]
        return type(value)(parts[0], parts[1], parts[2], value.__doc__)
    if isinstance(value, (classmethod, staticmethod)) and isinstance(
        value.__func__, types.FunctionType
    ):
        return type(value)(rehome(value.__func__, new, live))
    return value
