"""Scenarios from jurigged's test suite (its code merging, decorators, statements and
recoder tests), run through limeade.

jurigged merges a new version of a file into the live module definition by definition; each
test here makes the same edit to a real module and checks the objects made before it. jurigged's
own API (``merge(allow_deletions=...)``, recoders, ``__conform__`` hooks, file watching) is not
ported: only what a user of the reloaded program sees.
"""

from __future__ import annotations

import asyncio
import math

import limeade
import pytest

_BALLOON_V1 = """
import math


def inflate(x):
    return x * 2


class Sphere:
    def __init__(self, radius):
        self.radius = radius

    def volume(self):
        return 4 / 3 * math.pi * self.radius ** 3


class FlatCircle:
    def __init__(self, radius):
        self.radius = radius

    def unsightly(self):
        return "yuck"

    def volume(self):
        return -1


def uninteresting():
    return None
"""

# Sphere moves above inflate, inflate changes, deflate is added, uninteresting is removed;
# FlatCircle loses unsightly, gains circumference and its volume changes.
_BALLOON_V2 = """
import math


class Sphere:
    def __init__(self, radius):
        self.radius = radius

    def volume(self):
        return 4 / 3 * math.pi * self.radius ** 3


def inflate(x):
    return x * 3


class FlatCircle:
    def __init__(self, radius):
        self.radius = radius

    def circumference(self):
        return 2 * math.pi * self.radius

    def volume(self):
        return 0


def deflate(x):
    return x / 3
"""


def _balloon_v1_holds(m, inflate, cir, volume):
    assert m.inflate(5) == inflate(5) == 10
    assert cir.volume() == volume() == -1
    assert cir.unsightly() == "yuck"
    with pytest.raises(AttributeError):
        cir.circumference()
    assert m.uninteresting() is None
    assert not hasattr(m, "deflate")


def _balloon_v2_holds(m, inflate, cir, volume):
    assert m.inflate(5) == inflate(5) == 15
    assert m.deflate(15) == 5
    assert cir.volume() == volume() == 0
    with pytest.raises(AttributeError):
        cir.unsightly()
    assert cir.circumference() == 2 * math.pi * 10
    assert not hasattr(m, "uninteresting")


def test_merge_reordered_changed_added_and_removed_definitions(live):
    m = live.load("m", _BALLOON_V1)
    cir = m.FlatCircle(10)
    inflate, volume, Sphere = m.inflate, cir.volume, m.Sphere
    _balloon_v1_holds(m, inflate, cir, volume)
    live.write("m", _BALLOON_V2)
    live.refresh()
    _balloon_v2_holds(m, inflate, cir, volume)
    assert m.inflate is inflate and m.Sphere is Sphere
    assert Sphere(1).volume() == pytest.approx(4 / 3 * math.pi)


def test_merge_back_and_forth(live):
    m = live.load("m", _BALLOON_V1)
    cir = m.FlatCircle(10)
    inflate, volume = m.inflate, cir.volume
    for _ in range(3):
        live.write("m", _BALLOON_V2)
        live.refresh()
        _balloon_v2_holds(m, inflate, cir, volume)
        live.write("m", _BALLOON_V1)
        live.refresh()
        _balloon_v1_holds(m, inflate, cir, volume)
    # `uninteresting` came back as a new function each time; `inflate` never stopped existing.
    assert m.inflate is inflate


_CHIPS = """
def crunch(fn):
    def deco(*args):
        return fn(*args) + 1
    return deco


@crunch
@crunch
def munch(x):
    return x
"""


def test_body_and_signature_change_under_two_closure_decorators(live):
    m = live.load("m", _CHIPS)
    app = live.load("app", f"from {m.__name__} import munch\n")
    assert app.munch(4) == 6
    live.edit("m", "def munch(x):\n    return x", "def munch(x, y):\n    return x + y")
    live.refresh()
    assert app.munch(4, 2) == m.munch(4, 2) == 8


def test_decorator_stack_grows_and_body_changes(live):
    m = live.load("m", _CHIPS)
    live.edit("m", "@crunch\n@crunch\n", "@crunch\n@crunch\n@crunch\n")
    live.edit("m", "return x\n", "return x + 10\n")
    live.refresh()
    assert m.munch(4) == 17


def test_decorator_body_change_reaches_wrappers_made_at_import(live):
    m = live.load("m", _CHIPS)
    app = live.load("app", f"from {m.__name__} import munch\n")
    live.edit("m", "+ 1", "+ 2")
    live.refresh()
    assert app.munch(4) == 8
    live.edit("m", "+ 2", "+ 3")
    live.refresh()
    assert app.munch(4) == 10


