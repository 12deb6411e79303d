"""One module per ``steelseg`` sub-command; each has ``register(subparsers)``."""

from . import demo, evaluate, info, project, rf, synth

COMMAND_MODULES = (project, info, rf, evaluate, synth, demo)
