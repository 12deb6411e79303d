"""Compiled evaluation of a fitted scikit-learn random forest.

scikit-learn evaluates a forest tree by tree, materialising an ``(N, K)`` float64 array per
tree; for millions of pixels and 200 trees that dominates propagation time. Here the trees are
flattened into shared node arrays once, and a parallel compiled loop walks every tree for one
pixel at a time, accumulating float32 class probabilities. The comparisons give the same
branch as scikit-learn's (float32 feature ``<=`` float64 threshold), so the probabilities equal
``predict_proba`` up to float32 rounding of the average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

LEAF = np.uint32(0xFFFFFFFF)
ARRAYS = {
    "feature": np.uint32,
    "threshold": np.float32,
    "right": np.uint32,
    "leaf_probability": np.float32,
    "roots": np.uint32,
}


@dataclass(frozen=True)
class FlatForest:
    """The nodes of all trees of a forest in flat arrays.

    Node ``n`` compares feature ``feature[n]`` with ``threshold[n]`` and goes to node ``n + 1``
    when the feature is lower or equal (scikit-learn builds trees depth first, so the left child
    always follows its parent), else to ``right[n]``; ``feature[n] == LEAF`` marks a leaf, whose
    ``(K,)`` class distribution is ``leaf_probability[n]``. The root of tree ``t`` is
    ``roots[t]``. Thresholds are float32, rounded down from scikit-learn's float64 so that
    ``x <= threshold`` gives the same answer for every float32 ``x``.
    """

    feature: np.ndarray
    threshold: np.ndarray
    right: np.ndarray
    leaf_probability: np.ndarray
    roots: np.ndarray

    @classmethod
    def from_estimator(cls, forest) -> FlatForest:
        """Flatten a fitted ``RandomForestClassifier`` (single output, grown depth first)."""
        parts = {name: [] for name in ("feature", "threshold", "right", "value")}
        roots, offset = [], 0
        for tree in (estimator.tree_ for estimator in forest.estimators_):
            roots.append(offset)
            internal = tree.children_left != -1
            if not np.array_equal(tree.children_left[internal], np.flatnonzero(internal) + 1):
                raise ValueError("the forest was not grown depth first; it cannot be flattened")
            parts["feature"].append(np.where(internal, tree.feature, LEAF).astype(np.uint32))
            parts["threshold"].append(_round_down_to_float32(tree.threshold))
            parts["right"].append(np.where(internal, tree.children_right + offset, 0).astype(np.uint32))
            value = tree.value[:, 0, :].astype(np.float64)
            parts["value"].append(value / np.maximum(value.sum(axis=1, keepdims=True), 1e-300))
            offset += tree.node_count
        return cls(
            np.concatenate(parts["feature"]),
            np.concatenate(parts["threshold"]),
            np.concatenate(parts["right"]),
            np.concatenate(parts["value"]).astype(np.float32),
            np.asarray(roots, np.uint32),
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The arrays by name, as :meth:`from_arrays` takes them (for a safetensors file)."""
        return {name: getattr(self, name) for name in ARRAYS}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], n_features: int, n_classes: int) -> FlatForest:
        """Rebuild a forest from :meth:`to_arrays`, checking that walking it can neither leave the
        arrays nor loop: every internal node's children lie after it and inside the arrays, every
        feature index is below ``n_features``, leaf distributions have ``n_classes`` columns."""
        missing = sorted(set(ARRAYS) - set(arrays))
        if missing:
            raise ValueError(f"the forest file lacks the arrays {missing}")
        forest = cls(*(np.ascontiguousarray(arrays[name], dtype) for name, dtype in ARRAYS.items()))
        nodes = forest.feature.size
        if (
            forest.threshold.shape != (nodes,)
            or forest.right.shape != (nodes,)
            or forest.leaf_probability.shape != (nodes, n_classes)
            or forest.roots.ndim != 1
        ):
            raise ValueError("the forest's arrays do not have matching shapes")
        internal = np.flatnonzero(forest.feature != LEAF)
        if (
            forest.roots.size == 0
            or forest.roots.max() >= nodes
            or (
                internal.size
                and (
                    internal.max() + 1 >= nodes
                    or np.any(forest.right[internal] <= internal)
                    or forest.right[internal].max() >= nodes
                )
            )
        ):
            raise ValueError("the forest's node links are out of range")
        used = int(forest.feature[internal].max()) + 1 if internal.size else 0
        if used > n_features:
            raise ValueError(f"the forest uses {used} features but its feature specification gives {n_features}")
        return forest

    @property
    def n_classes(self) -> int:
        return int(self.leaf_probability.shape[1])

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, K)`` float32 for features ``(N, F)`` float32."""
        features = np.ascontiguousarray(features, np.float32)
        out = np.zeros((features.shape[0], self.n_classes), np.float32)
        _walk_forest(features, self.feature, self.threshold, self.right, self.leaf_probability, self.roots, out)
        return out


def _round_down_to_float32(threshold: np.ndarray) -> np.ndarray:
    rounded = threshold.astype(np.float32)
    over = rounded.astype(np.float64) > threshold
    rounded[over] = np.nextafter(rounded[over], np.float32(-np.inf))
    return rounded


@njit(parallel=True, cache=True, nogil=True)
def _walk_forest(x, feature, threshold, right, leaf_probability, roots, out):  # pragma: no cover - compiled
    # Tree-major within blocks of pixels: one tree's nodes stay in cache while a block walks it.
    # Unsigned node and feature indices spare the negative-index checks in the inner loop.
    block = 256
    n_classes = leaf_probability.shape[1]
    scale = np.float32(1.0 / roots.size)
    leaf = np.uint32(0xFFFFFFFF)
    for b in prange((x.shape[0] + block - 1) // block):
        start, stop = b * block, min(x.shape[0], (b + 1) * block)
        for t in range(roots.size):
            for i in range(start, stop):
                node = roots[t]
                f = feature[node]
                while f != leaf:
                    node = node + np.uint32(1) if x[i, f] <= threshold[node] else right[node]
                    f = feature[node]
                for k in range(n_classes):
                    out[i, k] += leaf_probability[node, k]
        for i in range(start, stop):
            for k in range(n_classes):
                out[i, k] *= scale
