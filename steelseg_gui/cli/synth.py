"""``steelseg synth``: synthetic ferrite–pearlite micrographs with exact masks."""

from __future__ import annotations

from steelseg_gui.cli.arguments import fraction, int_range, positive_float, seed
from steelseg_gui.cli.progress_bar import run_with_bar
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.synthetic.spec import SynthSpec

MIN_SIDE, MAX_SIDE = 16, 50_000
MAX_SYNTH_PIXELS = 100_000_000


def register(commands) -> None:
    defaults = SynthSpec()
    parser = commands.add_parser("synth", help="generate optical ferrite–pearlite micrographs with exact masks")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--count", type=int_range(1, 100_000), default=1, metavar="N")
    parser.add_argument("--size", default=f"{defaults.width}x{defaults.height}", metavar="WxH")
    parser.add_argument(
        "--pearlite",
        type=fraction,
        default=defaults.pearlite_fraction,
        metavar="F",
        help="pearlite area fraction, 0..1",
    )
    parser.add_argument(
        "--grain-size-um",
        type=positive_float,
        default=defaults.grain_size_um,
        metavar="G",
        help="mean grain diameter in µm",
    )
    parser.add_argument("--pixel-size-um", type=positive_float, default=defaults.pixel_size_um, metavar="P")
    parser.add_argument("--seed", type=seed, default=defaults.seed, metavar="S")
    parser.set_defaults(run=run)


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as exc:
        raise SteelSegError(f"--size '{text}' is not of the form WIDTHxHEIGHT, e.g. 2080x1542") from exc
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise SteelSegError(f"--size {text}: each side must be {MIN_SIDE} to {MAX_SIDE:,} px")
    if width * height > MAX_SYNTH_PIXELS:
        raise SteelSegError(f"--size {text}: {width * height:,} pixels, more than the {MAX_SYNTH_PIXELS:,} synth makes")
    return width, height


def run(args) -> int:
    from steelseg_gui.cli.targets import empty_or_own_folder, synth_folder
    from steelseg_gui.core.synthetic.micrographs import write_synthetic_set

    width, height = parse_size(args.size)
    empty_or_own_folder(args.out, synth_folder, "synthetic micrographs")
    spec = SynthSpec(width, height, args.pearlite, args.grain_size_um, args.pixel_size_um, args.seed)
    truth = run_with_bar(write_synthetic_set(args.out, args.count, spec), "synth")
    for name, values in truth["images"].items():
        print(
            f"{name}: pearlite {values['pearlite_fraction']:.3f}, ferrite intercept "
            f"{values['mean_ferrite_intercept_um']:.2f} µm (G {values['astm_grain_size_number']:.1f})"
        )
    print(f"wrote {len(truth['images'])} image/mask pairs to {args.out}")
    return 0
