"""Real web servers under ``python -m limeade run``, driven by a real HTTP client on 127.0.0.1:
a save changes the next response with no restart (same process id), module state, a loaded
model and an open streaming response survive, the refresh lands on the main thread between two
requests, and the server's own Ctrl+C shutdown still works."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import dedent
from livechild import DEADLINE, Child, save

FASTAPI_APP = dedent(
    """
    import asyncio
    import os
    import threading

    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    app = FastAPI()
    COUNTER = {"hits": 0}
    LOADS = []
    REFRESHES = []


    class Model:
        \"\"\"Stands for an expensive model loaded once at start-up.\"\"\"

        def __init__(self):
            LOADS.append(os.getpid())
            print("model loaded", flush=True)


    MODEL = Model()


    def tick(i):
        return f"old {i}"


    async def ticks():
        for i in range(3000):
            yield f"data: {tick(i)}\\n\\n"
            await asyncio.sleep(0.01)


    @app.get("/hello")
    async def hello():
        COUNTER["hits"] += 1
        return {"msg": "hello", "hits": COUNTER["hits"]}


    @app.get("/state")
    async def state():
        return {
            "pid": os.getpid(),
            "model": id(MODEL),
            "loads": len(LOADS),
            "refreshes": REFRESHES,
        }


    @app.get("/events")
    async def events():
        return StreamingResponse(ticks(), media_type="text/event-stream")


    def __limeade_refreshed__(report):
        # Where the refresh ran: the main thread, inside the running event loop, between two
        # callbacks (no request's task was running).
        loop = asyncio.get_running_loop()
        REFRESHES.append(
            [
                threading.current_thread() is threading.main_thread(),
                loop.is_running(),
                asyncio.current_task() is None,
            ]
        )
    """
)

FLASK_APP = dedent(
    """
    import os
    import threading

    from flask import Flask

    app = Flask(__name__)
    HITS = []
    REFRESHES = []


    @app.route("/hello")
    def hello():
        HITS.append(1)
        return {"msg": "hello", "hits": len(HITS)}


    @app.route("/state")
    def state():
        rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint == "hello"]
        return {
            "pid": os.getpid(),
            "rules": rules,
            "view_is_module_function": app.view_functions["hello"] is hello,
            "refreshes": REFRESHES,
        }


    def __limeade_refreshed__(report):
        REFRESHES.append(threading.current_thread() is threading.main_thread())
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str) -> Any:
    url = f"http://127.0.0.1:{port}{path}"
    with urllib.request.urlopen(url, timeout=DEADLINE) as response:
        return json.loads(response.read())


def next_event(stream: Any, wanted: str) -> int:
    """Read the event stream until an event starting with ``wanted``; its index."""
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        line = stream.readline().decode()
        assert line, "the event stream ended"
        if line.startswith(f"data: {wanted} "):
            return int(line.split()[-1])
    raise AssertionError(f"no {wanted!r} event within {DEADLINE} s")


def interrupt(child: Child) -> int:
    """Ctrl+C, as a terminal would send it; the exit status."""
    child.proc.send_signal(signal.SIGINT)
    return child.finish()


def test_uvicorn_serves_the_new_code_and_keeps_its_state_and_connections(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    (tmp_path / "app.py").write_text(FASTAPI_APP)
    port = free_port()
    args = ["-m", "limeade", "run", "-m", "uvicorn", "app:app", "--host", "127.0.0.1"]
    child = Child([*args, "--port", str(port)], tmp_path)
    stream = None
    try:
        child.err("Uvicorn running on")
        assert get(port, "/hello") == {"msg": "hello", "hits": 1}
        before = get(port, "/state")
        stream = urllib.request.urlopen(f"http://127.0.0.1:{port}/events", timeout=DEADLINE)
        first = next_event(stream, "old")
        # One save: a body, a module function the open stream calls, a new query parameter.
        edited = FASTAPI_APP.replace('return f"old {i}"', 'return f"new {i}"').replace(
            'async def hello():\n    COUNTER["hits"] += 1\n    return {"msg": "hello",',
            'async def hello(name: str = "world"):\n    COUNTER["hits"] += 1\n'
            '    return {"msg": f"hi {name}",',
        )
        assert edited.count("new {i}") == 1 and "hi {name}" in edited
        save(tmp_path / "app.py", edited, "rename")
        child.err("limeade: app  ")
        assert get(port, "/hello?name=you") == {"msg": "hi you", "hits": 2}
        assert get(port, "/hello") == {"msg": "hi world", "hits": 3}
        after = get(port, "/state")
        # The stream opened before the save goes on, its next events from the new code.
        resumed = next_event(stream, "new")
        assert resumed > first
        stream.close()
        stream = None
        assert interrupt(child) == 0, child.transcript()
    finally:
        if stream is not None:
            stream.close()
        child.kill()
    assert after["pid"] == before["pid"] == child.proc.pid, "no restart"
    assert after["model"] == before["model"] and after["loads"] == 1, "the model was kept"
    assert after["refreshes"] == [[True, True, True]], "one refresh, between two callbacks"
    assert child.stdout.count("model loaded") == 1
    assert any("Application shutdown complete" in line for line in child.stderr)


def test_flask_run_serves_the_edited_view_registered_once(tmp_path: Path) -> None:
    pytest.importorskip("flask")
    (tmp_path / "app.py").write_text(FLASK_APP)
    port = free_port()
    args = ["-m", "limeade", "run", "-m", "flask", "--app", "app", "run", "--no-reload"]
    child = Child([*args, "--port", str(port)], tmp_path)
    try:
        child.err("Running on http://127.0.0.1")
        assert get(port, "/hello") == {"msg": "hello", "hits": 1}
        before = get(port, "/state")
        save(tmp_path / "app.py", FLASK_APP.replace('"msg": "hello"', '"msg": "hi"'))
        child.err("limeade: app  1 change")
        assert get(port, "/hello") == {"msg": "hi", "hits": 2}
        after = get(port, "/state")
        interrupt(child)
    finally:
        child.kill()
    assert after["pid"] == before["pid"] == child.proc.pid, "no restart"
    assert after["rules"] == before["rules"] == ["/hello"], "registered once"
    assert after["view_is_module_function"] is True
    # Requests run on the server's threads; the refresh ran on the main thread, woken in its
    # select loop.
    assert after["refreshes"] == [True]
