"""The justice funnel's one query (DuckDB) and the optional store table it reads fastest.

:func:`funnel_sql` finds each person's stages among the selected records and aggregates them to
the small tables of :class:`analysis.justice_counts.JusticeCounts` in one statement; the
definitions are those of :func:`analysis.justice.people_stages` (docs/methods/justice.md).
:func:`refresh_records` makes ``justice_records`` (each referral's justice columns with its
record key and its place in the record order, sorted by district) for the store's load step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from analysis.disclosure.keys import DOMAIN, KEY_MODULUS, RECORD_KEY, RECORD_KEY_SQL
from analysis.schema import OUTCOME_GROUP_OF
from analysis.store.database import has_table

if TYPE_CHECKING:  # the store's load step may import this module: no cycle through it
    from analysis.victim_counts import Selection

#: The store table :func:`refresh_records` makes for fast counting (optional).
RECORDS_TABLE = "justice_records"
OPTIONAL_COLUMNS = {"nrm_referred": "BOOLEAN", "crime_recorded": "BOOLEAN",
                    "outcome_code": "VARCHAR", "outcome_date": "DATE", "nrm_referral_date": "DATE"}
# a linked person (analysis.disclosure.keys.IDENTITY_SQL); grouping on the raw columns is
# cheaper than on the identity text, which is built once per person for the record key
_LINKED = "coalesce(person_key <> '', false)"


def stored_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The columns of the store's ``referrals`` (an older store lacks the outcome ones)."""
    return {r[0] for r in con.execute("SELECT name FROM pragma_table_info('referrals')")
            .fetchall()}


