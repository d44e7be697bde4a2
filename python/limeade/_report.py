"""What a plan predicts and what a refresh did, in the same terms, so the two can be compared."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import _native

#: The plan's words for people, from the planner itself (one vocabulary for plan text, reports
#: and logs): aspect and execution names as the plan's data spells them -> words.
_ASPECTS, _EXECUTIONS = _native.labels()
ASPECT_LABELS: dict[str, str] = dict(_ASPECTS)
EXECUTION_LABELS: dict[str, str] = dict(_EXECUTIONS)


class Change(NamedTuple):
    """One change to one definition or statement: ``("app", "C.method", "body")``."""

    module: str
    qualname: str
    kind: str


def changes_of_module(module_plan: dict[str, Any]) -> list[Change]:
    """The changes a module plan announces, in plan order (definitions, statements, unbound
    names, conflicts)."""
    name = module_plan["module"]
    out: list[Change] = []
    renames = {
        r["new_qualname"]: r["old_qualname"]
        for r in module_plan["renames"]
        if r["old_qualname"].rsplit(".", 1)[0:-1] == r["new_qualname"].rsplit(".", 1)[0:-1]
    }
    renamed_away = set(renames.values())
    for d in module_plan["definitions"]:
        status = d["status"]
        if status == "unchanged" or (status == "removed" and d["qualname"] in renamed_away):
            continue
        if status == "added" and d["qualname"] in renames:
            out.append(Change(name, f"{renames[d['qualname']]} -> {d['qualname']}", "renamed"))
            continue
        qualname = (
            d["qualname"] if d["occurrence"] == 0 else f"{d['qualname']}#{d['occurrence'] + 1}"
        )
        kind = (
            status
            if status in ("added", "removed")
            else ", ".join(ASPECT_LABELS.get(a, a) for a in d["aspects"])
        )
        out.append(Change(name, qualname, kind))
    for s in module_plan["statements"]:
        if s["status"] == "unchanged":
            continue
        prefix = f"{s['scope']}." if s["scope"] else ""
        target = ", ".join(prefix + b for b in s["binds"]) or f"{prefix}<{s['label']}>"
        out.append(Change(name, target, f"{s['label']} {s['status']}"))
    for unbound in module_plan["unbound_names"]:
        if unbound not in renamed_away:
            out.append(Change(name, unbound, "unbound"))
    for conflict in module_plan["conflicts"]:
        out.append(Change(name, conflict["qualname"], f"conflict: {conflict['reason']}"))
    return out


class Plan:
    """The dry run: what :func:`limeade.refresh` would do right now. ``str(plan)`` is the compact
    text ``cargo xtask plan`` prints; :meth:`to_json` the full data."""

    def __init__(self, native: Any = None, errors: list[tuple[str, str]] | None = None) -> None:
        self._native = native
        self._data: dict[str, Any] = (
            json.loads(native.actions_json())
            if native is not None
            else {"modules": [], "order": {"groups": [], "cycles": [], "edges": []}}
        )
        #: Per changed module, the copies in other modules its refresh would rebind.
        self.rebinds: dict[str, list[Change]] = {}
        #: Modules that could not be read: ``[(module, reason)]`` (deleted or unreadable files).
        self.skipped: list[tuple[str, str]] = errors or []

    @property
    def modules(self) -> list[str]:
        """Names of the changed modules, in apply order."""
        return [m["module"] for m in self._data["modules"]]

    @property
    def changes(self) -> list[Change]:
        """Every predicted change, module by module in apply order."""
        out: list[Change] = []
        for m in self._data["modules"]:
            out.extend(changes_of_module(m))
            out.extend(self.rebinds.get(m["module"], ()))
        return out

    def module_plan(self, name: str) -> dict[str, Any]:
        """What the refresh acts on for one module: the changed definitions and statements, every
        class, conflicts, unbound names (see :meth:`to_json` for the full plan)."""
        for m in self._data["modules"]:
            if m["module"] == name:
                return m
        raise KeyError(name)

    def to_json(self) -> str:
        """The whole plan as JSON (every definition of both versions, unchanged ones included)."""
        if self._native is None:
            return json.dumps(self._data, indent=2)
        return self._native.to_json()

    def __bool__(self) -> bool:
        return any(m["execution"] != "nothing" for m in self._data["modules"])

    def __str__(self) -> str:
        text = self._native.render() if self._native is not None else "nothing changed\n"
        for module, reason in self.skipped:
            text += f"? {module}  skipped: {reason}\n"
        return text

    def __repr__(self) -> str:
        return f"<limeade.Plan modules={self.modules!r}>"


@dataclass
class ModuleReport:
    """What a refresh did to one module."""

    module: str
    path: str
    #: The plan text's words (``"update definitions only"``, ``"run changed statements"``, ...)
    #: or ``"skipped"``.
    strategy: str
    changes: list[Change] = field(default_factory=list)
    #: Conflicts met, as ``(qualname, reason)``.
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: Names bound to a new object instead of mutated in place, with why.
    replaced: list[tuple[str, str]] = field(default_factory=list)
    #: Why the module was skipped (deleted or unreadable file).
    skipped_reason: str = ""
    #: Definitions no live object holds (shadowed, ``@overload`` stubs), left alone, with why.
    not_updated: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RefreshReport:
    """What :func:`limeade.refresh` did. ``bool(report)`` says whether anything changed."""

    modules: list[ModuleReport] = field(default_factory=list)
    #: How long the refresh took, in milliseconds.
    elapsed_ms: float = 0.0

    @property
    def changes(self) -> list[Change]:
        """Every applied change, module by module in apply order."""
        return [c for m in self.modules for c in m.changes]

    def module(self, name: str) -> ModuleReport:
        """The report of one module."""
        for m in self.modules:
            if m.module == name:
                return m
        raise KeyError(name)

    def __bool__(self) -> bool:
        return any(m.changes for m in self.modules)

    def __str__(self) -> str:
        if not self.modules:
            return "limeade: nothing to refresh"
        lines = []
        for m in self.modules:
            if m.strategy == "skipped":
                lines.append(f"{m.module}: skipped ({m.skipped_reason})")
                continue
            lines.append(f"{m.module}: {len(m.changes)} change(s), {m.strategy}")
            # Changes in other modules (importers' copies, their defaults) name their module.
            lines.extend(
                f"  {c.qualname if c.module == m.module else f'{c.module}.{c.qualname}'}  {c.kind}"
                for c in m.changes
            )
            lines.extend(f"  {q}  replaced: {why}" for q, why in m.replaced)
        return "\n".join(lines)
