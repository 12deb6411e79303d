"""``steelseg demo``: the headless end-to-end run on the bundled sample micrographs."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..core.classes import ClassTable
from ..core.io import read_label_image
from ..core.project import Project
from ..core.samples import UHCS_CLASSES, bundled_samples
from .project import describe_project


def register(commands) -> None:
    parser = commands.add_parser("demo", help="run the whole workflow on the bundled samples")
    parser.add_argument("--out", default="demo_output", metavar="DIR",
                        help="output folder (replaced if it holds an earlier demo; default: demo_output)")
    parser.set_defaults(run=run)


def run(args) -> int:
    out = Path(args.out)
    if (out / "optical" / "project.json").exists() or (out / "uhcs" / "project.json").exists():
        shutil.rmtree(out)
    optical = build_optical_project(out / "optical")
    uhcs = build_uhcs_project(out / "uhcs")
    for project in (optical, uhcs):
        print(describe_project(project))
        print()
    print(f"demo projects written to {out.resolve()}")
    return 0


def build_optical_project(folder: Path) -> Project:
    """A ferrite/pearlite project holding copies of the bundled optical SAE images."""
    project = Project.create(folder, name="optical ferrite-pearlite demo")
    project.add_images([s.image for s in bundled_samples() if s.mask is None], copy=True)
    return project


def build_uhcs_project(folder: Path) -> Project:
    """A 4-class UHCS project whose published masks are stored as reviewed masks."""
    project = Project.create(folder, name="UHCS demo", classes=ClassTable.from_names(list(UHCS_CLASSES)))
    samples = [s for s in bundled_samples() if s.mask is not None]
    for sample, entry in zip(samples, project.add_images([s.image for s in samples], copy=True)):
        project.save_mask(entry.id, read_label_image(sample.mask, zero_based=True), status="reviewed")
    return project
