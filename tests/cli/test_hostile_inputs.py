"""Bad input through every command: exit code 2, one line naming the file (or the option), no
traceback, and no file changed outside the output folder (a decoy folder of someone's own work,
the inputs and every document are checksummed before and after each case).

Most cases run in this process through ``steelseg_gui.cli.main``; a few run as real processes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from steelseg_gui.cli import main
from tests.cli.hostile_world import World, build_world


@dataclass
class Case:
    name: str
    args: Callable[[World, str], list[str]]
    names: str | tuple[str, ...]  # what the one line must name: the file (and field) or the option

    def named_in(self, line: str) -> bool:
        return all(part in line for part in ((self.names,) if isinstance(self.names, str) else self.names))


def c(name, args, names):
    return Case(name, args, names)


def rf_train(w, out, scribbles, *extra):
    return ["rf", "train", "--image", str(w.in__m1_png), "--scribbles", str(scribbles), "--out", out, *extra]


def train(w, out, *extra, masks="masks"):
    return [
        "train",
        "--images",
        str(w.root / "in"),
        "--masks",
        str(w.root / masks),
        "--arch",
        "unet",
        "--out",
        out,
        "--epochs",
        "1",
        "--tile",
        "64",
        *extra,
    ]


PROJECT_DOCUMENTS = [
    ("nan_pixel", "images[0].pixel_size_um"),
    ("escape_id", "images[0].id"),
    ("dup_class", "classes[2].value"),
    ("status", "images[1].status"),
    ("shape", "images[0].shape[0]"),
    ("version_text", "schema_version"),
    ("unknown_field", "images[0].pixelsize"),
    ("bad_specimen", "images[0].specimen"),
    ("newer", "newer SteelSeg"),
    ("not_json", "not valid JSON"),
    ("deep", "nested more than"),
    ("a_list", "expected a JSON object"),
]
MODEL_CONFIGS = [
    ("trees", "trees"),
    ("version_text", "format_version"),
    ("newer", "newer SteelSeg"),
    ("dup_class", "classes[1].value"),
    ("metrics", "metrics.val_accuracy"),
    ("params", "training.parameters"),
    ("kind", "kind"),
    ("channels", "input_channels"),
    ("deep", "nested more than"),
    ("pickle", "forest.safetensors"),
]
BAD_IMAGES = [
    "truncated.png",
    "text.tif",
    "empty.png",
    "huge.png",
    "huge.tif",
    "nan.tif",
    "complex.tif",
    "negative.tif",
    "dot.png",
    "notes.txt",
    "folder.png",
    "missing.png",
]

CASES = [
    # project new / add / info / set / specimen
    c("new-on-file", lambda w, o: ["project", "new", str(w.decoy__notes_txt)], "notes.txt"),
    c("new-on-project", lambda w, o: ["project", "new", str(w.decoy__project)], "project"),
    *[
        c(
            f"add-{doc}",
            lambda w, o, d=doc: ["project", "add", str(w.root / f"proj_{d}"), str(w.in__m1_png)],
            (f"proj_{doc}/project.json", field),
        )
        for doc, field in PROJECT_DOCUMENTS
    ],
    *[
        c(f"add-{image}", lambda w, o, i=image: ["project", "add", str(w.proj), str(w.root / "bad" / i)], image)
        for image in BAD_IMAGES
    ],
    c(
        "add-pixel-nan",
        lambda w, o: ["project", "add", str(w.proj), str(w.in__m1_png), "--pixel-size-um", "nan"],
        "--pixel-size-um",
    ),
    c(
        "add-pixel-negative",
        lambda w, o: ["project", "add", str(w.proj), str(w.in__m1_png), "--pixel-size-um=-1"],
        "--pixel-size-um",
    ),
    c(
        "add-specimen-blank",
        lambda w, o: ["project", "add", str(w.proj), str(w.in__m1_png), "--specimen", " "],
        "specimen name",
    ),
    c("add-no-project", lambda w, o: ["project", "add", str(w.decoy__micrographs), str(w.in__m1_png)], "micrographs"),
    c("info-no-project", lambda w, o: ["project", "info", str(w.decoy__micrographs)], "micrographs"),
    c("set-control-char", lambda w, o: ["project", "set", str(w.proj), "--operator", "bell\x07"], "operator"),
    c(
        "set-bad-project",
        lambda w, o: ["project", "set", str(w.proj_nan_pixel), "--operator", "A"],
        "proj_nan_pixel/project.json",
    ),
    c("specimen-unknown-image", lambda w, o: ["project", "specimen", str(w.proj), "S1", "ghost"], "ghost"),
    c("specimen-newline", lambda w, o: ["project", "specimen", str(w.proj), "S\n1"], "specimen name"),
    # info
    c("info-huge-tiff", lambda w, o: ["info", str(w.bad__huge_tif)], "huge.tif"),
    c("info-complex", lambda w, o: ["info", str(w.bad__complex_tif)], "complex.tif"),
    # rf train / apply / propagate
    c("rf-out-user-folder", lambda w, o: rf_train(w, str(w.decoy__micrographs), w.scr1_png), "micrographs"),
    c("rf-out-file", lambda w, o: rf_train(w, str(w.decoy__notes_txt), w.scr1_png), "notes.txt"),
    c("rf-out-model-with-notes", lambda w, o: rf_train(w, str(w.decoy__model), w.scr1_png), "my_notes.txt"),
    c("rf-trees-0", lambda w, o: rf_train(w, o, w.scr1_png, "--trees", "0"), "--trees"),
    c("rf-seed-negative", lambda w, o: rf_train(w, o, w.scr1_png, "--seed=-1"), "--seed"),
    c("rf-stray-255", lambda w, o: rf_train(w, o, w.scr_stray_png), "255"),
    c("rf-negative-labels", lambda w, o: rf_train(w, o, w.scr_negative_tif), "scr_negative.tif"),
    c("rf-one-class", lambda w, o: rf_train(w, o, w.scr_one_png), "ferrite"),
    c("rf-colour-scribbles", lambda w, o: rf_train(w, o, w.scr_colour_png), "scr_colour.png"),
    c(
        "rf-bad-image",
        lambda w, o: ["rf", "train", "--image", str(w.bad__nan_tif), "--scribbles", str(w.scr1_png), "--out", o],
        "nan.tif",
    ),
    *[
        c(
            f"apply-{name}",
            lambda w, o, n=name: ["rf", "apply", "--model", str(w.root / f"forest_{n}"), "--out", o, str(w.in__m1_png)],
            (f"forest_{name}/", field),
        )
        for name, field in MODEL_CONFIGS
    ],
    c(
        "apply-out-file",
        lambda w, o: ["rf", "apply", "--model", str(w.forest), "--out", str(w.decoy__notes_txt), str(w.in__m1_png)],
        "notes.txt",
    ),
    c(
        "apply-out-inputs",
        lambda w, o: [
            "rf",
            "apply",
            "--model",
            str(w.forest),
            "--out",
            str(w.decoy__micrographs),
            str(w.decoy__micrographs__field3_png),
        ],
        "field3.png",
    ),
    c("propagate-escape-id", lambda w, o: ["propagate", str(w.proj_escape_id)], "images[0].id"),
    c("propagate-trees", lambda w, o: ["propagate", str(w.proj), "--trees", "-3"], "--trees"),
    # train
    *[
        c(f"train-{option}-{value}", lambda w, o, a=option, v=value: train(w, o, f"--{a}={v}"), f"--{option}")
        for option, value in [
            ("lr", "-1"),
            ("lr", "nan"),
            ("lr", "inf"),
            ("epochs", "0"),
            ("batch-size", "0"),
            ("tile", "0"),
            ("weight-decay", "-0.1"),
            ("patience", "0"),
            ("validate-every", "-1"),
            ("seed", "abc"),
        ]
    ],
    c("train-out-user-folder", lambda w, o: train(w, str(w.decoy__micrographs)), "micrographs"),
    c("train-out-project", lambda w, o: train(w, str(w.decoy__project)), "project"),
    *[
        c(
            f"train-resume-{name}",
            lambda w, o, n=name: train(w, o, "--resume", str(w.root / f"ckpt_{n}")),
            f"checkpoint.json: {field}",
        )
        for name, field in [
            ("best_epoch", "best_epoch"),
            ("lr", "optimiser_param_groups[0].lr"),
            ("epoch", "epoch"),
            ("history", "history[0].epoch"),
        ]
    ],
    c("train-resume-pickle", lambda w, o: train(w, o, "--resume", str(w.ckpt_pickle)), "checkpoint.pt"),
    c("train-stray-mask-value", lambda w, o: train(w, o, masks="masks_stray"), "200"),
    c("train-one-class", lambda w, o: train(w, o, masks="masks_one"), "two phases"),
    c("train-export-tiles-user-folder", lambda w, o: train(w, o, "--export-tiles", str(w.decoy)), "decoy"),
    # segment
    c(
        "segment-out-file",
        lambda w, o: ["segment", "--model", str(w.forest), "--out", str(w.decoy__notes_txt), str(w.in__m1_png)],
        "notes.txt",
    ),
    c(
        "segment-out-inputs",
        lambda w, o: [
            "segment",
            "--model",
            str(w.forest),
            "--out",
            str(w.decoy__micrographs),
            str(w.decoy__micrographs),
        ],
        "micrographs",
    ),
    c(
        "segment-pixel-size",
        lambda w, o: ["segment", "--model", str(w.forest), "--out", o, "--pixel-size-um", "0", str(w.in__m1_png)],
        "--pixel-size-um",
    ),
    c(
        "segment-not-a-model",
        lambda w, o: ["segment", "--model", str(w.decoy__micrographs), "--out", o, str(w.in__m1_png)],
        "micrographs",
    ),
    c(
        "segment-pickled-model",
        lambda w, o: ["segment", "--model", str(w.forest_pickle), "--out", o, str(w.in__m1_png)],
        "forest.safetensors",
    ),
    c(
        "segment-bad-config",
        lambda w, o: ["segment", "--model", str(w.forest_metrics), "--out", o, str(w.in__m1_png)],
        "metrics.val_accuracy",
    ),
    # models info / export
    c("models-info-params", lambda w, o: ["models", "info", str(w.forest_params)], "training.parameters"),
    c("models-info-missing", lambda w, o: ["models", "info", str(w.root / "nowhere")], "nowhere"),
    c("export-to-folder", lambda w, o: ["export", str(w.net), "--onnx", str(w.decoy)], "decoy"),
    c(
        "export-over-micrograph",
        lambda w, o: ["export", str(w.net), "--onnx", str(w.decoy__micrographs__field4_png)],
        "field4.png",
    ),
    c("export-forest", lambda w, o: ["export", str(w.forest), "--onnx", o + ".onnx"], "forest"),
    # evaluate / report / synth / demo
    c(
        "evaluate-json-over-micrograph",
        lambda w, o: [
            "evaluate",
            "--pred",
            str(w.masks),
            "--truth",
            str(w.masks),
            "--json",
            str(w.decoy__micrographs__field3_png),
        ],
        "field3.png",
    ),
    c(
        "evaluate-plots-on-file",
        lambda w, o: ["evaluate", "--pred", str(w.masks), "--truth", str(w.masks), "--plots", str(w.decoy__notes_txt)],
        "notes.txt",
    ),
    c("report-over-notes", lambda w, o: ["report", str(w.proj), "--out", str(w.decoy__notes_txt)], "notes.txt"),
    c("report-bad-project", lambda w, o: ["report", str(w.proj_shape), "--out", o + ".html"], "images[0].shape[0]"),
    c("synth-into-user-folder", lambda w, o: ["synth", "--out", str(w.decoy), "--size", "64x48"], "decoy"),
    c("synth-count-0", lambda w, o: ["synth", "--out", o, "--count", "0"], "--count"),
    c("synth-pearlite", lambda w, o: ["synth", "--out", o, "--pearlite", "1.5"], "--pearlite"),
    c("synth-size", lambda w, o: ["synth", "--out", o, "--size", "10x10"], "--size"),
    c("demo-out-file", lambda w, o: ["demo", "--out", str(w.decoy__notes_txt)], "notes.txt"),
    c("demo-over-user-uhcs", lambda w, o: ["demo", "--out", str(w.decoy)], "uhcs"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    return build_world(tmp_path_factory.mktemp("hostile"))


def visible_lines(stderr: str) -> list[str]:
    """What a terminal shows: each line as its last carriage-return segment, blank lines dropped."""
    return [line.split("\r")[-1] for line in stderr.split("\n") if line.split("\r")[-1].strip()]


def run_main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return int(exit_.code)


def test_there_are_at_least_60_cases_covering_every_command():
    assert len(CASES) >= 60 and len({case.name for case in CASES}) == len(CASES)
    commands = {case.args(World(Path("/w")), "/o")[0] for case in CASES}
    assert commands == {
        "project",
        "info",
        "rf",
        "propagate",
        "train",
        "segment",
        "models",
        "export",
        "evaluate",
        "report",
        "synth",
        "demo",
    }


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(world, case, tmp_path, capsys):
    out = tmp_path / "out"
    before = world.checksum()
    code = run_main(case.args(world, str(out)))
    stderr = capsys.readouterr().err
    lines = visible_lines(stderr)
    assert "Traceback" not in stderr
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("steelseg"), lines
    assert case.named_in(lines[0]), lines[0]
    assert world.checksum() == before
    assert not (world.root / "decoy" / "pwned").exists()


SUBPROCESS_CASES = [
    "add-huge.tif",
    "rf-out-user-folder",
    "train-resume-pickle",
    "segment-out-file",
    "train-lr--1",
    "apply-deep",
    "export-to-folder",
]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_as_a_real_process(world, name, tmp_path):
    case = next(case for case in CASES if case.name == name)
    before = world.checksum()
    result = subprocess.run(
        [sys.executable, "-m", "steelseg_gui.cli", *case.args(world, str(tmp_path / "out"))],
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = visible_lines(result.stderr)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(lines) == 1 and case.named_in(lines[0]), lines
    assert world.checksum() == before
