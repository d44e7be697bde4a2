"""One change, one set of words: ``str(plan)``, ``plan.changes`` and ``str(report)`` name each
change once, with the same key, kind and outcome, for the edits where they used to disagree
(a rename, a removed name, a class replaced for its header, an edited ``__main__`` guard)."""

from __future__ import annotations

import limeade
from limeade._outcomes import MAIN_GUARD


def _views(live, plan: limeade.Plan) -> tuple[list[str], list[limeade.Change], list[str]]:
    """The plan text's change lines (mark and place included), plan.changes, and the refresh
    report's change lines, for one refresh."""
    text = [ln for ln in str(plan).splitlines()[1:] if not ln.startswith("module ")]
    changes = plan.changes
    report = live.refresh()
    return text, changes, [ln.strip() for ln in str(report).splitlines()[1:]]


def test_a_rename_is_one_change_in_every_view(live):
    m = live.load("m", "def reading_time(words):\n    return words // 200\n")
    old = m.reading_time
    live.edit("m", "def reading_time", "def estimate_reading_time")
    text, changes, report = _views(live, limeade.plan())
    assert text == ["> reading_time -> estimate_reading_time  renamed  [function, line 1]"]
    assert changes == [
        limeade.Change(m.__name__, "reading_time -> estimate_reading_time", "renamed", "renamed")
    ]
    assert report == ["reading_time -> estimate_reading_time  renamed"]
    assert m.estimate_reading_time is old and not hasattr(m, "reading_time")


def test_a_removed_name_is_one_change_with_its_outcome(live):
    m = live.load(
        "m",
        """
        LIMIT = 3

        def gone():
            return 1

        def kept():
            return LIMIT
        """,
    )
    kept = m.kept
    live.edit("m", "LIMIT = 3\n", "")
    live.edit("m", "def gone():\n    return 1\n", "")
    live.edit("m", "return LIMIT", "return 4")
    text, changes, report = _views(live, limeade.plan())
    assert text == [
        "~ kept  body -> updated in place  [line 6 -> 3]",
        "- gone  removed  [function, line 3]",
        "- LIMIT  assignment removed -> removed  [line 1]",
    ]
    assert [(c.qualname, c.kind, c.outcome) for c in changes] == [
        ("kept", "body", "updated in place"),
        ("gone", "removed", "removed"),
        ("LIMIT", "assignment removed", "removed"),
    ]
    assert report == [
        "kept  body -> updated in place",
        "gone  removed",
        "LIMIT  assignment removed -> removed",
    ]
    assert not hasattr(m, "gone") and not hasattr(m, "LIMIT") and kept() == 4


def test_a_class_replaced_for_its_header_is_told_once_by_its_conflict(live):
    m = live.load(
        "m",
        """
        class Meta(type):
            pass

        class Registry:
            def size(self):
                return 0
        """,
    )
    Registry, obj = m.Registry, m.Registry()
    live.edit("m", "class Registry:", "class Registry(metaclass=Meta):")
    plan = limeade.plan()
    text, changes, report = _views(live, plan)
    reason = "metaclass changed: type -> Meta (cannot mutate in place)"
    assert text == [f"! Registry  conflict: {reason} -> replaced  [line 4]"]
    assert changes == [
        limeade.Change(m.__name__, "Registry", f"conflict: {reason}", "replaced", reason)
    ]
    assert report == [f"Registry  conflict: {reason} -> replaced"]
    assert m.Registry is not Registry and type(m.Registry) is m.Meta
    assert type(obj) is Registry and obj.size() == 0


def test_an_edited_main_guard_is_not_updated_old_and_new(live):
    m = live.load(
        "m",
        """
        RUNS = []

        def main():
            return 1

        if __name__ == "__main__":
            RUNS.append(main())
        """,
    )
    main = m.main
    live.edit("m", "RUNS.append(main())", "RUNS.append(main() * 10)")
    text, changes, report = _views(live, limeade.plan())
    # One change: the edited block is the old one changed, not one removed and one added.
    assert text == [f"~ <__main__ block>  if changed -> not updated ({MAIN_GUARD})  [line 6]"]
    assert [(c.qualname, c.kind, c.outcome, c.why) for c in changes] == [
        ("<__main__ block>", "if changed", "not updated", MAIN_GUARD)
    ]
    assert report == [f"<__main__ block>  if changed -> not updated ({MAIN_GUARD})"]
    assert m.main is main and m.RUNS == []
