"""Weka-like filter bank for scribble propagation, computed strip by strip.

Families (Trainable Weka Segmentation defaults plus texture), each at every scale σ (pixels):

* ``intensity``: the raw grey level (once) and the Gaussian blur at σ;
* ``gradient``: gradient magnitude of the blurred image (Sobel-like central differences);
* ``hessian``: the two eigenvalues of the Hessian of the blurred image;
* ``dog``: differences of Gaussians between consecutive scales;
* ``membrane``: membrane projections: a thin line filter of ``membrane_length_px`` in
  ``membrane_orientations`` directions, reduced over the directions to mean, max, min and std;
* ``std``: local standard deviation in a Gaussian window of σ;
* ``structure``: the structure tensor's two eigenvalues and its coherence ((μ1-μ2)/(μ1+μ2))²,
  which is high on lamellar pearlite and low on ferrite;
* ``colour``: for RGB micrographs, the blur of each of R, G, B at σ (the other families are
  computed on the luminance).

Scales are computed on a block-mean pyramid (σ on 1/2**floor(log2 σ) resolution, where the
remaining blur is 1 to 2 px) and read back by bilinear interpolation at pixel centres, which is where
most of the speed comes from. Features are float32 and the whole image never needs to be in
memory: :func:`feature_strips` yields horizontal strips computed with a halo of rows above and
below, and ``StripFeatures.sample`` returns ``(N, F)`` features for any pixels of the strip.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
from numba import njit, prange
from scipy import ndimage

from steelseg_gui.core.errors import SteelSegError
from steelseg_gui.core.imaging.micrograph import LUMA_WEIGHTS

FAMILIES = ("intensity", "gradient", "hessian", "dog", "membrane", "std", "structure", "colour")
TRUNCATE = 3.0
STRIP_ROWS = 1024


class FeatureSpecError(SteelSegError):
    """A feature specification names unknown families or impossible scales."""


@dataclass(frozen=True)
class FeatureSpec:
    """Which feature families, at which scales σ (pixels), make up the filter bank."""

    sigmas: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
    families: tuple[str, ...] = FAMILIES
    membrane_length_px: int = 19
    membrane_orientations: int = 8

    def __post_init__(self):
        object.__setattr__(self, "sigmas", tuple(float(s) for s in self.sigmas))
        object.__setattr__(self, "families", tuple(str(f) for f in self.families))
        unknown = sorted(set(self.families) - set(FAMILIES))
        if unknown:
            raise FeatureSpecError(f"unknown feature families {unknown}; choose from {', '.join(FAMILIES)}")
        if not self.families:
            raise FeatureSpecError("the feature specification chooses no feature family")
        if (
            not self.sigmas
            or any(s <= 0 or s > 64 for s in self.sigmas)
            or list(self.sigmas) != sorted(set(self.sigmas))
        ):
            raise FeatureSpecError(f"scales {self.sigmas} must be increasing, distinct and within (0, 64] pixels")
        if self.membrane_length_px < 3 or self.membrane_orientations < 2:
            raise FeatureSpecError("membrane projections need a line of at least 3 px and 2 orientations")

    def to_json(self) -> dict:
        return {**asdict(self), "sigmas": list(self.sigmas), "families": list(self.families)}

    @classmethod
    def from_json(cls, item: dict) -> FeatureSpec:
        try:
            return cls(
                tuple(item["sigmas"]),
                tuple(item["families"]),
                int(item["membrane_length_px"]),
                int(item["membrane_orientations"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FeatureSpecError(f"malformed feature specification ({exc!r})") from exc

    @property
    def halo_px(self) -> int:
        """Rows of context needed above and below a strip, a multiple of the coarsest block."""
        need = 3 * TRUNCATE * max(self.sigmas) + self.membrane_length_px
        block = 2 ** max(level_of(s) for s in self.sigmas)
        return int(math.ceil(need / block) * block)

    def feature_names(self, channels: int) -> list[str]:
        """Names of the feature columns, in order, for an image with ``channels`` channels (1 or 3)."""
        return [name for name, _ in _plan(self, channels)[1]]

    def count(self, channels: int) -> int:
        return len(self.feature_names(channels))


def level_of(sigma: float) -> int:
    """Pyramid level (1/2**level resolution) on which scale ``sigma`` is computed."""
    return max(0, math.floor(math.log2(sigma))) if sigma >= 1 else 0


def _plan(spec: FeatureSpec, channels: int) -> tuple[list[str], list[tuple[str, tuple]]]:
    """The maps to compute and the output columns: (map names, [(column name, source)])."""
    fam = set(spec.families)
    maps: list[str] = []
    if "intensity" in fam:
        maps.append("raw")
    for s in spec.sigmas:
        if fam & {"intensity", "dog"}:
            maps.append(f"gauss_{s:g}")
        if "gradient" in fam:
            maps.append(f"gradient_{s:g}")
        if "hessian" in fam:
            maps += [f"hessian1_{s:g}", f"hessian2_{s:g}"]
        if "std" in fam:
            maps.append(f"std_{s:g}")
        if "structure" in fam:
            maps += [f"structure1_{s:g}", f"structure2_{s:g}", f"coherence_{s:g}"]
        if "colour" in fam and channels == 3:
            maps += [f"{c}_{s:g}" for c in "rgb"]
    if "membrane" in fam:
        maps += [f"membrane_{stat}" for stat in ("mean", "max", "min", "std")]
    columns = [(name, ("map", maps.index(name))) for name in maps]
    if "dog" in fam:
        for a, b in zip(spec.sigmas, spec.sigmas[1:]):
            columns.append((f"dog_{a:g}_{b:g}", ("dog", maps.index(f"gauss_{a:g}"), maps.index(f"gauss_{b:g}"))))
    return maps, columns


@dataclass
class StripFeatures:
    """Feature maps of one strip: rows ``[start, stop)`` of the image, computed with a halo.

    ``levels`` maps a pyramid level to ``(factor, map indices, maps)``: maps is a float32 array
    ``(M, h, w)`` at 1/factor resolution whose row 0 lies at image row ``origin``.
    """

    start: int
    stop: int
    origin: int
    spec: FeatureSpec
    channels: int
    levels: dict[int, tuple[int, list[int], np.ndarray]] = field(default_factory=dict)

    def sample(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Features ``(N, F)`` float32 at image pixels ``(rows[i], cols[i])`` inside this strip's halo."""
        maps, columns = _plan(self.spec, self.channels)
        rows = np.ascontiguousarray(rows, np.int64) - self.origin
        cols = np.ascontiguousarray(cols, np.int64)
        values = np.empty((rows.size, len(maps)), np.float32)
        for factor, indices, stack in self.levels.values():
            _sample_bilinear(stack, rows, cols, factor, values, np.asarray(indices, np.int64))
        if len(columns) == len(maps):
            return values
        out = np.empty((rows.size, len(columns)), np.float32)
        out[:, : len(maps)] = values
        for k, (_, source) in enumerate(columns[len(maps) :], start=len(maps)):
            np.subtract(values[:, source[1]], values[:, source[2]], out=out[:, k])
        return out


