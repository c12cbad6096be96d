"""The tables the store derives from its referrals, so pages query small sorted tables in
DuckDB instead of every referral: ``new_victims`` (each person's first-ever record),
``linked_referrals`` (capture patterns) and ``justice_records`` (the Justice funnel).

They are rebuilt inside each load's transaction (a failed load leaves the old ones; a
reload of the same file changes nothing) and built when missing on a store made before
them; each reader also works without its table (computed from ``referrals``).
"""

from __future__ import annotations

import duckdb

from analysis.store import linked_referrals, new_victims
from analysis.store.database import has_table


def refresh_all(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every derived table from ``referrals`` (in the caller's transaction)."""
    from analysis.justice_sql import refresh_records

    new_victims.refresh(con)
    linked_referrals.refresh(con)  # its person keys come from new_victims
    refresh_records(con)


def build_missing(con: duckdb.DuckDBPyConnection) -> None:
    """Build the derived tables an older store lacks (in the caller's transaction)."""
    from analysis.justice_sql import RECORDS_TABLE, refresh_records

    if not has_table(con, new_victims.TABLE):
        new_victims.refresh(con)
    if not has_table(con, linked_referrals.TABLE):  # its person keys come from new_victims
        linked_referrals.refresh(con)
    if not has_table(con, RECORDS_TABLE):
        refresh_records(con)
