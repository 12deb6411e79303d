"""``steelseg train``: train a deep net on reviewed masks or on image/mask folders."""

from __future__ import annotations

import warnings
from pathlib import Path

from steelseg_gui.cli.arguments import int_range, non_negative_float, positive_float, seed
from steelseg_gui.cli.progress_bar import run_with_bar
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.nets.settings import CLASS_WEIGHTINGS, DEVICES, SPLITS, TrainSettings

# torch and the networks are imported when the command runs, so that ``steelseg --help`` stays quick.


def register(commands) -> None:
    train = commands.add_parser("train", help="train a deep segmentation net")
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--project", metavar="DIR", help="train on the project's reviewed masks")
    source.add_argument("--images", metavar="DIR", help="folder of micrographs (with --masks)")
    train.add_argument("--masks", metavar="DIR", help="folder of masks named like the images")
    train.add_argument("--zero-based-masks", action="store_true", help="masks number classes from 0 (MetalDAM, UHCS)")
    train.add_argument("--classes", metavar="NAMES", help="comma-separated names of classes 1..K for folder data")
    train.add_argument("--include-auto", action="store_true", help="with --project: also train on auto-masks")
    train.add_argument(
        "--arch",
        required=True,
        metavar="NAME",
        help="unet, segnet-vgg16, deeplabv3plus-resnet50, "
        "deeplabv3plus-resnet18, deeplabv3plus-mobilenetv2, or ARCH-ENCODER of segmentation-models-pytorch",
    )
    train.add_argument("--out", required=True, metavar="MODEL_DIR")
    defaults = TrainSettings()
    train.add_argument("--epochs", type=int_range(1, 100_000), default=defaults.epochs)
    train.add_argument("--batch-size", type=int_range(1, 4096), default=defaults.batch_size)
    train.add_argument(
        "--lr",
        type=positive_float,
        default=defaults.learning_rate,
        help=f"Adam learning rate (default {defaults.learning_rate:g})",
    )
    train.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=defaults.weight_decay,
        help=f"L2 regularisation (default {defaults.weight_decay:g})",
    )
    train.add_argument(
        "--patience",
        type=int_range(1, 100_000),
        default=defaults.patience,
        help="validations without improvement before stopping",
    )
    train.add_argument(
        "--validate-every",
        type=int_range(0, 1_000_000_000),
        default=defaults.validate_every,
        metavar="N",
        help="also validate every N iterations",
    )
    train.add_argument(
        "--tile", type=int_range(8, 8192), default=defaults.tile, help=f"tile size in px (default {defaults.tile})"
    )
    train.add_argument("--split", choices=SPLITS, default=SPLITS[0])
    train.add_argument(
        "--paper-grid",
        action="store_true",
        help="the seed paper's tiles: floor grid, each tile also turned 90/180/270 degrees",
    )
    train.add_argument("--class-weights", choices=CLASS_WEIGHTINGS, default=defaults.class_weighting)
    train.add_argument("--device", choices=DEVICES, default=defaults.device)
    train.add_argument(
        "--full-precision",
        action="store_true",
        help="train in float32 only (by default float16 "
        "on CUDA and bfloat16 on CPUs that compute it natively, weights kept in float32)",
    )
    train.add_argument(
        "--colour-jitter",
        action="store_true",
        help="also vary gamma, contrast, brightness and "
        "colour balance of training tiles, for images from other microscopes and etches",
    )
    train.add_argument("--seed", type=seed, default=defaults.seed)
    train.add_argument(
        "--resume",
        metavar="MODEL_DIR",
        help="continue an earlier run from the checkpoint in its model folder "
        "(checkpoint.json, or checkpoint.pt of SteelSeg 0.1)",
    )
    train.add_argument(
        "--encoder-weights",
        metavar="FILE",
        help="local pretrained encoder weights (.safetensors or a PyTorch state dict); nothing is downloaded",
    )
    train.add_argument("--export-tiles", metavar="DIR", help="also write the tiles of each part as PNG files")
    train.set_defaults(run=run_train)


def run_train(args) -> int:
    from steelseg_gui.core.nets.tiles import TileSplitWarning, check_labelled, plan_tiles
    from steelseg_gui.core.nets.training import check_settings, train_network

    settings = TrainSettings(
        args.arch,
        args.epochs,
        args.batch_size,
        args.lr,
        args.weight_decay,
        args.patience,
        args.validate_every,
        args.tile,
        args.class_weights,
        args.device,
        args.seed,
        mixed_precision=not args.full_precision,
        encoder_weights=args.encoder_weights,
        colour_jitter=args.colour_jitter,
    )
    check_settings(settings)
    _check_targets(args)
    items, classes = _training_data(args)
    check_labelled(items, classes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TileSplitWarning)
        plan = plan_tiles(items, args.tile, args.split, seed=args.seed, paper_grid=args.paper_grid)
    for warning in caught:
        print(f"steelseg: warning: {warning.message}")
    tiles = ", ".join(f"{len(refs)} {part}" for part, refs in plan.parts.items())
    print(f"{len(items)} images, {len(classes)} classes ({', '.join(classes.names)}); tiles: {tiles}")
    if args.export_tiles:
        from steelseg_gui.core.nets.training_data import export_tiles

        print(f"wrote {export_tiles(items, plan, classes, args.export_tiles)} tiles to {args.export_tiles}")
    result = run_with_bar(train_network(items, classes, settings, args.out, plan, args.resume), f"training {args.arch}")
    print(f"training {result.stopped} after {len(result.history)} validations; best epoch {result.best_epoch}")
    for key, value in result.metrics.items():
        print(f"  {key:<18} {value:.4f}" if isinstance(value, float) else f"  {key:<18} {value}")
    print(f"model written to {Path(args.out)} (curves in {Path(args.out) / 'curves.png'})")
    return 0


def _check_targets(args) -> None:
    """The model folder and the tile folder may take what this run writes; the resume checkpoint is sound."""
    from steelseg_gui.cli.targets import empty_or_own_folder, tile_folder
    from steelseg_gui.core.bundle import check_writable_bundle_path
    from steelseg_gui.core.nets.checkpoint import read_checkpoint

    check_writable_bundle_path(args.out)
    if args.export_tiles:
        empty_or_own_folder(args.export_tiles, tile_folder, "exported tiles")
    if args.resume:
        read_checkpoint(args.resume)


def _training_data(args):
    from steelseg_gui.core.nets.training_data import classes_for, folder_training_images, project_training_images
    from steelseg_gui.core.project.folder import Project

    if args.project:
        project = Project.open(args.project)
        return project_training_images(project, args.include_auto), project.classes
    if not args.masks:
        raise SteelSegError("--images needs --masks: the folder of masks named like the images")
    items = folder_training_images(args.images, args.masks, args.zero_based_masks)
    names = [n.strip() for n in args.classes.split(",")] if args.classes else None
    return items, classes_for(items, names)
