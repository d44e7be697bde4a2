"""``python -m limeade``: ``run`` a program with save-and-see refresh, ``plan`` two versions of
a file or a tree (the same text as ``cargo xtask plan``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any, Optional, TextIO

#: Options of ``run`` that take a value (the program's own arguments start after the target).
_RUN_VALUE_OPTIONS = ("--include", "--exclude", "--watch")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m limeade",
        description="Live code refresh for running Python programs.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run a program and refresh it whenever one of its files is saved",
        description="Run a script or module exactly as `python` would, and refresh its code "
        "in place whenever one of its files is saved (no restart: state survives).",
        usage="python -m limeade run [options] (script.py | -m module) [args ...]",
    )
    run.add_argument("-m", dest="module", metavar="MODULE", help="run a module, as python -m")
    run.add_argument("script", nargs="?", help="the program's script")
    run.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    run.add_argument("-v", "--verbose", action="store_true", help="print each full report")
    run.add_argument(
        "--poll", action="store_true", help="poll files (Docker bind mounts, WSL, NFS)"
    )
    run.add_argument(
        "--include", action="append", default=[], metavar="GLOB",
        help="also refresh when a file matching GLOB changes (repeatable)",
    )  # fmt: skip
    run.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB",
        help="ignore paths with a part matching GLOB (repeatable)",
    )  # fmt: skip
    run.add_argument(
        "--watch", action="append", default=[], metavar="PATH",
        help="watch every folder under PATH too (repeatable)",
    )  # fmt: skip
    plan = commands.add_parser(
        "plan",
        help="show what a refresh from OLD to NEW would change (dry run)",
        description="Plan two versions of a module (two files) or of a tree (two folders) "
        "and print the plan, as `cargo xtask plan` does.",
    )
    plan.add_argument("old", metavar="OLD", help="old file or folder")
    plan.add_argument("new", metavar="NEW", help="new file or folder")
    plan.add_argument("--module", metavar="NAME", help="module name of a single file")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    return parser


def _split_run(argv: list[str]) -> tuple[list[str], list[str]]:
    """``run``'s own options, and the program's arguments (everything after the script or the
    module name, options included, as with ``python``)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return argv[: i + 2], argv[i + 2 :]
        if arg == "-m":
            return argv[: i + 2], argv[i + 2 :]
        if arg.startswith("-m") and not arg.startswith("--"):
            return argv[: i + 1], argv[i + 1 :]
        if arg in _RUN_VALUE_OPTIONS:
            i += 2
            continue
        if not arg.startswith("-") or arg == "-":
            return argv[: i + 1], argv[i + 1 :]
        i += 1
    return argv, []


