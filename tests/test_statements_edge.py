"""Module-level statements beyond plain assignments: walrus, match captures, star imports, del,
and names written to the real globals while a statement runs."""

from __future__ import annotations

import sys

import limeade
import pytest
from conftest import checked_refresh


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements are Python 3.10+")
def test_walrus_and_match_captures_are_rebound(live):
    m = live.load(
        "m",
        """
        y = (z := 3)
        match (1, 2):
            case (a, b):
                total = a + b
        """,
    )
    live.edit("m", "(z := 3)", "(z := 4)")
    live.edit("m", "match (1, 2):", "match (10, 20):")
    live.refresh()
    assert (m.y, m.z, m.a, m.b, m.total) == (4, 4, 10, 20, 30)


def test_added_star_import_binds_its_names(live):
    m = live.load("m", "X = 1\n")
    live.edit("m", "X = 1\n", "from os.path import *\nX = 1\n")
    live.refresh()
    assert callable(m.join)


def test_added_del_statement_unbinds_the_name(live):
    m = live.load("m", "A = 1\nB = 2\n")
    live.edit("m", "B = 2\n", "B = 2\ndel A\n")
    live.refresh()
    assert not hasattr(m, "A") and m.B == 2


def test_failed_statement_leaves_globals_written_by_a_comprehension_walrus(live):
    m = live.load("m", "ys = [w := i for i in range(3)]\nok = 1\n")
    live.edit("m", "range(3)", "range(10)")
    live.edit("m", "ok = 1", "ok = 1 / 0")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert (m.w, m.ys) == (2, [0, 1, 2])
    live.edit("m", "ok = 1 / 0", "ok = 1")
    live.refresh()
    assert (m.w, m.ys[-1]) == (9, 9)


def test_metaclass_descriptor_is_not_run_during_the_commit(live):
    m = live.load(
        "m",
        """
        calls = []

        class Meta(type):
            @property
            def label(cls):
                return "meta"

            @label.setter
            def label(cls, value):
                calls.append(value)

        class C(metaclass=Meta):
            label = "old"

            def f(self):
                return 1
        """,
    )
    live.edit("m", 'label = "old"', 'label = "new"')
    live.edit("m", "return 1", "return 2")
    report = live.refresh()
    assert m.calls == []
    assert m.C().f() == 2
    assert ("C.label", "a data descriptor of the metaclass owns this name") in report.module(
        m.__name__
    ).not_updated


def test_one_line_class_body_is_replaced(live):
    m = live.load("m", "class C: x = 1\n")
    live.edit("m", "x = 1", "x = 2")
    report = live.refresh()
    assert m.C.x == 2
    assert report.module(m.__name__).replaced == [("C", "the class body is on its header line")]


def test_edit_through_a_symlinked_file_is_seen(live, tmp_path):
    import importlib
    import sys

    real = tmp_path / "real"
    real.mkdir()
    (real / "symlinked_mod.py").write_text("def f():\n    return 1\n")
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "symlinked_mod.py").symlink_to(real / "symlinked_mod.py")
    sys.path.insert(0, str(linked))
    try:
        mod = importlib.import_module("symlinked_mod")
        checked_refresh()
        (linked / "symlinked_mod.py").write_text("def f():\n    return 2\n")
        checked_refresh()
        assert mod.f() == 2
    finally:
        sys.path.remove(str(linked))
        sys.modules.pop("symlinked_mod", None)
        limeade.untrack("symlinked_mod")


def test_functions_made_by_moved_statements_get_new_line_numbers(live):
    import traceback

    m = live.load(
        "m",
        """
        h = lambda: 1 / 0
        if True:
            def cond():
                return 1 / 0
        """,
    )
    h, cond = m.h, m.cond
    live.prepend("m", 3)
    live.refresh()
    for fn, text in ((h, "h = lambda: 1 / 0"), (cond, "return 1 / 0")):
        try:
            fn()
        except ZeroDivisionError as e:
            frame = traceback.extract_tb(e.__traceback__)[-1]
            assert frame.line == text, frame
        else:
            raise AssertionError("did not raise")
