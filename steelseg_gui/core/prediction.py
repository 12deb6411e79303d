"""What a model says about an image: labels, class probabilities and their uncertainty.

Forests and nets both return a :class:`Prediction`, so segmentation outputs, previews and
statistics never need to know which kind of model made them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Prediction:
    """A model's answer for one image.

    ``labels`` ``(H, W)`` uint8 (uint16 past 255) label values; ``probabilities`` ``(H, W, K)``
    float32 in the order of ``class_values``; ``uncertainty`` ``(H, W)`` float32 = 1 − top
    probability; ``refined_fraction`` is the share of pixels the forest's fast path predicted
    exactly (1.0 for exact prediction and for nets).
    """

    labels: np.ndarray
    probabilities: np.ndarray
    class_values: np.ndarray
    refined_fraction: float = 1.0

    @property
    def uncertainty(self) -> np.ndarray:
        return 1.0 - self.probabilities.max(axis=2)

    @classmethod
    def from_probabilities(cls, probabilities: np.ndarray, class_values, refined_fraction: float = 1.0) -> Prediction:
        """The most probable class per pixel of ``probabilities`` ``(H, W, K)``."""
        values = np.asarray(class_values)
        dtype = np.uint8 if values.max(initial=0) <= 255 else np.uint16
        labels = values.astype(dtype)[probabilities.argmax(axis=2)]
        return cls(labels, probabilities, values, refined_fraction)
