"""One module per ``steelseg`` sub-command; each has ``register(subparsers)``."""

from . import demo, evaluate, info, models, project, rf, synth, train

COMMAND_MODULES = (project, info, rf, train, models, evaluate, synth, demo)
