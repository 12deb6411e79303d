"""File > Open Sample: the bundled UHCS (with masks) and optical SAE micrographs."""

from __future__ import annotations

from steelseg_gui.core.imaging.labels import read_label_image
from steelseg_gui.core.imaging.micrograph import read_micrograph
from steelseg_gui.core.project.classes import ClassTable
from steelseg_gui.core.resources import UHCS_CLASSES, bundled_samples
from steelseg_gui.qt.scribble_session import class_colormap, class_features


def sample_layers(key: str) -> list[tuple]:
    """Layer data for the bundled sample ``key``: the image, plus its mask (1-based) if it has one."""
    sample = next(s for s in bundled_samples() if s.key == key)
    micrograph = read_micrograph(sample.image)
    layers = [(micrograph.data, {"name": sample.image.stem, "rgb": micrograph.channels == 3}, "image")]
    if sample.mask is not None:
        classes = ClassTable.from_names(list(UHCS_CLASSES))
        mask = read_label_image(sample.mask, zero_based=True)
        layers.append(
            (
                mask,
                {
                    "name": f"mask: {sample.image.stem}",
                    "opacity": 0.5,
                    "colormap": class_colormap(classes),
                    "features": class_features(classes),
                },
                "labels",
            )
        )
    return layers


def uhcs0006():
    return sample_layers("uhcs-uhcs0006")


def uhcs0124():
    return sample_layers("uhcs-uhcs0124")


def uhcs0495():
    return sample_layers("uhcs-uhcs0495")


def sae1020_n1():
    return sample_layers("sae1020_inference_n1")


def sae1020_n2():
    return sample_layers("sae1020_inference_n2")


def sae1045_n1():
    return sample_layers("sae1045_inference_n1")


def sae1045_n2():
    return sample_layers("sae1045_inference_n2")
