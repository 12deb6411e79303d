"""Exceptions with messages a metallurgist can act on.

Every error SteelSeg raises on purpose derives from :class:`SteelSegError`; the command line
prints its message on one line (no traceback) and exits with code 2, the GUI shows it in a
dialog and keeps the user's work.
"""


class SteelSegError(Exception):
    """Base class of all expected, user-facing SteelSeg errors."""


class MicrographError(SteelSegError):
    """An image file cannot be used as a micrograph (missing, corrupt, unsupported...)."""


class LabelImageError(SteelSegError):
    """A label image (scribbles, mask, prediction) is unusable or does not fit its image."""


class ProjectError(SteelSegError):
    """A project folder or its ``project.json`` cannot be created, opened or changed."""


class ClassInUseError(ProjectError):
    """A class cannot be removed because saved scribbles or masks still use its label value."""


class ModelError(SteelSegError):
    """A saved model folder is missing, corrupt, of another kind, or unsafe to load."""


class OutputError(SteelSegError):
    """An output cannot be written without replacing something SteelSeg did not write, or outside
    the folder the user named."""
