"""The "Propagate" section of the SteelSeg dock: train the forest, live preview, apply to all images."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
)

from steelseg_gui.core.forest.pixel_forest import PixelForest
from steelseg_gui.core.forest.project_propagation import (
    PropagationReport,
    apply_to_project,
    predict_entry,
    targets,
    train_project_forest,
)
from steelseg_gui.core.forest.settings import DEFAULT_TREES
from steelseg_gui.qt.jobs import JobRunner
from steelseg_gui.qt.preview_layers import PreviewLayers

LIVE_DELAY_MS = 400


class PropagatePanel(QGroupBox):
    """Trains a random forest on the project's scribbles and propagates it.

    ``host`` is the :class:`ProjectWidget` (for the project, the scribble session and the image
    list). Train is followed by a preview of the current image. With "Live preview" on, every
    stroke retrains the forest in the background (features of unchanged images are cached) and
    refreshes the preview; strokes made meanwhile are gathered into the next retraining.
    """

    def __init__(self, host):
        super().__init__("Propagate")
        self.host = host
        self.viewer = host.viewer
        self.forest: PixelForest | None = None
        self.last_error: str | None = None
        self.last_report: PropagationReport | None = None
        self._sample_cache: dict = {}
        self._retrain_pending = False
        self._preview_next = False
        self.preview = PreviewLayers(self.viewer)

        self.trees = QSpinBox()
        self.trees.setRange(10, 2000)
        self.trees.setValue(DEFAULT_TREES)
        self.trees.setToolTip("Number of trees of the random forest")
        self.train_button = QPushButton("Train")
        self.apply_button = QPushButton("Apply to all images")
        self.cancel_button = QPushButton("Cancel")
        self.live_check = QCheckBox("Live preview")
        self.live_check.setToolTip("Retrain and refresh the preview after each stroke")
        self.progress = QProgressBar()
        self.status = QLabel("Paint scribbles of at least two phases, then Train.")
        self.status.setWordWrap(True)
        self.runner = JobRunner(self, self.progress, self.status, parent=self)
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_DELAY_MS)
        self._build_layout()

        self.train_button.clicked.connect(self._on_train_clicked)
        self.apply_button.clicked.connect(self._on_apply_clicked)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self._live_timer.timeout.connect(self._on_live_timer)
        self.runner.finished.connect(self._on_job_finished)
        self._update_buttons()

    def _build_layout(self) -> None:
        grid = QGridLayout(self)
        trees = QHBoxLayout()
        trees.addWidget(QLabel("Trees"))
        trees.addWidget(self.trees)
        trees.addWidget(self.live_check)
        grid.addLayout(trees, 0, 0, 1, 3)
        grid.addWidget(self.train_button, 1, 0)
        grid.addWidget(self.apply_button, 1, 1)
        grid.addWidget(self.cancel_button, 1, 2)
        grid.addWidget(self.progress, 2, 0, 1, 3)
        grid.addWidget(self.status, 3, 0, 1, 3)
        grid.setRowStretch(4, 1)

    # ------------------------------------------------------------------ actions (testable)
    def train(self) -> bool:
        """Train on every scribbled image (the strokes on screen included), then preview."""
        project = self.host.project
        if project is None:
            return False
        job = train_project_forest(
            project, self.trees.value(), overrides=self._strokes_on_screen(), cache=self._sample_cache
        )
        return self._start(job, self._on_trained, "training the forest")

    def apply_to_all(self, include_reviewed: bool | None = None) -> bool:
        """Write auto-masks for all images; asks before replacing reviewed masks when ``include_reviewed`` is None."""
        project = self.host.project
        if project is None or self.forest is None:
            self._say("Train the forest before applying it.")
            return False
        if include_reviewed is None:
            include_reviewed = self._ask_about_reviewed()
            if include_reviewed is None:
                return False
        self.host.save_scribbles()
        return self._start(
            apply_to_project(project, self.forest, include_reviewed), self._on_applied, "propagating to all images"
        )

    def image_changed(self) -> None:
        """The host shows another image: fresh preview layers, listen to the new scribble layer."""
        session = self.host.session
        layer = self._scribble_layer()
        if layer is None:
            self.preview.clear()
            return
        self.preview.prepare(session.image_layer, layer, self.host.project.classes, session.image_id)
        layer.events.paint.connect(self._on_stroke)
        if self.runner.running:
            self._preview_next = True
        else:
            self._preview_current()

    def project_changed(self) -> None:
        self.runner.cancel()
        self.forest = None
        self._sample_cache.clear()
        self.preview.clear()
        self._update_buttons()

    def shutdown(self) -> None:
        self._live_timer.stop()
        self.runner.cancel()
        self.runner.wait()

    # ---------------------------------------------------------------------------- internals
    def _start(self, job, on_done, description: str) -> bool:
        started = self.runner.start(job, on_done, description)
        self._update_buttons()
        return started

    def _preview_current(self) -> None:
        session = self.host.session
        if self.forest is not None and session is not None and session.image_id is not None:
            self._start(
                predict_entry(self.host.project, self.forest, session.image_id), self._on_predicted, "previewing"
            )

    def _strokes_on_screen(self) -> dict[str, np.ndarray]:
        session = self.host.session
        layer = self._scribble_layer()
        return {} if layer is None else {session.image_id: np.array(layer.data, copy=True)}

    def _scribble_layer(self):
        session = self.host.session
        return None if session is None else session.scribble_layer

    def _ask_about_reviewed(self) -> bool | None:
        _, reviewed = targets(self.host.project, include_reviewed=False)
        if not reviewed:
            return False
        answer = QMessageBox.question(
            self,
            "Reviewed masks",
            f"{len(reviewed)} image(s) have masks marked reviewed. Replace them with the forest's masks too?\n"
            "Yes replaces them, No keeps them and propagates to the other images.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return None
        return answer == QMessageBox.StandardButton.Yes

    def _say(self, message: str) -> None:
        self.last_error = message
        self.status.setText(message)

    def _update_buttons(self) -> None:
        busy = self.runner.running
        has_project = self.host.project is not None
        self.train_button.setEnabled(has_project and not busy)
        self.apply_button.setEnabled(has_project and not busy and self.forest is not None)
        self.cancel_button.setEnabled(busy)

    # ------------------------------------------------------------------------------ slots
    def _on_train_clicked(self) -> None:
        self.train()

    def _on_apply_clicked(self) -> None:
        self.apply_to_all()

    def _on_stroke(self, event=None) -> None:
        if self.live_check.isChecked():
            self._live_timer.start()

    def _on_live_timer(self) -> None:
        if self.runner.running:
            self._retrain_pending = True
        else:
            self.train()

    def _on_trained(self, forest: PixelForest) -> None:
        self.forest = forest
        images = len(forest.summary["images"])
        self.status.setText(
            f"Forest of {forest.summary['trees']} trees trained on {images} image(s) in "
            f"{forest.summary['seconds']:.1f} s"
        )
        self._preview_next = True

    def _on_predicted(self, result) -> None:
        self.preview.show(result, self.host.project.classes)
        self.status.setText(
            f"Preview ready ({100 * result.refined_fraction:.0f} % of pixels predicted exactly, "
            "the rest from a coarse grid where the forest is sure)"
        )

    def _on_applied(self, report: PropagationReport) -> None:
        self.last_report = report
        skipped = f"; {len(report.skipped_reviewed)} reviewed image(s) left alone" if report.skipped_reviewed else ""
        self.status.setText(f"Auto-masks written for {len(report.written)} image(s){skipped}.")
        self.host.refresh_images()

    def _on_job_finished(self) -> None:
        self._update_buttons()
        if self.runner.cancelled:
            self._retrain_pending = self._preview_next = False
        elif self._retrain_pending and self.live_check.isChecked():
            self._retrain_pending = False
            self.train()
        elif self._preview_next:
            self._preview_next = False
            self._preview_current()
