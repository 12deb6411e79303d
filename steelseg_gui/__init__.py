"""SteelSeg: labelled phase maps and phase fractions from steel micrographs."""

from steelseg_gui.process_guard import block_triton

__version__ = "0.1.0"

block_triton()
