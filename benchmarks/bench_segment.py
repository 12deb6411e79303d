"""Segmentation throughput, memory over a long batch, and the default model on real optical images.

1. Megapixels per second on a 2080×1542 image, per network, for SteelSeg's sliding window
   (tiles overlapping by a quarter, blended, batched, inference mode, bfloat16/float16 where the
   device computes it natively, channels-last on the CPU) beside a plain loop (non-overlapping
   tiles one at a time, eager float32, no blending) timed in the same run. Untrained networks of
   each architecture are used for speed, and the bundled default model.
2. Peak memory (VmHWM) of one process segmenting 200 images, read after 20 and after 200 images:
   it must stay flat.
3. The default model's pearlite fraction on the four real optical SAE 1020/1045 images of
   ``../shared/data/optical-sae`` beside the lever-rule ranges of that folder's README.

Usage: python benchmarks/bench_segment.py [--device auto] [--skip-memory]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from steelseg_gui.core.imaging.micrograph import read_micrograph, to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.nets.architectures import build_network
from steelseg_gui.core.nets.bundle import NetModel, load_net
from steelseg_gui.core.nets.device import choose_device
from steelseg_gui.core.nets.settings import architecture_names
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.resources import resolve_model
from steelseg_gui.core.segment.net_segmenter import NetSegmenter
from steelseg_gui.core.synthetic.micrographs import generate
from steelseg_gui.core.synthetic.spec import SynthSpec

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "optical-sae"
LEVER_RULE = {"sae1020": (0.21, 0.28), "sae1045": (0.55, 0.64)}


def plain_loop(model: NetModel, image: np.ndarray) -> float:
    """Seconds for non-overlapping tiles, one at a time, eager float32 (edges padded)."""
    tile = model.tile
    height, width = image.shape[:2]
    padded = np.pad(image, ((0, -height % tile), (0, -width % tile), (0, 0)), mode="reflect")
    device = next(model.network.parameters()).device
    started = time.perf_counter()
    with torch.no_grad():
        for r in range(0, padded.shape[0], tile):
            for c in range(0, padded.shape[1], tile):
                x = torch.from_numpy(model.normalise(padded[r : r + tile, c : c + tile]))[None].to(device)
                model.network(x).argmax(1).cpu()
    return time.perf_counter() - started


def steelseg_seconds(model: NetModel, image: np.ndarray) -> float:
    started = time.perf_counter()
    run_job(NetSegmenter(model).segment(image))
    return time.perf_counter() - started


def throughput(device: torch.device) -> None:
    image = to_float01(generate(SynthSpec(seed=3)).image)
    megapixels = image.shape[0] * image.shape[1] / 1e6
    print(f"== segmentation of a 2080×1542 image ({megapixels:.2f} MP), device {device} ==")
    print(f"{'model':<28}{'plain loop MP/s':>17}{'steelseg MP/s':>15}{'ratio':>8}")
    models = {"default model": load_net(resolve_model("default"), device)}
    for name in architecture_names():
        network = build_network(name, 3, 2).to(device).eval()
        models[name] = NetModel(network, name, ClassTable.default(), 3, [0.5] * 3, [0.25] * 3, 224, {})
    for name, model in models.items():
        plain = plain_loop(model, image)
        ours = steelseg_seconds(model, image)
        print(f"{name:<28}{megapixels / plain:>17.3f}{megapixels / ours:>15.3f}{plain / ours:>7.2f}x", flush=True)


MEMORY_SCRIPT = """
import sys
from steelseg_gui.core.segment.batch import BatchOptions, segment_batch
def hwm():
    return int([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]) / 1024
job = segment_batch('default', [sys.argv[1]], sys.argv[2], BatchOptions(device='cpu'))
for report in job:
    if report.done == 20:
        print('after20', hwm(), flush=True)
print('after200', hwm())
"""


def memory() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        folder.mkdir()
        from PIL import Image

        source = Path(tmp) / "source.png"
        Image.fromarray(generate(SynthSpec(width=1024, height=768, pixel_size_um=0.5, seed=5)).image).save(source)
        for k in range(200):
            (folder / f"img{k:03d}.png").symlink_to(source)
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "-c", MEMORY_SCRIPT, str(folder), str(Path(tmp) / "out")],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = dict(line.split() for line in run.stdout.splitlines() if line.startswith("after"))
    print(
        f"\n== memory over a batch of 200 images of 1024×768 (default model, CPU, "
        f"{time.perf_counter() - started:.0f} s) =="
    )
    print(
        f"peak resident memory after 20 images: {float(figures['after20']):.0f} MB; after 200 images: "
        f"{float(figures['after200']):.0f} MB"
    )


def optical_fractions(device: torch.device) -> None:
    if not DATA.is_dir():
        print(f"\n{DATA} not found: optical fractions skipped")
        return
    model = load_net(resolve_model("default"), device)
    print("\n== default model on the real optical SAE images (no hand-drawn masks) ==")
    print(f"{'image':<28}{'pearlite fraction':>18}{'lever-rule range':>20}")
    for path in sorted((DATA / "images").glob("*.png")):
        labels = run_job(NetSegmenter(model).segment(to_float01(read_micrograph(path).data))).labels
        low, high = LEVER_RULE[path.stem.split("_")[0]]
        fraction = float(np.mean(labels == 2))
        inside = "inside" if low <= fraction <= high else "outside"
        print(f"{path.stem:<28}{fraction:>18.3f}{f'{low:.2f}-{high:.2f}':>14} {inside}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    device = choose_device(args.device)
    throughput(device)
    if not args.skip_memory:
        memory()
    optical_fractions(device)


if __name__ == "__main__":
    main()
