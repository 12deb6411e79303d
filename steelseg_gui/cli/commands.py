"""One module per ``steelseg`` sub-command; each has ``register(subparsers)``."""

from steelseg_gui.cli import demo, evaluate, info, models, project, report, rf, segment, synth, train

COMMAND_MODULES = (project, info, rf, train, segment, models, evaluate, report, synth, demo)
