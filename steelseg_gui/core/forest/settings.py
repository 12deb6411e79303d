"""Defaults of the random forest, written once for the command line, the Propagate panel and the
trainer. Importing this module imports nothing heavy."""

DEFAULT_TREES = 200
SAMPLES_PER_CLASS_PER_IMAGE = 10_000
TREES_PER_STEP = 50
LIVE_TREES = 50  # the live preview retrains after every stroke; Apply to all uses DEFAULT_TREES
