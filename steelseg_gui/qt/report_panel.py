"""The "Report" tab of the SteelSeg dock: the report's header fields and specimens, edited and
saved into the project, and the report written as HTML and/or PDF in the background.

The header fields (operator, reviewer, microscope, ...) and each specimen's grade, heat treatment,
etchant and notes are the project's own (``steelseg project set`` / ``project specimen`` edit the
same); a blank field stays blank in the report.
"""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from steelseg_gui.core.project.specimens import METADATA_FIELDS, SPECIMEN_FIELDS
from steelseg_gui.core.quantify.sampling import DEFAULT_TARGET_RA_PCT
from steelseg_gui.qt.errors import report_errors
from steelseg_gui.qt.jobs import JobRunner

SPECIMEN_COLUMNS = ("specimen", *SPECIMEN_FIELDS)


class ReportPanel(QGroupBox):
    """Edit the report's fields and write it. ``host`` is the :class:`ProjectWidget`."""

    def __init__(self, host):
        super().__init__("Report")
        self.host = host
        self.last_error: str | None = None
        self.written: list[Path] = []
        self.fields = {name: QLineEdit() for name in METADATA_FIELDS}
        self.specimens = QTableWidget(0, len(SPECIMEN_COLUMNS))
        self.specimens.setHorizontalHeaderLabels([c.replace("_", " ") for c in SPECIMEN_COLUMNS])
        self.specimens.horizontalHeader().setStretchLastSection(True)
        self.specimens.setMaximumHeight(120)
        self.target_ra = QDoubleSpinBox()
        self.target_ra.setRange(0.5, 100.0)
        self.target_ra.setValue(DEFAULT_TARGET_RA_PCT)
        self.target_ra.setSuffix(" % RA")
        self.html_box, self.pdf_box = QCheckBox("HTML"), QCheckBox("PDF")
        self.html_box.setChecked(True)
        self.pdf_box.setChecked(True)
        self.save_button = QPushButton("Save fields")
        self.write_button, self.cancel_button = QPushButton("Write report"), QPushButton("Cancel")
        self.progress = QProgressBar()
        self.status = QLabel("Fill in the fields, then Write report.")
        self.status.setWordWrap(True)
        self.runner = JobRunner(self, self.progress, self.status, parent=self)
        self._build_layout()
        self.save_button.clicked.connect(self._on_save_clicked)
        self.write_button.clicked.connect(self._on_write_clicked)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.runner.finished.connect(self._update_buttons)

    def _build_layout(self) -> None:
        form = QFormLayout()
        for name, edit in self.fields.items():
            form.addRow(name.replace("_", " ").capitalize(), edit)
        outputs = QHBoxLayout()
        for widget in (QLabel("Fields needed for"), self.target_ra, self.html_box, self.pdf_box):
            outputs.addWidget(widget)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.write_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Specimens (assign images with steelseg project specimen):"))
        layout.addWidget(self.specimens)
        layout.addLayout(outputs)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)

    # ------------------------------------------------------------------ actions (testable)
    def project_changed(self) -> None:
        """Show the fields of the host's project (or empty, disabled fields when none is open)."""
        project = self.host.project
        for name, edit in self.fields.items():
            edit.setText((getattr(project.metadata, name) or "") if project else "")
        self.specimens.setRowCount(0)
        for name, specimen in (project.specimens if project else {}).items():
            row = self.specimens.rowCount()
            self.specimens.insertRow(row)
            self.specimens.setItem(row, 0, QTableWidgetItem(name))
            self.specimens.item(row, 0).setFlags(self.specimens.item(row, 0).flags() & ~Qt.ItemFlag.ItemIsEditable)
            for column, field in enumerate(SPECIMEN_FIELDS, start=1):
                self.specimens.setItem(row, column, QTableWidgetItem(getattr(specimen, field) or ""))
        self._update_buttons()

    def save_fields(self) -> bool:
        """Write the edited header and specimen fields into the project; False on a refused value."""
        project = self.host.project
        with report_errors(self):
            project.set_metadata(**{name: edit.text() for name, edit in self.fields.items()})
            for row in range(self.specimens.rowCount()):
                values = {f: self.specimens.item(row, c).text() for c, f in enumerate(SPECIMEN_FIELDS, start=1)}
                project.set_specimen([], self.specimens.item(row, 0).text(), project.specimen_info(**values))
            self.status.setText("Fields saved in the project.")
            return True
        return False

    def write_report(self, html: Path | None = None, pdf: Path | None = None) -> bool:
        """Save the fields, then write the report in the background (to ``reports/report.html`` and
        ``.pdf`` in the project unless paths are given); False when nothing was started."""
        from steelseg_gui.core.report.project_report import ReportOptions, project_report
        from steelseg_gui.core.report.render import write_report_files

        project = self.host.project
        if project is None or self.runner.running or not self.save_fields():
            return False
        folder = project.folder / "reports"
        html = html or (folder / "report.html" if self.html_box.isChecked() else None)
        pdf = pdf or (folder / "report.pdf" if self.pdf_box.isChecked() else None)
        if not (html or pdf):
            self.status.setText("Tick HTML or PDF.")
            return False
        job = write_report_files(project_report(project, "auto", ReportOptions(self.target_ra.value())), html, pdf)
        started = self.runner.start(job, self._on_written, "writing the report")
        self._update_buttons()
        return started

    def shutdown(self) -> None:
        self.runner.cancel()
        self.runner.wait()

    # ---------------------------------------------------------------------------- internals
    def _on_save_clicked(self) -> None:
        self.save_fields()

    def _on_write_clicked(self) -> None:
        self.write_report()

    def _on_written(self, paths: list[Path]) -> None:
        self.written = paths
        self.status.setText("Report written: " + ", ".join(str(p) for p in paths))

    def _update_buttons(self) -> None:
        has_project = self.host.project is not None
        running = self.runner.running
        for widget in (self.save_button, self.write_button, *self.fields.values(), self.specimens):
            widget.setEnabled(has_project and not running)
        self.cancel_button.setEnabled(running)
