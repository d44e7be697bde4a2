"""Reloaders leak easily: after a refresh, the objects it replaced must be freeable."""

from __future__ import annotations

import gc
import weakref


def test_old_code_and_replaced_values_are_freed(live):
    m = live.load(
        "m",
        """
        class Payload:
            pass

        DATA = Payload()

        def f():
            return 1
        """,
    )
    old_code = weakref.ref(m.f.__code__)
    old_data = weakref.ref(m.DATA)
    live.edit("m", "return 1", "return 2")
    live.edit("m", "DATA = Payload()", "DATA = Payload()  # new\nDATA = Payload()")
    live.refresh()
    assert m.f() == 2
    gc.collect()
    assert old_code() is None, "the old code object is still referenced"
    assert old_data() is None, "the replaced module value is still referenced"


def test_replaced_class_without_instances_is_freed(live):
    m = live.load("m", "class C:\n    pass\n")
    old_class = weakref.ref(m.C)
    live.edit("m", "class C:", "class C(int):")
    live.refresh()
    gc.collect()
    assert old_class() is None