def main(argv: Optional[list[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if argv[:1] == ["run"]:
        own, program_args = _split_run(argv[1:])
        options = parser.parse_args(["run", *own])
    else:
        options = parser.parse_args(argv)
        program_args = []
    if options.command == "run":
        return _run(parser, options, program_args)
    if options.command == "plan":
        from ._plan_cmd import plan_command

        return plan_command(parser, options)
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: a command is required (run, plan)", file=sys.stderr)
    return 2


def _run(parser: argparse.ArgumentParser, options: Any, args: list[str]) -> int:
    if (options.module is None) == (options.script is None):
        print(
            "usage: python -m limeade run [options] (script.py | -m module) [args ...]\n"
            "python -m limeade run: error: give one script or one -m module",
            file=sys.stderr,
        )
        return 2
    if options.quiet and options.verbose:
        print(
            "python -m limeade run: error: --quiet and --verbose exclude each other",
            file=sys.stderr,
        )
        return 2
    if options.script is not None and not os.path.exists(options.script):
        print(
            f"{sys.executable}: can't open file {os.path.abspath(options.script)!r}: "
            "[Errno 2] No such file or directory",
            file=sys.stderr,
        )
        return 2

    from . import _disable, _launch, _workers

    # LIMEADE_DISABLE: the program runs exactly as under `python`, with no watcher.
    off = _disable.disabled()
    settings = {
        "watch": [os.path.abspath(p) for p in options.watch],
        "poll": True if options.poll else None,
        "include": list(options.include),
        "exclude": list(options.exclude),
        "quiet": options.quiet,
        "verbose": options.verbose,
        "origin_pid": os.getpid(),
    }
    if not off:
        start_watcher(settings)
        # Worker processes (multiprocessing's spawn and forkserver) get a watcher of their own.
        _workers.propagate(settings)
    try:
        if options.module is not None:
            _launch.run_module(options.module, args)
        else:
            _launch.run_script(options.script, args, track=not off)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:
        error = _launch.strip_own_frames(e)
        sys.excepthook(type(error), error, error.__traceback__)
        return 1
    return 0


def start_watcher(settings: dict[str, Any]) -> None:
    """The watcher of ``run`` (in the program, and in each of its worker processes), printing
    to stderr. It stays on after the script's last line while the program's other threads run;
    it stops at interpreter exit (atexit), as the interpreter then waits for them."""
    import limeade

    from . import _exposure

    printer = ReportPrinter(
        sys.stderr,
        quiet=settings["quiet"],
        verbose=settings["verbose"],
        origin_pid=settings["origin_pid"],
    )
    _exposure.LISTENERS.append(printer.warning)
    limeade.watch(
        settings["watch"] or None,
        poll=settings["poll"],
        include=settings["include"],
        exclude=settings["exclude"],
        on_refresh=printer.report,
        on_error=printer.error,
    )


class ReportPrinter:
    """One compact line per refresh on the terminal (``limeade: app.models  3 changes
    2.1 ms``), the full report with ``--verbose``, ``file:line: message`` on an error. In a
    worker process (another process than ``origin_pid``) each line ends with ``[pid N]``."""

    def __init__(
        self,
        stream: TextIO,
        *,
        quiet: bool = False,
        verbose: bool = False,
        origin_pid: Optional[int] = None,
    ) -> None:
        self.stream = stream
        self.origin_pid = os.getpid() if origin_pid is None else origin_pid
        self.quiet = quiet
        self.verbose = verbose
        isatty = getattr(stream, "isatty", None)
        self.colour = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def report(self, report: Any) -> None:
        if self.quiet:
            return
        applied = [m for m in report.modules if m.strategy != "skipped"]
        skipped = [m for m in report.modules if m.strategy == "skipped"]
        prefix = self._paint("limeade:", "32")
        lines = []
        if applied:
            from ._summary import summary_line

            lines.append(summary_line(report, report.elapsed_ms / 1000, prefix))
        if logging.getLogger("limeade").hasHandlers():
            # Else logging's last resort has written the refresh's warning for it already.
            lines.extend(f"{prefix} {m.module} skipped: {m.skipped_reason}" for m in skipped)
        if not report.modules:
            # Reported only after a failed refresh: the files are back to what the program runs.
            from ._watch import NOTHING_TO_REFRESH

            lines.append(f"{prefix} {NOTHING_TO_REFRESH}")
        if self.verbose:
            lines.extend(f"  {line}" for line in str(report).splitlines())
        self._write(lines)

    def error(self, error: BaseException) -> None:
        from ._watch import error_location

        prefix = self._paint("limeade:", "31")
        where = error_location(error)
        lines = [f"{prefix} {where}", f"{prefix} the program keeps running its previous code"]
        if self.verbose and error.__cause__ is not None:
            lines.append(f"  caused by {error.__cause__!r}")
        self._write(lines)

    def warning(self, message: str) -> None:
        """A security warning (a file or folder other users can write), on the terminal even
        under ``--quiet``. When no logging handler is configured, logging's last resort
        already writes the warning to stderr: then it is not printed twice."""
        if not logging.getLogger("limeade").hasHandlers():
            return
        self._write([f"{self._paint('limeade:', '33')} warning: {message}"])

    def _write(self, lines: list[str]) -> None:
        if os.getpid() != self.origin_pid and lines:
            lines = [f"{line}  [pid {os.getpid()}]" for line in lines]
        try:
            self.stream.write("".join(f"{line}\n" for line in lines))
            self.stream.flush()
        except (OSError, ValueError):  # the program closed stderr
            pass
