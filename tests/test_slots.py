"""``__slots__`` that gain or lose a name: the class is kept, old and new instances both work."""

from __future__ import annotations

import limeade
import pytest

SLOTTED = """
class P:
    __slots__ = ("x",)

    def __init__(self):
        self.x = 1
"""


def test_added_slot_works_for_old_and_new_instances(live):
    m = live.load("m", SLOTTED)
    old_cls, old = m.P, m.P()
    live.edit("m", '__slots__ = ("x",)', '__slots__ = ("x", "y")')
    live.edit("m", "        self.x = 1", "        self.x = 1\n        self.y = 2")
    report = live.refresh(conflicts="error")
    assert m.P is old_cls
    new = old_cls()
    assert (new.x, new.y) == (1, 2)
    old.y = 5
    assert (old.x, old.y, new.y) == (1, 5, 2)
    assert report.module(m.__name__).replaced == []
    # Said as what happened to the class: its slots, not its bases, changed; no conflict left.
    kept = [c for c in report.changes if c.qualname == "P" and c.outcome.startswith("kept")]
    assert [c.outcome for c in kept] == ["kept with new slots"], report.changes
    assert "bases" not in str(report) and report.module(m.__name__).conflicts == []


def test_removed_slot_comes_back_with_its_values(live):
    m = live.load("m", SLOTTED.replace('("x",)', '("x", "y")'))
    obj = m.P()
    obj.y = 7
    live.edit("m", '__slots__ = ("x", "y")', '__slots__ = ("x",)')
    live.refresh()
    assert not hasattr(m.P, "y")
    live.edit("m", '__slots__ = ("x",)', '__slots__ = ("x", "y")')
    live.refresh()
    # The original slot descriptor was kept aside: the value stored before is reachable again.
    assert obj.y == 7


def test_slots_change_rolls_back(live):
    m = live.load("m", SLOTTED)
    live.edit("m", '__slots__ = ("x",)', '__slots__ = ("x", "y")\n    BROKEN = 1 / 0')
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert not hasattr(m.P, "y")
    assert "__limeade_removed_slots__" not in m.P.__dict__
