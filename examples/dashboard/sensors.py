"""Made-up readings, the same on every run so the output is easy to compare."""

import math
from typing import NamedTuple


class Reading(NamedTuple):
    """One sample: CPU and memory use in percent."""

    cpu: float
    mem: float


def read(tick: int) -> Reading:
    """The reading at ``tick``: slow waves, like a machine doing some work."""
    cpu = 50 + 45 * math.sin(tick / 4)
    mem = 60 + 20 * math.sin(tick / 15 + 1)
    return Reading(round(cpu, 1), round(mem, 1))
