"""project.json as a validated document: schema 2 (metadata, specimens, mask provenance), schema 1
still read, every violation one line naming the file and the field, safe ids, no NaN on disk."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from steelseg_gui.core.errors import LabelImageError, ProjectError
from steelseg_gui.core.project.folder import PROJECT_FILE, Project
from steelseg_gui.core.project.schema import ImageStatus, Specimen
from tests.conftest import write_png

V1_DOCUMENT = {
    "schema_version": 1,
    "name": "old",
    "classes": [
        {"value": 1, "name": "ferrite", "color": "#56B4E9"},
        {"value": 2, "name": "pearlite", "color": "#D55E00"},
    ],
    "images": [
        {"id": "a1", "path": "images/a1.png", "shape": [48, 64], "pixel_size_um": 0.5, "status": "reviewed"},
        {"id": "a2", "path": "images/a2.png", "shape": [48, 64], "pixel_size_um": None, "status": "new"},
    ],
}


def write_document(folder, document) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PROJECT_FILE).write_text(json.dumps(document))


@pytest.fixture
def project(tmp_path) -> Project:
    return Project.create(tmp_path / "proj")


def test_version_1_is_read_and_written_back_as_version_2(tmp_path):
    write_document(tmp_path / "old", V1_DOCUMENT)
    project = Project.open(tmp_path / "old")
    assert [(e.id, e.status, e.specimen, e.mask_source) for e in project.images] == [
        ("a1", ImageStatus.REVIEWED, None, None),
        ("a2", ImageStatus.NEW, None, None),
    ]
    assert project.metadata.operator is None and project.specimens == {}
    project.set_metadata(operator="A. Metallographer")
    document = json.loads((tmp_path / "old" / PROJECT_FILE).read_text())
    assert document["schema_version"] == 2
    assert document["metadata"]["operator"] == "A. Metallographer" and document["metadata"]["reviewer"] is None
    assert document["images"][0]["status"] == "reviewed" and document["images"][0]["reviewed_by"] is None


def image(**changes) -> dict:
    return {"id": "a1", "path": "images/a1.png", "shape": [48, 64], "pixel_size_um": 0.5, "status": "new", **changes}


BAD_DOCUMENTS = [
    (
        {"images": [image(), image(id="a2"), image(id="a3"), image(id="a4", pixel_size_um=float("nan"))]},
        "images[3].pixel_size_um: must be a finite number > 0, got NaN",
    ),
    ({"images": [image(pixel_size_um=-0.5)]}, "images[0].pixel_size_um: must be a finite number > 0, got -0.5"),
    ({"images": [image(pixel_size_um=float("inf"))]}, "images[0].pixel_size_um: must be a finite number > 0"),
    ({"images": [image(pixel_size_um="0.5")]}, "images[0].pixel_size_um: must be a finite number > 0, got '0.5'"),
    ({"images": [image(id="../../victim/mask")]}, "images[0].id: must be a safe name"),
    ({"images": [image(id=".hidden")]}, "images[0].id: must be a safe name"),
    ({"images": [image(id="a" * 121)]}, "images[0].id: must be a safe name"),
    ({"images": [image(id="/etc/passwd")]}, "images[0].id: must be a safe name"),
    ({"images": [image(id=7)]}, "images[0].id: must be text, got 7"),
    ({"images": [image(), image(id="A1")]}, "images[1].id: image id (ignoring case) 'a1' is used twice"),
    ({"images": [image(shape=[0, 64])]}, "images[0].shape[0]: input should be greater than 0, got 0"),
    ({"images": [image(shape=[48.5, 64])]}, "images[0].shape[0]: must be a whole number, got 48.5"),
    ({"images": [image(shape=[48])]}, "images[0].shape[1]: is missing"),
    ({"images": [image(shape=[True, 64])]}, "images[0].shape[0]: must be a whole number, got True"),
    ({"images": [image(status="done")]}, "images[0].status: input should be 'new', 'scribbled', 'auto' or 'reviewed'"),
    ({"images": [image(path="")]}, "images[0].path: string should have at least 1 character"),
    ({"images": [image(specimen="S9")]}, "images[0].specimen: names no specimen of the project ('S9'; known: none)"),
    (
        {"images": [image(mask_source={"model": "forest", "at": "yesterday"})]},
        "images[0].mask_source.at: must be an ISO 8601 date and time, got 'yesterday'",
    ),
    ({"images": [image(reviewed_at="31/12/2024")]}, "images[0].reviewed_at: must be an ISO 8601 date and time"),
    ({"images": [image(pixel_size=0.5)]}, "images[0].pixel_size: is not a known field (misspelt?)"),
    ({"images": "all of them"}, "images: must be a JSON list [...], got 'all of them'"),
    (
        {"classes": [{"value": 0, "name": "x", "color": "#000000"}]},
        "classes[0].value: input should be greater than or equal to 1",
    ),
    (
        {"classes": [{"value": 70000, "name": "x", "color": "#000000"}]},
        "classes[0].value: input should be less than or equal to 65535",
    ),
    (
        {"classes": [{"value": True, "name": "x", "color": "#000000"}]},
        "classes[0].value: must be a whole number, got True",
    ),
    (
        {"classes": [{"value": 1, "name": "x", "color": "#000000"}, {"value": 1, "name": "y", "color": "#000000"}]},
        "classes[1].value: label value 1 is used twice",
    ),
    (
        {"classes": [{"value": 1, "name": "x", "color": "#000000"}, {"value": 2, "name": "x", "color": "#000000"}]},
        "classes[1].name: class name 'x' is used twice",
    ),
    ({"classes": [{"value": 1, "name": " ", "color": "#000000"}]}, "classes[0].name: must not be empty"),
    (
        {"classes": [{"value": 1, "name": "x", "color": "red"}]},
        "classes[0].color: must be a colour of the form #RRGGBB",
    ),
    ({"schema_version": "2"}, "schema_version: must be a whole number, got '2'"),
    ({"schema_version": 0}, "schema_version: input should be greater than or equal to 1"),
    ({"schema_version": 1.5}, "schema_version: must be a whole number, got 1.5"),
    ({"name": ""}, "name: must not be empty"),
    ({"metadata": {"operator": 5}}, "metadata.operator: must be text, got 5"),
    ({"metadata": {"operater": "x"}}, "metadata.operater: is not a known field"),
    ({"specimens": {"S1": {"grade": "1020", "hardness": 3}}}, "specimens.S1.hardness: is not a known field"),
    ({"specimens": {"S1": "1020"}}, "specimens.S1: must be a JSON object {...}, got '1020'"),
]


@pytest.mark.parametrize(
    "changes, message", BAD_DOCUMENTS, ids=[m.split(":")[0] + str(i) for i, (_, m) in enumerate(BAD_DOCUMENTS)]
)
def test_every_violation_is_one_line_naming_file_and_field(tmp_path, changes, message):
    folder = tmp_path / "proj"
    write_document(folder, {**V1_DOCUMENT, "schema_version": 2, **changes})
    before = (folder / PROJECT_FILE).read_bytes()
    with pytest.raises(ProjectError) as info:
        Project.open(folder)
    text = str(info.value)
    assert text.startswith(f"{folder / PROJECT_FILE}: {message}"), text
    assert "\n" not in text
    assert (folder / PROJECT_FILE).read_bytes() == before


def test_deeply_nested_document_is_refused(tmp_path):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / PROJECT_FILE).write_text('{"schema_version": 2, "name": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(ProjectError, match="nested more than 32 levels"):
        Project.open(folder)


def test_nan_pixel_size_is_never_written(project, grey_png):
    with pytest.raises(ProjectError, match="finite number"):
        project.add_images([grey_png], pixel_size_um=float("nan"))
    (entry,) = project.add_images([grey_png]).added
    with pytest.raises(ValueError, match="finite number > 0"):
        entry.pixel_size_um = float("nan")
    entry.__dict__["pixel_size_um"] = float("nan")  # even bypassing validation, nothing invalid is saved
    with pytest.raises(ProjectError, match=r"images\[0\].pixel_size_um: must be a finite number > 0, got NaN"):
        project.save()
    assert "NaN" not in (project.folder / PROJECT_FILE).read_text()
    assert Project.open(project.folder).images[0].pixel_size_um is None


def test_masks_record_their_source_and_review(project, grey_png):
    (entry,) = project.add_images([grey_png]).added
    mask = np.ones((48, 64), np.uint8)
    project.save_mask(entry.id, mask, "auto", source_model="forest")
    auto = Project.open(project.folder).entry(entry.id)
    assert auto.status == "auto" and auto.mask_source.model == "forest" and auto.reviewed_by is None
    project.save_mask(entry.id, mask, "reviewed", reviewer="J. Doe")
    reviewed = Project.open(project.folder).entry(entry.id)
    assert reviewed.status == ImageStatus.REVIEWED and reviewed.reviewed_by == "J. Doe"
    assert reviewed.reviewed_at and reviewed.mask_source.model == "forest"
    project.save_mask(entry.id, mask, "reviewed")
    assert Project.open(project.folder).entry(entry.id).reviewed_by is None  # never invented
    with pytest.raises(ProjectError, match="'auto' or 'reviewed'"):
        project.save_mask(entry.id, mask, "new")


def test_specimens_group_images_and_metadata_blanks_stay_blank(project, grey_png, tmp_path):
    second = write_png(tmp_path / "second.png", np.zeros((48, 64), np.uint8))
    third = write_png(tmp_path / "third.png", np.zeros((48, 64), np.uint8))
    project.add_images([grey_png, second], specimen="S1")
    project.add_images([third])
    project.set_specimen(["second"], "S2", Specimen(grade="SAE 1045", heat_treatment="normalised"))
    project.set_metadata(operator="Ann", microscope="Zeiss Axio", notes="   ")
    reopened = Project.open(project.folder)
    assert {k: [e.id for e in v] for k, v in reopened.images_by_specimen().items()} == {
        "S1": ["grey"],
        "S2": ["second"],
        None: ["third"],
    }
    assert reopened.specimens["S2"].grade == "SAE 1045" and reopened.specimens["S1"].grade is None
    assert reopened.metadata.operator == "Ann" and reopened.metadata.notes is None
    assert reopened.metadata.reviewer is None
    with pytest.raises(ProjectError, match="unknown metadata field"):
        reopened.set_metadata(colour="red")
    with pytest.raises(ProjectError, match="has no image 'nope'"):
        reopened.set_specimen(["nope"], "S1")
    with pytest.raises(ProjectError, match="specimen name ''"):
        reopened.add_images([third], specimen="")


def test_ids_are_safe_and_never_adopt_existing_files(project, tmp_path):
    odd = tmp_path / "odd"
    odd.mkdir()
    names = ["..hidden.png", "a b#c.png", "A.png", "a.png", "stale.png"]
    for name in names:
        write_png(odd / name, np.zeros((20, 20), np.uint8))
    write_png(project.folder / "masks" / "stale.png", np.ones((20, 20), np.uint8))
    result = project.add_images([odd / name for name in names], copy=True)
    assert [e.id for e in result.added] == ["hidden", "a_b_c", "A", "a-2", "stale-2"]
    assert sorted(p.name for p in (project.folder / "images").iterdir()) == [
        "A.png",
        "a-2.png",
        "a_b_c.png",
        "hidden.png",
        "stale-2.png",
    ]
    assert project.load_mask("stale-2") is None


def test_label_folder_linked_out_of_the_project_is_refused(project, grey_png, tmp_path):
    (entry,) = project.add_images([grey_png]).added
    outside = tmp_path / "victim"
    outside.mkdir()
    (project.folder / "masks").rmdir()
    os.symlink(outside, project.folder / "masks")
    with pytest.raises(ProjectError, match="leads outside the project"):
        project.save_mask(entry.id, np.ones((48, 64), np.uint8), "auto")
    assert list(outside.iterdir()) == []
    with pytest.raises(ProjectError, match="must be a safe name"):
        project.mask_path("../../victim/mask")


@pytest.mark.parametrize(
    "labels, message",
    [
        (np.full((48, 64), -1, np.int32), r"values \[-1\]"),
        (np.full((48, 64), 258, np.int32), r"values \[258\]"),
        (np.full((48, 64), 70000, np.int64), r"values \[70000\]"),
        (np.full((48, 64), 1.0, np.float32), "float32; expected integers"),
    ],
)
def test_label_values_outside_the_class_table_are_listed(project, grey_png, labels, message):
    (entry,) = project.add_images([grey_png]).added
    with pytest.raises(LabelImageError, match=message):
        project.save_mask(entry.id, labels, "auto")
    assert not project.mask_path(entry.id).exists()
