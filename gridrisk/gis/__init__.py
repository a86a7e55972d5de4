"""What GIS staff pull into QGIS or another GIS: the layers (regions, cells, each cadence's
latest cycle per cell, hotspots, open cases as points) that OGC API – Features serves and
GeoPackages carry, filtered to the caller's scope, with no complainant detail."""
