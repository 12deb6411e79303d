"""`steelseg train`, `models info` and `export --onnx` end to end, and their bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from steelseg_gui.cli import main
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from tests.conftest import small_synthetic


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    for seed in (1, 2, 3):
        synth = small_synthetic(seed, 96, 80)
        write_png(root / "images" / f"m{seed}.png", synth.image)
        write_label_image(root / "masks" / f"m{seed}.png", synth.mask)
    return root


def train_args(folders, out, *extra):
    return [
        "train",
        "--images",
        str(folders / "images"),
        "--masks",
        str(folders / "masks"),
        "--arch",
        "unet",
        "--out",
        str(out),
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--tile",
        "64",
        *extra,
    ]


def test_train_info_and_export(folders, tmp_path, capsys):
    torch.set_num_threads(2)
    out = tmp_path / "model"
    assert main(train_args(folders, out, "--classes", "ferrite,pearlite")) == 0
    printed = capsys.readouterr().out
    assert "3 images, 2 classes (ferrite, pearlite)" in printed and "val_accuracy" in printed
    assert main(["models", "info", str(out)]) == 0
    assert "architecture:  unet" in capsys.readouterr().out
    assert main(["export", str(out), "--onnx", str(tmp_path / "m.onnx")]) == 0
    assert (tmp_path / "m.onnx").stat().st_size > 1_000_000


def test_images_smaller_than_a_tile_are_padded_not_rejected(folders, tmp_path):
    small = tmp_path / "small"
    for part in ("images", "masks"):
        (small / part).mkdir(parents=True)
    for seed in (1, 2):
        synth = small_synthetic(seed, 40, 30)
        write_png(small / "images" / f"s{seed}.png", synth.image)
        write_label_image(small / "masks" / f"s{seed}.png", synth.mask)
    args = [
        "train",
        "--images",
        str(small / "images"),
        "--masks",
        str(small / "masks"),
        "--arch",
        "unet",
        "--out",
        str(tmp_path / "m"),
        "--epochs",
        "1",
        "--tile",
        "64",
    ]
    assert main(args) == 0


@pytest.mark.parametrize(
    "case, message",
    [
        ("unknown_arch", "unknown network 'resnet-unet'. Valid names: unet, segnet-vgg16"),
        ("extra_class", "label values [3]"),
        ("mismatched", "does not match image"),
        ("missing_mask", "have no mask of the same name"),
        ("bad_weights", "is not a state dict"),
        ("bad_tile", "needs a multiple of 8"),
    ],
)
def test_bad_inputs_are_one_line_errors(case, message, folders, tmp_path, capsys):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for path in (folders / "images").iterdir():
        (images / path.name).write_bytes(path.read_bytes())
    for path in (folders / "masks").iterdir():
        (masks / path.name).write_bytes(path.read_bytes())
    extra = ["--classes", "ferrite,pearlite"]
    args = [
        "train",
        "--images",
        str(images),
        "--masks",
        str(masks),
        "--arch",
        "unet",
        "--out",
        str(tmp_path / "out"),
        "--epochs",
        "1",
        "--tile",
        "64",
    ]
    if case == "unknown_arch":
        args[args.index("unet")] = "resnet-unet"
    elif case == "extra_class":
        write_label_image(masks / "m1.png", np.full((80, 96), 3, np.uint8))
    elif case == "mismatched":
        write_label_image(masks / "m2.png", np.ones((50, 50), np.uint8))
    elif case == "missing_mask":
        (masks / "m3.png").unlink()
    elif case == "bad_weights":
        torch.save([1, 2, 3], tmp_path / "w.pt")
        args[args.index("unet")] = "deeplabv3plus-resnet18"
        extra += ["--encoder-weights", str(tmp_path / "w.pt")]
    elif case == "bad_tile":
        args[args.index("64")] = "60"
    assert main(args + extra) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error
    assert not (tmp_path / "out").exists()
