"""Data files shipped with SteelSeg (sample micrographs with their licences, icons, configs)."""
