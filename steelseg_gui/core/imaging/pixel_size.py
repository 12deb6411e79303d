"""Pixel size (µm per pixel) from TIFF metadata: OME-XML, ImageJ, then resolution tags."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree

import tifffile

UNIT_TO_UM = {
    "m": 1e6,
    "mm": 1e3,
    "cm": 1e4,
    "um": 1.0,
    "µm": 1.0,
    "\u03bcm": 1.0,
    "micron": 1.0,
    "microns": 1.0,
    "micrometer": 1.0,
    "micrometre": 1.0,
    "nm": 1e-3,
    "nanometer": 1e-3,
    "inch": 25400.0,
    "in": 25400.0,
}
RESOLUTION_UNIT_TO_UM = {2: 25400.0, 3: 10000.0}
# 72, 96, 150 or 300 dpi is a screen or printer default, not a microscope calibration: a
# resolution-tag pixel size above this is treated as unknown.
MAX_PLAUSIBLE_UM_PER_PX = 100.0


def tiff_pixel_size_um(tif: tifffile.TiffFile) -> float | None:
    """Side of a pixel in µm as stated by the file, or ``None`` when it does not say."""
    for reader in (_ome_pixel_size, _imagej_pixel_size, _resolution_tag_pixel_size):
        try:
            size = reader(tif)
        except (ValueError, TypeError, KeyError, ZeroDivisionError, ElementTree.ParseError):
            size = None
        if size is not None and math.isfinite(size) and size > 0:
            return size
    return None


def _ome_pixel_size(tif: tifffile.TiffFile) -> float | None:
    if not tif.ome_metadata:
        return None
    root = ElementTree.fromstring(tif.ome_metadata)
    for element in root.iter():
        if element.tag.endswith("Pixels") and "PhysicalSizeX" in element.attrib:
            unit = element.attrib.get("PhysicalSizeXUnit", "µm")
            return float(element.attrib["PhysicalSizeX"]) * UNIT_TO_UM[unit]
    return None


def _x_resolution(tif: tifffile.TiffFile) -> float | None:
    tag = tif.pages[0].tags.get("XResolution")
    if tag is None:
        return None
    numerator, denominator = tag.value
    return numerator / denominator if numerator else None


def _imagej_pixel_size(tif: tifffile.TiffFile) -> float | None:
    metadata = tif.imagej_metadata
    if not metadata or "unit" not in metadata:
        return None
    unit = str(metadata["unit"]).replace("\\u00B5", "µ")
    pixels_per_unit = _x_resolution(tif)
    if unit not in UNIT_TO_UM or not pixels_per_unit:
        return None
    return UNIT_TO_UM[unit] / pixels_per_unit


def _resolution_tag_pixel_size(tif: tifffile.TiffFile) -> float | None:
    unit_tag = tif.pages[0].tags.get("ResolutionUnit")
    pixels_per_unit = _x_resolution(tif)
    if unit_tag is None or not pixels_per_unit:
        return None
    unit_um = RESOLUTION_UNIT_TO_UM.get(int(unit_tag.value))
    if unit_um is None:
        return None
    size = unit_um / pixels_per_unit
    return size if size <= MAX_PLAUSIBLE_UM_PER_PX else None
