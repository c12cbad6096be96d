"""The store's ``linked_referrals`` table: every referral that carries a person key, with the
person's record key, sorted by district and quarter.

Capture patterns (which agency lists hold each person, :mod:`analysis.capture_counts`) need
every linked referral of a view, grouped by person. Grouped by the 32-character person key
over the ``referrals`` table, a million rows cost ~30-90 ms per view, most of it reading the
key strings; grouped by the person's 64-bit record key in this narrower, sorted copy, an
area's view reads only its own row groups and a whole-country year takes ~40 ms. The record
key is the disclosure layer's (``analysis.disclosure.keys``), identical for all a person's
records, so it identifies the person and a pattern's cell key is the sum of its people's.

The table is rebuilt with ``new_victims`` inside each load's transaction (so a failed load
leaves the old one); rows keep their ``load_id``, so a snapshot is a filter on it. A store
made before the table and opened read-only gets the same rows computed on the fly
(:func:`source_sql`).
"""

from __future__ import annotations

import duckdb

from analysis.disclosure.keys import RECORD_KEY_SQL
from analysis.store.database import has_table

TABLE = "linked_referrals"

#: Filter columns kept (those of ``analysis.victim_counts.DIMENSIONS``), the load and the key.
COLUMNS = ("area_code", "quarter", "sector", "exploitation_type", "age_group", "sex",
           "nationality_group", "agency", "agency_type", "load_id", "record_key")

LINKED_SQL = "person_key IS NOT NULL AND person_key <> ''"


def _computed() -> str:
    columns = ", ".join(c for c in COLUMNS if c != "record_key")
    return (f"SELECT {columns}, {RECORD_KEY_SQL} AS record_key FROM referrals "
            f"WHERE {LINKED_SQL}")


def refresh(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild the table from ``referrals`` (and ``new_victims``, which holds each linked
    person's record key once, so no key is hashed per referral); returns its row count.
    Run it after :func:`analysis.store.new_victims.refresh`, in the caller's transaction."""
    columns = ", ".join(f"r.{c}" for c in COLUMNS if c != "record_key")
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT {columns}, n.record_key "
                "FROM referrals r JOIN new_victims n ON n.person_key = r.person_key "
                "WHERE r.person_key <> '' ORDER BY r.area_code, r.quarter").fetchall()
    return con.execute(f"SELECT count(*) FROM {TABLE}").fetchall()[0][0]


def source_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A relation of the linked referrals to query: the stored table, or (an older store
    opened read-only) the same rows computed from ``referrals``.

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
    ...     "('2', NULL, 'council', 'council', '2022-01-01', 'B', 'labour', 'farm', 'adult', "
    ...     "'male', 'uk', '2022Q1', 1)")
    >>> computed = con.execute(f"SELECT area_code, record_key FROM {source_sql(con)}").fetchall()
    >>> from analysis.store import new_victims
    >>> _ = new_victims.refresh(con)
    >>> refresh(con)
    1
    >>> con.execute(f"SELECT area_code, record_key FROM {source_sql(con)}").fetchall() == computed
    True
    """
    if has_table(con, TABLE):
        return TABLE
    return f"({_computed()})"
