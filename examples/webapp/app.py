"""A small prediction service that keeps running while you edit its code.

Run it from this directory with
``python -m limeade run -m uvicorn app:app --host 127.0.0.1 --port 8000``, ask
``/predict?x=3`` and ``/pid``, then edit ``predict()`` (or ``Model``) and save: limeade prints
what changed (one line on stderr) and the next request runs the new code in the same process,
with the same ``MODEL`` (loaded once, at start) and the same request counter. FastAPI reads the
new signature, so a query parameter you add is served at once. The app knows nothing about
limeade. ``cargo xtask demo --server`` runs it and edits it for you.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

app = FastAPI()
# Module state: a refresh keeps it (uvicorn --reload would start again from zero).
STATS = {"requests": 0}


class Model:
    """Stands for an expensive model (weights read from disk, a GPU warmed up): built once."""

    def __init__(self) -> None:
        self.slope = 2.0
        self.intercept = 1.0
        print(f"loaded model {id(self):#x} in process {os.getpid()}", flush=True)

    def predict(self, x: float) -> float:
        return self.slope * x + self.intercept


MODEL = Model()


@app.get("/predict")
def predict(x: float) -> dict:
    """The model's answer for ``x``."""
    STATS["requests"] += 1
    return {"x": x, "y": MODEL.predict(x), "requests": STATS["requests"]}


@app.get("/pid")
def pid() -> dict:
    """Which process serves, which model object it holds, how many predictions it made."""
    return {"pid": os.getpid(), "model": f"{id(MODEL):#x}", "requests": STATS["requests"]}
