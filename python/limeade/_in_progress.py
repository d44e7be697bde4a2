"""Calls in progress: code objects some frame is executing right now, on any thread's stack or
in a coroutine an asyncio task of this thread's running loop has suspended. A function updated
in place while one of its calls is running keeps running the old code in that call (a frame
cannot change its code); the report says so, instead of letting "updated in place" suggest the
running loop changed."""

from __future__ import annotations

import gc
import inspect
import sys
import types
from typing import Any, Optional

#: Why an updated function's change is not seen by the call running now.
RUNNING_NOW = "running now: the call in progress keeps the old code, new calls run the new code"


#: Why an updated generator function's change is not seen by generators made before it.
SUSPENDED_NOW = "unfinished generators made before keep the old code; new calls run the new code"
#: Code flags of functions whose calls make generator, coroutine or async generator objects.
_SUSPENDABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def suspendable(code: types.CodeType) -> bool:
    """Whether calls of ``code`` make objects that may be suspended midway (generators)."""
    return bool(code.co_flags & _SUSPENDABLE)


def suspended_codes() -> dict[int, int]:
    """By ``id`` of their code, how many generators, coroutines and async generators are
    unfinished now (made, or started and suspended; not running): they keep running the code
    they were made with. One walk of the heap: asked only when a generator function
    changes."""
    found: dict[int, int] = {}
    for obj in gc.get_objects():
        attributes = _FRAME_CODE_RUNNING.get(type(obj))
        if attributes is None:
            continue
        frame, code, running = (getattr(obj, a) for a in attributes)
        # Not finished (it still has a frame, made with the code of the call that made it) and
        # not running now (that is a running call, see running_codes).
        if frame is not None and not running:
            found[id(code)] = found.get(id(code), 0) + 1
    return found


#: Per kind of object a call of such code makes: its frame, code and running attributes.
_FRAME_CODE_RUNNING: dict[type, tuple[str, str, str]] = {
    types.GeneratorType: ("gi_frame", "gi_code", "gi_running"),
    types.CoroutineType: ("cr_frame", "cr_code", "cr_running"),
    types.AsyncGeneratorType: ("ag_frame", "ag_code", "ag_running"),
}


def running_codes() -> set[int]:
    """``id`` of every code object a frame of any thread executes now, or a suspended coroutine
    of a task of this thread's running asyncio loop (each coroutine awaited by one included)."""
    found: set[int] = set()
    # No local may hold a frame after the walk: this function's own frame is among them, and a
    # local referring to it would make a cycle keeping every caller's frame (and their locals:
    # a refresh's whole preparation of a module) alive until the cyclic collector runs, which
    # a refresh holds off.
    frame: Optional[types.FrameType]
    for frame in sys._current_frames().values():
        while frame is not None:
            found.add(id(frame.f_code))
            frame = frame.f_back
    for coroutine in _suspended_coroutines():
        while coroutine is not None:
            code = getattr(coroutine, "cr_code", None) or getattr(coroutine, "gi_code", None)
            if code is not None:
                found.add(id(code))
            coroutine = getattr(coroutine, "cr_await", None) or getattr(
                coroutine, "gi_yieldfrom", None
            )
    return found


def running_module_lines(namespace: dict[str, Any]) -> frozenset[int]:
    """Lines at which the top-level code of the module whose globals are ``namespace`` executes
    now, on any thread: a script's loop with no main guard (``__main__`` running ``while
    True:`` at module level, refreshed from inside it), or a module being imported. Empty for
    a module whose import is over."""
    found: set[int] = set()
    frame: Optional[types.FrameType]  # see running_codes: no frame may stay in a local
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_globals is namespace and frame.f_code.co_name == "<module>":
                found.add(frame.f_lineno)
            frame = frame.f_back
    return frozenset(found)


def _suspended_coroutines() -> list[Any]:
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return []
    loop = asyncio.events._get_running_loop()
    if loop is None:
        return []
    try:
        tasks = asyncio.all_tasks(loop)
    except RuntimeError:  # the set of tasks changed while it was copied
        return []
    return [task.get_coro() for task in tasks]
