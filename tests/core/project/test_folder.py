"""Project folders: create, open, add images, class table, robustness of saves."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from steelseg_gui.core import atomic
from steelseg_gui.core.errors import ClassInUseError, LabelImageError, ProjectError
from steelseg_gui.core.project.folder import BACKUP_FILE, PROJECT_FILE, SUBFOLDERS, Project


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.create(tmp_path / "proj")


def test_create_makes_layout_and_default_classes(project):
    for sub in SUBFOLDERS:
        assert (project.folder / sub).is_dir()
    document = json.loads((project.folder / PROJECT_FILE).read_text())
    assert document["schema_version"] == 2
    assert [(c["value"], c["name"]) for c in document["classes"]] == [(1, "ferrite"), (2, "pearlite")]
    with pytest.raises(ProjectError, match="already holds a project"):
        Project.create(project.folder)


def test_add_reference_and_copy_paths(project, grey_png, tmp_path):
    (referenced,) = project.add_images([grey_png]).added
    (copied,) = project.add_images([grey_png], copy=True).added
    assert referenced.path == str(grey_png.resolve())
    assert copied.id == "grey-2" and copied.path == "images/grey-2.png"
    reopened = Project.open(project.folder)
    assert [(e.id, e.shape, e.status) for e in reopened.images] == [
        ("grey", (48, 64), "new"),
        ("grey-2", (48, 64), "new"),
    ]
    moved = tmp_path / "moved"
    shutil.move(project.folder, moved)
    assert Project.open(moved).image_path(Project.open(moved).images[1]).exists()


def test_bad_image_is_reported_and_the_others_are_added(project, grey_png, tmp_path):
    (tmp_path / "broken.tif").write_text("not a tiff")
    result = project.add_images([tmp_path / "broken.tif", grey_png, tmp_path / "gone.png"], copy=True)
    assert [e.id for e in result.added] == ["grey"]
    assert [(f.path.name, "broken.tif" in f.reason or "gone.png" in f.reason) for f in result.failed] == [
        ("broken.tif", True),
        ("gone.png", True),
    ]
    assert [e.id for e in Project.open(project.folder).images] == ["grey"]
    assert sorted(p.name for p in (project.folder / "images").iterdir()) == ["grey.png"]


def test_all_bad_images_leave_project_file_untouched(project, tmp_path):
    (tmp_path / "broken.tif").write_text("not a tiff")
    before = (project.folder / PROJECT_FILE).read_bytes()
    result = project.add_images([tmp_path / "broken.tif"])
    assert result.added == [] and len(result.failed) == 1
    assert (project.folder / PROJECT_FILE).read_bytes() == before


def test_scribbles_round_trip_and_status(project, grey_png):
    (entry,) = project.add_images([grey_png]).added
    scribbles = np.zeros((48, 64), np.uint8)
    scribbles[5:8, 5:8] = 2
    project.save_scribbles(entry.id, scribbles)
    reopened = Project.open(project.folder)
    assert reopened.entry(entry.id).status == "scribbled"
    assert np.array_equal(reopened.load_scribbles(entry.id), scribbles)


def test_labels_of_wrong_shape_or_unknown_class_rejected(project, grey_png):
    (entry,) = project.add_images([grey_png]).added
    with pytest.raises(LabelImageError, match="shape"):
        project.save_scribbles(entry.id, np.zeros((10, 10), np.uint8))
    with pytest.raises(LabelImageError, match=r"\[7\]"):
        project.save_mask(entry.id, np.full((48, 64), 7, np.uint8), "auto")
    assert not project.mask_path(entry.id).exists()


def test_class_table_edits_and_removal_guard(project, grey_png):
    (entry,) = project.add_images([grey_png]).added
    bainite = project.classes.add("bainite")
    project.classes.rename(1, "polygonal ferrite")
    project.classes.recolour(2, "#112233")
    project.save()
    scribbles = np.zeros((48, 64), np.uint8)
    scribbles[0, 0] = bainite.value
    project.save_scribbles(entry.id, scribbles)
    with pytest.raises(ClassInUseError, match=f"{entry.id}.png"):
        project.remove_class(bainite.value)
    project.save_scribbles(entry.id, np.zeros((48, 64), np.uint8))
    project.remove_class(bainite.value)
    reopened = Project.open(project.folder)
    assert [(p.value, p.name, p.color) for p in reopened.classes] == [
        (1, "polygonal ferrite", "#56B4E9"),
        (2, "pearlite", "#112233"),
    ]
    with pytest.raises(ProjectError, match="already exists"):
        reopened.classes.add("pearlite")
    with pytest.raises(ProjectError, match="#RRGGBB"):
        reopened.classes.recolour(1, "red")


def test_missing_image_files_are_reported_and_rest_open(project, grey_png, tmp_path):
    second = tmp_path / "second.png"
    shutil.copy(grey_png, second)
    project.add_images([grey_png, second])
    second.unlink()
    reopened = Project.open(project.folder)
    assert [e.id for e in reopened.missing] == ["second"]
    assert len(reopened.images) == 2 and reopened.image_path(reopened.images[0]).exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ("{ not json", "not valid JSON"),
        (json.dumps({"schema_version": 99, "name": "x", "classes": [], "images": []}), "newer SteelSeg"),
        (json.dumps({"schema_version": 1, "name": "x"}), "classes: is missing"),
    ],
)
def test_unreadable_project_file_is_left_untouched(project, content, message):
    path = project.folder / PROJECT_FILE
    path.write_text(content)
    with pytest.raises(ProjectError, match=message):
        Project.open(project.folder)
    assert path.read_text() == content


def test_interrupted_save_leaves_a_readable_project(project, grey_png, monkeypatch):
    project.add_images([grey_png])
    good = (project.folder / PROJECT_FILE).read_bytes()
    real_dumps = json.dumps

    def write_half_then_die(obj, **kwargs):
        text = real_dumps(obj, **kwargs)
        raise KeyboardInterrupt(f"killed after {len(text) // 2} characters")

    monkeypatch.setattr(atomic.json, "dumps", write_half_then_die)
    project.classes.add("martensite")
    with pytest.raises(KeyboardInterrupt):
        project.save()
    monkeypatch.undo()
    assert (project.folder / PROJECT_FILE).read_bytes() == good
    assert [p.name for p in project.folder.iterdir() if p.name.endswith(".tmp")] == []
    assert [e.id for e in Project.open(project.folder).images] == ["grey"]


def test_crash_inside_the_file_write_keeps_previous_file(project):
    good = (project.folder / PROJECT_FILE).read_bytes()

    def crash(handle):
        handle.write(b'{"schema_version": 1, "na')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic.atomic_write(project.folder / PROJECT_FILE, crash)
    assert (project.folder / PROJECT_FILE).read_bytes() == good
    assert Project.open(project.folder).name == "proj"


def test_save_keeps_backup_of_previous_version(project):
    first = (project.folder / PROJECT_FILE).read_bytes()
    project.classes.add("bainite")
    project.save()
    assert (project.folder / BACKUP_FILE).read_bytes() == first
