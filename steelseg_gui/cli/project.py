"""``steelseg project new|add|info``: create projects, add micrographs, summarise."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from steelseg_gui.core.project.folder import Project


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
    add.add_argument("--pixel-size-um", type=float, help="pixel size in µm/px, overriding the files' metadata")
    add.set_defaults(run=run_add)

    info = sub.add_parser("info", help="summarise a project")
    info.add_argument("folder", metavar="DIR")
    info.set_defaults(run=run_info)


def run_new(args) -> int:
    from steelseg_gui.core.project.folder import Project

    project = Project.create(args.folder, name=args.name)
    print(f"created project '{project.name}' in {project.folder}")
    return 0


def run_add(args) -> int:
    from steelseg_gui.core.project.folder import Project

    project = Project.open(args.folder)
    added = project.add_images(args.images, copy=args.copy, pixel_size_um=args.pixel_size_um)
    for entry in added:
        print(f"added {entry.id} ({entry.shape[1]}×{entry.shape[0]} px)")
    return 0


def run_info(args) -> int:
    from steelseg_gui.core.project.folder import Project

    print(describe_project(Project.open(args.folder)))
    return 0


def describe_project(project: Project) -> str:
    """A multi-line summary of a project for the terminal."""
    lines = [
        f"project '{project.name}' in {project.folder}",
        "classes: " + ", ".join(f"{p.value} {p.name} ({p.color})" for p in project.classes),
        f"images: {len(project.images)} ("
        + ", ".join(f"{n} {status}" for status, n in project.status_counts().items())
        + ")",
    ]
    for entry in project.images:
        size = "?" if entry.pixel_size_um is None else f"{entry.pixel_size_um:.4g}"
        lines.append(f"  {entry.id:<28} {entry.shape[1]:>6}×{entry.shape[0]:<6} {size:>8} µm/px  {entry.status}")
    if project.missing:
        lines.append("missing image files: " + ", ".join(str(project.image_path(e)) for e in project.missing))
    return "\n".join(lines)
