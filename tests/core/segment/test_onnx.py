"""ONNX that travels: the exported default model names its classes, colours, normalisation, tile and
pixel size and SteelSeg version; onnxruntime segments any image size like the torch net; `steelseg
segment --model x.onnx` works; the README's runner needs neither SteelSeg nor torch."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest

from steelseg_gui import __version__
from steelseg_gui.cli import main
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.imaging.micrograph import to_float01
from steelseg_gui.core.jobs import run_job
from steelseg_gui.core.nets.bundle import load_net
from steelseg_gui.core.resources import default_model_dir
from steelseg_gui.core.segment.loader import load_segmenter
from steelseg_gui.core.segment.net_segmenter import NetSegmenter
from steelseg_gui.core.segment.onnx_segmenter import OnnxSegmenter, load_onnx_segmenter
from tests.conftest import REPO, write_png

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The bundled default model exported through the command line, as a user would."""
    path = tmp_path_factory.mktemp("onnx") / "ferrite-pearlite.onnx"
    assert main(["export", "default", "--onnx", str(path)]) == 0
    return path


def synthetic(width: int, height: int, seed: int):
    """A synthetic ferrite-pearlite micrograph (``image`` uint8 RGB) with its exact ``mask``."""
    from steelseg_gui.core.synthetic.micrographs import generate
    from steelseg_gui.core.synthetic.spec import SynthSpec

    return generate(SynthSpec(width=width, height=height, seed=seed))


def synthetic_field(width: int, height: int, seed: int) -> np.ndarray:
    return synthetic(width, height, seed).image


def test_metadata_names_classes_colours_normalisation_tile_pixel_size_version(exported):
    metadata = {p.key: json.loads(p.value) for p in onnx.load(str(exported), load_external_data=False).metadata_props}
    config = json.loads((default_model_dir() / "config.json").read_text())
    assert metadata["classes"] == [
        {"value": 1, "name": "ferrite", "color": "#56B4E9"},
        {"value": 2, "name": "pearlite", "color": "#D55E00"},
    ]
    assert metadata["normalisation"]["mean"] == config["normalisation"]["mean"]
    assert metadata["normalisation"]["std"] == config["normalisation"]["std"]
    assert metadata["tile_size"] == config["tile_size"] == 224
    assert "pixel_size_um" in metadata and metadata["pixel_size_um"] == config["pixel_size_um"]
    assert metadata["steelseg_version"] == __version__
    assert metadata["input_channels"] == 3 and metadata["size_multiple"] == 32
    segmenter = load_onnx_segmenter(exported)
    assert segmenter.classes.names == ["ferrite", "pearlite"] and segmenter.info.tile == 224


@pytest.mark.parametrize("size", [(250, 250), pytest.param((2080, 1542), marks=pytest.mark.slow)])
def test_onnxruntime_agrees_with_torch(exported, size):
    """Against the torch path as `steelseg segment` runs it (bfloat16 on CPUs that compute it, as here
    possibly) at both sizes, and against torch in float32 at the small one."""
    image = to_float01(synthetic_field(*size, seed=11))
    onnx_result = run_job(load_onnx_segmenter(exported).segment(image))
    assert onnx_result.labels.shape == (size[1], size[0])
    precisions = {"as segment runs it": True, "float32": False} if size[0] < 1000 else {"as segment runs it": True}
    for precision, mixed in precisions.items():
        torch_labels = run_job(NetSegmenter(load_net(default_model_dir()), mixed_precision=mixed).segment(image)).labels
        agreement = float(np.mean(onnx_result.labels == torch_labels))
        print(f"{size[0]}×{size[1]}: onnxruntime and torch ({precision}) agree on {100 * agreement:.4f} % of pixels")
        assert agreement >= (0.999 if mixed else 0.99999)


def test_segment_command_runs_an_onnx_file(exported, tmp_path):
    image = write_png(tmp_path / "field.png", synthetic_field(250, 250, seed=12))
    assert main(["segment", "--model", str(exported), "--out", str(tmp_path / "onnx"), str(image)]) == 0
    assert main(["segment", "--model", "default", "--out", str(tmp_path / "torch"), str(image)]) == 0
    onnx_mask = read_label_image(tmp_path / "onnx" / "field.png")
    torch_mask = read_label_image(tmp_path / "torch" / "field.png")
    assert np.mean(onnx_mask == torch_mask) >= 0.999
    summary = json.loads((tmp_path / "onnx" / "summary.json").read_text())
    assert set(summary["classes"]) == {"ferrite", "pearlite"}
    assert isinstance(load_segmenter(exported, "cpu"), OnnxSegmenter)


def test_bad_onnx_files_are_one_line_errors(tmp_path, capsys):
    fake = tmp_path / "fake.onnx"
    fake.write_bytes(b"not a model")
    assert main(["segment", "--model", str(fake), "--out", str(tmp_path / "o"), str(tmp_path)]) == 2
    assert "fake.onnx: not a readable ONNX model" in capsys.readouterr().err
    with pytest.raises(ModelError, match="not found"):
        load_onnx_segmenter(tmp_path / "absent.onnx")
    foreign = onnx.helper.make_model(
        onnx.helper.make_graph(
            [onnx.helper.make_node("Identity", ["image"], ["scores"])],
            "identity",
            [onnx.helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT, None)],
            [onnx.helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT, None)],
        ),
        opset_imports=[onnx.helper.make_opsetid("", 17)],
    )
    onnx.save(foreign, str(tmp_path / "foreign.onnx"))
    with pytest.raises(ModelError, match="not exported by SteelSeg"):
        load_onnx_segmenter(tmp_path / "foreign.onnx")
    assert main(["export", "default", "--onnx", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_readme_runner_needs_neither_steelseg_nor_torch(exported, tmp_path):
    """The README's 'Using an exported model without SteelSeg' code, run with steelseg_gui and torch blocked."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### Using an exported model without SteelSeg") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    field = synthetic(250, 250, seed=13)
    image = write_png(tmp_path / "micrograph.png", field.image)
    code = code.replace("model.onnx", str(exported)).replace("micrograph.png", str(image))
    code = code.replace("mask.png", str(tmp_path / "mask.png"))
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('steelseg_gui', 'torch', 'torchvision'):\n"
        "            raise ImportError(f'{name} is blocked: the runner must not need it')\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker + code], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    mask = read_label_image(tmp_path / "mask.png")
    tiled = run_job(load_onnx_segmenter(exported).segment(to_float01(field.image))).labels
    assert mask.shape == (250, 250) and set(np.unique(mask)) <= {1, 2}
    # One whole-image pass differs from blended tiles on boundary pixels, not in accuracy or fractions.
    assert abs(np.mean(mask == field.mask) - np.mean(tiled == field.mask)) < 0.01
    assert abs(np.mean(mask == 2) - np.mean(tiled == 2)) < 0.02
    assert f"pearlite: area fraction {np.mean(mask == 2):.3f}" in done.stdout