@njit(parallel=True, cache=True, nogil=True)
def _sample_bilinear(stack, rows, cols, factor, out, indices):  # pragma: no cover - compiled
    maps, height, width = stack.shape
    for i in prange(rows.size):
        u = (rows[i] + 0.5) / factor - 0.5
        v = (cols[i] + 0.5) / factor - 0.5
        r0 = min(max(math.floor(u), 0), height - 1)
        c0 = min(max(math.floor(v), 0), width - 1)
        wr = min(max(u - r0, 0.0), 1.0)
        wc = min(max(v - c0, 0.0), 1.0)
        r1 = min(r0 + 1, height - 1)
        c1 = min(c0 + 1, width - 1)
        for k in range(maps):
            top = (1.0 - wc) * stack[k, r0, c0] + wc * stack[k, r0, c1]
            bottom = (1.0 - wc) * stack[k, r1, c0] + wc * stack[k, r1, c1]
            out[i, indices[k]] = (1.0 - wr) * top + wr * bottom


def strip_height(spec: FeatureSpec) -> int:
    """Rows per strip: about ``STRIP_ROWS``, a multiple of the coarsest pyramid block."""
    block = 2 ** max(level_of(s) for s in spec.sigmas)
    return max(block, STRIP_ROWS // block * block)


def strip_count(height: int, spec: FeatureSpec) -> int:
    """How many strips :func:`feature_strips` yields for an image of ``height`` rows."""
    return -(-height // strip_height(spec))


def feature_strips(image: np.ndarray, spec: FeatureSpec) -> Iterator[StripFeatures]:
    """Features of ``image`` (float32 ``(H, W, C)`` in [0, 1], C = 1 or 3), strip by strip, top to bottom."""
    for start in range(0, image.shape[0], strip_height(spec)):
        yield _strip_at(image, spec, start)


def features_at(image: np.ndarray, spec: FeatureSpec, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Features ``(N, F)`` at the given pixels, computing only the strips that hold some of them."""
    rows, cols = np.asarray(rows), np.asarray(cols)
    out = np.empty((rows.size, spec.count(image.shape[2])), np.float32)
    strip_rows = strip_height(spec)
    for start in np.unique(rows // strip_rows * strip_rows):
        strip = _strip_at(image, spec, int(start))
        inside = np.flatnonzero((rows >= strip.start) & (rows < strip.stop))
        out[inside] = strip.sample(rows[inside], cols[inside])
    return out


def _strip_at(image: np.ndarray, spec: FeatureSpec, start: int) -> StripFeatures:
    """The strip of rows ``[start, start + strip_height)``, computed with its halo."""
    height = image.shape[0]
    stop = min(height, start + strip_height(spec))
    return _strip_features(image, spec, start, stop, max(0, start - spec.halo_px), min(height, stop + spec.halo_px))


def _strip_features(
    image: np.ndarray, spec: FeatureSpec, start: int, stop: int, origin: int, end: int
) -> StripFeatures:
    channels = image.shape[2]
    maps, _ = _plan(spec, channels)
    strip = image[origin:end]
    grey = strip[..., 0] if channels == 1 else np.tensordot(strip, LUMA_WEIGHTS, axes=([2], [0])).astype(np.float32)
    result = StripFeatures(start, stop, origin, spec, channels)
    wanted = set(maps)
    by_level: dict[int, dict[str, np.ndarray]] = {}
    if "raw" in wanted:
        by_level.setdefault(0, {})["raw"] = grey
    pyramid = _Pyramid(grey, strip if channels == 3 else None)
    for sigma in spec.sigmas:
        level = level_of(sigma)
        by_level.setdefault(level, {}).update(_scale_maps(pyramid, level, sigma, wanted))
    if any(name.startswith("membrane_") for name in wanted):
        level = 1 if spec.membrane_length_px >= 9 else 0
        by_level.setdefault(level, {}).update(_membrane_maps(pyramid.grey(level), spec, level))
    for level, named in by_level.items():
        names = [n for n in maps if n in named]
        stack = np.stack([named.pop(n) for n in names]).astype(np.float32, copy=False)
        result.levels[level] = (2**level, [maps.index(n) for n in names], stack)
    return result


class _Pyramid:
    """Block means of the grey strip, of its square, and of each colour channel, per level."""

    def __init__(self, grey: np.ndarray, rgb: np.ndarray | None):
        self._grey = grey
        self._rgb = rgb
        self._cache: dict[tuple[str, int], np.ndarray] = {}

    def grey(self, level: int) -> np.ndarray:
        return self._level("grey", level, lambda: self._grey)

    def square(self, level: int) -> np.ndarray:
        return self._level("square", level, lambda: self._grey * self._grey)

    def channel(self, index: int, level: int) -> np.ndarray:
        return self._level(f"rgb{index}", level, lambda: np.ascontiguousarray(self._rgb[..., index]))

    def _level(self, key: str, level: int, base) -> np.ndarray:
        if (key, level) not in self._cache:
            self._cache[(key, level)] = base() if level == 0 else _block_mean(self._level(key, level - 1, base))
        return self._cache[(key, level)]


def _block_mean(array: np.ndarray) -> np.ndarray:
    """Mean of 2×2 blocks, replicating the last row/column when a side is odd."""
    if array.shape[0] % 2 or array.shape[1] % 2:
        array = np.pad(array, ((0, array.shape[0] % 2), (0, array.shape[1] % 2)), mode="edge")
    total = array[0::2, 0::2] + array[1::2, 0::2]
    total += array[0::2, 1::2]
    total += array[1::2, 1::2]
    total *= np.float32(0.25)
    return total


def _scale_maps(pyramid: _Pyramid, level: int, sigma: float, wanted: set[str]) -> dict[str, np.ndarray]:
    factor = 2**level
    s = sigma / factor
    tag = f"{sigma:g}"
    gauss = ndimage.gaussian_filter(pyramid.grey(level), s, truncate=TRUNCATE)
    out = {f"gauss_{tag}": gauss}
    gy, gx = (g / factor for g in np.gradient(gauss))
    if f"gradient_{tag}" in wanted:
        out[f"gradient_{tag}"] = np.hypot(gx, gy)
    if f"hessian1_{tag}" in wanted:
        gyy, gyx = (g / factor for g in np.gradient(gy))
        gxx = np.gradient(gx, axis=1) / factor
        out[f"hessian1_{tag}"], out[f"hessian2_{tag}"] = _eigen_2x2(gxx, gyx, gyy)
    if f"std_{tag}" in wanted:
        mean_square = ndimage.gaussian_filter(pyramid.square(level), s, truncate=TRUNCATE)
        out[f"std_{tag}"] = np.sqrt(np.maximum(mean_square - gauss * gauss, 0.0))
    if f"structure1_{tag}" in wanted:
        out.update(_structure_maps(gx, gy, 2 * s, tag))
    if f"r_{tag}" in wanted:
        for index, name in enumerate("rgb"):
            out[f"{name}_{tag}"] = ndimage.gaussian_filter(pyramid.channel(index, level), s, truncate=TRUNCATE)
    return out


def _eigen_2x2(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (larger, smaller) of the symmetric matrices [[a, b], [b, d]], element-wise."""
    half_trace = (a + d) / 2
    radius = np.hypot((a - d) / 2, b)
    return half_trace + radius, half_trace - radius


def _structure_maps(gx: np.ndarray, gy: np.ndarray, rho: float, tag: str) -> dict[str, np.ndarray]:
    jxx = ndimage.gaussian_filter(gx * gx, rho, truncate=TRUNCATE)
    jxy = ndimage.gaussian_filter(gx * gy, rho, truncate=TRUNCATE)
    jyy = ndimage.gaussian_filter(gy * gy, rho, truncate=TRUNCATE)
    mu1, mu2 = _eigen_2x2(jxx, jxy, jyy)
    mu2 = np.maximum(mu2, 0.0)
    coherence = ((mu1 - mu2) / (mu1 + mu2 + np.float32(1e-12))) ** 2
    return {f"structure1_{tag}": mu1, f"structure2_{tag}": mu2, f"coherence_{tag}": coherence}


def _membrane_maps(grey: np.ndarray, spec: FeatureSpec, level: int) -> dict[str, np.ndarray]:
    half = max(1, (spec.membrane_length_px // 2**level) // 2)
    padded = np.pad(grey, half, mode="reflect")
    h, w = grey.shape
    responses = np.empty((spec.membrane_orientations, h, w), np.float32)
    for k in range(spec.membrane_orientations):
        angle = math.pi * k / spec.membrane_orientations
        offsets = sorted({(round(t * math.sin(angle)), round(t * math.cos(angle))) for t in range(-half, half + 1)})
        total = np.zeros((h, w), np.float32)
        for dy, dx in offsets:
            total += padded[half + dy : half + dy + h, half + dx : half + dx + w]
        responses[k] = total / len(offsets)
    return {
        "membrane_mean": responses.mean(axis=0),
        "membrane_max": responses.max(axis=0),
        "membrane_min": responses.min(axis=0),
        "membrane_std": responses.std(axis=0),
    }
