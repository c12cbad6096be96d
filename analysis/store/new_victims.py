"""The store's ``new_victims`` table: each person's first-ever record, with its record key.

What every detected count counts (``analysis.detection.new_victims``) is found once, in the
database, each time the referrals change, rather than by every page, table and command on
every query: a filtered group-by over this table then gives any view's counts and cell keys
in milliseconds at millions of referrals (``analysis.victim_counts``).

The first record of a person is the earliest by referral date, ties broken by agency and
record id (the order ``Store.referrals`` returns, which ``analysis.tables.first_detections``
keeps); a record without a person key cannot be linked and is its own person. The record
key is the disclosure layer's (``analysis.disclosure.keys.RECORD_KEY_SQL``), so a cell's key
is the sum of its rows' keys.

A view frozen at an earlier load (``snapshot``) needs the first records as they were then:
:func:`source_sql` gives the same rows computed from ``referrals`` on the fly for it.
"""

from __future__ import annotations

import duckdb

from analysis.disclosure.keys import IDENTITY_SQL, RECORD_KEY_SQL
from analysis.store.database import has_table

TABLE = "new_victims"

#: Columns of ``new_victims`` (and of :func:`source_sql`'s rows).
COLUMNS = ("area_code", "quarter", "sector", "exploitation_type", "age_group", "sex",
           "nationality_group", "agency", "agency_type", "record_id", "person_key",
           "referral_date", "load_id", "record_key")

_FIRST = (f"QUALIFY row_number() OVER (PARTITION BY {IDENTITY_SQL} "
          "ORDER BY referral_date, agency, record_id) = 1")


def _select(where: str = "") -> str:
    columns = ", ".join(c for c in COLUMNS if c != "record_key")
    return (f"SELECT {columns}, {RECORD_KEY_SQL} AS record_key FROM referrals "
            f"{where} {_FIRST}")


def refresh(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild ``new_victims`` from ``referrals`` on ``con`` (inside the caller's
    transaction, so a failed load leaves the old table); returns its row count."""
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {_select()} "
                "ORDER BY area_code, quarter").fetchall()
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]


def source_sql(con: duckdb.DuckDBPyConnection, snapshot: int | None = None) -> str:
    """A relation (table name or parenthesised query) of the new victims to query.

    The stored table when it is current; computed from ``referrals`` for a snapshot (the
    data as they were after load ``snapshot``) or for an older store opened read-only.

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE referrals (record_id VARCHAR, person_key VARCHAR, "
    ...     "agency VARCHAR, agency_type VARCHAR, referral_date DATE, area_code VARCHAR, "
    ...     "exploitation_type VARCHAR, sector VARCHAR, age_group VARCHAR, sex VARCHAR, "
    ...     "nationality_group VARCHAR, quarter VARCHAR, load_id INTEGER)")
    >>> _ = con.execute("INSERT INTO referrals VALUES "
    ...     "('1', 'p', 'police', 'police', '2023-05-01', 'A', 'labour', 'farm', 'adult', "
    ...     "'male', 'uk', '2023Q2', 2), "
    ...     "('2', 'p', 'council', 'council', '2022-01-01', 'B', 'labour', 'farm', 'adult', "
    ...     "'male', 'uk', '2022Q1', 1)")
    >>> refresh(con)
    1
    >>> con.execute(f"SELECT area_code FROM {source_sql(con)}").fetchall()
    [('B',)]
    >>> con.execute(f"SELECT area_code FROM {source_sql(con, snapshot=1)}").fetchall()
    [('B',)]
    """
    if snapshot is not None:
        return f"({_select(f'WHERE load_id <= {int(snapshot)}')})"
    if has_table(con, TABLE):
        return TABLE
    return f"({_select()})"