@pytest.mark.parametrize("decorator_first", [True, False])
def test_decorator_and_decorated_body_changed_in_two_refreshes(live, decorator_first):
    m = live.load("m", _CHIPS)
    munch = m.munch
    edits = [("+ 1", "+ 2"), ("return x\n", "return x * 100\n")]
    for old, new in edits if decorator_first else edits[::-1]:
        live.edit("m", old, new)
        live.refresh()
    assert munch(4) == 404


_ACTIVITIES = """
class Activities:
    def __init__(self):
        self.funcs = []

    def add(self, fn):
        self.funcs.append(fn)
        return self

    def __call__(self, *args):
        return [fn(*args) for fn in self.funcs]


activities = Activities()


@activities.add
def do(x):
    return f"Paint {x} canvasses"


@activities.add
def do(x):
    return f"Sing {x} songs"


@activities.add
def do(x):
    return f"Dance for {x} hours"
"""


_REGISTERED_REASON = (
    "a function kept only in a list of a registering object is not found: "
    "_lookup._children searches dicts, closures, __wrapped__, not instance attributes/lists"
)


@pytest.mark.xfail(strict=True, reason=_REGISTERED_REASON)
def test_one_of_repeated_registered_definitions_changes(live):
    m = live.load("m", _ACTIVITIES)
    do = m.do
    assert do(7) == ["Paint 7 canvasses", "Sing 7 songs", "Dance for 7 hours"]
    live.edit("m", "Sing {x} songs", "Sing {x * 2} songs")
    live.refresh()
    assert do(7) == ["Paint 7 canvasses", "Sing 14 songs", "Dance for 7 hours"]


@pytest.mark.xfail(strict=True, reason=_REGISTERED_REASON)
def test_registered_definitions_added(live):
    m = live.load("m", _ACTIVITIES)
    do = m.do
    live.edit(
        "m",
        '    return f"Sing {x} songs"\n',
        '    return f"Sing {x} songs"\n\n\n@activities.add\ndef do(x):\n'
        '    return f"Worship the {x} suns"\n',
    )
    live.write("m", live.read("m") + '\n\n@activities.add\ndef do(x):\n    return f"Do {x} push-ups"\n')
    live.refresh()
    # Repeated definitions are matched by position: the third `do` now has the "Worship" body
    # and the "Dance" and "push-ups" ones are added (and register themselves): the list ends up
    # as a fresh import would make it.
    assert do(7) == [
        "Paint 7 canvasses",
        "Sing 7 songs",
        "Worship the 7 suns",
        "Dance for 7 hours",
        "Do 7 push-ups",
    ]


_FIRMAMENT_V1 = """
a = 1; b = 2; c = 3; d = 4
betelgeuse = 1000
ursa_major = [1, 2, 3, 4]

def sirius(x):
    return x * x
"""

_FIRMAMENT_V2 = """
import math

e = 11; f = 22; g = 33; h = 44
ursa_major = [1, 2, 3, 4]
betelgeuse = 41

def sirius(x):
    return math.ceil(x / 2)
"""


def test_only_changed_statements_run(live):
    m = live.load("m", _FIRMAMENT_V1)
    sirius = m.sirius
    assert sirius(5) == 25
    m.ursa_major.append(888)
    live.write("m", _FIRMAMENT_V2)
    live.refresh()
    assert sirius(5) == 3
    # The `ursa_major` statement did not change (it moved): it is not run again.
    assert m.ursa_major == [1, 2, 3, 4, 888]
    assert m.betelgeuse == 41
    assert (m.e, m.f, m.g, m.h) == (11, 22, 33, 44)
    for gone in "abcd":
        assert not hasattr(m, gone)


_GLAMOUR = """
class Wearable:
    def __init__(self, intensity):
        self.intensity = intensity

    def swagger(self):
        return self.intensity

class Scarf(Wearable):
    def swagger(self):
        return super(Scarf, self).swagger() * 2
"""


def test_explicit_super_call_changes(live):
    m = live.load("m", _GLAMOUR)
    scarf = m.Scarf(5)
    live.edit("m", "* 2", "* 3")
    live.refresh()
    assert scarf.swagger() == 15


def test_super_call_removed(live):
    m = live.load("m", _GLAMOUR)
    scarf = m.Scarf(5)
    live.edit("m", "return super(Scarf, self).swagger() * 2", "return 1234")
    live.refresh()
    assert scarf.swagger() == 1234


