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
