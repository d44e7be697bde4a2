"""A small dashboard that keeps running while you edit its code.

Run it from this directory with ``python -m limeade run main.py``, then edit ``widgets.py`` and
save: limeade prints what changed (one line on stderr) and the dashboard draws with the new code
from its next line on, with the same ``Gauge`` objects it created at start. The program itself
knows nothing about limeade. It stops by itself after ``DASHBOARD_SECONDS`` (default 15)
seconds, or as soon as a file named ``STOP`` appears next to this file. ``cargo xtask demo``
runs it and edits it for you.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import sensors
import widgets
from widgets import status_line

HERE = Path(__file__).resolve().parent
STOP_FILE = HERE / "STOP"
TICK_SECONDS = 0.2


def main() -> None:
    run_seconds = float(os.environ.get("DASHBOARD_SECONDS", "15"))
    if STOP_FILE.exists():
        STOP_FILE.unlink()
    # Created once: after a refresh these same objects run the edited methods.
    cpu_gauge = widgets.Gauge()
    mem_gauge = widgets.Gauge(width=10)
    deadline = time.monotonic() + run_seconds
    tick = 0
    while time.monotonic() < deadline and not STOP_FILE.exists():
        reading = sensors.read(tick)
        cpu = f"{status_line('cpu', reading.cpu)} {cpu_gauge.render(reading.cpu)}"
        mem = f"{status_line('mem', reading.mem)} {mem_gauge.render(reading.mem)}"
        print(f"tick {tick:3d} | {cpu} | {mem}", flush=True)
        tick += 1
        time.sleep(TICK_SECONDS)
    print(f"dashboard stopped after {tick} ticks", flush=True)


if __name__ == "__main__":
    main()