def test_class_attribute_aliases_a_method(live):
    m = live.load("m", _GLAMOUR)
    scarf = m.Scarf(5)
    live.edit("m", "* 2\n", "* 10\n\n    also_swagger = swagger\n")
    live.refresh()
    assert scarf.swagger() == scarf.also_swagger() == 50
    assert m.Scarf.__dict__["also_swagger"] is m.Scarf.__dict__["swagger"]


@pytest.mark.xfail(
    strict=True,
    reason="a changed class-level statement runs against the pre-refresh module globals, so "
    "a module function added in the same refresh is a NameError (_prepare.run_in_class)",
)
def test_class_attribute_bound_to_function_added_in_same_refresh(live):
    m = live.load("m", _GLAMOUR)
    scarf = m.Scarf(5)
    live.edit("m", "class Scarf(", 'def outer(self):\n    return "hello!"\n\nclass Scarf(')
    live.edit("m", "* 2\n", "* 10\n\n    also_swagger = swagger\n    hello = outer\n")
    live.refresh()
    assert scarf.swagger() == scarf.also_swagger() == 50
    assert scarf.hello() == "hello!"


def test_raising_statement_blocks_the_whole_refresh(live):
    m = live.load("m", 'def lizard(n):\n    return "s" * n\n')
    live.write("m", 'x = this(wontwork)\n\ndef lizard(n):\n    return "s" * n * 2\n')
    # Differs from jurigged, which applies the rest of the file around a failing statement:
    # limeade's refresh is all or nothing (README), so the function keeps its old code.
    with pytest.raises(limeade.ApplyError):
        live.refresh()
    assert m.lizard(3) == "sss"
    assert not hasattr(m, "x")
    live.write("m", 'x = 1\n\ndef lizard(n):\n    return "s" * n * 2\n')
    live.refresh()
    assert m.lizard(3) == "ssssss"


def test_future_annotations_apply_to_added_function(live):
    m = live.load("m", "from __future__ import annotations\n")
    live.write(
        "m",
        "from __future__ import annotations\n\ndef f(a: tuse) -> str:\n    return a\n",
    )
    live.refresh()
    assert m.f("jeb") == "jeb"
    assert m.f.__annotations__ == {"a": "tuse", "return": "str"}


def test_future_annotations_with_global_named_like_a_future_feature(live):
    m = live.load("m", "from __future__ import annotations\n")
    live.write(
        "m",
        "from __future__ import annotations\n\n"
        'print_function = "same name as a __future__ feature, not a feature"\n\n'
        "def f(a: tuse) -> str:\n    return a\n",
    )
    live.refresh()
    assert m.f("tuse") == "tuse"
    assert m.print_function.startswith("same name")


def test_function_deleted_then_added_back(live):
    m = live.load("m", _BALLOON_V1)
    live.write("m", _BALLOON_V1.replace("def inflate(x):\n    return x * 2\n", ""))
    live.refresh()
    assert not hasattr(m, "inflate")
    live.write("m", _BALLOON_V1.replace("return x * 2", "return x * 10"))
    live.refresh()
    assert m.inflate(4) == 40


def test_statement_and_function_added_at_once(live):
    m = live.load("m", _BALLOON_V1)
    live.write("m", _BALLOON_V1 + "\nx = 10\n\ndef infloote(x):\n    return x * 100\n")
    live.refresh()
    assert (m.infloote(4), m.x) == (400, 10)


def test_whole_class_rewritten_keeps_class(live):
    m = live.load("m", _BALLOON_V1)
    FlatCircle, cir = m.FlatCircle, m.FlatCircle(10)
    live.edit("m", "    def volume(self):\n        return -1", "    def volume(self):\n        return self.radius")
    live.edit("m", '    def unsightly(self):\n        return "yuck"', "    def circumference(self):\n        return 2 * math.pi * self.radius")
    live.refresh()
    assert m.FlatCircle is FlatCircle
    assert cir.volume() == 10
    assert cir.circumference() == 2 * math.pi * 10


def test_file_emptied_then_restored_with_extra_name(live):
    m = live.load("m", 'word = "tyrant"\n')
    live.write("m", "")
    live.refresh()
    assert not hasattr(m, "word")
    live.write("m", 'word = "tyrant"\nxxx = "xxx"\n')
    live.refresh()
    assert (m.word, m.xxx) == ("tyrant", "xxx")


def test_syntax_error_then_fixed(live):
    m = live.load("m", 'word = "tyrant"\n')
    live.write("m", 'word = "pirate\n')
    with pytest.raises(limeade.PlanError):
        live.refresh()
    assert m.word == "tyrant"
    live.write("m", 'word = "pirate"\n')
    live.refresh()
    assert m.word == "pirate"


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
    import random

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