def refresh_records(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild :data:`RECORDS_TABLE` from ``referrals`` on ``con`` (call it where the store
    refreshes ``new_victims``, inside the load's transaction); returns its row count.

    The table holds each referral's justice columns with its record key and its place in the
    order (referral date, agency, record id), sorted by district: a district's rows sit
    together, so a query reads a few blocks instead of every referral's text columns, and
    people are grouped by an integer key. :func:`count_justice` uses it when it is current
    and falls back to ``referrals`` otherwise (a snapshot, an older store).

    Examples
    --------
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE referrals (record_id VARCHAR, person_key VARCHAR, "
    ...     "agency VARCHAR, agency_type VARCHAR, referral_date DATE, area_code VARCHAR, "
    ...     "nrm_referred BOOLEAN, load_id INTEGER)")
    >>> _ = con.execute("INSERT INTO referrals VALUES ('1', 'p', 'police', 'police', "
    ...                 "'2023-05-01', 'E06000016', true, 1)")
    >>> refresh_records(con)
    1
    """
    present = stored_columns(con)
    cols = {c: (c if c in present else f"NULL::{kind}") for c, kind in OPTIONAL_COLUMNS.items()}
    con.execute(f"""CREATE OR REPLACE TABLE {RECORDS_TABLE} AS
        SELECT area_code, agency_type, load_id, {RECORD_KEY_SQL} AS {RECORD_KEY},
               row_number() OVER (ORDER BY referral_date, agency, record_id) AS _order,
               referral_date, {', '.join(f'{v} AS {c}' for c, v in cols.items())}
        FROM referrals ORDER BY area_code, referral_date""").fetchall()
    return con.execute(f"SELECT count(*) FROM {RECORDS_TABLE}").fetchall()[0][0]


def table_is_current(con: duckdb.DuckDBPyConnection, selection: Selection) -> bool:
    """Whether :data:`RECORDS_TABLE` can answer: present, as many rows as ``referrals``
    (not left behind by a load), no snapshot, and filters only on what it holds."""
    if selection.snapshot is not None or any(c != "agency_type" for c, _ in selection.where):
        return False
    if not has_table(con, RECORDS_TABLE):
        return False
    rows = con.execute(f"SELECT (SELECT count(*) FROM {RECORDS_TABLE}), "
                       "(SELECT count(*) FROM referrals)").fetchone()
    return rows[0] == rows[1]


def cohort_sql(by: str) -> str:
    """SQL for the cohort label of ``detection_date``: ``2023`` or ``2023Q2``.

    Examples
    --------
    >>> duckdb.connect().execute(f"SELECT {cohort_sql('quarter')} FROM (SELECT "
    ...                          "DATE '2023-05-01' AS detection_date)").fetchall()
    [('2023Q2',)]
    """
    if by == "year":
        return "strftime(detection_date, '%Y')"
    return "strftime(detection_date, '%Y') || 'Q' || quarter(detection_date)::VARCHAR"


def _group_case(column: str) -> str:
    whens = " ".join(f"WHEN '{code}' THEN '{group}'" for code, group in OUTCOME_GROUP_OF.items())
    return f"CASE {column} {whens} END"


def funnel_sql(where: str, cols: dict[str, str], by: str, as_of: pd.Timestamp,
               follow_up: int, cohort_filter: str, *, table: bool = False) -> str:
    """The one query: rows of ``part`` cell, time and trend (see
    :func:`analysis.justice_counts.count_justice`, which runs it).

    ``where`` selects the records, ``cols`` maps each optional column to its SQL (NULL on an
    older store), ``cohort_filter`` selects the people by quarter of first detection;
    ``table``: read :data:`RECORDS_TABLE` (record keys and the record order made at load,
    sorted by district) instead of ``referrals``.
    """
    day = f"DATE '{as_of.date().isoformat()}'"
    key = f"coalesce(sum({RECORD_KEY}) % {KEY_MODULUS}, 0)::UBIGINT"
    if table:  # a person is their record key (64 bits: as analysis.disclosure.keys.cell_keys)
        person, order, group = f"{RECORD_KEY} AS _person", "_order", "_person"
        source, identity = RECORDS_TABLE, "_person"
    else:
        person = (f"CASE WHEN {_LINKED} THEN person_key END AS _pk, "
                  f"CASE WHEN NOT {_LINKED} THEN agency END AS _agency, "
                  f"CASE WHEN NOT {_LINKED} THEN record_id END AS _record")
        order, group, source = "(referral_date, agency, record_id)", "_pk, _agency, _record", \
            "referrals"
        identity = (f"('0x' || substr(sha256('{DOMAIN}' || chr(31) || "
                    "CASE WHEN _pk IS NOT NULL THEN 'p' || chr(31) || _pk "
                    "ELSE 'r' || chr(31) || _agency || chr(31) || _record END), 1, 16))::UBIGINT")
    return f"""
    WITH records AS (
        SELECT {person}, {order} AS _order, referral_date,
               coalesce({cols['nrm_referred']}, false) AS referred,
               {cols['nrm_referral_date']} AS nrm_referral_date,
               coalesce({cols['crime_recorded']}, false) AS recorded,
               {cols['outcome_date']} AS outcome_date,
               CASE WHEN coalesce({cols['crime_recorded']}, false)
                     AND ({cols['outcome_date']} IS NULL OR {cols['outcome_date']} <= {day})
                    THEN {cols['outcome_code']} END AS code
        FROM {source} WHERE {where}
    ), people AS MATERIALIZED (
        SELECT {identity} AS {RECORD_KEY},
               min(referral_date) AS detection_date,
               bool_or(referred) AS nrm_referred, min(nrm_referral_date) AS nrm_date,
               min(CASE WHEN recorded THEN referral_date END) AS recorded_date,
               min(CASE WHEN code IN ('1', '1A') THEN outcome_date END) AS charge_date,
               bool_or(recorded AND code IS NULL) AS is_open,
               arg_min({_group_case('code')}, _order)
                   FILTER (WHERE {_group_case('code')} IS NOT NULL) AS first_group
        FROM records GROUP BY {group}
    ), staged AS MATERIALIZED (
        SELECT {RECORD_KEY}, {cohort_sql(by)} AS cohort, detection_date,
               nrm_referred, recorded_date IS NOT NULL AS crime_recorded,
               CASE WHEN recorded_date IS NULL THEN 'not_recorded'
                    WHEN charge_date IS NOT NULL THEN 'charged'
                    WHEN is_open THEN 'open' ELSE 'other_outcome' END AS status,
               CASE WHEN charge_date IS NOT NULL THEN 'charged_summonsed'
                    WHEN is_open THEN NULL ELSE first_group END AS outcome_group,
               coalesce(date_diff('day', detection_date, charge_date) <= {follow_up}, false)
                   AS charged_within,
               date_diff('day', detection_date, {day}) AS follow_up_days,
               CASE WHEN nrm_date IS NOT NULL THEN
                   greatest(date_diff('day', detection_date, nrm_date), 0) END AS d_nrm,
               CASE WHEN recorded_date IS NOT NULL THEN
                   greatest(date_diff('day', detection_date, recorded_date), 0) END AS d_recorded,
               CASE WHEN charge_date IS NOT NULL THEN
                   greatest(date_diff('day', detection_date, charge_date), 0) END AS d_charged,
               charge_date IS NOT NULL AS charged, is_open
        FROM people WHERE {cohort_filter}
    ), timed AS (
        SELECT 'nrm_referred' AS stage, d_nrm AS days, true AS event, {RECORD_KEY}
        FROM staged WHERE nrm_referred AND d_nrm IS NOT NULL
        UNION ALL SELECT 'crime_recorded', d_recorded, true, {RECORD_KEY}
        FROM staged WHERE crime_recorded
        UNION ALL SELECT 'charged', d_charged, true, {RECORD_KEY} FROM staged WHERE charged
        UNION ALL SELECT 'charged', follow_up_days, false, {RECORD_KEY}
        FROM staged WHERE is_open AND NOT charged
    )
    SELECT 'cell' AS part, cohort, nrm_referred, status, outcome_group, charged_within,
           NULL::VARCHAR AS stage, NULL::BIGINT AS days, NULL::BOOLEAN AS event,
           NULL::DATE AS detection_date, count(*)::BIGINT AS count, {key} AS cell_key,
           NULL::BIGINT AS n_nrm, NULL::BIGINT AS n_recorded, NULL::BIGINT AS n_observed,
           NULL::BIGINT AS n_within
    FROM staged GROUP BY ALL
    UNION ALL
    SELECT 'time', NULL, NULL, NULL, NULL, NULL, stage, days, event, NULL, count(*), {key},
           NULL, NULL, NULL, NULL
    FROM timed GROUP BY stage, days, event
    UNION ALL
    SELECT 'trend', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, detection_date,
           count(*), NULL, count_if(nrm_referred), count_if(crime_recorded),
           count_if(crime_recorded AND follow_up_days >= {follow_up}),
           count_if(crime_recorded AND follow_up_days >= {follow_up} AND charged_within)
    FROM staged GROUP BY detection_date"""
