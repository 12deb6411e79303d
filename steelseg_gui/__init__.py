"""SteelSeg: labelled phase maps and phase fractions from steel micrographs."""

__version__ = "0.1.0"
