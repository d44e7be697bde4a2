"""Generated source for the comparison workloads: the same text for every system.

Each edited definition has two versions of different sizes, so a bytecode cache written for one
version can never be taken for the other (the original Limeade runs with ``.pyc`` files on, and
CPython trusts a ``.pyc`` whose recorded source mtime, in whole seconds, and size both match).
"""

from __future__ import annotations

# The edited line of ``function_505`` in the big module, in its two versions.
BIG_TARGET = "function_505"
# The third version is the warm-up edit's (a plain body edit before the timed ones).
BIG_VERSIONS = (
    "        result.append(item * factor + 505)\n",
    "        result.append(item * factor - 5050)\n",
    "        result.append(item * factor + 50501)\n",
)
BIG_OFFSETS = (505, -5050, 50501)


def big_expected(version: int) -> list[int]:
    """What ``function_505([3], 1)`` returns in ``version``."""
    value = 3 + BIG_OFFSETS[version]
    return [value] if value % 3 else []


def big_module(functions: int = 1_000) -> str:
    """About ``functions`` functions and methods (one slot in ten opens a class with three
    methods), ~10 lines each: 1,000 gives a 10,000-line module with 100 classes. The same shape
    as ``cargo xtask bench plan``'s module."""
    out = ['"""Generated benchmark module."""\nimport os\nimport sys\n\nLIMIT = 10\n\n']
    i = 0
    while i < functions:
        if i % 10 == 0:
            out.append(
                f'\nclass Handler{i}(object):\n    """Handles case {i}."""\n    registry = []\n\n'
            )
            for m in range(3):
                out.append(
                    f"    def method_{m}(self, value, *, scale={m}):\n"
                    f"        total = value * scale + {i}\n"
                    "        if total > LIMIT:\n"
                    "            total -= LIMIT\n"
                    "        return total\n\n"
                )
            i += 3
        else:
            out.append(
                f"\ndef function_{i}(items, factor=2):\n"
                f'    """Transform items ({i})."""\n'
                "    result = []\n"
                "    seen = set()\n"
                "    for item in items:\n"
                "        if item in seen:\n"
                "            continue\n"
                "        seen.add(item)\n"
                f"        result.append(item * factor + {i})\n"
                "    return [r for r in result if r % 3]\n"
            )
            i += 1
    return "".join(out)


def big_version(base: str, version: int) -> str:
    """The big module with ``function_505`` in ``version``."""
    return base.replace(BIG_VERSIONS[0], BIG_VERSIONS[version])


# Three lines added at the top move every definition of the module (workload 5).
MOVE_PREFIX = "# moved down\n# by three\n# lines\n"


def package_module(i: int, version: int) -> str:
    """Module ``i`` of the 200-module package: ``value()`` gives ``package_value(i, version)``."""
    body = f"return {1000 + i}" if version == 0 else f"return -{20000 + i}"
    return (
        f'"""Package module {i}."""\n\nSCALE = {i}\n\n\n'
        f"def value():\n    {body}\n\n\n"
        f"class Model{i}:\n    def scaled(self, x):\n        return x * SCALE\n"
    )


def package_value(i: int, version: int) -> int:
    return 1000 + i if version == 0 else -(20000 + i)


def small_module(i: int, version: int = 0) -> str:
    """One of the idle workload's small modules: ``Item{i}().double()`` gives ``(2 + version) *
    i`` (the second version is longer)."""
    factor = "2 * VALUE" if version == 0 else "3 * VALUE + 0"
    return (
        f'"""Generated module {i}."""\n\n'
        f"VALUE = {i}\n\n\n"
        f"def get(offset=0):\n    return VALUE + offset\n\n\n"
        f"class Item{i}:\n    def double(self):\n        return {factor}\n"
    )


GROWING_HEAD = '"""Functions are added below."""\n\n\ndef probe(count):\n    return {body}\n'


def growing_module() -> str:
    """The module functions are added to (workload 6); ``probe`` returns ``None`` here."""
    return GROWING_HEAD.format(body="None")


def grown_module(count: int) -> str:
    """``growing_module`` with ``count`` functions added; ``probe(count)`` now calls the last one
    added (so an old ``probe`` object shows whether both the change and the additions ran)."""
    out = [GROWING_HEAD.format(body="globals()[f'added_{count - 1}']()")]
    out.extend(f"\n\ndef added_{i}(value={i}):\n    return value\n" for i in range(count))
    return "".join(out)


# Workload 8: functions whose result says which version ran, in two places that a torn update
# (new code with old defaults, or a half-updated class) would disagree on.
THREADS_TAIL = (
    "\n\ndef work(tag={tag}):\n    return (tag, {body})\n\n\n"
    "class Worker:\n    def run(self, tag={tag}):\n        return (tag, {body})\n"
)
THREADS_TAGS = ((1, 1), (222, 222))


def threads_module(base: str, version: int) -> str:
    tag, body = THREADS_TAGS[version]
    return base + THREADS_TAIL.format(tag=tag, body=body)
