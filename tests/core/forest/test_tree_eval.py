"""Compiled forest evaluation gives scikit-learn's probabilities."""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from steelseg_gui.core.forest.tree_eval import FlatForest


def test_flat_forest_matches_predict_proba_on_deep_trees():
    rng = np.random.default_rng(0)
    x = rng.random((3000, 12), dtype=np.float32)
    y = (x[:, 0] + 0.3 * rng.random(3000) > 0.6).astype(int) + (x[:, 1] > 0.7) + 1
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(x, y)
    assert max(e.tree_.max_depth for e in forest.estimators_) > 10
    test = rng.random((5000, 12), dtype=np.float32)
    flat = FlatForest.from_estimator(forest)
    np.testing.assert_allclose(flat.predict_proba(test), forest.predict_proba(test), atol=1e-5)
    assert flat.n_classes == 3
