"""CPython's compiler recurses on the C stack: a few hundred nested brackets overflow a thread
started with a small stack (``threading.stack_size(256 * 1024)``) and kill the process. A refresh
asked for on such a thread compiles the new code on limeade's own thread, whose stack is large;
on the main thread (whose stack the OS sizes) it compiles in place."""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Optional

#: Stack of the compiling thread: CPython refuses nesting (RecursionError, "too many nested
#: parentheses") long before this is used up.
STACK_BYTES = 64 * 1024 * 1024

_jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[tuple[bool, Any]]]] = queue.Queue()
_worker: Optional[threading.Thread] = None
_starting = threading.Lock()


def _serve() -> None:
    while True:
        job, answer = _jobs.get()
        try:
            answer.put((True, job()))
        except BaseException as e:  # handed back to the caller's thread
            answer.put((False, e))


def _ensure_worker() -> None:
    global _worker
    with _starting:
        if _worker is not None and _worker.is_alive():
            return
        old = threading.stack_size(STACK_BYTES)
        try:
            _worker = threading.Thread(target=_serve, name="limeade-compile", daemon=True)
            _worker.start()
        finally:
            threading.stack_size(old)


def on_large_stack(job: Callable[[], Any]) -> Any:
    """``job()``, run on a thread with a large stack unless this is the main thread."""
    if threading.current_thread() is threading.main_thread():
        return job()
    _ensure_worker()
    answer: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=1)
    _jobs.put((job, answer))
    ok, value = answer.get()
    if ok:
        return value
    raise value
