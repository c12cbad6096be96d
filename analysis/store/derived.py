"""The tables the store derives from its referrals, so pages query small sorted tables in
DuckDB instead of every referral: ``new_victims`` (each person's first-ever record),
``linked_referrals`` (capture patterns) and ``justice_records`` (the Justice funnel).

They are rebuilt inside each load's transaction (a failed load leaves the old ones; a
reload of the same file changes nothing) and built when missing on a store made before
them; each reader also works without its table (computed from ``referrals``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from analysis.store import linked_referrals, new_victims
from analysis.store.database import has_table

#: DuckDB's own limit is 80% of the machine's memory: rebuilding the tables of 10,000,000
#: referrals then peaked at 4.6 GB of a 24 GB machine. Bounded, DuckDB spills its sorts to
#: the store's temporary folder: 1.8 GB at the peak for 30% more time (45.7 s to 59.4 s).
REBUILD_MEMORY_MIB = 1536


def rebuild_memory_mib() -> int:
    """The memory DuckDB may use while rebuilding: REBUILD_MEMORY_MIB, or DuckDB's own
    default (80% of physical memory) on a smaller machine."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (ValueError, OSError, AttributeError):  # not a POSIX system: keep ours
        return REBUILD_MEMORY_MIB
    return int(min(REBUILD_MEMORY_MIB, 0.8 * physical))


@contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB's memory limited to :func:`rebuild_memory_mib` on ``con`` for the block."""
    con.execute(f"SET memory_limit = '{rebuild_memory_mib()}MiB'")
    try:
        yield
    finally:
        con.execute("RESET memory_limit")


def refresh_all(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every derived table from ``referrals`` (in the caller's transaction)."""
    from analysis.justice_sql import refresh_records

    with bounded_memory(con):
        new_victims.refresh(con)
        linked_referrals.refresh(con)  # its person keys come from new_victims
        refresh_records(con)


def build_missing(con: duckdb.DuckDBPyConnection) -> None:
    """Build the derived tables an older store lacks (in the caller's transaction)."""
    from analysis.justice_sql import RECORDS_TABLE, refresh_records

    with bounded_memory(con):
        if not has_table(con, new_victims.TABLE):
            new_victims.refresh(con)
        if not has_table(con, linked_referrals.TABLE):  # its person keys come from new_victims
            linked_referrals.refresh(con)
        if not has_table(con, RECORDS_TABLE):
            refresh_records(con)
