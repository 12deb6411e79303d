"""Showing expected errors to the person without losing their work."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from napari.utils.notifications import show_error

from steelseg_gui.core.errors import SteelSegError

log = logging.getLogger("steelseg")


@contextmanager
def report_errors(widget=None):
    """Run a GUI action; a :class:`SteelSegError` is shown in napari and the action stops.

    The widget's ``last_error`` attribute (when it has one) keeps the message, so the panel can
    show it and tests can read it. Unexpected exceptions propagate to napari's handler.
    """
    try:
        yield
    except SteelSegError as exc:
        message = str(exc)
        log.warning(message)
        if widget is not None:
            widget.last_error = message
        show_error(message)
