"""``steelseg info IMAGE``: shape, dtype, channels and pixel size of micrographs."""

from __future__ import annotations


def register(commands) -> None:
    parser = commands.add_parser("info", help="describe micrograph files (size, dtype, pixel size)")
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.set_defaults(run=run)


def run(args) -> int:
    from steelseg_gui.core.imaging.micrograph import read_micrograph

    for path in args.images:
        micrograph = read_micrograph(path)
        print(micrograph.describe())
        for note in micrograph.notes:
            print(f"  note: {note}")
    return 0
