"""Copies other modules hold of a refreshed module's names: ``from m import X`` copies rebound,
``from m import *`` importers given the names a fresh import would give them, through chains
of re-exporting modules. Which module imports what (star imports included) is data from the
registry's parsed trees; this module only compares live values."""

from __future__ import annotations

import sys
import types
from collections.abc import Collection, Mapping
from typing import Any, Optional

from . import _tracking
from ._mutations import DELETED, Mutations
from ._outcomes import DECIDED_WHEN_RUN, NOT_UPDATED, REBOUND, REMOVED, REPLACED, OutcomeLog
from ._plan_data import ModulePlan
from ._report import Change

_MISSING = object()
#: Why an importer's copy of a name its module no longer defines stays as it is.
STILL_HELD = "the importer keeps the removed object; a fresh start would fail with ImportError"


def star_exports(namespace: Mapping[str, Any]) -> list[str]:
    """Names ``from m import *`` takes from a module namespace: ``__all__`` when it is defined
    (names the namespace does not hold are left out), else every name not starting with ``_``."""
    listed = namespace.get("__all__", _MISSING)
    if listed is _MISSING:
        return [n for n in namespace if not n.startswith("_")]
    try:
        names = [n for n in listed if isinstance(n, str)]
    except TypeError:
        return []
    return [n for n in dict.fromkeys(names) if n in namespace]


def names_bound_anew(module_plan: ModulePlan) -> set[str]:
    """Module-level names a refresh of this module binds anew: those of its changed or added
    statements (``*`` left out) and of its added definitions."""
    names = {
        b
        for st in module_plan["statements"]
        if not st["scope"] and st["status"] in ("changed", "added")
        for b in st["binds"]
        if b != "*"
    }
    names.update(
        d["qualname"]
        for d in module_plan["definitions"]
        if d["status"] == "added" and not d["scope"]
    )
    return names


def _rebound(new: Any) -> str:
    """A copy rebound to ``new``: certain, unless a prediction's stand-in says only running the
    new code decides whether the name gets a new object."""
    if isinstance(new, _Predicted) and not new.decided:
        return DECIDED_WHEN_RUN
    return REBOUND


def rebind_copies(
    exporter: str,
    mutations: Mutations,
    rebinding_itself: Optional[Mapping[str, Collection[str]]] = None,
) -> list[Change]:
    """Add to ``mutations`` what the importers of ``exporter`` need so they hold what they would
    hold after a fresh import: copies of replaced values rebound (only where the importer still
    holds the old object: a name the importer rebound itself is never touched), names a star
    import now gives added, names it no longer gives removed. Importers whose namespace changes
    this way pass it on to their own importers (a package re-exporting with ``*``).
    ``rebinding_itself``: per module refreshed with this one, the names its own refresh unbinds
    or binds anew (a copy of a removed name the importer drops, or defines itself, is not
    reported as kept)."""
    changes: list[Change] = []
    queue = [exporter]
    seen = {exporter}
    while queue:
        source = queue.pop(0)
        module = sys.modules.get(source)
        if module is None:
            continue
        before = module.__dict__
        after = mutations.post_commit(before)
        if after is None:
            continue
        for importer, bound_as, name in _tracking.REGISTRY.importers_of(source):
            target = sys.modules.get(importer)
            if target is None or target is module:
                continue
            if name == "*":
                found = _star_copies(source, before, after, importer, target.__dict__, mutations)
            else:
                dropped = bound_as in (rebinding_itself or {}).get(importer, ())
                found = _named_copy(
                    source, before, after, name, importer, bound_as, target, mutations, dropped
                )
            changes.extend(found)
            if found and importer not in seen:
                seen.add(importer)
                queue.append(importer)
    return changes


def _named_copy(
    source: str,
    before: dict[str, Any],
    after: dict[str, Any],
    name: str,
    importer: str,
    bound_as: str,
    target: types.ModuleType,
    mutations: Mutations,
    dropped: bool = False,
) -> list[Change]:
    old, new = before.get(name, _MISSING), after.get(name, _MISSING)
    held = target.__dict__.get(bound_as, _MISSING)
    if old is _MISSING or old is new or held is not old:
        return []
    if new is _MISSING:
        if dropped:
            return []  # the importer's own refresh removes its import of it
        # Nothing to rebind it to: the importer keeps the old object, and says so.
        return [Change(importer, bound_as, f"gone from {source}.{name}", NOT_UPDATED, STILL_HELD)]
    if mutations.touched(target.__dict__, bound_as):
        return []
    mutations.setitem(target.__dict__, bound_as, new)
    return [Change(importer, bound_as, f"rebound from {source}.{name}", _rebound(new))]


