"""The page tests' committed county, one database for every page test module."""

from .pages_county import pages_county  # noqa: F401  (a fixture)
