"""``steelseg project new|add|info|set|specimen``: create projects, add micrographs, record who
made them and from which specimens, summarise."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from steelseg_gui.cli.arguments import positive_float

if TYPE_CHECKING:
    from steelseg_gui.core.project.folder import Project

EXIT_SOME_FAILED = 1
EXIT_ALL_FAILED = 2
METADATA_OPTIONS = ("operator", "reviewer", "microscope", "objective", "magnification", "etchant", "notes")
SPECIMEN_OPTIONS = ("grade", "heat_treatment", "etchant", "notes")


def register(commands) -> None:
    parser = commands.add_parser("project", help="create and inspect project folders")
    sub = parser.add_subparsers(dest="project_command", metavar="ACTION", required=True)

    new = sub.add_parser("new", help="create a project folder")
    new.add_argument("folder", metavar="DIR")
    new.add_argument("--name", help="project name (default: the folder name)")
    new.set_defaults(run=run_new)

    add = sub.add_parser("add", help="add micrographs to a project")
    add.add_argument("folder", metavar="DIR")
    add.add_argument("images", nargs="+", metavar="IMAGE")
    add.add_argument("--copy", action="store_true", help="copy the files into the project's images/ folder")
    add.add_argument("--pixel-size-um", type=positive_float, help="pixel size in µm/px, overriding the files' metadata")
    add.add_argument("--specimen", metavar="NAME", help="the specimen the images come from (created when new)")
    add.set_defaults(run=run_add)

    info = sub.add_parser("info", help="summarise a project")
    info.add_argument("folder", metavar="DIR")
    info.set_defaults(run=run_info)

    edit = sub.add_parser("set", help="record who made the micrographs and how (an empty value clears a field)")
    edit.add_argument("folder", metavar="PROJECT")
    for option in METADATA_OPTIONS:
        edit.add_argument(f"--{option}", metavar="TEXT")
    edit.set_defaults(run=run_set)

    specimen = sub.add_parser("specimen", help="describe a specimen and assign images to it")
    specimen.add_argument("folder", metavar="PROJECT")
    specimen.add_argument("name", metavar="NAME")
    for option in SPECIMEN_OPTIONS:
        specimen.add_argument(f"--{option.replace('_', '-')}", dest=option, metavar="TEXT")
    specimen.add_argument("image_ids", nargs="*", metavar="IMAGE_ID", help="images taken from this specimen")
    specimen.set_defaults(run=run_specimen, trailing="image_ids")


def run_new(args) -> int:
    from steelseg_gui.core.project.folder import Project

    project = Project.create(args.folder, name=args.name)
    print(f"created project '{project.name}' in {project.folder}")
    return 0


def run_add(args) -> int:
    from steelseg_gui.core.project.folder import Project

    project = Project.open(args.folder)
    result = project.add_images(args.images, copy=args.copy, pixel_size_um=args.pixel_size_um, specimen=args.specimen)
    for entry in result.added:
        print(f"added {entry.id} ({entry.shape[1]}×{entry.shape[0]} px)")
    for failure in result.failed:
        print(f"steelseg: error: {failure.reason}", file=sys.stderr)
    if result.failed:
        return EXIT_SOME_FAILED if result.added else EXIT_ALL_FAILED
    return 0


def run_info(args) -> int:
    from steelseg_gui.core.project.folder import Project

    print(describe_project(Project.open(args.folder)))
    return 0


def run_set(args) -> int:
    from steelseg_gui.core.project.folder import Project

    fields = {name: getattr(args, name) for name in METADATA_OPTIONS if getattr(args, name) is not None}
    project = Project.open(args.folder)
    if fields:
        project.set_metadata(**fields)
    print("\n".join(_metadata_lines(project)) or "no metadata recorded")
    return 0


def run_specimen(args) -> int:
    from steelseg_gui.core.project.folder import Project

    project = Project.open(args.folder)
    given = {name: getattr(args, name) for name in SPECIMEN_OPTIONS if getattr(args, name) is not None}
    current = project.specimens.get(args.name.strip())
    info = project.specimen_info(**{**(current.model_dump() if current else {}), **given})
    project.set_specimen(args.image_ids, args.name, info)
    name = args.name.strip()
    print(f"specimen '{name}': {_specimen_text(project.specimens[name])}")
    ids = [entry.id for entry in project.images if entry.specimen == name]
    print(f"  images: {', '.join(ids) or 'none'}")
    return 0


def describe_project(project: Project) -> str:
    """A multi-line summary of a project for the terminal."""
    lines = [
        f"project '{project.name}' in {project.folder}",
        "classes: " + ", ".join(f"{p.value} {p.name} ({p.color})" for p in project.classes),
        *_metadata_lines(project),
        f"images: {len(project.images)} ("
        + ", ".join(f"{n} {status}" for status, n in project.status_counts().items())
        + ")",
    ]
    for entry in project.images:
        size = "?" if entry.pixel_size_um is None else f"{entry.pixel_size_um:.4g}"
        specimen = f"  [{entry.specimen}]" if entry.specimen else ""
        lines.append(
            f"  {entry.id:<28} {entry.shape[1]:>6}×{entry.shape[0]:<6} {size:>8} µm/px  {entry.status}{specimen}"
        )
    for name, info in project.specimens.items():
        lines.append(f"specimen '{name}': {_specimen_text(info)}")
    if project.missing:
        lines.append("missing image files: " + ", ".join(str(project.image_path(e)) for e in project.missing))
    return "\n".join(lines)


def _metadata_lines(project: Project) -> list[str]:
    return [f"{name}: {value}" for name, value in project.metadata.model_dump().items() if value is not None]


def _specimen_text(info) -> str:
    parts = [f"{name.replace('_', ' ')} {value}" for name, value in info.model_dump().items() if value is not None]
    return ", ".join(parts) or "no details"
