"""The scoring tests use the small demo county of tests/county.py."""

from ..bundle.conftest import tiny_bundle  # noqa: F401  (a fixture)
