"""Import of planning layers: readers, field mapping, CRS handling, validation and estimation."""
