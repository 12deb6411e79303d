"""Defaults of the random forest, written once for the command line, the Propagate panel and the
trainer. Importing this module imports nothing heavy."""

DEFAULT_TREES = 200
SAMPLES_PER_CLASS_PER_IMAGE = 10_000
TREES_PER_STEP = 50
