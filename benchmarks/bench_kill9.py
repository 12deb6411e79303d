"""Kill -9 at random moments: nothing half-written is ever seen, everything reopens.

Four commands are killed with SIGKILL at seeded random moments of their run (uniform between
5 % and 100 % of the time a complete run takes, measured first in the same run):
``project add --copy``, ``rf train``, ``train`` (a U-Net that republishes its model folder after
every iteration) and ``segment``. After every kill the project and every model folder must reopen
(a model folder that existed before holds a complete model, old or new, with only JSON, CSV, PNG
and safetensors files; every copied image is complete; every output file is readable). After the
last kill one complete run follows; then no temporary or half-written file may remain.

Run: ``.venv/bin/python benchmarks/bench_kill9.py [--kills 6] [--seed 0] [--commands add,rf,train,segment]``
Prints, per command, the kills, the moments and what was found; exits 1 on any violation.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from steelseg_gui.core.imaging.labels import read_label_image, write_label_image, write_png
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.synthetic.micrographs import generate
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from steelseg_gui.core.synthetic.spec import SynthSpec

MODEL_SUFFIXES = {".json", ".csv", ".png", ".safetensors"}
MARKS = (".steelseg-tmp", ".steelseg-old")
ADD_FILES = 60


class InvariantError(AssertionError):
    """An invariant broken after a kill."""


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "steelseg_gui.cli", *args]


def run(argv: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise InvariantError(f"{' '.join(argv[3:6])}: a complete run failed: {result.stderr.strip()[-400:]}")
    return time.perf_counter() - started


def run_and_kill(argv: list[str], after_s: float) -> bool:
    """Start ``argv``, SIGKILL it after ``after_s`` seconds; True when it was still running."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=after_s)
        return False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return True


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.name.endswith(MARKS)]


def make_data(root: Path) -> Path:
    data = root / "data"
    for sub in ("in", "masks", "add"):
        (data / sub).mkdir(parents=True)
    for seed in (1, 2, 3):
        synth = generate(SynthSpec(width=128, height=96, pixel_size_um=0.5, grain_size_um=12, seed=seed))
        write_png(data / "in" / f"m{seed}.png", synth.image)
        write_label_image(data / "masks" / f"m{seed}.png", synth.mask)
        write_label_image(data / f"scr{seed}.png", simulate_scribbles(synth.mask, 0.03, seed))
    noise = np.random.default_rng(0)
    for index in range(ADD_FILES):
        write_png(data / "add" / f"f{index}.png", noise.integers(0, 255, (400, 500), dtype=np.uint8))
    return data


class AddScenario:
    """``project add --copy`` of three 0.2 MB images per run into one project."""

    name = "project add --copy"

    def __init__(self, root: Path, data: Path):
        self.project, self.data, self.next = root / "proj", data, 0
        Project.create(self.project)
        self.sources = {digest(p) for p in (data / "add").iterdir()}

    def argv(self) -> list[str]:
        files = [str(self.data / "add" / f"f{(self.next + i) % ADD_FILES}.png") for i in range(3)]
        self.next += 3
        return cli("project", "add", str(self.project), "--copy", *files)

    def check(self) -> str:
        project = Project.open(self.project)
        for entry in project.images:
            path = project.image_path(entry)
            if not path.is_file() or digest(path) not in self.sources:
                raise InvariantError(f"{path}: missing or not a complete copy")
        for path in (self.project / "images").iterdir():
            if not path.name.endswith(MARKS) and digest(path) not in self.sources:
                raise InvariantError(f"{path}: a partial image")
        return f"{len(project.images)} images"

    def leftovers(self) -> list[str]:
        return leftovers(self.project)


class ModelScenario:
    """A command that (re)writes one model folder: it must always load."""

    def __init__(self, name: str, folder: Path, make_argv, load):
        self.name, self.folder, self.make_argv, self.load, self.count = name, folder, make_argv, load, 0

    def argv(self) -> list[str]:
        self.count += 1
        return self.make_argv(self.count)

    def check(self) -> str:
        self.load(self.folder)
        foreign = [p.name for p in self.folder.iterdir() if p.suffix not in MODEL_SUFFIXES]
        if foreign:
            raise InvariantError(f"{self.folder}: holds {foreign}")
        return "model loads"

    def leftovers(self) -> list[str]:
        return leftovers(self.folder.parent)


