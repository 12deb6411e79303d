"""``steelseg rf train|apply`` and ``steelseg propagate``: scribble propagation with a random forest.

Only argparse and the forest's defaults are imported here; numpy and scikit-learn are
imported when a command runs, so that ``steelseg --help`` starts at once. No torch, ever.
"""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.cli.arguments import int_range, seed
from steelseg_gui.cli.progress_bar import run_with_bar
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.forest.settings import DEFAULT_TREES


def register(commands) -> None:
    rf = commands.add_parser("rf", help="train or apply a random forest on scribbles")
    sub = rf.add_subparsers(dest="rf_command", metavar="ACTION", required=True)

    train = sub.add_parser("train", help="train a forest on scribbled images")
    train.add_argument("--image", action="append", required=True, metavar="IMG", help="a micrograph (repeat)")
    train.add_argument(
        "--scribbles",
        action="append",
        required=True,
        metavar="SCR",
        help="its scribbles: label PNG, 0 = unlabelled, 1..K classes (repeat, same order)",
    )
    train.add_argument("--out", required=True, metavar="MODEL_DIR")
    train.add_argument("--trees", type=int_range(1, 100_000), default=DEFAULT_TREES)
    train.add_argument("--seed", type=seed, default=0)
    train.add_argument(
        "--classes", metavar="NAMES", help="comma-separated names of classes 1..K (default: ferrite,pearlite)"
    )
    train.set_defaults(run=run_train)

    apply = sub.add_parser("apply", help="propagate a saved forest to images")
    apply.add_argument("--model", required=True, metavar="MODEL_DIR")
    apply.add_argument("--out", required=True, metavar="DIR")
    apply.add_argument(
        "--probabilities",
        action="store_true",
        help="also write STEM_probabilities.tif (K, H, W) and STEM_uncertainty.tif, float32",
    )
    apply.add_argument("--exact", action="store_true", help="predict every pixel exactly (slower)")
    apply.add_argument("images", nargs="+", metavar="IMG")
    apply.set_defaults(run=run_apply)

    propagate = commands.add_parser("propagate", help="train on a project's scribbles and write auto-masks")
    propagate.add_argument("project", metavar="PROJECT")
    propagate.add_argument("--trees", type=int_range(1, 100_000), default=DEFAULT_TREES)
    propagate.add_argument("--seed", type=seed, default=0)
    propagate.add_argument(
        "--include-reviewed",
        action="store_true",
        help="also replace masks already marked reviewed (default: leave them)",
    )
    propagate.set_defaults(run=run_propagate)


def run_train(args) -> int:
    from steelseg_gui.core.bundle import check_writable_bundle_path
    from steelseg_gui.core.forest.bundle import save_forest
    from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
    from steelseg_gui.core.imaging.labels import read_label_image
    from steelseg_gui.core.imaging.micrograph import read_micrograph, to_float01

    if len(args.image) != len(args.scribbles):
        raise SteelSegError(
            f"{len(args.image)} --image but {len(args.scribbles)} --scribbles; give one "
            "scribble file per image, in the same order"
        )
    check_writable_bundle_path(args.out)
    items = [
        ScribbledImage(Path(i).name, to_float01(read_micrograph(i).data), read_label_image(s))
        for i, s in zip(args.image, args.scribbles)
    ]
    classes = _class_table(args.classes, items)
    forest = run_with_bar(train_forest(items, classes, trees=args.trees, seed=args.seed), "training")
    folder = save_forest(forest, args.out)
    counts = ", ".join(f"{name} {n}" for name, n in forest.summary["samples_per_class"].items())
    print(
        f"forest of {args.trees} trees saved to {folder} ({counts} training pixels, {forest.summary['seconds']:.1f} s)"
    )
    return 0


def run_apply(args) -> int:
    import numpy as np

    from steelseg_gui.core.forest.bundle import load_forest
    from steelseg_gui.core.imaging.micrograph import read_micrograph, to_float01
    from steelseg_gui.core.segment.output_folder import OutputFolder
    from steelseg_gui.core.segment.outputs import OutputOptions, write_outputs

    forest = load_forest(args.model)
    for path in args.images:  # check every image before writing anything
        forest.check_channels(read_micrograph(path).channels, str(path))
    folder = OutputFolder(args.out)
    for item in folder.assign([Path(path) for path in args.images]):
        micrograph = read_micrograph(item.path)
        result = run_with_bar(
            forest.predict(to_float01(micrograph.data), micrograph.path.name, exact=args.exact), micrograph.path.name
        )
        write_outputs(
            folder.root,
            item.name,
            micrograph.data,
            result,
            forest.classes,
            OutputOptions(probabilities=args.probabilities),
        )
        fractions = ", ".join(
            f"{forest.classes.name_of(v)} {np.mean(result.labels == v):.1%}" for v in forest.class_values
        )
        renamed = f" (written as {item.name}.png)" if item.renamed else ""
        print(f"{micrograph.path.name}: {fractions}{renamed}")
    return 0


def run_propagate(args) -> int:
    from steelseg_gui.core.bundle import check_writable_bundle_path
    from steelseg_gui.core.forest.project_propagation import propagate_project
    from steelseg_gui.core.project.folder import Project

    project = Project.open(args.project)
    check_writable_bundle_path(project.model_folder("forest"))
    report = run_with_bar(propagate_project(project, args.trees, args.seed, args.include_reviewed), "propagating")
    print(f"forest saved to {report.model_folder}")
    print(f"auto-masks written for {len(report.written)} image(s): {', '.join(report.written) or 'none'}")
    if report.skipped_reviewed:
        print(f"left alone (reviewed): {', '.join(report.skipped_reviewed)}")
    return 0


def _class_table(names: str | None, items):
    from steelseg_gui.core.imaging.labels import label_values
    from steelseg_gui.core.project.classes import DEFAULT_CLASSES, ClassTable

    if names:
        return ClassTable.from_names([n.strip() for n in names.split(",")])
    present = set().union(*(label_values(item.scribbles) for item in items)) - {0}
    if not present:
        return ClassTable.default()  # the forest then says that the scribbles are empty
    return ClassTable.numbered(present, tuple(name for name, _ in DEFAULT_CLASSES))
