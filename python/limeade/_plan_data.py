"""The shape of the plan the live side reads (``actions()`` of ``limeade._native.Plan``, the
data of its ``actions_json``), as types mypy checks: a key the planner does not write, or a
value used as the wrong type, is a type error here instead of a ``KeyError`` in a user's
refresh. The planner's serialisation is
``crates/limeade-apply/src/actions.rs`` over the types of ``crates/limeade-plan/src/plan.rs``;
its snapshots (fixtures) pin the same shape from the Rust side.

Type checking only: at run time the plan stays the plain dicts and lists ``actions()`` built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Optional, TypedDict, Union

if TYPE_CHECKING:
    from typing_extensions import NotRequired

DefinitionStatus = Literal["unchanged", "changed", "added", "removed"]
StatementStatus = Literal["unchanged", "changed", "added", "removed"]
Execution = Literal["nothing", "definitions_only", "statements", "full_body"]


class Span(TypedDict):
    """1-based lines, both included."""

    start_line: int
    end_line: int


class Definition(TypedDict):
    """A ``def`` or ``class`` matched across versions."""

    qualname: str
    #: How changes name it (``C.x#2`` for the second definition of a name).
    name: str
    #: The scope that binds it: ``""`` (module level), the enclosing class's qualname, or for a
    #: definition inside a function body (``in_function``) the enclosing function's qualname.
    scope: str
    #: Its own name (``m`` of ``C.m``).
    leaf: str
    #: Defined inside a function body (``f.<locals>.g``); absent when false.
    in_function: NotRequired[bool]
    occurrence: int
    kind: Literal["function", "async_function", "class"]
    status: DefinitionStatus
    aspects: list[str]
    old_span: Optional[Span]
    new_span: Optional[Span]
    #: The ``def``/``class`` line (after decorators), in the new version.
    def_line: Optional[int]
    #: What the live side does with it as far as the source tells (the live side may still
    #: run a class again when the live class cannot take its change).
    action: Literal["keep", "update", "move", "run", "rename", "remove"]
    #: For ``action == "rename"``: the removed definition it renames.
    renamed_from: NotRequired[str]
    #: A class whose body starts on its header line (``class C: x = 1``).
    body_on_header_line: bool
    line_shift: NotRequired[int]
    type_params: NotRequired[str]
    #: A changed class docstring as the literal gives it (absent when removed).
    docstring: NotRequired[str]
    #: An added function whose ``def`` evaluates nothing of the program (no decorator,
    #: default or annotation); absent when false.
    evaluates_nothing: NotRequired[bool]


class Statement(TypedDict):
    """A module- or class-level statement that is not a definition."""

    #: ``""`` for module level, else the class qualname.
    scope: str
    #: In the body of a class a function makes (``f.<locals>.C``); absent when false.
    in_function: NotRequired[bool]
    #: How changes name it (``X, Y``, ``<if>``).
    name: str
    status: StatementStatus
    label: str
    binds: list[str]
    #: A module-level ``if __name__ == "__main__":`` (any spelling): never run again.
    main_guard: bool
    old_span: Optional[Span]
    new_span: Optional[Span]


#: What the live side walks in source order.
Entry = Union[Definition, Statement]


class BasesChanged(TypedDict):
    """The base class list changed (normalised source texts)."""

    type: Literal["bases_changed"]
    old: list[str]
    new: list[str]


class SlotsChanged(TypedDict):
    """A literal ``__slots__`` changed."""

    type: Literal["slots_changed"]
    added: list[str]
    removed: list[str]


class OtherConflict(TypedDict):
    """A conflict the live side only reads the reason of (the class is replaced)."""

    type: Literal[
        "type_params_changed",
        "metaclass_changed",
        "class_keywords_changed",
        "slots_dynamic",
        "enum_members_changed",
    ]


ConflictKind = Union[BasesChanged, SlotsChanged, OtherConflict]


class Conflict(TypedDict):
    """A class change the live class cannot take by plain attribute updates."""

    qualname: str
    line: int
    kind: ConflictKind
    reason: str


class StarExports(TypedDict):
    type: Literal["listed", "public", "unknown"]
    names: NotRequired[list[str]]


class ModulePlan(TypedDict):
    """One module's plan, as the live side acts on it."""

    module: str
    path: str
    execution: Execution
    #: Changed definitions, and the unchanged classes the live side uses (holding a change,
    #: or in conflict).
    definitions: list[Definition]
    #: Changed statements only.
    statements: list[Statement]
    conflicts: list[Conflict]
    #: Module-level names the new source no longer binds.
    unbound_names: list[str]
    star_exports: StarExports
    #: Per scope the live side asks about (a class with changes; the module when it has
    #: conflicts), the names the new source binds there.
    scope_names: dict[str, list[str]]
    #: Whether, by the source alone, the refresh only compiles (bodies, docstrings, moves,
    #: removals; no statement, decorated method, conflict or rename runs anything).
    compiled_only: bool
    #: When ``compiled_only``: the classes holding a changed or removed member.
    member_owners: list[str]
    #: Unchanged statements that moved (functions they made get their new line numbers).
    moved_statements: list[Statement]


class ApplyOrder(TypedDict):
    groups: list[list[str]]
    cycles: list[list[str]]
    edges: list[dict[str, Any]]


class Actions(TypedDict):
    """What ``actions()`` returns (``actions_json`` decoded)."""

    modules: list[ModulePlan]
    order: ApplyOrder


def new_lines(entry: Union[Definition, Statement]) -> tuple[int, int]:
    """First and last line of a plan entry in the new source (an added or changed one)."""
    span = entry["new_span"]
    if span is None:
        raise ValueError(f"{entry['name']} is not in the new source")
    return span["start_line"], span["end_line"]


def old_lines(entry: Union[Definition, Statement]) -> tuple[int, int]:
    """First and last line of a plan entry in the running source (a changed or removed one)."""
    span = entry["old_span"]
    if span is None:
        raise ValueError(f"{entry['name']} is not in the running source")
    return span["start_line"], span["end_line"]
