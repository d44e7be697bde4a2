"""What a plan predicts and what a refresh did, in the same terms, so the two can be compared."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional, cast

from . import _native
from ._outcomes import MIGRATED, NOT_UPDATED, NOTHING_DONE, REPLACED, Outcome, OutcomeLog
from ._plan_data import Actions, Definition, ModulePlan, Statement

#: The plan's words for people, from the planner itself (one vocabulary for plan text, reports
#: and logs): execution names as the plan's data spells them -> words.
EXECUTION_LABELS: dict[str, str] = dict(_native.labels()[1])


class Change(NamedTuple):
    """One change to one definition or statement and what it did to live objects:
    ``("app", "C.method", "body", "updated in place", "")``. ``outcome`` is empty where no
    outcome was asked for (``plan.changes`` of a module that is not loaded)."""

    module: str
    qualname: str
    kind: str
    outcome: str = ""
    #: Why the outcome, where it says more (``"its closure variables changed"``).
    why: str = ""

    def describe(self) -> str:
        """``body -> updated in place`` or ``body -> replaced (it became a generator)``."""
        if not self.outcome:
            return self.kind
        if self.outcome == self.kind:
            return self.outcome_words()  # "added", not "added -> added"
        return f"{self.kind} -> {self.outcome_words()}"

    def where(self, module: str) -> str:
        """What it changed, as the report or plan of ``module`` names it: ``C.m``, or with its
        module for a change in another one (an importer's copy, a registry)."""
        return self.qualname if self.module == module else f"{self.module}.{self.qualname}"

    def line_in(self, module: str) -> str:
        """``C.m  body -> updated in place`` as the report or plan of ``module`` shows it."""
        return f"{self.where(module)}  {self.describe()}"

    def outcome_words(self) -> str:
        """``replaced (it became a generator function)`` (a conflict's reason, which is its
        kind already, is not repeated)."""
        why = "" if self.why and self.why in self.kind else self.why
        return Outcome(self.outcome, why).words()


def migration_change(cls: type, why: str) -> Change:
    """The change ``__limeade_migrate__`` makes: one per class whose instances it runs for."""
    return Change(cls.__module__, cls.__qualname__, "__limeade_migrate__", MIGRATED, why)


def definition_name(d: Definition) -> str:
    """How changes name a definition (the planner's ``name``: ``C.x#2`` for the second)."""
    return str(d["name"])


def statement_key(s: Statement) -> str:
    """The outcome log's key of a statement: the planner's ``name`` (``X, Y``, ``<if>``) with
    its label and status (two ``<if>`` blocks, one added and one removed, differ), as
    ``limeade_plan::ChangeLine::key`` spells it."""
    return f"{s['name']} {s['label']} {s['status']}"


#: The key under which :class:`Plan` keeps each module plan's changes as the planner names them:
#: ``[(key, shown, kind)]`` from ``_native.Plan.changes``.
_CHANGE_LINES = "change_lines"


def changes_of_module(
    module_plan: ModulePlan, outcomes: Optional[OutcomeLog] = None
) -> list[Change]:
    """The changes a module plan announces, in plan order, named and worded by the planner
    (``limeade_plan::module_changes``, which the plan text is rendered from too), each with its
    outcome from ``outcomes`` (what was decided for it; a change nothing was decided for is
    reported as not updated)."""
    name = module_plan["module"]
    lines: list[tuple[str, str, str]] = cast("dict[str, Any]", module_plan)[_CHANGE_LINES]
    if outcomes is None:
        return [Change(name, shown, kind) for _, shown, kind in lines]
    out: list[Change] = []
    for key, shown, kind in lines:
        found = outcomes.get(key) or Outcome(NOT_UPDATED, NOTHING_DONE)
        out.append(Change(name, shown, kind, found.outcome, found.why))
    return out


def outcome_notes(module_plan: ModulePlan, outcomes: OutcomeLog) -> list[str]:
    """Each change's kind and outcome in words (``body -> updated in place``), in plan order:
    the plan text shows what the report will."""
    return [change.describe() for change in changes_of_module(module_plan, outcomes)]


class Plan:
    """The dry run: what :func:`limeade.refresh` would do right now. ``str(plan)`` is the compact
    text ``cargo xtask plan`` prints; :meth:`to_json` the full data."""

    def __init__(self, native: Any = None, errors: list[tuple[str, str]] | None = None) -> None:
        self._native = native
        self._data: Actions = (
            native.actions()
            if native is not None
            else {"modules": [], "order": {"groups": [], "cycles": [], "edges": []}}
        )
        #: Per changed module, the copies in other modules its refresh would rebind.
        self.rebinds: dict[str, list[Change]] = {}
        #: Modules that could not be read: ``[(module, reason)]`` (deleted or unreadable files).
        self.skipped: list[tuple[str, str]] = errors or []
        #: Per loaded module, the outcome predicted for each of its changes.
        self.outcomes: dict[str, OutcomeLog] = {}
        lines = native.changes() if native is not None else {}
        for m in self._data["modules"]:
            cast("dict[str, Any]", m)[_CHANGE_LINES] = lines.get(m["module"], [])

    @property
    def modules(self) -> list[str]:
        """Names of the changed modules, in apply order."""
        return [m["module"] for m in self._data["modules"]]

    @property
    def changes(self) -> list[Change]:
        """Every predicted change, module by module in apply order."""
        out: list[Change] = []
        for m in self._data["modules"]:
            out.extend(changes_of_module(m, self.outcomes.get(m["module"])))
            out.extend(self.rebinds.get(m["module"], ()))
        return out

    def module_plan(self, name: str) -> ModulePlan:
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
        if self._native is None:
            text = "nothing changed\n"
        else:
            text = self._native.render_with_outcomes(
                {
                    m["module"]: outcome_notes(m, self.outcomes[m["module"]])
                    for m in self._data["modules"]
                    if m["module"] in self.outcomes
                },
                {
                    module: [c.line_in(module) for c in changes]
                    for module, changes in self.rebinds.items()
                    if changes
                },
            )
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
    #: Conflicts that made the refresh replace a class, as ``(qualname, reason)`` (conflicts
    #: applied to the live class, such as compatible new bases, are not listed).
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: Why the module was skipped (deleted or unreadable file).
    skipped_reason: str = ""
    #: What was recorded for each change while the refresh ran (the changes' outcomes come
    #: from it; it also says which class a member's outcome belongs to).
    outcomes: OutcomeLog = field(default_factory=OutcomeLog, repr=False, compare=False)

    @property
    def replaced(self) -> list[tuple[str, str]]:
        """Names bound to a new object instead of mutated in place (old references keep the
        old object), with why: this module's changes whose outcome is replaced. A replaced
        class's members are listed with it, not each."""
        return self._with_outcome(REPLACED)

    @property
    def not_updated(self) -> list[tuple[str, str]]:
        """Changes left alone, with why (a definition no live object holds, such as a shadowed
        one or an ``@overload`` stub; a closure whose free variables changed; the
        ``__main__`` guard): this module's changes whose outcome is not updated."""
        return self._with_outcome(NOT_UPDATED)

    def _with_outcome(self, outcome: str) -> list[tuple[str, str]]:
        # Read from the changes and the outcomes recorded for them, the one record of what was
        # done: never a second list kept beside them. A member whose outcome is its class's
        # (replaced with it) is listed as the class, once, with the class's reason.
        found: dict[str, str] = {}
        for c in self.changes:
            if c.module != self.module or c.outcome != outcome:
                continue
            owner = self.outcomes.whole_class_of(c.qualname)
            if owner is not None and owner[1].outcome == outcome:
                found.setdefault(owner[0], owner[1].why)
            else:
                found.setdefault(c.qualname, c.why)
        return list(found.items())


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
            lines.extend(f"  {c.line_in(m.module)}" for c in m.changes)
        return "\n".join(lines)
