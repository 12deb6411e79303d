"""Qt widgets of SteelSeg: thin forms that start core jobs and show their results."""
