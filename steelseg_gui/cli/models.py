"""``steelseg models info`` and ``steelseg export --onnx``: look into and hand on saved models."""

from __future__ import annotations

from pathlib import Path

from steelseg_gui.core.errors import ModelError


def register(commands) -> None:
    models = commands.add_parser("models", help="describe saved models")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    info = sub.add_parser("info", help="print a saved model's architecture, classes, metrics and provenance")
    info.add_argument("folder", metavar="DIR")
    info.set_defaults(run=run_info)

    export = commands.add_parser("export", help="export a saved net to another format")
    export.add_argument("folder", metavar="MODEL_DIR", help="a saved net's folder, or 'default' for the bundled net")
    export.add_argument(
        "--onnx",
        required=True,
        metavar="FILE",
        help="write an ONNX model (opset 17, any image size, classes and normalisation in its metadata)",
    )
    export.set_defaults(run=run_export)


def run_info(args) -> int:
    from steelseg_gui.core.bundle import describe_model

    print("\n".join(describe_model(args.folder)))
    return 0


def run_export(args) -> int:
    from steelseg_gui.core.bundle import NET_KIND, read_model_config
    from steelseg_gui.core.resources import resolve_model

    folder = resolve_model(args.folder)
    if read_model_config(folder).get("kind") != NET_KIND:
        raise ModelError(f"{args.folder}: only deep nets can be exported to ONNX")
    from steelseg_gui.core.nets.bundle import load_net
    from steelseg_gui.core.nets.onnx_export import export_onnx

    target = _replaceable_onnx_path(Path(args.onnx))
    model = load_net(folder)
    path = export_onnx(model, target)
    print(
        f"wrote {path}: input 'image' (N, {model.channels}, H, W) float32 in [0, 1], any H and W; output 'scores' "
        f"(N, {len(model.classes)}, H, W) for {', '.join(model.classes.names)}; classes, colours, normalisation, "
        "tile and pixel size are in its metadata"
    )
    return 0


def _replaceable_onnx_path(path: Path) -> Path:
    """``path`` when it is absent or an ONNX model (a previous export); a folder, a link or any
    other file is refused, never replaced."""
    if path.is_symlink() or path.is_dir():
        raise ModelError(
            f"{path}: is a {'link' if path.is_symlink() else 'folder'}; "
            f"give the file to write, e.g. {path / 'model.onnx'}"
        )
    if path.exists():
        import onnx

        try:
            onnx.load(str(path), load_external_data=False)
        except Exception:  # onnx raises several types for files that are not models
            raise ModelError(
                f"{path}: exists and is not an ONNX model; SteelSeg replaces only an earlier export, "
                "choose another file"
            ) from None
    return path
