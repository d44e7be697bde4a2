"""A function or method renamed with an unchanged body keeps its identity under the new name."""

from __future__ import annotations

import limeade


def test_renamed_function_keeps_its_object(live):
    m = live.load(
        "m",
        """
        def reading_time(words):
            return words // 200
        """,
    )
    old = m.reading_time
    callbacks = [old]
    live.edit("m", "def reading_time(", "def estimate_reading_time(")
    plan = limeade.plan()
    report = live.refresh()
    assert report.changes == plan.changes
    assert report.changes == [
        limeade.Change(m.__name__, "reading_time -> estimate_reading_time", "renamed", "renamed")
    ]
    assert m.estimate_reading_time is old
    assert not hasattr(m, "reading_time")
    assert old.__name__ == "estimate_reading_time"
    assert callbacks[0](400) == 2


def test_renamed_method_keeps_its_object(live):
    m = live.load(
        "m",
        """
        class Invoice:
            def as_text(self):
                return "invoice"
        """,
    )
    old = m.Invoice.as_text
    inv = m.Invoice()
    live.edit("m", "def as_text(", "def render_text(")
    report = live.refresh()
    assert [c.kind for c in report.changes] == ["renamed"]
    assert m.Invoice.render_text is old
    assert inv.render_text() == "invoice"
    assert not hasattr(m.Invoice, "as_text")
    assert old.__qualname__ == "Invoice.render_text"


def test_renamed_function_stays_in_the_registries_that_hold_it(live):
    # A command table filled by a decorator and a hook list: after the rename a fresh start
    # would register the same function under the decorator's key, so the entries stay.
    m = live.load(
        "m",
        """
        COMMANDS = {}
        HOOKS = []


        def command(name):
            def register(fn):
                COMMANDS[name] = fn
                HOOKS.append(fn)
                return fn
            return register


        @command("heal")
        def heal():
            return "healed"


        @command("rest")
        def rest():
            return "rested"
        """,
    )
    old = m.heal
    live.edit("m", "def heal():", "def do_heal():")
    plan = limeade.plan()
    report = live.refresh()
    assert report.changes == plan.changes
    assert [c.kind for c in report.changes] == ["renamed"]
    assert m.do_heal is old and not hasattr(m, "heal")
    assert m.COMMANDS["heal"] is old and m.COMMANDS["heal"]() == "healed"
    assert m.HOOKS == [old, m.rest]

    # Deleted, it goes from both, as from a fresh start.
    live.edit("m", '@command("rest")\ndef rest():\n    return "rested"\n', "")
    report = live.refresh()
    assert "rest" not in m.COMMANDS and m.HOOKS == [old]
