"""The machine a comparison ran on, as one JSON line: core count, CPU model, Python, date, load."""

from __future__ import annotations

import datetime
import json
import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        json.dumps(
            {
                "cores": os.cpu_count(),
                "cpu": cpu_model(),
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
                "os": f"{platform.system()} {platform.release()}",
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "load": None if load is None else round(load[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
