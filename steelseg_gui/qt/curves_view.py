"""Live training curves, drawn off the GUI thread.

matplotlib needs 80 ms to draw the three small axes of :func:`~..core.plots.draw_training_curves`
on an idle CPU and 250 ms while a training fills the cores; drawn on the GUI thread, that stalls
napari. Here a background thread renders the figure with Agg and hands a QImage to the GUI
thread, which only shows it. The figure is the one the saved ``curves.png`` uses.
"""

from __future__ import annotations

import contextlib
import threading

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QImage, QPixmap
from qtpy.QtWidgets import QLabel, QSizePolicy

from steelseg_gui.core.quantify.plots import draw_training_curves, update_training_curves


class CurvesView(QLabel):
    """Shows loss, accuracy and mean IoU per epoch; :meth:`show_history` redraws in the background
    (one render at a time; the newest history waiting meanwhile is drawn next)."""

    rendered = Signal(QImage)

    def __init__(self, width_in: float = 6.0, height_in: float = 2.0, parent=None):
        super().__init__(parent)
        self.figure = Figure(figsize=(width_in, height_in), dpi=100)
        FigureCanvasAgg(self.figure)
        self.lines = draw_training_curves(self.figure, [])  # laid out once (fonts load here, not while training)
        self._image: QImage | None = None
        self._pending: list[dict] | None = None
        self._busy = False
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # the layout sets the width, not the image
        self.rendered.connect(self._on_rendered)
        self._on_rendered(self._render_image())

    @property
    def rendering(self) -> bool:
        """True while a background render is under way."""
        return self._busy

    def show_history(self, history: list[dict]) -> None:
        """Redraw with ``history`` (rows as in :func:`draw_training_curves`)."""
        self._pending = list(history)
        if not self._busy:
            self._start_render()

    def _start_render(self) -> None:
        history, self._pending = self._pending, None
        self._busy = True
        threading.Thread(target=self._render_in_background, args=(history,), daemon=True).start()

    def _render_in_background(self, history: list[dict]) -> None:
        update_training_curves(self.lines, history)  # only this thread touches the figure while busy
        image = self._render_image()
        with contextlib.suppress(RuntimeError):  # the widget was deleted while drawing
            self.rendered.emit(image)

    def _render_image(self) -> QImage:
        canvas = self.figure.canvas
        canvas.draw()
        width, height = canvas.get_width_height()
        return QImage(bytes(canvas.buffer_rgba()), width, height, QImage.Format_RGBA8888).copy()

    def _on_rendered(self, image: QImage) -> None:
        self._image = image
        self._show_image()
        self._busy = False
        if self._pending is not None:
            self._start_render()

    def _show_image(self) -> None:
        if self._image is not None and self.width() > 10:
            self.setPixmap(QPixmap.fromImage(self._image).scaledToWidth(self.width(), Qt.SmoothTransformation))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._show_image()