def _star_copies(
    source: str,
    before: dict[str, Any],
    after: dict[str, Any],
    importer: str,
    target: dict[str, Any],
    mutations: Mutations,
) -> list[Change]:
    old_exports = set(star_exports(before))
    new_exports = star_exports(after)
    changes = []
    for name in sorted(new_exports):
        old = before[name] if name in old_exports else _MISSING
        new = after[name]
        if old is new or mutations.touched(target, name):
            continue
        # A name the star import gave before and the importer deleted or rebound is its own.
        if target.get(name, _MISSING) is old:
            mutations.setitem(target, name, new)
            changes.append(Change(importer, name, f"rebound from {source}.{name}", _rebound(new)))
    for name in sorted(old_exports.difference(new_exports)):
        if target.get(name, _MISSING) is before[name] and not mutations.touched(target, name):
            mutations.delitem(target, name)
            changes.append(
                Change(importer, name, f"unbound, no longer exported by {source}", REMOVED)
            )
    return changes


class Prediction:
    """What a refresh would do to the namespaces of other modules, without running anything:
    per module, the names that would be rebound and unbound."""

    def __init__(self) -> None:
        self.changes: list[Change] = []
        #: Module name -> names whose value would change (rebound or added).
        self.rebound: dict[str, set[str]] = {}
        #: Module name -> names that would be removed.
        self.unbound: dict[str, set[str]] = {}


class _Predicted:
    """Stands in a predicted namespace for the object a name will hold after the refresh (not
    known before the new code runs). ``decided``: whether the name surely gets a new object."""

    __slots__ = ("decided", "name")

    def __init__(self, name: str, decided: bool) -> None:
        self.name = name
        self.decided = decided


def predict_copies(
    module_plan: ModulePlan,
    outcomes: Optional[OutcomeLog] = None,
    rebinding_itself: Optional[Mapping[str, Collection[str]]] = None,
) -> Prediction:
    """The copies a refresh of this module would rebind, add or remove in other modules: names
    bound by changed or added module-level statements, or by definitions predicted to be
    replaced (``outcomes``), that importers still hold, names the module's star exports gain or
    lose. Decided by :func:`rebind_copies` itself, on mutations that bind stand-ins for the new
    objects (never committed)."""
    name = module_plan["module"]
    prediction = Prediction()
    module = sys.modules.get(name)
    if module is None:
        return prediction
    rebound = names_bound_anew(module_plan)
    unbound = set(module_plan["unbound_names"])
    undecided: set[str] = set()
    decided = outcomes.by_name if outcomes is not None else {}
    for d in module_plan["definitions"]:
        outcome = decided.get(d["name"])
        if outcome is None or d["scope"] or d["occurrence"]:
            continue  # nothing predicted; members, repeated definitions
        if outcome.outcome in (REPLACED, DECIDED_WHEN_RUN):
            rebound.add(d["qualname"])
        if outcome.outcome == DECIDED_WHEN_RUN:
            undecided.add(d["qualname"])
    namespace = module.__dict__
    stand_ins = Mutations()
    for n in sorted(rebound):
        stand_ins.setitem(namespace, n, _Predicted(n, n not in undecided))
    for n in sorted(unbound):
        if n in namespace:
            stand_ins.delitem(namespace, n)
    declared = module_plan["star_exports"]
    if declared["type"] == "listed":
        stand_ins.setitem(namespace, "__all__", list(declared.get("names", [])))
    elif declared["type"] == "public" and "__all__" in namespace:
        stand_ins.delitem(namespace, "__all__")
    prediction.rebound[name] = rebound
    prediction.unbound[name] = unbound
    prediction.changes = rebind_copies(name, stand_ins, rebinding_itself)
    for target in stand_ins.changed_dicts():
        importer = target.get("__name__") if target is not namespace else None
        if isinstance(importer, str):
            for key, value in stand_ins.item_changes(target).items():
                into = prediction.unbound if value is DELETED else prediction.rebound
                into.setdefault(importer, set()).add(key)
    return prediction
