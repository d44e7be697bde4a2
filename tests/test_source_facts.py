"""Facts about source that the Rust plan decides and the live side only reads: the ``__main__``
guard in every spelling, a class's new docstring (as the running interpreter's compiler stores
it: dedented from Python 3.13 on), a class body on its header line, and the kind of a planning
error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import limeade
import pytest


def _fresh(path: Path, qualname: str) -> Any:
    """``qualname`` as a fresh run of the file's current source makes it (the oracle for what
    a refresh must leave on the live object)."""
    namespace: dict[str, Any] = {"__name__": "fresh"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    obj: Any = None
    for part in qualname.split("."):
        obj = namespace[part] if obj is None else getattr(obj, part)
    return obj


@pytest.mark.parametrize(
    "guard",
    [
        "if '__main__' == __name__:",
        "if (\n    __name__ == '__main__'\n):",
        'if __name__ == "__main__"  :',
        "if (__name__) == ('__main__'):",
    ],
)
def test_main_guard_in_any_spelling_is_never_run_again(live, guard):
    m = live.load(
        "m",
        f"""
RUNS = []

def main():
    return 1

{guard}
    RUNS.append(main())
""",
    )
    main = m.main
    live.edit("m", "return 1", "return 2")
    live.edit("m", "RUNS.append(main())", "RUNS.append(main() * 10)")
    report = live.refresh()
    assert ("<__main__ block>", "not updated") in [(c.qualname, c.outcome) for c in report.changes]
    assert m.RUNS == [] and main() == 2 and m.main is main


def test_an_if_that_only_mentions_main_runs_again(live):
    m = live.load(
        "m",
        """
        RUNS = []
        if __name__ != "__main__":
            RUNS.append(1)
        """,
    )
    live.edit("m", "RUNS.append(1)", "RUNS.append(2)")
    live.refresh()
    assert m.RUNS == [1, 2]


DOCUMENTED = '''
class Config:
    """Settings.

        Indented example.
    Read once.
    """

    class Inner:
        """Inner: old."""

    port = 8000
'''


def test_changed_class_docstring_is_what_a_fresh_compile_stores(live):
    m = live.load("m", DOCUMENTED)
    config, inner = m.Config, m.Config.Inner
    live.edit("m", "Read once.", "Read once;\\tthen on refresh.\n      Tail.")
    live.edit("m", "Inner: old.", "Inner:\n            new.\n        ")
    live.refresh()
    assert m.Config is config and m.Config.Inner is inner
    fresh_config = _fresh(live.path("m"), "Config")
    fresh_inner = _fresh(live.path("m"), "Config.Inner")
    assert config.__doc__ == fresh_config.__doc__
    assert inner.__doc__ == fresh_inner.__doc__


def test_removed_and_added_class_docstrings(live):
    m = live.load("m", DOCUMENTED)
    config, inner = m.Config, m.Config.Inner
    live.edit("m", '"""Inner: old."""', "pass")
    live.edit("m", "    port = 8000", "    port = 8000\n\nclass Plain:\n    x = 1\n")
    live.refresh()
    assert inner.__doc__ is None and m.Config.Inner is inner
    m2 = live.module("m")
    plain = m2.Plain
    live.edit("m", "class Plain:\n", 'class Plain:\n    "Now " "documented."\n')
    live.refresh()
    assert m2.Plain is plain and plain.__doc__ == "Now documented."
    assert config.__doc__ == _fresh(live.path("m"), "Config").__doc__


def test_class_body_on_a_continued_header_line_is_replaced(live):
    m = live.load("m", "class Base:\n    pass\n\nclass C(\n    Base): x = 1\n")
    old = m.C
    live.edit("m", "x = 1", "x = 2")
    report = live.refresh()
    assert m.C.x == 2 and m.C is not old and old.x == 1
    assert report.module(m.__name__).replaced == [("C", "the class body is on its header line")]


def test_plan_errors_say_their_kind(live):
    m = live.load("m", "def f():\n    return 'old'\n")
    f = m.f
    live.write("m", "def f(:\n    return 'new'\n")
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    assert info.value.kind == "syntax" and info.value.line == 1
    live.write_bytes("m", b"def f():\n    return '\xff'\n")
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    assert info.value.kind == "decode" and info.value.line == 2
    # Valid Python 3.14 the parser cannot read: named as such, never re-worded as the running
    # interpreter's syntax error.
    live.write("m", "try:\n    pass\nexcept lambda: E, B:\n    pass\n")
    with pytest.raises(limeade.PlanError) as info:
        live.refresh()
    assert info.value.kind == "unsupported" and info.value.line == 3
    assert "does not support" in str(info.value)
    assert f() == "old"
