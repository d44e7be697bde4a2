"""Every mutation of a refresh can fail: the program is then exactly as it was before.

For each scenario, a throwaway copy is refreshed to count the mutations; then for every k the
scenario is built afresh, the k-th mutation is made to fail, and the live state (module globals,
functions' code and defaults, class dictionaries) must equal the snapshot taken before."""

from __future__ import annotations

from typing import Callable

import limeade
import pytest
from conftest import Live, assert_plan_told_the_truth, count_mutations, snapshot
from fault_scenarios import SCENARIOS, Built, two_modules
from limeade import _native


def _build(
    live_factory: Callable[[], Live], scenario: Callable[[Live], Built]
) -> tuple[Live, Built]:
    helper = live_factory()
    return helper, scenario(helper)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_scenario_applies_without_faults(live_factory, scenario):
    _, built = _build(live_factory, scenario)
    built.check_old()
    plan = limeade.plan()
    report = limeade.refresh()
    built.check_new()
    assert_plan_told_the_truth(plan, report)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_every_mutation_failure_rolls_back(live_factory, scenario):
    helper, _ = _build(live_factory, scenario)
    total = count_mutations(limeade.refresh)
    helper.close()
    assert total > 5
    for k in range(total):
        helper, built = _build(live_factory, scenario)
        before = snapshot(*built.modules)
        _native.set_fail_at(k)
        try:
            with pytest.raises(limeade.ApplyError) as info:  # fails: no report to compare
                limeade.refresh()
        finally:
            _native.set_fail_at(None)
        assert info.value.__cause__ is not None, k
        assert snapshot(*built.modules) == before, f"mutation {k} of {total}"
        built.check_old()
        helper.refresh()
        built.check_new()
        # The snapshot does see what a refresh changes.
        assert snapshot(*built.modules) != before
        helper.close()


def test_failure_after_last_mutation_is_not_triggered(live_factory):
    helper, built = _build(live_factory, two_modules)
    total = count_mutations(limeade.refresh)
    helper.close()
    helper, built = _build(live_factory, two_modules)
    _native.set_fail_at(total)
    limeade.refresh()  # counts this refresh's mutations alone: no plan before it
    assert _native.mutation_count() == total
    built.check_new()
