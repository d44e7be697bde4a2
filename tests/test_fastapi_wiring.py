"""FastAPI wires each route from its endpoint's signature when the route is registered: after a
refresh changed a signature, the live route (the same object the app's router holds) is
re-wired, so a new query parameter or a new dependency parameter works without a restart.
Requests go through the real ASGI app; a signature FastAPI refuses rolls the refresh back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import limeade
import pytest
from conftest import Live

pytest.importorskip("fastapi")

APP = """
    from fastapi import APIRouter, Depends, FastAPI
    from pydantic import BaseModel

    app = FastAPI()
    router = APIRouter()
    CALLS = []


    class Out(BaseModel):
        q: str
        extra: int = 0


    def paging(limit: int = 10):
        return {"limit": limit}


    @app.get("/items")
    def items():
        CALLS.append("items")
        return {"q": None}


    @app.get("/typed", response_model=Out)
    def typed(q: str = "a"):
        return {"q": q, "extra": 1, "hidden": True}


    @router.get("/paged")
    def paged(page=Depends(paging)):
        return page


    app.include_router(router, prefix="/r")
    """


def get(app: Any, target: str) -> tuple[int, Any]:
    """One GET request through the app's ASGI interface: (status, decoded JSON body)."""
    return request(app, "GET", target)


def request(app: Any, method: str, target: str, body: Any = None) -> tuple[int, Any]:
    """One request through the app's ASGI interface, with ``body`` sent as JSON: (status,
    decoded JSON body)."""
    path, _, query = target.partition("?")
    payload = b"" if body is None else json.dumps(body).encode()
    headers = [(b"host", b"test")]
    if body is not None:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


def routes_for(app: Any, path: str) -> list[Any]:
    return [r for r in app.router.routes if getattr(r, "path", None) == path]


def test_a_new_query_parameter_works_after_the_refresh(live: Live) -> None:
    m = live.load("api", APP)
    app, route, endpoint = m.app, routes_for(m.app, "/items")[0], m.items
    assert get(app, "/items?q=x") == (200, {"q": None})
    live.edit("api", 'def items():\n    CALLS.append("items")\n    return {"q": None}',
              'def items(q: str = "none", n: int = 1):\n    CALLS.append("items")\n'
              '    return {"q": q, "n": n}')  # fmt: skip
    report = live.refresh()
    assert get(app, "/items?q=x&n=3") == (200, {"q": "x", "n": 3})
    assert get(app, "/items") == (200, {"q": "none", "n": 1})
    assert get(app, "/items?n=notanumber")[0] == 422, "the new parameter is validated"
    assert routes_for(app, "/items") == [route], "the same route object, registered once"
    assert route.endpoint is endpoint is m.items
    assert m.CALLS == ["items"] * 3, "module state survived"
    kinds = [c.kind for c in report.changes]
    assert any(k.startswith("route re-wired") for k in kinds), report


def test_a_response_model_given_to_the_decorator_is_kept(live: Live) -> None:
    m = live.load("api", APP)
    assert get(m.app, "/typed?q=b") == (200, {"q": "b", "extra": 1})
    live.edit("api", 'def typed(q: str = "a"):', 'def typed(q: str = "a", extra: int = 5):')
    live.edit("api", '"extra": 1, "hidden"', '"extra": extra, "hidden"')
    live.refresh()
    # The new parameter is wired, the decorator's response model still filters the output.
    assert get(m.app, "/typed?q=c&extra=7") == (200, {"q": "c", "extra": 7})


def test_a_dependency_whose_signature_changed_is_rewired_in_an_included_router(
    live: Live,
) -> None:
    m = live.load("api", APP)
    assert get(m.app, "/r/paged?limit=3&offset=2") == (200, {"limit": 3})
    live.edit(
        "api",
        'def paging(limit: int = 10):\n    return {"limit": limit}',
        "def paging(limit: int = 10, offset: int = 0):\n"
        '    return {"limit": limit, "offset": offset}',
    )
    live.refresh()
    assert get(m.app, "/r/paged?limit=3&offset=2") == (200, {"limit": 3, "offset": 2})
    assert get(m.app, "/r/paged") == (200, {"limit": 10, "offset": 0})


def test_a_signature_fastapi_refuses_rolls_the_whole_refresh_back(live: Live) -> None:
    m = live.load("api", APP)
    live.edit("api", "def paging(", "class Weird:\n    pass\n\n\ndef paging(")
    live.edit("api", "def items():", "def items(w: Weird):")
    live.edit("api", "CALLS = []", "CALLS = []\nNEW = 1")
    with pytest.raises(limeade.ApplyError) as caught:
        live.refresh()
    message = str(caught.value)
    assert "FastAPI cannot wire items for /items" in message, message
    assert f"{live.path('api')}:" in message, message
    assert not hasattr(m, "NEW") and not hasattr(m, "Weird"), "nothing applied"
    assert get(m.app, "/items?q=x") == (200, {"q": None}), "old code and old wiring"
    # The fix applies.
    live.edit("api", "def items(w: Weird):", "def items(w: int = 2):")
    live.refresh()
    assert get(m.app, "/items?w=4")[0] == 200 and m.NEW == 1


MODELS = """
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class Greeting(BaseModel):
        text: str


    @app.get("/model")
    def model() -> Greeting:
        return Greeting(text="a")


    @app.post("/echo")
    def echo(g: Greeting):
        return g.model_dump()


    @app.get("/many", response_model=list[Greeting])
    def many():
        return [{"text": "b", "lang": "de", "hidden": 1}]


    @app.get("/plain")
    def plain():
        return {"ok": True}
    """


def test_routes_wired_with_a_replaced_model_use_the_new_one(live: Live) -> None:
    # A field added to a pydantic model replaces the class (pydantic builds its validator and
    # serializer from the fields); the routes wired with it validate and serialise with the new
    # model, as after a restart: as a return annotation, a body, a decorator's response model.
    m = live.load("models_api", MODELS)
    old_model, echo = m.Greeting, m.echo
    routes = {path: routes_for(m.app, path)[0] for path in ("/model", "/echo", "/many")}
    live.edit("models_api", "    text: str\n", "    text: str\n    lang: str = 'en'\n")
    report = live.refresh()
    assert m.Greeting is not old_model
    assert get(m.app, "/model") == (200, {"text": "a", "lang": "en"})
    assert request(m.app, "POST", "/echo", {"text": "x", "lang": "fr"}) == (
        200,
        {"text": "x", "lang": "fr"},
    )
    assert get(m.app, "/many") == (200, [{"text": "b", "lang": "de"}])
    assert {path: routes_for(m.app, path)[0] for path in routes} == routes, "same routes"
    assert m.echo is echo and echo.__annotations__["g"] is m.Greeting
    rewired = sorted(c.qualname for c in report.changes if c.kind.startswith("route re-wired"))
    assert rewired == ["GET /many", "GET /model", "POST /echo"], report
    assert "with the new Greeting" in str(report)


def test_a_failed_refresh_leaves_model_routes_as_they_were(live: Live) -> None:
    m = live.load("models_api", MODELS)
    old_model = m.Greeting
    live.edit("models_api", "    text: str\n", "    text: str\n    lang: str = 'en'\n")
    live.edit("models_api", "app = FastAPI()", "app = FastAPI()\nBROKEN = 1 / 0")
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert m.Greeting is old_model and m.echo.__annotations__["g"] is old_model
    assert get(m.app, "/model") == (200, {"text": "a"})
    assert request(m.app, "POST", "/echo", {"text": "x", "lang": "fr"}) == (200, {"text": "x"})
