"""A small dashboard that keeps running while you edit its code.

Run it from this directory (``python main.py``) with limeade installed, then edit ``widgets.py``:
the dashboard calls ``limeade.refresh()`` after every line it prints, prints what the refresh
changed, and from then on draws with the new code, with the same ``Gauge`` objects it created at
start. It stops by itself after ``DASHBOARD_SECONDS`` (default 15) seconds, or as soon as a file
named ``STOP`` appears next to this file. ``cargo xtask demo`` runs it and edits it for you.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# limeade comes first: every module imported after it is tracked from the exact source it runs.
import limeade
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
        try:
            report = limeade.refresh()
        except limeade.RefreshError as e:
            # A half-saved or broken file: the program keeps running the code it has.
            print(f"refresh failed, still running the previous code: {e}", flush=True)
        else:
            if report:
                print(str(report), flush=True)
        tick += 1
        time.sleep(TICK_SECONDS)
    print(f"dashboard stopped after {tick} ticks", flush=True)


if __name__ == "__main__":
    main()
