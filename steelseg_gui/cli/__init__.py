"""The ``steelseg`` command line: parses arguments, calls core, prints progress and results.

Expected errors (:class:`SteelSegError`) are printed as one line naming the file and the
problem, without a traceback, and the command exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from steelseg_gui import __version__
from steelseg_gui.cli.commands import COMMAND_MODULES
from steelseg_gui.core.errors import SteelSegError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="steelseg", description="Segment steel micrographs into phases and measure phase fractions."
    )
    parser.add_argument("--version", action="version", version=f"steelseg {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.simplefilter("ignore")  # notes about images are printed by the commands themselves
    try:
        return int(args.run(args) or 0)
    except SteelSegError as exc:
        print(f"steelseg: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("steelseg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
