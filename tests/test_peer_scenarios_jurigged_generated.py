"""Scenarios from jurigged's tests that edit many definitions at once: its catalogue module
(every kind of definition) and its generated random edit sequences, run through limeade."""

from __future__ import annotations

import asyncio
import random

_APPLE = """
def crunch(fn):
    1234
    return fn


@crunch
@crunch
@crunch
def breakfast():
    return "apples"


class Orchard:
    @staticmethod
    def mcintosh():
        return 1234

    @classmethod
    def honeycrisp(cls, a, b):
        c = a + b
        return c

    def cortland(self, x):
        y = x + 1
        z = y * y
        return self.honeycrisp(y, z)


async def juggle(a1, a2, a3):
    a4 = await a1
    a5 = await a2
    a6 = await a3
    return a4, a5, a6


def pomme():
    def ver():
        return "nyah ha ha ha"
    return ver


from functools import wraps


def arbre(fn):
    @wraps(fn)
    def branche(x, y):
        return fn(x * y)
    return branche


@arbre
def pommier(z):
    return z ** z


class FakeApple:
    @property
    def color(self):
        return self._color

    @color.setter
    def color(self, value):
        self._color = value


out_of_place = 12
del out_of_place
"""


def test_every_kind_of_definition_edited_at_once(live):
    m = live.load("m", _APPLE)
    breakfast, mcintosh, honeycrisp = m.breakfast, m.Orchard.mcintosh, m.Orchard.honeycrisp
    orchard, juggle, ver, pommier = m.Orchard(), m.juggle, m.pomme(), m.pommier
    apple = m.FakeApple()
    edits = [
        ('return "apples"', 'return "pears"'),
        ("return 1234\n", "return 4321\n"),
        ("c = a + b", "c = a - b"),
        ("z = y * y", "z = y * 2"),
        ("return a4, a5, a6", "return a6, a5, a4"),
        ('"nyah ha ha ha"', '"nyah"'),
        ("return fn(x * y)", "return fn(x + y)"),
        ("return z ** z", "return z * 10"),
        ("self._color = value", "self._color = value.upper()"),
    ]
    for old, new in edits:
        live.edit("m", old, new)
    live.refresh()
    assert breakfast() == m.breakfast() == "pears"
    assert mcintosh() == 4321
    assert honeycrisp(5, 2) == 3
    assert orchard.cortland(1) == 2 - 4
    assert asyncio.run(juggle(*(_value(v) for v in (1, 2, 3)))) == (3, 2, 1)
    assert ver() == "nyah"
    assert pommier(2, 3) == 50
    apple.color = "red"
    assert apple.color == "RED"
    assert not hasattr(m, "out_of_place")


async def _value(v):
    return v


def test_shuffled_random_edit_sequences(live_factory):
    """Random edit sequences (after jurigged's generated tests, with our own generator):
    functions and classes are reordered, their bodies and parameter counts change, some are
    removed and come back. After each refresh every definition present gives the new result,
    through the module and through every object taken before the refresh it still existed in."""
    for seed in range(12):
        live = live_factory()
        rng = random.Random(seed)
        _run_edit_sequence(live, rng)


def _function_source(name, nargs, bump, indent=""):
    args = ", ".join("abcd"[:nargs])
    total = " + ".join(["0", *"abcd"[:nargs]])
    return f"{indent}def {name}({args}):\n{indent}    return {total} + {bump}\n"


def _module_source(defs, order):
    parts = []
    for name in order:
        spec = defs[name]
        if spec is None:
            continue
        if isinstance(spec, dict):
            methods = [
                _function_source(meth, *mspec, indent="    ")
                for meth, mspec in spec.items()
                if mspec is not None
            ]
            parts.append(f"class {name}:\n" + ("\n".join(methods) or "    pass\n"))
        else:
            parts.append(_function_source(name, *spec))
    return "\n\n".join(parts) + "\n"


def _run_edit_sequence(live, rng):
    defs: dict = {f"f{i}": (rng.randint(0, 3), rng.randint(0, 9)) for i in range(4)}
    defs["K0"] = {f"m{i}": (rng.randint(0, 3), rng.randint(0, 9)) for i in range(3)}
    order = list(defs)
    m = live.load("gen", _module_source(defs, order))
    for _step in range(6):
        taken = {name: getattr(m, name) for name in defs if hasattr(m, name)}
        methods = {meth: m.K0.__dict__[meth] for meth in vars(m.K0) if meth.startswith("m")}
        rng.shuffle(order)
        for name in defs:
            if name == "K0":
                for meth in defs["K0"]:
                    defs["K0"][meth] = _changed(rng, defs["K0"][meth])
            else:
                defs[name] = _changed(rng, defs[name])
        live.write("gen", _module_source(defs, order))
        live.refresh()
        for name, spec in defs.items():
            if name == "K0":
                for meth, mspec in spec.items():
                    _check(getattr(m.K0, meth, None), mspec)
                    if mspec is not None and meth in methods:
                        assert m.K0.__dict__[meth] is methods[meth]
                        _check(methods[meth], mspec)
                assert m.K0 is taken["K0"]
            else:
                _check(getattr(m, name, None), spec)
                if spec is not None and name in taken:
                    assert getattr(m, name) is taken[name]


def _changed(rng, spec):
    roll = rng.random()
    if roll < 0.1:
        return None if spec is not None else (rng.randint(0, 3), rng.randint(0, 9))
    if spec is None or roll < 0.6:
        return spec
    return (rng.randint(0, 3), rng.randint(0, 9))


def _check(fn, spec):
    if spec is None:
        assert fn is None
        return
    nargs, bump = spec
    args = list(range(1, nargs + 1))
    assert fn(*args) == sum(args) + bump
