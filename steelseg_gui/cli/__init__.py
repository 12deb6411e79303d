"""The ``steelseg`` command line: parses arguments, calls core, prints progress and results.

Expected errors (:class:`SteelSegError`) are printed as one line naming the file and the
problem, without a traceback, and the command exits with code 2; so are the operating system's
(a full disk, a folder without write permission, a file that vanished) and running out of memory.
"""

from __future__ import annotations

import errno
import sys
import warnings

from steelseg_gui import __version__
from steelseg_gui.cli.arguments import OneLineParser
from steelseg_gui.cli.commands import COMMAND_MODULES
from steelseg_gui.core.errors import SteelSegError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="steelseg", description="Segment steel micrographs into phases and measure phase fractions."
    )
    parser.add_argument("--version", action="version", version=f"steelseg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def parse(argv: list[str] | None = None):
    """The parsed arguments; a command that declares ``trailing`` (the name of a list of
    positionals) also takes those positionals after its options."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    trailing = getattr(args, "trailing", None)
    if extra and (trailing is None or any(item.startswith("-") for item in extra)):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        getattr(args, trailing).extend(extra)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    warnings.simplefilter("ignore")  # notes about images are printed by the commands themselves
    try:
        return int(args.run(args) or 0)
    except SteelSegError as exc:
        print(f"steelseg: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:
        print(f"steelseg: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except MemoryError:
        print("steelseg: error: not enough memory; try smaller images, tiles or batches", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("steelseg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def describe_os_error(exc: OSError) -> str:
    """One line for an operating-system error: the file, what went wrong, what to do about a full disk."""
    where = exc.filename if exc.filename is not None else ""
    if exc.filename2 is not None:
        where = f"{where} → {exc.filename2}"
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason += "; free some space and run the command again (nothing half-written was left)"
    return f"{where}: {reason}" if where else reason


if __name__ == "__main__":
    sys.exit(main())
