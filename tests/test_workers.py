"""Worker processes under ``python -m limeade run``: a ``multiprocessing.Pool`` of 2 workers,
started with ``fork`` and with ``spawn``. Every worker refreshes on a save with its own watcher,
and the program does too: the pool's results change after an edit of an imported module and
after an edit of the worker function in the script itself."""

from __future__ import annotations

import multiprocessing
import re
from pathlib import Path

import pytest
from conftest import dedent
from livechild import Child, save

POOL = dedent(
    """
    import multiprocessing
    import os
    import sys
    import time

    import models


    def work(_):
        time.sleep(0.002)
        return os.getpid(), models.value()


    if __name__ == "__main__":
        context = multiprocessing.get_context(sys.argv[1])
        with context.Pool(2) as pool:
            pids = set()
            while len(pids) < 2:
                pids |= {pid for pid, _ in pool.map(work, range(8), chunksize=1)}
            print("workers", *sorted(pids), flush=True)
            last = None
            while not os.path.exists("STOP"):
                results = pool.map(work, range(8), chunksize=1) + [work(0)]
                values = sorted({value for _, value in results})
                if values != last:
                    print("values", *values, flush=True)
                    last = values
                time.sleep(0.01)
        print("stopped", flush=True)
    """
)


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_every_worker_of_a_pool_refreshes_with_its_own_watcher(tmp_path: Path, method: str) -> None:
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    (tmp_path / "models.py").write_text("def value():\n    return 'a'\n")
    (tmp_path / "pool.py").write_text(POOL)
    child = Child(["-m", "limeade", "run", "pool.py", method], tmp_path)
    try:
        workers = child.expect("out", lambda line: line.startswith("workers "), "worker pids")
        child.out("values a")
        save(tmp_path / "models.py", "def value():\n    return 'b'\n", "rename")
        refreshed = [
            child.expect(
                "err", lambda line: line.startswith("limeade: models  1 change"), "refresh line"
            )
            for _ in range(3)
        ]
        child.out("values b")
        # The worker function, in the script the workers run again (spawn) or share (fork).
        save(tmp_path / "pool.py", POOL.replace("models.value()\n", "models.value() + '!'\n"))
        child.out("values b!")
        (tmp_path / "STOP").write_text("")
        child.out("stopped")
        assert child.finish() == 0, child.transcript()
    finally:
        child.kill()
    worker_pids = set(workers.split()[1:])
    tags = [re.search(r"\[pid (\d+)\]$", line) for line in refreshed]
    assert sum(tag is None for tag in tags) == 1, f"the program refreshed once: {refreshed}"
    assert {tag.group(1) for tag in tags if tag} == worker_pids, "each worker refreshed once"
    assert not any("Traceback" in line for line in child.stderr), child.transcript()
