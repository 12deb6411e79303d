"""The SteelSeg dock widget: project, images, class table, scribbles, and the Propagate, Train and
Segment & review sections."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qtpy.QtCore import Qt
from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from steelseg_gui.core.errors import MicrographError
from steelseg_gui.core.imaging.micrograph import MICROGRAPH_SUFFIXES
from steelseg_gui.core.project.folder import Project
from steelseg_gui.qt.class_table_editor import ClassTableEditor
from steelseg_gui.qt.errors import report_errors
from steelseg_gui.qt.propagate_panel import PropagatePanel
from steelseg_gui.qt.report_panel import ReportPanel
from steelseg_gui.qt.review_panel import ReviewPanel
from steelseg_gui.qt.scribble_session import ScribbleSession
from steelseg_gui.qt.train_panel import TrainPanel

if TYPE_CHECKING:
    import napari

IMAGE_FILTER = "Micrographs (" + " ".join(f"*{s}" for s in MICROGRAPH_SUFFIXES) + ")"
MISSING_COLOUR = QColor("#9E9E9E")


class ProjectWidget(QWidget):
    """Dock widget managing a SteelSeg project in a napari viewer."""

    def __init__(self, viewer: napari.viewer.Viewer, parent: QWidget | None = None):
        super().__init__(parent)
        self.viewer = viewer
        self.project: Project | None = None
        self.session: ScribbleSession | None = None
        self.last_error: str | None = None

        self.new_button = QPushButton("New project…")
        self.open_button = QPushButton("Open project…")
        self.add_button = QPushButton("Add images…")
        self.project_label = QLabel("No project open")
        self.project_label.setWordWrap(True)
        self.image_list = QListWidget()
        self.class_editor = ClassTableEditor()
        self.propagate = PropagatePanel(self)
        self.training = TrainPanel(self)
        self.review = ReviewPanel(self)
        self.report = ReportPanel(self)
        self.image_order: list[str] | None = None
        self.training.model_saved.connect(self.review.refresh_models)
        self._build_layout()

        self.new_button.clicked.connect(self._on_new_clicked)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.image_list.currentItemChanged.connect(self._on_current_image_changed)
        self.class_editor.changed.connect(self._on_classes_changed)
        self.class_editor.class_selected.connect(self._on_class_selected)
        self.class_editor.about_to_remove.connect(self.save_scribbles)
        self._set_project(None)

    def _build_layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.new_button, self.open_button, self.add_button):
            buttons.addWidget(button)
        images = QGroupBox("Images")
        QVBoxLayout(images).addWidget(self.image_list)
        classes = QGroupBox("Classes")
        QVBoxLayout(classes).addWidget(self.class_editor)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.project_label)
        layout.addWidget(images, stretch=2)
        layout.addWidget(classes, stretch=1)
        steps = QTabWidget()
        steps.addTab(self.propagate, "Propagate")
        steps.addTab(self.training, "Train")
        steps.addTab(self.review, "Segment && review")
        steps.addTab(self.report, "Report")
        layout.addWidget(steps, stretch=3)

    # ------------------------------------------------------------------ actions (testable)
    def new_project(self, folder: str | Path) -> None:
        with report_errors(self):
            self._set_project(Project.create(folder))

    def open_project(self, folder: str | Path) -> None:
        with report_errors(self):
            project = Project.open(folder)
            self._set_project(project)
            if project.missing:
                missing = ", ".join(str(project.image_path(e)) for e in project.missing)
                self.last_error = f"these image files were moved or deleted: {missing}"
                self.project_label.setText(self.project_label.text() + f"\nMissing: {missing}")

    def add_images(self, paths: list[str | Path], copy: bool = False) -> None:
        with report_errors(self):
            result = self.project.add_images(paths, copy=copy)
            self.refresh_images()
            if result.added:
                self.select_image(result.added[0].id)
            if result.failed:
                raise MicrographError("; ".join(failure.reason for failure in result.failed))

    def select_image(self, image_id: str) -> None:
        """Make ``image_id`` current (its scribbles are loaded, the previous ones saved)."""
        for row in range(self.image_list.count()):
            if self.image_list.item(row).data(Qt.ItemDataRole.UserRole) == image_id:
                self.image_list.setCurrentRow(row)
                return

    def save_scribbles(self) -> None:
        if self.session is not None:
            with report_errors(self):
                self.session.save()
                self.refresh_images()

    def refresh_images(self) -> None:
        current = self.session.image_id if self.session else None
        self.image_list.blockSignals(True)
        self.image_list.clear()
        missing = {e.id for e in self.project.missing} if self.project else set()
        for entry in self._ordered_images():
            label = f"{entry.id}  —  {entry.status}" + ("  (missing)" if entry.id in missing else "")
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, entry.id)
            if entry.id in missing:
                item.setForeground(MISSING_COLOUR)
            self.image_list.addItem(item)
            if entry.id == current:
                self.image_list.setCurrentItem(item)
        self.image_list.blockSignals(False)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.propagate.shutdown()
        self.training.shutdown()
        self.review.shutdown()
        self.report.shutdown()
        self._close_session()
        super().closeEvent(event)

    # ---------------------------------------------------------------------------- internals
    def _set_project(self, project: Project | None) -> None:
        self._close_session()
        self.project = project
        self.propagate.project_changed()
        self.training.project_changed()
        self.image_order = None
        self.review.project_changed()
        self.report.project_changed()
        self.add_button.setEnabled(project is not None)
        self.class_editor.set_project(project)
        if project is not None:
            self.session = ScribbleSession(self.viewer, project, window=self.window(), parent=self)
            self.session.window_closing.connect(self.propagate.shutdown)
            self.session.window_closing.connect(self.training.shutdown)
            self.session.window_closing.connect(self.review.shutdown)
            self.session.window_closing.connect(self.report.shutdown)
            self.project_label.setText(f"<b>{project.name}</b><br>{project.folder}")
        else:
            self.project_label.setText("No project open")
        self.refresh_images()

    def _close_session(self) -> None:
        if self.session is not None:
            with report_errors(self):
                self.session.close()
            self.session = None

    def _on_new_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the new project")
        if folder:
            self.new_project(folder)

    def _ordered_images(self) -> list:
        """The project's images, in ``image_order`` when one is set (e.g. most uncertain first)."""
        images = list(self.project.images) if self.project else []
        if self.image_order:
            rank = {image_id: k for k, image_id in enumerate(self.image_order)}
            images.sort(key=lambda e: rank.get(e.id, len(rank)))
        return images

    def _on_open_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Project folder")
        if folder:
            self.open_project(folder)

    def _on_add_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add micrographs", "", IMAGE_FILTER)
        if paths:
            self.add_images(paths)

    def _on_current_image_changed(self, current: QListWidgetItem | None, _previous=None) -> None:
        if current is None or self.session is None:
            return
        with report_errors(self):
            self.session.show_image(current.data(Qt.ItemDataRole.UserRole))
            self.propagate.image_changed()
            self.review.image_changed()
        self.refresh_images()

    def _on_classes_changed(self) -> None:
        if self.session is not None:
            self.session.restyle()
            self.propagate.preview.restyle(self.project.classes)

    def _on_class_selected(self, value: int) -> None:
        if self.session is not None and self.session.scribble_layer is not None:
            self.session.scribble_layer.selected_label = value
