"""The cycle tests use the small demo county and its promoted model (tests/county.py)."""
