"""Copies other modules hold of a refreshed module's names: ``from m import X`` copies rebound,
``from m import *`` importers given the names a fresh import would give them, through chains
of re-exporting modules. Which module imports what (star imports included) is data from the
registry's parsed trees; this module only compares live values."""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from typing import Any, Optional

from . import _tracking
from ._outcomes import DECIDED_WHEN_RUN, REBOUND, REMOVED, REPLACED, OutcomeLog
from ._report import Change

_MISSING = object()


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


def post_commit(namespace: dict[str, Any], mutations: list[Any]) -> Optional[dict[str, Any]]:
    """A copy of ``namespace`` with the mutations' item assignments and deletions on it applied,
    or ``None`` when no mutation touches it."""
    after: Optional[dict[str, Any]] = None
    for m in mutations:
        if m[0] in ("setitem", "delitem") and m[1] is namespace:
            if after is None:
                after = dict(namespace)
            if m[0] == "setitem":
                after[m[2]] = m[3]
            else:
                after.pop(m[2], None)
    return after


def _touched(target: dict[str, Any], key: str, mutations: list[Any]) -> bool:
    return any(m[0] in ("setitem", "delitem") and m[1] is target and m[2] == key for m in mutations)


def rebind_copies(exporter: str, mutations: list[Any]) -> list[Change]:
    """Add to ``mutations`` what the importers of ``exporter`` need so they hold what they would
    hold after a fresh import: copies of replaced values rebound (only where the importer still
    holds the old object: a name the importer rebound itself is never touched), names a star
    import now gives added, names it no longer gives removed. Importers whose namespace changes
    this way pass it on to their own importers (a package re-exporting with ``*``)."""
    changes: list[Change] = []
    queue = [exporter]
    seen = {exporter}
    while queue:
        source = queue.pop(0)
        module = sys.modules.get(source)
        if module is None:
            continue
        before = module.__dict__
        after = post_commit(before, mutations)
        if after is None:
            continue
        for importer, bound_as, name in _tracking.REGISTRY.importers_of(source):
            target = sys.modules.get(importer)
            if target is None or target is module:
                continue
            if name == "*":
                found = _star_copies(source, before, after, importer, target.__dict__, mutations)
            else:
                found = _named_copy(
                    source, before, after, name, importer, bound_as, target, mutations
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
    mutations: list[Any],
) -> list[Change]:
    old, new = before.get(name, _MISSING), after.get(name, _MISSING)
    held = target.__dict__.get(bound_as, _MISSING)
    if old is _MISSING or new is _MISSING or old is new or held is not old:
        return []
    if _touched(target.__dict__, bound_as, mutations):
        return []
    mutations.append(("setitem", target.__dict__, bound_as, new))
    return [Change(importer, bound_as, f"rebound from {source}.{name}", REBOUND)]


def _star_copies(
    source: str,
    before: dict[str, Any],
    after: dict[str, Any],
    importer: str,
    target: dict[str, Any],
    mutations: list[Any],
) -> list[Change]:
    old_exports = set(star_exports(before))
    new_exports = star_exports(after)
    changes = []
    for name in sorted(new_exports):
        old = before[name] if name in old_exports else _MISSING
        new = after[name]
        if old is new or _touched(target, name, mutations):
            continue
        # A name the star import gave before and the importer deleted or rebound is its own.
        if target.get(name, _MISSING) is old:
            mutations.append(("setitem", target, name, new))
            changes.append(Change(importer, name, f"rebound from {source}.{name}", REBOUND))
    for name in sorted(old_exports.difference(new_exports)):
        if target.get(name, _MISSING) is before[name] and not _touched(target, name, mutations):
            mutations.append(("delitem", target, name))
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
        #: Names of the refreshed module whose rebinding only running the new code decides.
        self.undecided: set[str] = set()


