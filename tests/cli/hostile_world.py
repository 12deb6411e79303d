"""The files the hostile-input test throws at the command line: good inputs, a decoy folder of
someone's own work (micrographs, a project, a model, notes), and bad variants of every document
and image SteelSeg reads. Built once per test module."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

from steelseg_gui.core.forest.bundle import save_forest
from steelseg_gui.core.forest.pixel_forest import ScribbledImage, train_forest
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.project.folder import Project
from steelseg_gui.core.resources import default_model_dir
from steelseg_gui.core.synthetic.scribbles import simulate_scribbles
from tests.conftest import small_synthetic
from tests.core.imaging.test_hostile_images import huge_png, huge_tiff


class Payload:
    """A pickle that would create ``pwned`` in the decoy folder if it were ever unpickled."""

    def __init__(self, target: Path):
        self.target = str(target)

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


@dataclass
class World:
    root: Path

    def __getattr__(self, name: str) -> Path:
        """``w.decoy__notes_txt`` is ``root/decoy/notes.txt``."""
        path = name.replace("__", "/")
        for suffix in ("png", "tif", "txt"):
            if path.endswith(f"_{suffix}"):
                path = f"{path[: -len(suffix) - 1]}.{suffix}"
        return self.root / path

    def checksum(self, exclude: Path | None = None) -> dict[str, str]:
        """Every file under the root (but ``exclude``) with the SHA-256 of its content."""
        sums = {}
        for path in sorted(self.root.rglob("*")):
            if exclude is not None and (path == exclude or exclude in path.parents):
                continue
            if path.is_file() or path.is_symlink():
                sums[str(path.relative_to(self.root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return sums


def build_world(root: Path) -> World:
    world = World(root)
    _inputs(world)
    _decoy(world)
    _projects(world)
    _models(world)
    _bad_images(world)
    return world


def _inputs(world: World) -> None:
    (world.root / "in").mkdir()
    (world.root / "masks").mkdir()
    for seed in (1, 2):
        synth = small_synthetic(seed, 96, 80)
        write_png(world.root / "in" / f"m{seed}.png", synth.image)
        write_label_image(world.root / "masks" / f"m{seed}.png", synth.mask)
        write_label_image(world.root / f"scr{seed}.png", simulate_scribbles(synth.mask, 0.03, seed))
    write_label_image(world.root / "scr_stray.png", np.where(np.eye(80, 96, dtype=bool), 255, 1).astype(np.uint8))
    write_label_image(world.root / "scr_one.png", np.ones((80, 96), np.uint8))
    tifffile.imwrite(world.root / "scr_negative.tif", np.full((80, 96), -2, np.int32))
    write_png(world.root / "scr_colour.png", np.dstack([np.ones((80, 96), np.uint8) * v for v in (1, 2, 3)]))
    for name, mask in (("stray", np.where(np.eye(80, 96, dtype=bool), 200, 1)), ("one", np.ones((80, 96)))):
        folder = world.root / f"masks_{name}"
        folder.mkdir()
        for seed in (1, 2):
            write_label_image(folder / f"m{seed}.png", mask.astype(np.uint8))


def _decoy(world: World) -> None:
    decoy = world.root / "decoy"
    (decoy / "micrographs").mkdir(parents=True)
    for seed in (3, 4):
        write_png(decoy / "micrographs" / f"field{seed}.png", small_synthetic(seed, 64, 48).image)
    (decoy / "notes.txt").write_text("lab notebook, not SteelSeg's\n")
    project = Project.create(decoy / "project")
    project.add_images([decoy / "micrographs" / "field3.png"])
    (decoy / "uhcs").mkdir()
    (decoy / "uhcs" / "thesis.txt").write_text("someone's own uhcs folder\n")


def _projects(world: World) -> None:
    good = Project.create(world.root / "proj")
    good.add_images([world.root / "in" / "m1.png", world.root / "in" / "m2.png"], copy=True)
    document = json.loads((good.folder / "project.json").read_text())
    bad = {
        "nan_pixel": lambda d: d["images"][0].update(pixel_size_um=float("nan")),
        "escape_id": lambda d: d["images"][0].update(id="../../decoy/victim"),
        "dup_class": lambda d: d["classes"].append(dict(d["classes"][0], name="other")),
        "status": lambda d: d["images"][1].update(status="finished"),
        "shape": lambda d: d["images"][0].update(shape=[-80, 96]),
        "version_text": lambda d: d.update(schema_version="2"),
        "unknown_field": lambda d: d["images"][0].update(pixelsize=0.5),
        "bad_specimen": lambda d: d["images"][0].update(specimen="nowhere"),
        "newer": lambda d: d.update(schema_version=7),
    }
    for name, change in bad.items():
        folder = world.root / f"proj_{name}"
        shutil.copytree(good.folder, folder)
        changed = json.loads(json.dumps(document))
        change(changed)
        (folder / "project.json").write_text(json.dumps(changed))
    for name, text in (("not_json", "{ nope"), ("deep", "[" * 100 + "]" * 100), ("a_list", "[1, 2]")):
        folder = world.root / f"proj_{name}"
        shutil.copytree(good.folder, folder)
        (folder / "project.json").write_text(text)


def _models(world: World) -> None:
    synth = small_synthetic(5, 96, 80)
    item = ScribbledImage("s", to_float01(synth.image), simulate_scribbles(synth.mask, 0.03, 5))
    forest = run_job(train_forest([item], ClassTable.default(), trees=4))
    save_forest(forest, world.root / "forest")
    config = json.loads((world.root / "forest" / "config.json").read_text())
    variants = {
        "trees": {"trees": 0},
        "version_text": {"format_version": "1"},
        "newer": {"format_version": 99},
        "dup_class": {"classes": [config["classes"][0], dict(config["classes"][0], name="x")]},
        "metrics": {"metrics": {"val_accuracy": "excellent"}},
        "params": {"training": {**config["training"], "parameters": "many"}},
        "kind": {"kind": "virus"},
        "channels": {"input_channels": 0},
    }
    for name, change in variants.items():
        folder = world.root / f"forest_{name}"
        shutil.copytree(world.root / "forest", folder)
        (folder / "config.json").write_text(json.dumps({**config, **change}))
    deep = world.root / "forest_deep"
    shutil.copytree(world.root / "forest", deep)
    (deep / "config.json").write_text('{"format": "steelseg-model", "x": ' + "[" * 60 + "]" * 60 + "}")
    pickled = world.root / "forest_pickle"
    shutil.copytree(world.root / "forest", pickled)
    (pickled / "forest.safetensors").write_bytes(pickle.dumps(Payload(world.root / "decoy" / "pwned")))
    notes = world.root / "decoy" / "model"
    shutil.copytree(world.root / "forest", notes)
    (notes / "my_notes.txt").write_text("kept beside the model\n")
    _net_folders(world)


def _net_folders(world: World) -> None:
    """A net folder with a valid config.json (weights are not needed for the checks run first)
    and resume checkpoints with malformed fields."""
    net = world.root / "net"
    net.mkdir()
    shutil.copy(default_model_dir() / "config.json", net / "config.json")
    checkpoint = {
        "format": "steelseg-checkpoint",
        "format_version": 1,
        "architecture": "unet",
        "epoch": 1,
        "history": [{"epoch": 1, "val_loss": 0.5}],
        "best_loss": 0.5,
        "best_epoch": 1,
        "bad_validations": 0,
        "optimiser_param_groups": [{"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0, "params": [0]}],
    }
    for name, change in {
        "best_epoch": {"best_epoch": "x"},
        "lr": {"optimiser_param_groups": [dict(checkpoint["optimiser_param_groups"][0], lr=-1)]},
        "epoch": {"epoch": -3},
        "history": {"history": [{"epoch": "one"}]},
    }.items():
        folder = world.root / f"ckpt_{name}"
        folder.mkdir()
        (folder / "checkpoint.json").write_text(json.dumps({**checkpoint, **change}))
    legacy = world.root / "ckpt_pickle"
    legacy.mkdir()
    (legacy / "checkpoint.pt").write_bytes(pickle.dumps(Payload(world.root / "decoy" / "pwned")))


def _bad_images(world: World) -> None:
    bad = world.root / "bad"
    bad.mkdir()
    noise = np.random.default_rng(1).integers(0, 255, (100, 100), dtype=np.uint8)
    whole = write_png(bad / "whole.png", noise).read_bytes()
    (bad / "whole.png").unlink()
    (bad / "truncated.png").write_bytes(whole[: len(whole) // 2])
    (bad / "text.tif").write_text("not a tiff\n")
    (bad / "empty.png").write_bytes(b"")
    huge_png(bad / "huge.png")
    huge_tiff(bad / "huge.tif")
    tifffile.imwrite(bad / "nan.tif", np.where(np.eye(20, dtype=bool), np.nan, 0.5).astype(np.float32))
    tifffile.imwrite(bad / "complex.tif", np.full((20, 20), 1 + 1j, np.complex64))
    tifffile.imwrite(bad / "negative.tif", np.full((20, 20), -1.0, np.float32))
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(bad / "dot.png")
    (bad / "notes.txt").write_text("x")
    (bad / "folder.png").mkdir()
