"""Benchmark of `steelseg synth --count 3` at 2080×1542 (target: under 20 s on 2 cores).

Baseline from the same run: the I/O floor, i.e. only writing the same number of RGB image and
mask PNGs of that size. Also writes benchmark_output/synth_vs_sae1045.png: the real optical
SAE 1045 sample beside synthetic images (one at the sample's scale) for a look by eye.
Run: .venv/bin/python benchmarks/bench_synth.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from steelseg_gui.core.imaging.labels import write_label_image
from steelseg_gui.core.resources import bundled_samples
from steelseg_gui.core.synthetic.micrographs import generate
from steelseg_gui.core.synthetic.spec import SynthSpec

OUT = Path(__file__).resolve().parents[1] / "benchmark_output"
COUNT, TARGET_S = 3, 20.0


def time_command(folder: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "steelseg_gui.cli", "synth", "--out", str(folder), "--count", str(COUNT)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def time_io_floor(folder: Path) -> float:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (1542, 2080, 3), dtype=np.uint8)
    mask = rng.integers(1, 3, (1542, 2080), dtype=np.uint8)
    start = time.perf_counter()
    for index in range(COUNT):
        Image.fromarray(image).save(folder / f"{index}.png", compress_level=3)
        write_label_image(folder / f"{index}_mask.png", mask)
    return time.perf_counter() - start


def comparison_png(path: Path) -> None:
    real = next(s for s in bundled_samples() if s.key == "sae1045_inference_n1").image
    panels = [np.asarray(Image.open(real).convert("RGB"))]
    matched = generate(
        SynthSpec(width=256, height=256, pearlite_fraction=0.6, grain_size_um=15.0, pixel_size_um=1.5, seed=3)
    )
    panels.append(matched.image)
    default = generate(SynthSpec(pearlite_fraction=0.6, seed=3)).image[:512, :512]
    panels.append(np.asarray(Image.fromarray(default).resize((256, 256), Image.Resampling.LANCZOS)))
    canvas = np.full((256, 256 * 3 + 20, 3), 255, np.uint8)
    for i, panel in enumerate(panels):
        canvas[:, i * 266 : i * 266 + 256] = panel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(canvas).resize((canvas.shape[1] * 2, 512), Image.Resampling.NEAREST).save(path)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        command_s = time_command(Path(tmp) / "synth")
        floor_s = time_io_floor(Path(tmp))
    print(
        f"steelseg synth --count {COUNT} at 2080x1542: {command_s:6.2f} s  (target < {TARGET_S:.0f} s: "
        f"{'met' if command_s < TARGET_S else 'NOT met'})"
    )
    print(
        f"baseline, PNG writing alone (I/O floor):   {floor_s:6.2f} s  -> generation costs "
        f"{command_s / floor_s:.1f}x the I/O floor, incl. interpreter start"
    )
    comparison_png(OUT / "synth_vs_sae1045.png")
    print(
        f"comparison image: {OUT / 'synth_vs_sae1045.png'} (real SAE 1045 | synthetic at its scale | "
        "synthetic default scale, 512 px crop)"
    )


if __name__ == "__main__":
    main()
