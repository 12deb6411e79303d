"""Train the bundled default ferrite/pearlite net with SteelSeg's own ``steelseg train``.

1. Writes synthetic nital-etched ferrite-pearlite micrographs with exact masks (SteelSeg's
   generator), with pearlite fractions from 10 to 70 % and grain sizes of 6 to 20 px, to
   ``build/default-model-data``;
2. runs ``steelseg train`` on them (DeepLabV3+ with a MobileNetV2 encoder, random start, colour
   jitter: real micrographs differ in etch and lamp colour from the synthetic ones);
3. keeps the bundle, its history and curves in ``resources/models/ferrite-pearlite`` (not the
   resume checkpoint) and writes the model card ``MODEL_CARD.md`` from the saved metrics.

Usage: python scripts/make_default_model.py [--images 24] [--epochs 20]   (make default-model)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np

from steelseg_gui.cli import main as steelseg
from steelseg_gui.core.imaging.labels import write_label_image
from steelseg_gui.core.resources import default_model_dir
from steelseg_gui.core.synthetic.micrographs import generate
from steelseg_gui.core.synthetic.spec import SynthSpec

DATA = Path("build/default-model-data")


def write_data(count: int) -> None:
    shutil.rmtree(DATA, ignore_errors=True)
    (DATA / "images").mkdir(parents=True)
    rng = np.random.default_rng(2026)
    from PIL import Image

    for k in range(count):
        grain_px = rng.uniform(6, 20)
        spec = SynthSpec(
            width=512,
            height=512,
            pearlite_fraction=float(rng.uniform(0.1, 0.7)),
            grain_size_um=float(grain_px * 0.5),
            pixel_size_um=0.5,
            seed=1000 + k,
        )
        synth = generate(spec)
        Image.fromarray(synth.image).save(DATA / "images" / f"synth{k:03d}.png")
        write_label_image(DATA / "masks" / f"synth{k:03d}.png", synth.mask)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    write_data(args.images)
    out = Path(os.path.relpath(default_model_dir()))
    command = [
        "train",
        "--images",
        str(DATA / "images"),
        "--masks",
        str(DATA / "masks"),
        "--classes",
        "ferrite,pearlite",
        "--arch",
        "deeplabv3plus-mobilenetv2",
        "--out",
        str(out),
        "--epochs",
        str(args.epochs),
        "--batch-size",
        "8",
        "--tile",
        "224",
        "--seed",
        "0",
        "--colour-jitter",
    ]
    code = steelseg(command)
    if code:
        return code
    for name in ("checkpoint.json", "checkpoint.safetensors"):
        (out / name).unlink(missing_ok=True)
    write_card(out, command, args)
    return 0


def write_card(out: Path, command: list[str], args) -> None:
    config = json.loads((out / "config.json").read_text())
    metrics = "\n".join(f"| {k} | {v:.4f} |" for k, v in config["metrics"].items() if isinstance(v, float))
    size_mb = (out / "weights.safetensors").stat().st_size / 1e6
    (out / "MODEL_CARD.md").write_text(f"""# SteelSeg default model: ferrite / pearlite

- **Network**: {config["architecture"]} (segmentation-models-pytorch), random start (no pretrained
  weights), {config["input_channels"]} input channels, classes 1 ferrite, 2 pearlite, tiles of
  {config["tile_size"]} px; weights {size_mb:.1f} MB (`weights.safetensors`).
- **Data**: {args.images} synthetic 512×512 nital-etched ferrite-pearlite micrographs made by SteelSeg's own
  generator (`steelseg_gui/core/synth.py`), pearlite 10–70 %, ferrite grains 6–20 px across;
  split by image 70/20/10 (seed 0); training tiles colour-jittered. No third-party data: the weights may be
  redistributed with SteelSeg.
- **Made by**: `python scripts/make_default_model.py --images {args.images} --epochs {args.epochs}`, which ran
  `steelseg {shlex.join(command)}`
- **Training**: {config["training"]["epochs_run"]} epochs, best epoch {config["training"]["best_epoch"]},
  stopped: {config["training"]["stopped"]}; device {config["training"]["device"]}. Curves: `curves.png`,
  per-epoch figures: `history.csv`.
- **Data fingerprint**: `{config["data_fingerprint"]}`

## Metrics (synthetic validation and test images)

| metric | value |
|---|---|
{metrics}

## Limits

Trained on synthetic images only. On real optical micrographs check its masks before trusting
its fractions (`benchmarks/bench_segment.py` compares its pearlite fractions on the four real
SAE 1020/1045 images with the lever rule); fine-tune it with `steelseg train` on reviewed masks
of your own images.
""")


if __name__ == "__main__":
    sys.exit(main())
