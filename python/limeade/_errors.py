"""Exceptions raised by limeade. Every one leaves the running program exactly as it was."""

from __future__ import annotations

#: `typing` is imported for type checking only: `import limeade` must not pay for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Optional


class RefreshError(Exception):
    """A refresh could not be applied; nothing was changed."""


class PlanError(RefreshError):
    """A changed file cannot be planned: a syntax error, undecodable bytes, or syntax limeade's
    parser does not support. ``path``, ``line`` and ``col`` (1-based, characters) say where;
    ``kind`` says what, as the planner decided it: ``"syntax"``, ``"unsupported"`` (valid
    Python limeade's parser cannot read yet), ``"decode"``, ``"too_deep"`` or ``"internal"``."""

    def __init__(
        self,
        message: str,
        path: str,
        line: Optional[int] = None,
        col: Optional[int] = None,
        kind: str = "syntax",
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.col = col
        self.kind = kind


class ConflictError(RefreshError):
    """A class cannot be mutated in place (metaclass, bases, class keywords or ``__slots__``
    changed) and ``conflicts="error"`` was asked for. ``conflicts`` lists ``(module, qualname,
    reason)``."""

    def __init__(self, message: str, conflicts: list[tuple[str, str, str]]) -> None:
        super().__init__(message)
        self.conflicts = conflicts

    @classmethod
    def refusing(cls, conflicts: list[tuple[str, str, str]]) -> ConflictError:
        """The refusal of a refresh because of these ``(module, qualname, reason)``."""
        text = "; ".join(f"{m}.{q}: {r}" for m, q, r in conflicts)
        return cls(f"refresh refused, classes cannot be mutated in place: {text}", conflicts)


class ApplyError(RefreshError):
    """Running the new code, or mutating a live object, failed. The cause is chained
    (``__cause__``); ``module`` and ``statement`` say where."""

    def __init__(self, message: str, module: str, statement: str) -> None:
        super().__init__(message)
        self.module = module
        self.statement = statement


class TrackError(ValueError):
    """A module cannot be tracked: limeade cannot read the Python source it runs (built-in,
    frozen and extension modules, namespace packages, a custom loader without ``get_source``).
    ``module`` names it and ``reason`` says why."""

    def __init__(self, module: str, reason: str) -> None:
        super().__init__(f"module {module!r} has no Python source to track: {reason}")
        self.module = module
        self.reason = reason
