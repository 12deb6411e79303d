"""Pure computation for SteelSeg: numpy / torch / scikit-learn in, arrays out.

Nothing in this package imports Qt, qtpy, PySide6 or napari; ``tests/core/test_import_rules.py``
fails the build if anything does.
"""
