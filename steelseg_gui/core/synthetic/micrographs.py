"""Synthetic nital-etched ferrite–pearlite light micrographs with exact masks.

Annealed hypoeutectoid steel as seen in a light microscope: polygonal ferrite grains from a
warped Voronoi tessellation, each with its own etch tint and thin dark grain boundaries;
dark pearlite colonies with lamellae of per-colony orientation and spacing (some too fine to
resolve); uneven etching, an illumination gradient with vignetting, optical blur, sensor
noise, a few polishing scratches and dust spots. The mask is exact: 1 ferrite, 2 pearlite.

Images are ``(H, W, 3)`` uint8 RGB; masks ``(H, W)`` uint8.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from scipy import ndimage

from steelseg_gui.core.atomic import atomic_write_json
from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.imaging.labels import write_label_image, write_png
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.quantify.metallurgy import astm_grain_size_number, mean_lineal_intercept_px
from steelseg_gui.core.synthetic.spec import SynthSpec

FERRITE, PEARLITE = 1, 2
LIGHT_RGB = np.array([0.96, 0.92, 0.93], np.float32)  # etched ferrite under white light
DARK_RGB = np.array([0.20, 0.11, 0.17], np.float32)  # cementite-rich pearlite, purple-brown


@dataclass
class SynthMicrograph:
    """A generated micrograph, its exact mask and the true values measured on that mask."""

    image: np.ndarray
    mask: np.ndarray
    grains: np.ndarray  # (H, W) ferrite grain ids of the tessellation (meaningful where mask is ferrite)
    spec: SynthSpec

    @property
    def pearlite_fraction(self) -> float:
        return float(np.mean(self.mask == PEARLITE))

    @property
    def mean_intercept_um(self) -> float:
        """Mean lineal intercept of the ferrite grains (two-phase ASTM E112 formula), µm."""
        return mean_lineal_intercept_px(self.grains, self.mask == FERRITE) * self.spec.pixel_size_um

    def truth(self) -> dict:
        """The true values, for the JSON written beside the image."""
        intercept = self.mean_intercept_um
        return {
            "pearlite_fraction": self.pearlite_fraction,
            "ferrite_fraction": 1 - self.pearlite_fraction,
            "mean_grain_size_um": self.spec.grain_size_um,
            "mean_ferrite_intercept_um": intercept,
            "astm_grain_size_number": astm_grain_size_number(intercept / 1000),
            "spec": asdict(self.spec),
        }


def generate(spec: SynthSpec) -> SynthMicrograph:
    """Generate one micrograph; the same spec (seed included) always gives the same arrays."""
    _check(spec)
    rng = np.random.default_rng(spec.seed)
    shape = (spec.height, spec.width)
    warp = (smooth_noise(rng, shape, spec.grain_size_px * 3), smooth_noise(rng, shape, spec.grain_size_px * 3))
    grains = _tessellate(rng, shape, spec.grain_size_px, warp, amplitude=0.25 * spec.grain_size_px)
    colonies = _tessellate(rng, shape, 0.6 * spec.grain_size_px, warp, amplitude=0.2 * spec.grain_size_px)
    ragged = smooth_noise(rng, shape, 0.15 * spec.grain_size_px) * (0.08 * spec.grain_size_px)
    mask = _pearlite_mask(rng, colonies, spec.pearlite_fraction, ragged)
    intensity = _ferrite_intensity(rng, grains, spec.grain_size_px)
    pearlite = mask == PEARLITE
    intensity[pearlite] = _pearlite_intensity(rng, colonies, pearlite, warp, spec.grain_size_px)
    boundary_ids = np.where(pearlite, grains.max() + colonies, grains)
    intensity *= _grain_boundary_darkening(rng, boundary_ids, mask, spec.grain_size_px)
    intensity = _optics(rng, intensity, spec.grain_size_px)
    return SynthMicrograph(_to_rgb(rng, intensity), mask, grains, spec)


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], feature_px: float) -> np.ndarray:
    """Zero-mean, unit-ish amplitude float32 noise varying over about ``feature_px`` pixels."""
    cells = (max(2, round(shape[0] / feature_px)), max(2, round(shape[1] / feature_px)))
    small = rng.standard_normal(cells).astype(np.float32)
    return ndimage.zoom(small, (shape[0] / cells[0], shape[1] / cells[1]), order=3, grid_mode=True, mode="grid-mirror")[
        : shape[0], : shape[1]
    ]


def _check(spec: SynthSpec) -> None:
    if not 0.0 <= spec.pearlite_fraction <= 1.0:
        raise SteelSegError(f"pearlite fraction {spec.pearlite_fraction} is outside 0..1")
    if spec.width < 16 or spec.height < 16:
        raise SteelSegError(f"image size {spec.width}×{spec.height} is below 16×16 pixels")
    if spec.grain_size_px < 4:
        raise SteelSegError(f"grain size {spec.grain_size_um} µm is under 4 pixels at {spec.pixel_size_um} µm/px")


def _tessellate(rng, shape, cell_px: float, warp, amplitude: float) -> np.ndarray:
    """Voronoi cells of mean equivalent-circle diameter ``cell_px``, boundaries bent by ``warp``."""
    count = max(2, round(shape[0] * shape[1] / (np.pi / 4 * cell_px**2)))
    seeds = np.zeros(shape, np.int32)
    rows, cols = rng.integers(0, shape[0], count), rng.integers(0, shape[1], count)
    seeds[rows, cols] = np.arange(1, count + 1)
    nearest = ndimage.distance_transform_edt(seeds == 0, return_distances=False, return_indices=True)
    cells = seeds[nearest[0], nearest[1]]
    y = np.clip(np.arange(shape[0])[:, None] + amplitude * warp[0], 0, shape[0] - 1).astype(np.intp)
    x = np.clip(np.arange(shape[1])[None, :] + amplitude * warp[1], 0, shape[1] - 1).astype(np.intp)
    return cells[y, x]


def _pearlite_mask(rng, grains: np.ndarray, fraction: float, ragged: np.ndarray) -> np.ndarray:
    """Whole cells become pearlite colonies until near ``fraction``; then the colony edges, made
    ragged by ``ragged`` (pixels), grow or shrink evenly to meet it to the pixel."""
    if fraction <= 0:
        return np.full(grains.shape, FERRITE, np.uint8)
    areas = np.bincount(grains.ravel())
    order = rng.permutation(np.flatnonzero(areas))
    cumulative = np.cumsum(areas[order])
    chosen = order[: int(np.searchsorted(cumulative, fraction * grains.size)) + 1]
    selected = np.zeros(areas.size, bool)
    selected[chosen] = True
    pearlite = selected[grains]
    signed = (ndimage.distance_transform_edt(pearlite) - ndimage.distance_transform_edt(~pearlite)).astype(np.float32)
    signed += ragged + rng.uniform(0, 1e-3, signed.shape).astype(np.float32)  # noise also breaks ties
    threshold = np.quantile(signed, 1.0 - fraction)
    return np.where(signed >= threshold, PEARLITE, FERRITE).astype(np.uint8)


def _ferrite_intensity(rng, grains: np.ndarray, grain_px: float) -> np.ndarray:
    """Grain-by-grain etch brightness (orientation contrast) with faint mottling, in [0, 1]."""
    tint = rng.uniform(0.82, 0.95, grains.max() + 1).astype(np.float32)
    return tint[grains] + 0.015 * smooth_noise(rng, grains.shape, max(3.0, grain_px / 8))


def _pearlite_intensity(rng, colonies, pearlite, warp, grain_px: float) -> np.ndarray:
    """Lamellar (or unresolved) pearlite brightness for the pixels where ``pearlite`` is True."""
    count = colonies.max() + 1
    angle = rng.uniform(0, np.pi, count).astype(np.float32)
    spacing = np.exp(rng.uniform(np.log(2.2), np.log(6.0), count)).astype(np.float32)
    unresolved = rng.random(count) < 0.5
    phase = rng.uniform(0, 2 * np.pi, count).astype(np.float32)
    rows, cols = np.nonzero(pearlite)
    ids = colonies[rows, cols]
    bend = 0.15 * grain_px
    y = rows + bend * warp[0][rows, cols]
    x = cols + bend * warp[1][rows, cols]
    wave = 0.5 + 0.5 * np.cos(2 * np.pi * (x * np.cos(angle[ids]) + y * np.sin(angle[ids])) / spacing[ids] + phase[ids])
    base = rng.uniform(0.16, 0.32, count).astype(np.float32)[ids]
    lamellar = base + 0.14 * wave * rng.uniform(0.5, 1.0, count).astype(np.float32)[ids]
    texture = smooth_noise(rng, pearlite.shape, 3.0)[rows, cols]
    mottled = base + 0.07 + 0.06 * texture
    return np.where(unresolved[ids], mottled, lamellar).astype(np.float32)


def _grain_boundary_darkening(rng, grains, mask, grain_px: float) -> np.ndarray:
    """Multiplier < 1 on thin lines along grain and phase boundaries, faint in places; lines
    weaken for small grains, where a light microscope no longer resolves them well."""
    edges = np.zeros(grains.shape, bool)
    edges[:, 1:] |= grains[:, 1:] != grains[:, :-1]
    edges[1:, :] |= grains[1:, :] != grains[:-1, :]
    edges[:, 1:] |= mask[:, 1:] != mask[:, :-1]
    edges[1:, :] |= mask[1:, :] != mask[:-1, :]
    strength = np.clip(0.55 + 0.35 * smooth_noise(rng, grains.shape, 60), 0.1, 0.85) * min(1.0, grain_px / 40)
    lines = ndimage.gaussian_filter(edges.astype(np.float32), 0.7) * 2.2
    return 1.0 - np.clip(lines, 0, 1) * strength


def _optics(rng, intensity: np.ndarray, grain_px: float) -> np.ndarray:
    """Uneven etching, illumination gradient with vignetting, scratches, dust, blur and noise."""
    height, width = intensity.shape
    intensity = intensity * (1 + 0.05 * smooth_noise(rng, intensity.shape, 4 * grain_px))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    cy, cx = rng.uniform(0.3, 0.7) * height, rng.uniform(0.3, 0.7) * width
    r2 = ((y - cy) ** 2 + (x - cx) ** 2) / (height**2 + width**2)
    slope = rng.uniform(-0.06, 0.06, 2)
    intensity *= (1 - 0.35 * r2) * (1 + slope[0] * (y / height - 0.5) + slope[1] * (x / width - 0.5))
    intensity = _scratches(rng, intensity)
    intensity = _dust(rng, intensity)
    intensity = ndimage.gaussian_filter(intensity, 0.8)
    noise = rng.standard_normal(intensity.shape).astype(np.float32)
    return intensity + noise * (0.008 + 0.012 * np.sqrt(np.clip(intensity, 0, 1)))


def _scratches(rng, intensity: np.ndarray) -> np.ndarray:
    height, width = intensity.shape
    for _ in range(rng.integers(0, 4)):
        start = rng.uniform(0, 1, 2) * (height, width)
        angle = rng.uniform(0, np.pi)
        length = rng.uniform(0.3, 1.0) * np.hypot(height, width)
        steps = np.linspace(0, length, int(length))
        rows = (start[0] + steps * np.sin(angle)).astype(int)
        cols = (start[1] + steps * np.cos(angle) + 4 * np.sin(steps / 200)).astype(int)
        keep = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        intensity[rows[keep], cols[keep]] *= rng.uniform(0.75, 0.9)
    return intensity


def _dust(rng, intensity: np.ndarray) -> np.ndarray:
    height, width = intensity.shape
    spots = np.zeros(intensity.shape, np.float32)
    for _ in range(rng.integers(1, 6)):
        row, col = rng.integers(0, height), rng.integers(0, width)
        radius = rng.uniform(2, 7)
        r0, r1 = max(0, int(row - 3 * radius)), min(height, int(row + 3 * radius) + 1)
        c0, c1 = max(0, int(col - 3 * radius)), min(width, int(col + 3 * radius) + 1)
        yy, xx = np.ogrid[r0:r1, c0:c1]
        spots[r0:r1, c0:c1] = np.maximum(
            spots[r0:r1, c0:c1], np.exp(-((yy - row) ** 2 + (xx - col) ** 2) / (2 * radius**2))
        )
    return intensity * (1 - 0.45 * spots)


def _to_rgb(rng, intensity: np.ndarray) -> np.ndarray:
    light = LIGHT_RGB + rng.uniform(-0.02, 0.02, 3).astype(np.float32)
    light[2] += rng.uniform(-0.04, 0.06)  # etch and lamp colour: from pinkish to bluish white
    rgb = DARK_RGB + (light - DARK_RGB) * np.clip(intensity, 0, 1)[..., None]
    return np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)


def write_synthetic_set(out: str | Path, count: int, spec: SynthSpec) -> Job[dict]:
    """Write ``count`` micrographs (image ``i`` uses seed ``spec.seed + i``) to ``out``.

    Writes ``images/synth_NNNN.png``, ``masks/synth_NNNN.png`` and ``truth.json`` (the true
    pearlite fraction, grain size and intercept of each image). Yields progress; returns the
    truth document.
    """
    if count < 1:
        raise SteelSegError(f"--count must be at least 1, got {count}")
    out = Path(out)
    truth = {"generator": "steelseg synth", "classes": {"1": "ferrite", "2": "pearlite"}, "images": {}}
    for index in range(count):
        yield Progress(index, count, f"generating image {index + 1} of {count}")
        micrograph = generate(replace(spec, seed=spec.seed + index))
        name = f"synth_{index:04d}"
        write_png(out / "images" / f"{name}.png", micrograph.image)
        write_label_image(out / "masks" / f"{name}.png", micrograph.mask)
        truth["images"][name] = micrograph.truth()
    atomic_write_json(out / "truth.json", truth)
    yield Progress(count, count, "done")
    return truth
