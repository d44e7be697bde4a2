"""Values copied by ``from config import TIMEOUT`` are rebound in the importers after
``config.TIMEOUT`` changes, unless the importer rebound the name itself."""

from __future__ import annotations

import limeade
import pytest


def test_copied_constant_is_rebound_in_importers(live):
    config = live.load("config", "TIMEOUT = 5\nRETRIES = 3\n")
    app = live.load(
        "app",
        f"""
        from {config.__name__} import TIMEOUT, RETRIES as TRIES

        def timeout():
            return TIMEOUT
        """,
    )
    live.edit("config", "TIMEOUT = 5", "TIMEOUT = 10")
    plan = limeade.plan()
    report = live.refresh()
    assert app.TIMEOUT == 10
    assert app.timeout() == 10
    assert app.TRIES == 3
    rebound = limeade.Change(
        app.__name__, "TIMEOUT", f"rebound from {config.__name__}.TIMEOUT", "rebound in importer"
    )
    assert rebound in report.changes
    assert report.changes == plan.changes


def test_name_the_importer_rebound_itself_is_left_alone(live):
    config = live.load("config", "TIMEOUT = 5\n")
    app = live.load(
        "app",
        f"""
        from {config.__name__} import TIMEOUT
        """,
    )
    app.TIMEOUT = 99
    live.edit("config", "TIMEOUT = 5", "TIMEOUT = 10")
    report = live.refresh()
    assert app.TIMEOUT == 99
    assert all(c.module != app.__name__ for c in report.changes)


def test_rebinding_is_rolled_back_with_the_refresh(live):
    config = live.load("config", "TIMEOUT = 5\n")
    app = live.load("app", f"from {config.__name__} import TIMEOUT\n")
    live.edit("config", "TIMEOUT = 5", "TIMEOUT = 10\nBROKEN = 1 / 0")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert app.TIMEOUT == 5
    assert config.TIMEOUT == 5


def test_a_removed_name_an_importer_still_holds_is_told(live):
    util = live.load("util", "def fmt(x):\n    return f'<{x}>'\n\n\ndef other():\n    return 1\n")
    models = live.load(
        "models",
        f"from {util.__name__} import fmt\n\n\ndef show(x):\n    return fmt(x)\n",
    )
    held = models.fmt
    live.edit("util", "def fmt(x):\n    return f'<{x}>'\n\n\n", "")
    plan = limeade.plan()
    report = live.refresh()  # also checks the plan against what the refresh did
    told = limeade.Change(
        models.__name__,
        "fmt",
        f"gone from {util.__name__}.fmt",
        "not updated",
        "the importer keeps the removed object; a fresh start would fail with ImportError",
    )
    assert told in plan.changes and told in report.changes
    assert f"{models.__name__}.fmt  gone from {util.__name__}.fmt -> not updated" in str(report)
    # Nothing a running program holds was taken away.
    assert not hasattr(util, "fmt") and models.fmt is held and models.show(1) == "<1>"


def test_a_removed_name_the_importer_drops_in_the_same_edit_is_not_told(live):
    util = live.load("util", "def fmt(x):\n    return f'<{x}>'\n\n\ndef other():\n    return 1\n")
    models = live.load(
        "models",
        f"from {util.__name__} import fmt, other\n\n\ndef show(x):\n    return fmt(x)\n",
    )
    live.edit("util", "def fmt(x):\n    return f'<{x}>'\n\n\n", "")
    live.edit(
        "models",
        "import fmt, other\n\n\ndef show(x):\n    return fmt(x)\n",
        "import other\n\n\ndef show(x):\n    return str(x)\n",
    )
    report = live.refresh()  # also checks the plan against what the refresh did
    assert not [c for c in report.changes if c.kind.startswith("gone from")]
    assert not hasattr(models, "fmt") and models.show(1) == "1"


def test_a_function_moved_into_its_importer_is_not_told_as_kept(live):
    # tax moves from pricing into report, which imported it: report's own refresh binds its new
    # def, so nothing keeps the removed object, whichever module commits first.
    pricing = live.load(
        "pricing", "def tax(x):\n    return x * 2\n\n\ndef price(x):\n    return x + 1\n"
    )
    report_module = live.load(
        "report",
        f"from {pricing.__name__} import price, tax\n\n\ndef total(x):\n    return tax(price(x))\n",
    )
    held_total = report_module.total
    live.edit("pricing", "def tax(x):\n    return x * 2\n\n\n", "")
    live.edit(
        "report",
        "import price, tax\n",
        "import price\n\n\ndef tax(x):\n    return x * 3\n",
    )
    report = live.refresh()  # also checks the plan against what the refresh did
    assert not [c for c in report.changes if c.kind.startswith("gone from")], report.changes
    assert "keeps the removed object" not in str(report)
    assert held_total(1) == 6 and not hasattr(pricing, "tax")


def test_an_import_now_from_another_module_is_told_not_warned(live, caplog):
    # `from a import f` -> `from b import f`: the name gets b's function, as the edit says; the
    # report says replaced (old references keep a's), the log says it at INFO, not as a warning.
    a = live.load("a", "def f():\n    return 'a'\n")
    b = live.load("b", "def f():\n    return 'b'\n")
    user = live.load("user", f"from {a.__name__} import f\n")
    live.edit("user", f"from {a.__name__} import f", f"from {b.__name__} import f")
    with caplog.at_level("INFO", logger="limeade"):
        report = live.refresh()
    assert user.f is b.f and user.f() == "b"
    assert report.module(user.__name__).replaced == [("f", "a new object was bound")]
    replaced = [r for r in caplog.records if " replaced: " in r.getMessage()]
    assert [r.levelname for r in replaced] == ["INFO"]
