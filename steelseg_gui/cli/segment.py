"""``steelseg segment``: segment images or folders with a saved model (forest, net, ``default`` or an
exported ``.onnx`` file)."""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.cli.arguments import positive_float
from steelseg_gui.cli.progress_bar import run_with_bar
from steelseg_gui.core.nets.settings import DEVICES

EXIT_SOME_FAILED = 1


def register(commands) -> None:
    segment = commands.add_parser("segment", help="segment micrographs and measure phase fractions")
    segment.add_argument(
        "--model",
        required=True,
        metavar="MODEL_DIR",
        help="a saved model folder, 'default' for the bundled ferrite/pearlite net, or an .onnx file "
        "written by steelseg export (run by onnxruntime)",
    )
    segment.add_argument("--out", required=True, metavar="DIR")
    segment.add_argument(
        "--probabilities",
        action="store_true",
        help="also write STEM_probabilities.tif (K, H, W) and STEM_uncertainty.tif, float32",
    )
    segment.add_argument("--overlay", action="store_true", help="also write STEM_overlay.png")
    segment.add_argument("--scheduler", metavar="ADDRESS", help="run on a Dask distributed cluster (tcp://HOST:PORT)")
    segment.add_argument("--device", choices=DEVICES, default=DEVICES[0])
    segment.add_argument("--pixel-size-um", type=positive_float, help="µm per pixel, for images whose files do not say")
    segment.add_argument("inputs", nargs="+", metavar="IMG_OR_DIR")
    segment.set_defaults(run=run_segment)


def run_segment(args) -> int:
    from steelseg_gui.core.segment.batch import BatchOptions, segment_batch
    from steelseg_gui.core.segment.output_folder import check_output_folder
    from steelseg_gui.core.segment.outputs import OutputOptions

    check_output_folder(args.out)
    options = BatchOptions(OutputOptions(args.probabilities, args.overlay), args.device, args.pixel_size_um)
    report = run_with_bar(segment_batch(args.model, args.inputs, args.out, options, args.scheduler), "segmenting")
    skipped = sum(1 for r in report.records if r.get("skipped"))
    print(
        f"{report.summary['segmented']} of {report.summary['images']} images segmented "
        f"({skipped} already done before), {len(report.failed)} failed"
    )
    for name, stats in report.summary["classes"].items():
        ci = f" ± {stats['ci95']:.4f} (95 % CI, %RA {stats['relative_accuracy_pct']:.1f})" if stats["ci95"] else ""
        print(f"  {name:<12} mean fraction {stats['mean']:.4f}{ci}")
    carbon = report.summary.get("carbon_wt_pct_lever_rule_estimate")
    if carbon:
        print(f"  lever-rule carbon estimate {carbon['mean']:.3f} wt %")
    for record in report.failed:
        print(f"  failed: {record['error']}")
    for path, name in report.renamed:
        print(f"  note: {path} is written as {name}.png (another input has the same name)")
    if report.duplicates:
        print(f"  note: {report.duplicates} input(s) named more than once were segmented once")
    print(f"masks, phase_fractions.csv, summary.json and errors.csv in {Path(args.out)}")
    return EXIT_SOME_FAILED if report.failed else 0
