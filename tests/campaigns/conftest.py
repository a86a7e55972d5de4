"""The campaign tests run on the reports' hand-built county (tests/reports/county.py)."""

from ..reports.conftest import county_db, policy, policy_file  # noqa: F401  (fixtures)
