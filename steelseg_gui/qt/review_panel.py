"""The "Segment & review" section of the SteelSeg dock.

Choose a model (the bundled default or one of the project's), segment the current image or all
images in the background; the mask appears as an editable ``mask: ID`` Labels layer (napari's
undo works on it). Edits are kept (saved when the image changes); Accept saves the mask as
``reviewed``, which is what the next training run uses. Alt+Right / Alt+Left go to the next /
previous image; "Most uncertain first" orders the list by the model's mean uncertainty. The
phase-fraction table follows every edit.
"""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import Qt, QTimer
from qtpy.QtGui import QKeySequence, QShortcut
from qtpy.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

from steelseg_gui.core.bundle import read_model_config
from steelseg_gui.core.errors import ModelError, SteelSegError
from steelseg_gui.core.imaging.micrograph import read_micrograph, to_float01
from steelseg_gui.core.jobs import Job, Progress
from steelseg_gui.core.quantify.fractions import area_fractions
from steelseg_gui.core.resources import DEFAULT_MODEL_NAME
from steelseg_gui.core.segment.loader import load_segmenter
from steelseg_gui.qt.jobs import JobRunner
from steelseg_gui.qt.scribble_session import style_labels_layer

FRACTION_DELAY_MS = 150


class ReviewPanel(QGroupBox):
    """Segment with a saved model, correct, accept. ``host`` is the :class:`ProjectWidget`."""

    def __init__(self, host):
        super().__init__("Segment && review")
        self.host = host
        self.viewer = host.viewer
        self.last_error: str | None = None
        self.mask_layer = None
        self.mask_dirty = False
        self.uncertainty: dict[str, float] = {}
        self.edited: set[str] = set()  # masks corrected by hand in this session: Segment all leaves them
        self.model_choice = QComboBox()
        self.segment_button, self.segment_all_button = QPushButton("Segment image"), QPushButton("Segment all")
        self.cancel_button, self.accept_button = QPushButton("Cancel"), QPushButton("Accept (reviewed)")
        self.previous_button, self.next_button = QPushButton("◀ Previous"), QPushButton("Next ▶")
        self.order_button = QPushButton("Most uncertain first")
        self.fractions = QTableWidget(0, 2)
        self.fractions.setHorizontalHeaderLabels(["phase", "area fraction"])
        self.fractions.horizontalHeader().setStretchLastSection(True)
        self.fractions.setMaximumHeight(110)
        self.progress = QProgressBar()
        self.status = QLabel("Choose a model, then Segment.")
        self.status.setWordWrap(True)
        self.runner = JobRunner(self, self.progress, self.status, parent=self)
        self._fraction_timer = QTimer(self)
        self._fraction_timer.setSingleShot(True)
        self._fraction_timer.setInterval(FRACTION_DELAY_MS)
        self._build_layout()
        self.segment_button.clicked.connect(self.segment_current)
        self.segment_all_button.clicked.connect(self.segment_all)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.accept_button.clicked.connect(self.accept)
        self.previous_button.clicked.connect(self._on_previous)
        self.next_button.clicked.connect(self._on_next)
        self.order_button.clicked.connect(self.order_by_uncertainty)
        self._fraction_timer.timeout.connect(self.update_fractions)
        self.runner.finished.connect(self._update_buttons)
        # Qt shortcuts owned by this panel (napari's viewer.bind_key would keep the panel alive).
        for keys, slot in (("Alt+Right", self._on_next), ("Alt+Left", self._on_previous)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ApplicationShortcut)
            shortcut.activated.connect(slot)
        self._update_buttons()

    def _build_layout(self) -> None:
        grid = QGridLayout(self)
        grid.addWidget(QLabel("Model"), 0, 0)
        grid.addWidget(self.model_choice, 0, 1, 1, 2)
        for column, button in enumerate((self.segment_button, self.segment_all_button, self.cancel_button)):
            grid.addWidget(button, 1, column)
        for column, button in enumerate((self.previous_button, self.accept_button, self.next_button)):
            grid.addWidget(button, 2, column)
        grid.addWidget(self.order_button, 3, 0, 1, 3)
        grid.addWidget(self.progress, 4, 0, 1, 3)
        grid.addWidget(self.status, 5, 0, 1, 3)
        grid.addWidget(self.fractions, 6, 0, 1, 3)
        grid.setRowStretch(7, 1)

    # ------------------------------------------------------------------ actions (testable)
    def refresh_models(self, _saved_folder: str | None = None) -> None:
        """The bundled default model and every model folder of the project."""
        current = self.model_choice.currentData()
        self.model_choice.clear()
        self.model_choice.addItem("default (bundled ferrite/pearlite net)", DEFAULT_MODEL_NAME)
        project = self.host.project
        for path in sorted(project.folder.glob("models/*/config.json")) if project else []:
            try:
                kind = read_model_config(path.parent).get("kind")
            except ModelError:
                continue
            self.model_choice.addItem(f"{path.parent.name} ({kind})", str(path.parent))
        index = self.model_choice.findData(current)
        self.model_choice.setCurrentIndex(max(index, 0))

    def segment_current(self) -> bool:
        """Segment the image on screen (replacing its mask, hand edits included: the user asked)."""
        image_id = self._current_id()
        if image_id is None:
            return False
        self.mask_dirty = False
        self.edited.discard(image_id)
        return self.runner.start(self._segment_job([image_id]), self._on_segmented, f"segmenting {image_id}")

    def segment_all(self) -> bool:
        """Segment every image whose mask is neither reviewed nor corrected by hand in this session."""
        project = self.host.project
        if project is None:
            return False
        self.save_edits()
        skipped = {m.id for m in project.missing} | self.edited
        ids = [e.id for e in project.images if e.status != "reviewed" and e.id not in skipped]
        return self.runner.start(self._segment_job(ids), self._on_segmented, f"segmenting {len(ids)} images")

    def accept(self) -> None:
        """Save the mask on screen as reviewed."""
        if self.mask_layer is None or self.host.session is None:
            return
        image_id = self.host.session.image_id
        try:
            self.host.project.save_mask(image_id, np.asarray(self.mask_layer.data), "reviewed")
        except SteelSegError as exc:
            self._show_error(str(exc))
            return
        self.mask_dirty = False
        self.status.setText(f"{image_id}: mask accepted as reviewed")
        self.host.refresh_images()

    def step(self, offset: int) -> None:
        """Go to the next (+1) or previous (-1) image of the list."""
        images = self.host.image_list
        if images.count():
            images.setCurrentRow((images.currentRow() + offset) % images.count())

    def order_by_uncertainty(self) -> None:
        """Most uncertain images first (those not segmented in this session last)."""
        order = sorted(self.host.project.images, key=lambda e: -self.uncertainty.get(e.id, -1.0))
        self.host.image_order = [e.id for e in order]
        self.host.refresh_images()

    def image_changed(self) -> None:
        """Keep the edits of the previous mask, then show the current image's mask (if any)."""
        self.save_edits()
        self._remove_mask_layer()
        session = self.host.session
        if session is None or session.image_id is None:
            return
        mask = self.host.project.load_mask(session.image_id)
        if mask is not None:
            self._show_mask(mask)
        self.update_fractions()

    def save_edits(self) -> None:
        """Write an edited mask back with its current status (nothing is lost when moving on)."""
        if self.mask_layer is None or not self.mask_dirty:
            return
        image_id = self.mask_layer.metadata["image_id"]
        self.edited.add(image_id)
        status = self.host.project.entry(image_id).status
        self.host.project.save_mask(
            image_id, np.asarray(self.mask_layer.data), status if status in ("auto", "reviewed") else "auto"
        )
        self.mask_dirty = False

    def update_fractions(self) -> None:
        """Area fractions of the mask on screen, in the table."""
        project = self.host.project
        if self.mask_layer is None or project is None:
            self.fractions.setRowCount(0)
            return
        fractions = area_fractions(np.asarray(self.mask_layer.data), project.classes)
        self.fractions.setRowCount(len(fractions))
        for row, (name, value) in enumerate(fractions.items()):
            self.fractions.setItem(row, 0, QTableWidgetItem(name))
            self.fractions.setItem(row, 1, QTableWidgetItem(f"{100 * value:.1f} %"))

    def project_changed(self) -> None:
        self._remove_mask_layer()
        self.uncertainty.clear()
        self.edited.clear()
        self.refresh_models()
        self._update_buttons()

    def shutdown(self) -> None:
        self.runner.cancel()
        self.runner.wait()
        self.save_edits()

    # ------------------------------------------------------------------ internals
    def _segment_job(self, image_ids: list[str]) -> Job[dict]:
        """Segment ``image_ids`` and save their masks as ``auto`` (a job run off the GUI thread; the
        widgets are read here, on the GUI thread)."""
        return self._segment(self.host.project, self.model_choice.currentData(), image_ids)

    def _segment(self, project, model: str, image_ids: list[str]) -> Job[dict]:
        yield Progress(0, len(image_ids), "loading the model")
        segmenter = load_segmenter(model)
        if segmenter.classes.names != project.classes.names:
            raise ModelError(
                f"the model's classes ({', '.join(segmenter.classes.names)}) are not the project's "
                f"({', '.join(project.classes.names)})"
            )
        results = {}
        for k, image_id in enumerate(image_ids):
            image = to_float01(read_micrograph(project.image_path(project.entry(image_id))).data)
            result = yield from segmenter.segment(image, image_id)
            project.save_mask(image_id, result.labels, "auto")
            results[image_id] = (result.labels, float(result.uncertainty.mean()))
            yield Progress(k + 1, len(image_ids), f"{image_id} segmented")
        return results

    def _on_segmented(self, results: dict) -> None:
        for image_id, (_, uncertainty) in results.items():
            self.uncertainty[image_id] = uncertainty
        current = self._current_id()
        note = ""
        if current in results and self.mask_dirty:  # corrected while the job ran: the correction wins
            self.save_edits()
            note = f"; your corrections to {current} were kept"
        elif current in results:
            self._remove_mask_layer()
            self._show_mask(results[current][0])
            self.update_fractions()
        self.status.setText(f"{len(results)} image(s) segmented{note}; correct the masks, then Accept")
        self.host.refresh_images()

    def _show_mask(self, mask: np.ndarray) -> None:
        session = self.host.session
        self.mask_layer = self.viewer.add_labels(
            mask, name=f"mask: {session.image_id}", metadata={"image_id": session.image_id}, opacity=0.5
        )
        style_labels_layer(self.mask_layer, self.host.project.classes)
        self.mask_layer.events.paint.connect(self._on_mask_edited)
        self.mask_layer.events.data.connect(self._on_mask_edited)
        if session.scribble_layer is not None:  # scribbles stay on top and stay the active layer
            self.viewer.layers.move(
                self.viewer.layers.index(self.mask_layer), self.viewer.layers.index(session.scribble_layer)
            )
            self.viewer.layers.selection.active = session.scribble_layer

    def _on_next(self, _viewer=None) -> None:
        self.step(1)

    def _on_previous(self, _viewer=None) -> None:
        self.step(-1)

    def _on_mask_edited(self, _event=None) -> None:
        self.mask_dirty = True
        self._fraction_timer.start()

    def _remove_mask_layer(self) -> None:
        if self.mask_layer is not None and self.mask_layer in self.viewer.layers:
            self.viewer.layers.remove(self.mask_layer)
        self.mask_layer = None

    def _current_id(self) -> str | None:
        session = self.host.session
        return None if session is None else session.image_id

    def _show_error(self, message: str) -> None:
        from napari.utils.notifications import show_error

        self.last_error = message
        self.status.setText(message)
        show_error(message)

    def _update_buttons(self) -> None:
        has_project = self.host.project is not None
        running = self.runner.running
        for button in (self.segment_button, self.segment_all_button, self.order_button):
            button.setEnabled(has_project and not running)
        self.cancel_button.setEnabled(running)
