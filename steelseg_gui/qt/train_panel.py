"""The "Train" section of the SteelSeg dock: deep nets trained in a separate process.

Several networks queue one after another; progress with an estimate of the time left, live
loss/accuracy/IoU curves, Cancel (the best checkpoint is kept), errors shown, and finished
models listed from the project's ``models/`` folder.
"""

from __future__ import annotations

import time
from datetime import datetime

from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import Qt, QTimer, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from steelseg_gui.core.bundle import read_model_config
from steelseg_gui.core.errors import ModelError
from steelseg_gui.core.nets.process import TrainingProcess, TrainingRequest
from steelseg_gui.core.nets.settings import DEFAULT_ARCHITECTURE, DEVICES, TrainSettings, architecture_names
from steelseg_gui.qt.curves_view import CurvesView

POLL_MS = 100


class TrainPanel(QGroupBox):
    """Queue networks, start training in a child process, follow it, cancel it. ``host`` is the
    :class:`ProjectWidget` (for the open project)."""

    model_saved = Signal(str)

    def __init__(self, host):
        super().__init__("Train")
        self.host = host
        self.process = TrainingProcess()
        self.last_error: str | None = None
        self.history: list[dict] = []
        self.finished_models: list[str] = []
        self._started_at = 0.0
        self._build_widgets()
        self._build_layout()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll)
        self.start_button.clicked.connect(self._on_start_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self._update_buttons()

    def _build_widgets(self) -> None:
        self.networks = QListWidget()
        for name in architecture_names():
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if name == DEFAULT_ARCHITECTURE else Qt.Unchecked)
            self.networks.addItem(item)
        self.networks.setMaximumHeight(110)
        self.epochs, self.batch_size, self.tile = QSpinBox(), QSpinBox(), QSpinBox()
        defaults = TrainSettings()
        for spin, low, high, value in (
            (self.epochs, 1, 1000, defaults.epochs),
            (self.batch_size, 1, 256, defaults.batch_size),
            (self.tile, 32, 1024, defaults.tile),
        ):
            spin.setRange(low, high)
            spin.setValue(value)
        self.tile.setSingleStep(32)
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.include_auto = QCheckBox("Also train on auto-masks (not reviewed)")
        self.start_button, self.cancel_button = QPushButton("Start"), QPushButton("Cancel")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("Review masks, choose networks, then Start.")
        self.status.setWordWrap(True)
        self.curves = CurvesView()
        self.models = QListWidget()
        self.models.setMaximumHeight(90)

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Networks", self.networks)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Tile (px)", self.tile)
        form.addRow("Device", self.device)
        form.addRow(self.include_auto)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.curves)
        layout.addWidget(QLabel("Models of this project"))
        layout.addWidget(self.models)

    # ------------------------------------------------------------------ actions (testable)
    def checked_networks(self) -> list[str]:
        return [
            self.networks.item(i).text()
            for i in range(self.networks.count())
            if self.networks.item(i).checkState() == Qt.Checked
        ]

    def start(self, threads: int | None = None) -> bool:
        """Start training the checked networks on the project's reviewed masks; False if nothing started."""
        project = self.host.project
        names = self.checked_networks()
        if project is None or not names or self.process.running:
            self._show_error(
                "Open a project and check at least one network."
                if not self.process.running
                else "A training is already running."
            )
            return False
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        settings = [
            TrainSettings(
                name,
                self.epochs.value(),
                self.batch_size.value(),
                tile=self.tile.value(),
                device=self.device.currentText(),
            )
            for name in names
        ]
        folders = [str(project.folder / "models" / f"{name}-{stamp}") for name in names]
        self.history, self.last_error = [], None
        self.process.start(
            TrainingRequest(str(project.folder), settings, folders, self.include_auto.isChecked(), threads)
        )
        self._started_at = time.monotonic()
        self.status.setText(f"starting the training process for {', '.join(names)}…")
        self.progress.setValue(0)
        self._timer.start()
        self._update_buttons()
        return True

    def _on_start_clicked(self) -> None:
        self.start()

    def cancel(self) -> None:
        if self.process.running:
            self.process.cancel()
            self.status.setText("cancelling after the current batch; the best model so far is kept…")

    def shutdown(self) -> None:
        """Stop the child process (the window is closing)."""
        self._timer.stop()
        self.process.stop()

    def project_changed(self) -> None:
        self.refresh_models()
        self._update_buttons()

    def refresh_models(self) -> None:
        """List the project's saved models with their kind and best validation mean IoU."""
        self.models.clear()
        project = self.host.project
        folder = None if project is None else project.folder / "models"
        if folder is None or not folder.is_dir():
            return
        for path in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                config = read_model_config(path)
            except ModelError:
                continue
            iou = (config.get("metrics") or {}).get("val_mean_iou")
            self.models.addItem(
                f"{path.name}  ({config.get('kind')}"
                + (f", validation mean IoU {iou:.3f})" if isinstance(iou, float) else ")")
            )

    # ------------------------------------------------------------------ process messages
    def _on_poll(self) -> None:
        events = self.process.poll()
        for message in events.messages:
            getattr(self, f"_on_{message[0]}")(*message[1:])
        if events.crashed:
            self._show_error(events.crashed)
        if not self.process.running:
            self._timer.stop()
            self.refresh_models()
            self._update_buttons()

    def _on_started(self, architecture: str, folder: str) -> None:
        self.history = []
        self._started_at = time.monotonic()
        self.status.setText(f"training {architecture}…")

    def _on_progress(self, done: int, total: int, message: str, epoch: int, history: list | None) -> None:
        fraction = done / total if total else 0.0
        self.progress.setValue(int(1000 * min(fraction, 1.0)))
        elapsed = time.monotonic() - self._started_at
        eta = f", about {_duration(elapsed * (1 - fraction) / fraction)} left" if fraction > 0.02 else ""
        self.status.setText(f"{message}{eta}")
        if history is not None and history != self.history:
            self.history = history
            self.curves.show_history(history)

    def _on_finished(self, architecture: str, folder: str, stopped: str, metrics: dict) -> None:
        self.finished_models.append(folder)
        iou = metrics.get("val_mean_iou")
        show_info(f"{architecture}: training {stopped}" + (f", validation mean IoU {iou:.3f}" if iou else ""))
        self.status.setText(f"{architecture}: training {stopped}; model saved in {folder}")
        self.refresh_models()
        self.model_saved.emit(folder)

    def _on_error(self, message: str) -> None:
        self._show_error(message)

    def _on_done(self) -> None:
        self.progress.setValue(1000 if not self.last_error else self.progress.value())

    def _show_error(self, message: str) -> None:
        self.last_error = message
        self.status.setText(message)
        show_error(message)

    def _update_buttons(self) -> None:
        running = self.process.running
        self.start_button.setEnabled(not running and self.host.project is not None)
        self.cancel_button.setEnabled(running)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
        if seconds >= 3600
        else f"{seconds // 60} min {seconds % 60:02d} s"
        if seconds >= 60
        else f"{seconds} s"
    )
