"""One module per ``steelseg`` sub-command; each has ``register(subparsers)``."""

from . import demo, evaluate, info, project, synth

COMMAND_MODULES = (project, info, evaluate, synth, demo)
