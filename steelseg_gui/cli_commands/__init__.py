"""One module per ``steelseg`` sub-command; each has ``register(subparsers)``."""

from . import demo, info, project

COMMAND_MODULES = (project, info, demo)
