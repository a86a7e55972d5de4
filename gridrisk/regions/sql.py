"""SQL fragments about the region tree that other domains build on (no imports: the access
scope and the region services both read them)."""


def regions_under(roots: str) -> str:
    """The codes of the regions matching `roots` (a condition on regions) and of every region
    under them, as a subquery: `x IN {…}`."""
    return f"""(WITH RECURSIVE below AS (
        SELECT code FROM regions WHERE {roots} UNION ALL
        SELECT r.code FROM regions r JOIN below b ON r.parent_code = b.code)
    SELECT code FROM below)"""


#: the codes of region :region and of every region under it
REGIONS_UNDER = regions_under("code = :region")
