"""Tile grids, splits, class weights, batches and tile export on real arrays."""

from __future__ import annotations

import numpy as np
import pytest

from steelseg_gui.core.errors import LabelImageError
from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.nets.tiles import (
    IGNORE,
    LabelledImage,
    TileBatches,
    TileRef,
    TileSplitWarning,
    check_labelled,
    class_weights,
    grid_origins,
    plan_tiles,
    split_by_image,
)
from steelseg_gui.core.nets.training_data import export_tiles
from steelseg_gui.core.project.classes import ClassTable


def labelled(name: str, height: int, width: int, seed: int = 0) -> LabelledImage:
    rng = np.random.default_rng(seed)
    mask = rng.integers(1, 3, (height, width)).astype(np.uint8)
    return LabelledImage(name, rng.random((height, width, 1), dtype=np.float32), mask)


def test_the_paper_grid_gives_54_tiles_per_2080x1542_image_and_216_with_rotations():
    assert len(grid_origins(1542, 2080, 224, cover=False)) == 54
    item = LabelledImage("big", np.zeros((1542, 2080, 1), np.float32), np.ones((1542, 2080), np.uint8))
    plan = plan_tiles([item], 224, names={"train": ["big"], "validation": [], "test": []}, paper_grid=True)
    assert len(plan.parts["train"]) == 216


def test_the_covering_grid_reaches_every_pixel():
    covered = np.zeros((500, 650), bool)
    for r, c in grid_origins(500, 650, 224):
        covered[r : r + 224, c : c + 224] = True
    assert covered.all()


def test_split_by_image_is_70_20_10_seeded_and_disjoint():
    names = [f"m{k}" for k in range(10)]
    split = split_by_image(names, seed=4)
    assert [len(split[p]) for p in ("train", "validation", "test")] == [7, 2, 1]
    assert sorted(name for part in split.values() for name in part) == sorted(names)
    assert split == split_by_image(names, seed=4)
    assert split != split_by_image(names, seed=5)


def test_split_by_tile_warns_about_leakage():
    items = [labelled(f"m{k}", 64, 64, k) for k in range(3)]
    with pytest.warns(TileSplitWarning, match="optimistic"):
        plan = plan_tiles(items, 32, split="tile")
    assert plan.split_by == "tile"
    assert sum(len(p) for p in plan.parts.values()) == 3 * 4


def test_class_weights_median_and_inverse_frequency():
    mask = np.zeros((10, 10), np.uint8)
    mask[:2] = 1  # 20 px ferrite
    mask[2:8] = 2  # 60 px pearlite; 20 px unlabelled
    item = LabelledImage("a", np.zeros((10, 10, 1), np.float32), mask)
    classes = ClassTable.default()
    np.testing.assert_allclose(class_weights([item], classes, "median"), [0.5 / 0.25, 0.5 / 0.75], rtol=1e-6)
    np.testing.assert_allclose(class_weights([item], classes, "inverse"), [80 / 40, 80 / 120], rtol=1e-6)


def test_batches_turn_image_and_mask_together_and_pad_small_images():
    image = np.arange(40 * 30, dtype=np.float32).reshape(40, 30, 1) / 1200
    mask = (np.arange(40 * 30).reshape(40, 30) % 2 + 1).astype(np.uint8)
    batches = TileBatches([LabelledImage("s", image, mask)], ClassTable.default(), 48, [0.0], [1.0])
    x, y = batches.batch([TileRef(0, 0, 0, 0), TileRef(0, 0, 0, 1)])
    assert x.shape == (2, 1, 48, 48) and y.shape == (2, 48, 48)
    assert (y[0, 40:] == IGNORE).all() and (y[0, :, 30:] == IGNORE).all()  # padding is ignored
    np.testing.assert_array_equal(y[0, :40, :30], mask[:, :] - 1)
    np.testing.assert_array_equal(y[1], np.rot90(y[0]))
    np.testing.assert_array_equal(x[1, 0], np.rot90(x[0, 0]))


def test_random_crops_keep_image_and_labels_aligned():
    image = np.random.default_rng(0).random((100, 90, 1), dtype=np.float32)
    mask = (image[..., 0] > 0.5).astype(np.uint8) + 1
    batches = TileBatches([LabelledImage("r", image, mask)], ClassTable.default(), 32, [0.0], [1.0])
    x, y = batches.batch([TileRef(0, 32, 32)] * 8, np.random.default_rng(1))
    np.testing.assert_array_equal(y, (x[:, 0] > 0.5).astype(np.int64))


def test_masks_with_unknown_classes_or_other_shapes_are_refused():
    item = labelled("a", 20, 20)
    item.mask[0, 0] = 3
    with pytest.raises(LabelImageError, match=r"label values \[3\]"):
        check_labelled([item], ClassTable.default())
    with pytest.raises(LabelImageError, match="does not match"):
        check_labelled(
            [LabelledImage("b", np.zeros((20, 20, 1), np.float32), np.ones((20, 21), np.uint8))], ClassTable.default()
        )


def test_export_tiles_writes_each_planned_tile_and_its_mask(tmp_path):
    items = [labelled(f"m{k}", 64, 64, k) for k in range(3)]
    plan = plan_tiles(items, 32, seed=0, paper_grid=True)
    count = export_tiles(items, plan, ClassTable.default(), tmp_path)
    assert count == 3 * 4 * 4
    written = sorted((tmp_path / "train" / "masks").glob("*.png"))
    assert len(written) == len(plan.parts["train"])
    ref = plan.parts["train"][1]
    mask = read_label_image(
        tmp_path / "train" / "masks" / f"{items[ref.image].name}_r{ref.row}_c{ref.col}_q{ref.rotation}.png"
    )
    expected = np.rot90(items[ref.image].mask[ref.row : ref.row + 32, ref.col : ref.col + 32], ref.rotation)
    np.testing.assert_array_equal(mask, expected)


def test_colour_jitter_changes_tiles_but_not_their_labels():
    image = np.random.default_rng(0).random((64, 64, 3), dtype=np.float32)
    mask = (image[..., 0] > 0.5).astype(np.uint8) + 1
    plain = TileBatches([LabelledImage("j", image, mask)], ClassTable.default(), 32, [0.0] * 3, [1.0] * 3)
    jittered = TileBatches(
        [LabelledImage("j", image, mask)], ClassTable.default(), 32, [0.0] * 3, [1.0] * 3, colour_jitter=True
    )
    refs = [TileRef(0, 16, 16)]  # one tile: the jitter draws come after its crop draws
    x0, y0 = plain.batch(refs, np.random.default_rng(3))
    x1, y1 = jittered.batch(refs, np.random.default_rng(3))
    np.testing.assert_array_equal(y0, y1)
    assert not np.allclose(x0, x1) and x1.min() >= 0 and x1.max() <= 1
