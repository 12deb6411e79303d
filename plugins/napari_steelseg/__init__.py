"""napari plugin of SteelSeg: reader, sample data and the SteelSeg dock widget."""
