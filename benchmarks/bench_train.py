"""Training throughput per network beside a plain reference loop, and real trainings on UHCS and MetalDAM.

Part 1, throughput (tiles/s) of forward + backward + Adam step on 224 px tiles, per network:
- reference: the same model, eager float32, a torch DataLoader with batch size 1 (one tile per step);
- steelseg: SteelSeg's training step (:class:`_Run`), batches of ``--batch-size`` tiles built by
  ``TileBatches``, mixed precision when on CUDA.
Part 2, ``deeplabv3plus-mobilenetv2`` and ``unet`` trained with ``steelseg``'s trainer on UHCS with
the published 16/4/4 split (``splits/train16A.txt`` ...) and on MetalDAM with a seeded 70/20/10
image split; test mean IoU is computed on whole test images (padded, one pass) with the metrics
of DESIGN.md and printed beside the published figures (UHCS 76.71 %, MetalDAM 67.77 %).

Usage: python benchmarks/bench_train.py [--epochs 30] [--device auto] [--skip-throughput] [--sets uhcs,metaldam]
Skips cleanly when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from whole_image import predict_whole

from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.nets.architectures import build_network, parameter_count
from steelseg_gui.core.nets.bundle import load_net
from steelseg_gui.core.nets.device import choose_device
from steelseg_gui.core.nets.settings import TrainSettings, architecture_names
from steelseg_gui.core.nets.tiles import LabelledImage, TileRef, plan_tiles
from steelseg_gui.core.nets.training import _Run, train_network
from steelseg_gui.core.nets.training_data import folder_training_images
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.quantify.metrics import SegmentationEvaluator

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
PUBLISHED = {"uhcs": 0.7671, "metaldam": 0.6777}
CLASSES = {
    "uhcs": ["matrix", "network", "spheroidite", "widmanstatten"],
    "metaldam": ["matrix", "austenite", "martensite-austenite", "precipitate", "defect"],
}
TILE = 224


def synthetic_items(count: int, channels: int = 1) -> list[LabelledImage]:
    rng = np.random.default_rng(0)
    return [
        LabelledImage(
            f"t{k}",
            rng.random((TILE * 2, TILE * 2, channels), dtype=np.float32),
            rng.integers(1, 3, (TILE * 2, TILE * 2)).astype(np.uint8),
        )
        for k in range(count)
    ]


def reference_batch(name: str) -> int:
    """1, except for DeepLabV3+: batch norm after its global pooling cannot train on one tile."""
    return 2 if name.startswith("deeplabv3plus") else 1


def reference_throughput(name: str, items: list[LabelledImage], steps: int, device: torch.device) -> float:
    """A plain loop: DataLoader(batch_size=1, or 2 for DeepLabV3+), eager float32, cross-entropy, Adam."""
    torch.manual_seed(0)
    network = build_network(name, 1, 2).to(device).train()
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-3)
    tiles = [
        (
            torch.from_numpy(item.image[:TILE, :TILE].transpose(2, 0, 1).copy()),
            torch.from_numpy(item.mask[:TILE, :TILE].astype(np.int64) - 1),
        )
        for item in items
    ]
    loader = torch.utils.data.DataLoader(tiles, batch_size=reference_batch(name), shuffle=True)
    loss_fn = torch.nn.CrossEntropyLoss()
    done, started = 0, None
    while done < steps + 1:
        for x, y in loader:
            if done == 1:
                _sync(device)
                started = time.perf_counter()  # the first step (allocations, kernel choice) is not timed
            optimiser.zero_grad()
            loss_fn(network(x.to(device)), y.to(device)).backward()
            optimiser.step()
            done += 1
            if done == steps + 1:
                break
    _sync(device)
    return steps * reference_batch(name) / (time.perf_counter() - started)


def steelseg_throughput(name: str, items: list[LabelledImage], tiles: int, batch: int, device: str) -> float:
    settings = TrainSettings(name, batch_size=batch, device=device, tile=TILE)
    plan = plan_tiles(items, TILE, names={"train": [i.name for i in items], "validation": [], "test": []})
    run = _Run(items, ClassTable.default(), settings, plan)
    refs = [TileRef(k % len(items), 0, 0) for k in range(batch)]
    rng = np.random.default_rng(0)
    run.step(*run.batches.batch(refs, rng))
    _sync(run.device)
    steps = max(1, tiles // batch)
    started = time.perf_counter()
    for _ in range(steps):
        run.step(*run.batches.batch(refs, rng))
    _sync(run.device)
    return steps * batch / (time.perf_counter() - started)


def _sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def throughput(args) -> None:
    device = choose_device(args.device)
    print(f"== training throughput, {TILE} px tiles, device {device}, {torch.get_num_threads()} threads ==")
    print(f"{'network':<28}{'parameters':>12}{'reference tiles/s':>20}{'steelseg tiles/s':>18}{'ratio':>8}")
    items = synthetic_items(8)
    for name in architecture_names():
        tiles = args.tiles if device.type == "cpu" else args.tiles * 8
        reference = reference_throughput(name, items, tiles // reference_batch(name), device)
        ours = steelseg_throughput(name, items, tiles, args.batch_size, str(device))
        print(
            f"{name:<28}{parameter_count(build_network(name, 1, 2)):>12,}{reference:>20.2f}{ours:>18.2f}"
            f"{ours / reference:>7.2f}x",
            flush=True,
        )


def uhcs_split() -> dict[str, list[str]]:
    def read(name: str) -> list[str]:
        text = (DATA / "uhcs" / "splits" / name).read_text()
        return [line.strip().removesuffix(".tif") for line in text.split() if line.strip()]

    return {"train": read("train16A.txt"), "validation": read("validate4A.txt"), "test": read("test4A.txt")}


def train_and_score(set_name: str, arch: str, args) -> None:
    items = folder_training_images(DATA / set_name / "images", DATA / set_name / "masks", zero_based=True)
    classes = ClassTable.from_names(CLASSES[set_name])
    names = uhcs_split() if set_name == "uhcs" else None
    plan = plan_tiles(items, TILE, seed=0, names=names)
    settings = TrainSettings(
        arch,
        epochs=args.epochs,
        batch_size=args.batch_size,
        patience=args.patience,
        device=args.device,
        tile=TILE,
        seed=0,
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = run_job(train_network(items, classes, settings, Path(tmp) / "model", plan))
        seconds = time.perf_counter() - started
        model = load_net(Path(tmp) / "model", choose_device(args.device))
    evaluator = SegmentationEvaluator(classes.names)
    by_name = {item.name: item for item in items}
    for name in plan.names["test"]:
        evaluator.add(predict_whole(model, by_name[name].image), by_name[name].mask, name=name)
    score = evaluator.result()
    print(
        f"{set_name:<9}{arch:<28}{len(result.history):>7}{seconds:>10.0f}{score.mean_iou:>15.4f}"
        f"{score.global_accuracy:>12.4f}{PUBLISHED[set_name]:>12.4f}   best epoch {result.best_epoch}, "
        f"{result.stopped}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--patience", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--tiles", type=int, default=16, help="tiles timed per network on the CPU (8x on a GPU)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--sets", default="uhcs,metaldam")
    parser.add_argument("--archs", default="deeplabv3plus-mobilenetv2,unet")
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    if not args.skip_throughput:
        throughput(args)
    sets = [s for s in args.sets.split(",") if s]
    if not DATA.is_dir():
        print(f"{DATA} not found: trainings on UHCS and MetalDAM skipped")
        return
    print(
        f"\n== trainings: up to {args.epochs} epochs, patience {args.patience}, batch {args.batch_size}, "
        f"device {choose_device(args.device)} =="
    )
    print(
        f"{'set':<9}{'network':<28}{'epochs':>7}{'seconds':>10}{'test mean IoU':>15}{'accuracy':>12}{'published':>12}"
    )
    for set_name in sets:
        for arch in [a for a in args.archs.split(",") if a]:
            train_and_score(set_name, arch, args)


if __name__ == "__main__":
    main()
