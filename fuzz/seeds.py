"""Write the seed corpus of the `plan` fuzz target: old/new pairs made from real Python files
(the standard library's own, or the files given), each new version one random line edit away.

    python fuzz/seeds.py [--count 64] [--seed 0] [FILE ...]   # writes fuzz/corpus/plan/
"""

from __future__ import annotations

import argparse
import random
import sysconfig
from pathlib import Path

SEPARATOR = b"\n#\x00limeade-fuzz-new\x00\n"
MAX_BYTES = 64 * 1024


def edit(lines: list[bytes], rng: random.Random) -> list[bytes]:
    lines = list(lines)
    if not lines:
        return [b"x = 1\n"]
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    kind = rng.choice(["delete", "duplicate", "swap", "change"])
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    else:
        lines[i] = lines[i].replace(b"return", b"return 1 +", 1).replace(b"= ", b"= 2 * ", 1)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--count", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = args.files or sorted(Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    files = [f for f in files if f.stat().st_size <= MAX_BYTES]
    out = Path(__file__).parent / "corpus" / "plan"
    out.mkdir(parents=True, exist_ok=True)
    for path in rng.sample(files, min(args.count, len(files))):
        old = path.read_bytes()
        new = b"".join(edit(old.splitlines(keepends=True), rng))
        (out / f"{path.stem}.seed").write_bytes(old + SEPARATOR + new)
    print(f"{min(args.count, len(files))} seeds in {out}")


if __name__ == "__main__":
    main()
