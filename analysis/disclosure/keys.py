"""Record keys and cell keys: what makes the cell-key method consistent across queries.

Method
------
The cell-key method (Thompson, Broadfoot and Elazar, *Methodology for the automatic
confidentialisation of statistical outputs from remote servers at the Australian Bureau of
Statistics*, UNECE work session on statistical data confidentiality, 2013; used by ONS for
the Census 2021 flexible table builder) gives every unit a **record key**, a uniformly
distributed integer fixed once for the unit. A cell's **cell key** is the sum of the record
keys of the units in it, modulo the key range. The same set of units therefore always has
the same cell key, whatever filters, periods or margins produced the cell, and two
different sets have independent, uniform cell keys.

Here the unit is the detected person (every count on screen counts people). The record key
is derived, not stored: the first 64 bits of ``SHA-256("darkfigure-record-key-v1" US
identity)``, where the identity is ``p US person_key`` for a linked person and
``r US agency US record_id`` for a record without a key (US: the ASCII unit separator).
The person key is itself a keyed hash made by the agencies (:mod:`analysis.pseudonymise`),
so nobody without record-level access can compute a record key, and knowing some people's
keys says nothing about a cell that holds anyone else (their keys are uniform). The key range
is 2**64, so keys do not repeat in practice (ONS used 0-255 or 0-4095).

The same derivation runs inside DuckDB (:data:`RECORD_KEY_SQL`) so tables are aggregated
in the database; a test checks that both give the same keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.errors import DarkFigureError

KEY_BITS = 64
KEY_MODULUS = 2**KEY_BITS
DOMAIN = "darkfigure-record-key-v1"
SEPARATOR = "\x1f"
RECORD_KEY = "record_key"  # column of record keys derived at load, used when present

#: SQL expression (DuckDB) of a row's identity; needs columns person_key, agency, record_id.
IDENTITY_SQL = (
    "CASE WHEN person_key IS NOT NULL AND person_key <> '' "
    "THEN 'p' || chr(31) || person_key "
    "ELSE 'r' || chr(31) || agency || chr(31) || record_id END"
)
#: SQL expression (DuckDB) of a row's record key as UBIGINT, equal to :func:`record_keys`.
RECORD_KEY_SQL = (
    f"('0x' || substr(sha256('{DOMAIN}' || chr(31) || ({IDENTITY_SQL})), 1, 16))::UBIGINT"
)


def identities(frame: pd.DataFrame) -> pd.Series:
    """Each row's person identity: ``p US person_key``, or ``r US agency US record_id``.

    Examples
    --------
    >>> r = pd.DataFrame({"person_key": ["ab", None], "agency": ["x", "y"],
    ...                   "record_id": ["1", "2"]})
    >>> [s.replace("\\x1f", "|") for s in identities(r)]
    ['p|ab', 'r|y|2']
    """
    missing = [c for c in ("person_key", "agency", "record_id") if c not in frame.columns]
    if missing:
        raise DarkFigureError(f"record keys need the column(s) {missing} (stored referrals)")
    person = frame["person_key"].astype(object)
    linked = person.notna() & (person.astype(str) != "")
    unlinked = ("r" + SEPARATOR + frame["agency"].astype(str) + SEPARATOR
                + frame["record_id"].astype(str))
    return unlinked.where(~linked, "p" + SEPARATOR + person.astype(str))


def _key(identity: str) -> int:
    digest = hashlib.sha256(f"{DOMAIN}{SEPARATOR}{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def record_keys(frame: pd.DataFrame) -> np.ndarray:
    """The record key (uint64) of each row, from its person key or agency and record id.

    Parameters
    ----------
    frame : DataFrame
        Rows with ``person_key``, ``agency`` and ``record_id`` (stored referrals, one row
        per person when counting people).

    Returns
    -------
    ndarray of uint64, one per row.

    Examples
    --------
    >>> r = pd.DataFrame({"person_key": ["ab", "ab", None], "agency": ["x", "y", "y"],
    ...                   "record_id": ["1", "2", "3"]})
    >>> k = record_keys(r)
    >>> bool(k[0] == k[1]), bool(k[1] == k[2]), k.dtype.name
    (True, False, 'uint64')
    """
    return np.array([_key(i) for i in identities(frame)], dtype=np.uint64)


def sum_keys(keys: np.ndarray) -> int:
    """Cell key of a set of record keys: their sum modulo 2**64.

    Examples
    --------
    >>> sum_keys(np.array([2**63, 2**63 + 5], dtype=np.uint64))
    5
    """
    with np.errstate(over="ignore"):
        return int(np.add.reduce(np.asarray(keys, dtype=np.uint64), dtype=np.uint64))


def cell_keys(people: pd.DataFrame, by: str | Sequence[str]) -> pd.DataFrame:
    """Count of distinct people and cell key of every combination of ``by`` in ``people``.

    A person (one identity, :func:`identities`) is counted once per cell however many of
    their rows fall in it, so raw referrals give counts of people, and the first detections
    of a view (one row per person) give the view's counts.

    Parameters
    ----------
    people : DataFrame
        Rows with ``person_key``, ``agency``, ``record_id`` and the ``by`` columns, or with a
        ``record_key`` column already derived by :func:`record_keys` (e.g. when the rows were
        loaded) in place of the first three.
    by : str or list of str
        The columns to count by; an empty list gives one cell for all rows.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``count`` (int) and ``cell_key`` (uint64).

    Examples
    --------
    >>> r = pd.DataFrame({"person_key": ["a", "b", "c", "a"], "agency": "x",
    ...                   "record_id": ["1", "2", "3", "4"],
    ...                   "sector": ["care", "care", "farm", "care"]})
    >>> t = cell_keys(r, "sector")
    >>> t["count"].tolist()
    [2, 1]
    >>> int(t["cell_key"][0]) == sum_keys(record_keys(r.iloc[:2]))
    True
    """
    keys = [by] if isinstance(by, str) else list(by)
    frame = people[keys].copy()
    if RECORD_KEY in people.columns:  # derived at load (e.g. the dashboard's prepared rows)
        frame["_rk"] = people[RECORD_KEY].to_numpy(dtype=np.uint64)
        frame = frame.drop_duplicates(keys + ["_rk"])  # 64-bit keys identify a person
    else:
        frame["_identity"] = identities(people).to_numpy()
        frame = frame.drop_duplicates(keys + ["_identity"])
        frame["_rk"] = np.array([_key(i) for i in frame["_identity"]], dtype=np.uint64)
    if not keys:
        return pd.DataFrame({"count": [len(frame)],
                             "cell_key": np.array([sum_keys(frame["_rk"].to_numpy())],
                                                  dtype=np.uint64)})
    rows = []
    for values, group in frame.groupby(keys, sort=True, observed=True, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        rows.append((*values, len(group), sum_keys(group["_rk"].to_numpy())))
    out = pd.DataFrame(rows, columns=[*keys, "count", "cell_key"])
    out["count"] = out["count"].astype(int)
    out["cell_key"] = out["cell_key"].astype(np.uint64)
    return out