def predict_copies(
    module_plan: dict[str, Any], outcomes: Optional[OutcomeLog] = None
) -> Prediction:
    """The copies a refresh of this module would rebind, add or remove in other modules (the
    prediction of :func:`rebind_copies`): names bound by changed or added module-level
    statements, or by definitions predicted to be replaced (``outcomes``), that importers still
    hold, names the module's star exports gain or lose."""
    name = module_plan["module"]
    prediction = Prediction()
    module = sys.modules.get(name)
    if module is None:
        return prediction
    rebound = {
        b
        for st in module_plan["statements"]
        if not st["scope"] and st["status"] in ("changed", "added")
        for b in st["binds"]
        if b != "*"
    }
    added_defs = {
        d["qualname"]
        for d in module_plan["definitions"]
        if d["status"] == "added" and "." not in d["qualname"]
    }
    unbound = set(module_plan["unbound_names"])
    undecided: set[str] = set()
    for top, outcome in outcomes.by_name.items() if outcomes is not None else ():
        if "." in top or "#" in top or " " in top:
            continue  # members, repeated definitions, statements
        if outcome.outcome == REPLACED:
            rebound.add(top)
        elif outcome.outcome == DECIDED_WHEN_RUN:
            rebound.add(top)
            undecided.add(top)
    prediction.undecided = undecided
    prediction.rebound[name] = rebound
    prediction.unbound[name] = unbound
    old_exports = set(star_exports(module.__dict__))
    # Names that will be bound after the refresh (a listed name may be a submodule never
    # imported, a name bound under `if TYPE_CHECKING:` is never bound).
    bound = (set(module.__dict__) - unbound) | rebound | added_defs
    declared = module_plan["star_exports"]
    if declared["type"] == "listed":
        new_exports: set[str] = set(declared["names"]) & bound
    elif declared["type"] == "public":
        new_exports = {n for n in bound if not n.startswith("_")}
    else:
        new_exports = old_exports - unbound
    _predict_from(name, rebound | added_defs, unbound, old_exports, new_exports, prediction)
    return prediction


def _predict_from(
    source: str,
    rebound: set[str],
    unbound: set[str],
    old_exports: set[str],
    new_exports: set[str],
    prediction: Prediction,
) -> None:
    queue = [(source, rebound, unbound, old_exports, new_exports)]
    seen = {source}
    while queue:
        source, rebound, unbound, old_exports, new_exports = queue.pop(0)
        values = sys.modules[source].__dict__
        for importer, bound_as, name in _tracking.REGISTRY.importers_of(source):
            target = sys.modules.get(importer)
            if target is None:
                continue
            held = target.__dict__
            got: set[str] = set()
            lost: set[str] = set()
            if name == "*":
                for n in sorted(new_exports):
                    current = values.get(n, _MISSING)
                    if n not in old_exports and n not in held:
                        got.add(n)
                    elif n in old_exports and n in rebound and held.get(n, _MISSING) is current:
                        got.add(n)
                for n in sorted(old_exports - new_exports):
                    if held.get(n, _MISSING) is values.get(n, _MISSING):
                        lost.add(n)
            elif name in rebound and name in values:
                if held.get(bound_as, _MISSING) is values[name]:
                    got.add(bound_as)
            for n in sorted(got):
                original = n if name == "*" else name
                outcome = DECIDED_WHEN_RUN if original in prediction.undecided else REBOUND
                prediction.changes.append(
                    Change(importer, n, f"rebound from {source}.{original}", outcome)
                )
            for n in sorted(lost):
                prediction.changes.append(
                    Change(importer, n, f"unbound, no longer exported by {source}", REMOVED)
                )
            if (got or lost) and importer not in seen:
                seen.add(importer)
                prediction.rebound.setdefault(importer, set()).update(got)
                prediction.unbound.setdefault(importer, set()).update(lost)
                before = set(star_exports(held))
                after = set(before) - lost
                if "__all__" not in held:
                    after |= {n for n in got if not n.startswith("_")}
                queue.append((importer, got, lost, before, after))
