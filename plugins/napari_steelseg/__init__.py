"""napari plugin of SteelSeg: reader, writer, sample data and the SteelSeg dock widget.

Importing ``steelseg_gui`` first keeps triton out of napari's process (see
:mod:`steelseg_gui.process_guard`), whichever of the plugin's commands napari loads first.
"""

import steelseg_gui  # noqa: F401
