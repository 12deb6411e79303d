"""Editor of the project's class table: add, rename, recolour, remove (guarded)."""

from __future__ import annotations

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QColor
from qtpy.QtWidgets import (
    QColorDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from steelseg_gui.core.project.folder import Project
from steelseg_gui.qt.errors import report_errors

VALUE_COLUMN, NAME_COLUMN, COLOUR_COLUMN = 0, 1, 2


class ClassTableEditor(QWidget):
    """Table of label value, name and colour; emits ``changed`` after every edit,
    ``class_selected(value)`` when a row is picked (to paint with that class) and
    ``about_to_remove`` before a class is removed."""

    changed = Signal()
    class_selected = Signal(int)
    about_to_remove = Signal()  # lets the owner save unsaved scribbles before the in-use check

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.project: Project | None = None
        self.last_error: str | None = None
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Value", "Phase", "Colour"])
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        rows.setDefaultSectionSize(rows.fontMetrics().height() + 8)
        # Room for three classes (ferrite, pearlite and one more) before the table scrolls.
        self.table.setMinimumHeight(
            self.table.horizontalHeader().sizeHint().height() + 3 * rows.defaultSectionSize() + 4
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton("Add class…")
        self.remove_button = QPushButton("Remove class")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.table.itemChanged.connect(self._on_item_changed)
        self.table.cellDoubleClicked.connect(self._on_cell_double_clicked)
        self.table.currentCellChanged.connect(self._on_current_cell_changed)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.setEnabled(False)

    def set_project(self, project: Project | None) -> None:
        self.project = project
        self.setEnabled(project is not None)
        self.refresh()

    def refresh(self) -> None:
        self.table.blockSignals(True)
        classes = list(self.project.classes) if self.project else []
        self.table.setRowCount(len(classes))
        for row, phase in enumerate(classes):
            value = QTableWidgetItem(str(phase.value))
            value.setFlags(value.flags() & ~Qt.ItemFlag.ItemIsEditable)
            colour = QTableWidgetItem(phase.color)
            colour.setFlags(colour.flags() & ~Qt.ItemFlag.ItemIsEditable)
            colour.setBackground(QColor(phase.color))
            self.table.setItem(row, VALUE_COLUMN, value)
            self.table.setItem(row, NAME_COLUMN, QTableWidgetItem(phase.name))
            self.table.setItem(row, COLOUR_COLUMN, colour)
        self.table.blockSignals(False)

    # The three edits; the GUI handlers below only gather the user's input.
    def add_class(self, name: str, color: str | None = None) -> None:
        with report_errors(self):
            self.project.classes.add(name, color)
            self.project.save()
        self._after_edit()

    def rename_class(self, value: int, name: str) -> None:
        with report_errors(self):
            self.project.classes.rename(value, name)
            self.project.save()
        self._after_edit()

    def recolour_class(self, value: int, color: str) -> None:
        with report_errors(self):
            self.project.classes.recolour(value, color)
            self.project.save()
        self._after_edit()

    def remove_class(self, value: int) -> None:
        self.about_to_remove.emit()
        with report_errors(self):
            self.project.remove_class(value)
        self._after_edit()

    def _after_edit(self) -> None:
        self.refresh()
        self.changed.emit()

    def _value_at(self, row: int) -> int:
        return int(self.table.item(row, VALUE_COLUMN).text())

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == NAME_COLUMN:
            self.rename_class(self._value_at(item.row()), item.text())

    def _on_cell_double_clicked(self, row: int, column: int) -> None:
        if column != COLOUR_COLUMN:
            return
        value = self._value_at(row)
        chosen = QColorDialog.getColor(QColor(self.project.classes.get(value).color), self, "Class colour")
        if chosen.isValid():
            self.recolour_class(value, chosen.name())

    def _on_current_cell_changed(self, row: int, *_) -> None:
        if 0 <= row < self.table.rowCount():
            self.class_selected.emit(self._value_at(row))

    def _on_add_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "Add class", "Phase name (e.g. bainite):")
        if ok and name.strip():
            self.add_class(name)

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.remove_class(self._value_at(row))