class SegmentScenario:
    """``segment`` of a folder, alternating two models so that every run has work to do."""

    name = "segment"

    def __init__(self, root: Path, data: Path, models: list[Path]):
        self.out, self.data, self.models, self.count = root / "segmented", data, models, 0

    def argv(self) -> list[str]:
        self.count += 1
        model = self.models[self.count % 2]
        return cli("segment", "--model", str(model), "--out", str(self.out), "--probabilities", str(self.data / "in"))

    def check(self) -> str:
        import tifffile

        for path in self.out.glob("*.png"):
            read_label_image(path)
        for path in self.out.glob("*.tif"):
            tifffile.imread(path)
        return f"{len(list(self.out.glob('*.png')))} masks readable"

    def leftovers(self) -> list[str]:
        return leftovers(self.out)


def scenarios(root: Path, data: Path, commands: list[str]):
    from steelseg_gui.core.forest.bundle import load_forest

    scribbled = ["--image", str(data / "in" / "m1.png"), "--scribbles", str(data / "scr1.png"),
                 "--image", str(data / "in" / "m2.png"), "--scribbles", str(data / "scr2.png")]  # fmt: skip
    forest = root / "models" / "forest"

    def rf_argv(n: int) -> list[str]:
        return cli("rf", "train", *scribbled, "--out", str(forest), "--trees", "60", "--seed", str(n))

    def train_argv(n: int) -> list[str]:
        return cli("train", "--images", str(data / "in"), "--masks", str(data / "masks"), "--arch", "unet",
                   "--out", str(root / "models" / "net"), "--epochs", "2", "--tile", "32", "--batch-size", "8",
                   "--validate-every", "1", "--seed", str(n))  # fmt: skip

    def load_net(folder: Path) -> None:
        from steelseg_gui.core.nets.bundle import load_net as load
        from steelseg_gui.core.nets.checkpoint import read_checkpoint

        load(folder)
        read_checkpoint(folder)

    made = []
    if "add" in commands:
        made.append(AddScenario(root, data))
    if "rf" in commands or "segment" in commands:
        run(rf_argv(0))
        run(cli("rf", "train", *scribbled, "--out", str(root / "models" / "forest_b"), "--trees", "20"))
    if "rf" in commands:
        made.append(ModelScenario("rf train", forest, rf_argv, load_forest))
    if "train" in commands:
        made.append(ModelScenario("train (unet)", root / "models" / "net", train_argv, load_net))
    if "segment" in commands:
        made.append(SegmentScenario(root, data, [forest, root / "models" / "forest_b"]))
    return made


def exercise(scenario, kills: int, rng: random.Random) -> dict:
    full = run(scenario.argv())
    found, moments, killed, attempts = [], [], 0, 0
    while killed < kills and attempts < 3 * kills:  # a run that ends before its moment is not a kill
        attempts += 1
        moment = rng.uniform(0.05, 0.95) * full
        if run_and_kill(scenario.argv(), moment):
            killed += 1
            moments.append(moment)
        found.append(scenario.check())
    run(scenario.argv())
    scenario.check()
    left = scenario.leftovers()
    if left:
        raise InvariantError(f"{scenario.name}: left after the next complete run: {left[:3]}")
    return {"full_s": full, "moments": moments, "killed": killed, "found": found[-1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=6, help="kills per command (default 6: 24 in all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--commands", default="add,rf,train,segment")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = make_data(root)
        print(f"{'command':<22}{'complete run':>14}{'kills':>7}  moments of the kills (s) -> state after the kills")
        try:
            for scenario in scenarios(root, data, args.commands.split(",")):
                result = exercise(scenario, args.kills, rng)
                total += result["killed"]
                shown = ", ".join(f"{m:.1f}" for m in result["moments"])
                print(
                    f"{scenario.name:<22}{result['full_s']:>12.1f} s{result['killed']:>7}  {shown:<28}{result['found']}"
                )
        except InvariantError as exc:
            print(f"VIOLATION: {exc}")
            return 1
    print(f"{total} processes killed mid-run; every project and model folder reopened, nothing half-written left")
    return 0


if __name__ == "__main__":
    sys.exit(main())
