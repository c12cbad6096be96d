"""Which table a sheet holds, from its whole title.

A title is normalised (the "Table 13:" prefix, note markers, '&', case and spacing removed)
and must match one of the known table titles *as a whole*: a cover sheet whose title merely
contains "Duty to Notify" and "quarter" is not a DtN table. Known titles come from the
releases described in ``data/reference/README.md`` ("NRM data-table layout"): the 2022 Q2/Q3
wording ("Details of NRM referrals by police first responders") and the wording from 2022 Q4
("NRM referrals by police first responder, exploitation type, age at exploitation, gender
and nationality"). Each sheet gets one of three verdicts:

* a supported table (``age_location``, ``dtn_quarterly``, ``county``,
  ``first_responder:<type>``), which is read;
* ``front`` (cover, contents, notes) or ``other`` (an NRM or DtN table this reader does not
  read, such as decisions or nationality tables), skipped and recorded in the load history;
* ``None``: the sheet cannot be classified. It is skipped and recorded, or, with
  ``strict=True``, the workbook is refused.
"""

from __future__ import annotations

import re
from typing import Any

from analysis.ingest.nrm_layout import find_row, label

TABLE_PREFIX = re.compile(r"^table\s*\d+[a-z]?\s*[:.\-–]\s*", re.IGNORECASE)
# Titles may end with the period they cover: "..., January to December 2023" or "(2023)".
_PERIOD_SUFFIX = re.compile(
    r"[,:;]?\s*\(?\s*(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+(?:to|-)\s+"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d{4}|\d{4}|q[1-4]\s+\d{4})"
    r"\s*\)?$", re.IGNORECASE)

_RESPONDERS = {
    "police": "police",
    "government agency": "government_agency",
    "governmental": "government_agency",
    "government agencies": "government_agency",
    "ngo": "ngo",
    "ngo and third sector": "ngo",
    "ngo and third sector organisation": "ngo",
    "local authority": "local_authority",
    "local authorities": "local_authority",
}
_BREAKDOWN = r"(?:,?\s*(?:exploitation type|age at exploitation|gender|sex|nationality)(?:\s*,|\s+and)?)*"
_SUPPORTED = (
    ("age_location",
     r"(?:nrm )?referrals by quarter,? age at exploitation and location of exploitation"),
    ("dtn_quarterly", r"(?:dtn|duty to notify) reports by quarter"),
    ("county", r"(?:nrm )?referrals by (?:uk )?county(?: \(.*\))?"),
    ("first_responder",
     r"(?:details of )?(?:nrm )?referrals (?:by|from) (?P<who>[a-z ]+?) first responders?"
     r"(?: type)?(?:,?\s*by)?" + _BREAKDOWN + r"\s*"),
    ("first_responder",
     r"details of (?:nrm )?referrals by (?P<who>local authorities|local authority)"),
)
_FRONT = r"(?:cover(?: sheet)?|contents|table of contents|notes|note|about these data|.*data tables)"
_OTHER_SUBJECTS = r"(?:(?:nrm )?referrals|(?:dtn|duty to notify) reports|(?:reasonable|conclusive) " \
    r"grounds(?: decisions)?|decisions|outcomes|potential victims|adults|children)"


def normalise_title(title: str) -> str:
    """Lower-case title without its 'Table N:' prefix, note markers or period suffix.

    Examples
    --------
    >>> normalise_title("Table 2: NRM referrals by quarter, age at exploitation and location "
    ...                 "of exploitation [note 3]")
    'nrm referrals by quarter, age at exploitation and location of exploitation'
    """
    words = label(TABLE_PREFIX.sub("", title.strip()))
    return _PERIOD_SUFFIX.sub("", words).strip(" .,:;")


def classify_title(title: str) -> str | None:
    """Verdict for a sheet title (module doc); None when it cannot be classified.

    Examples
    --------
    >>> classify_title("Table 13: NRM referrals by police first responder, exploitation type, "
    ...                "age at exploitation, gender and nationality")
    'first_responder:police'
    >>> classify_title("Modern Slavery: National Referral Mechanism and Duty to Notify "
    ...                "statistics UK, quarter 4 2023: data tables")
    'front'
    >>> classify_title("Table 16: Reasonable grounds decisions by quarter and age"), \
classify_title("Sheet of sums")
    ('other', None)
    """
    words = normalise_title(title)
    for kind, pattern in _SUPPORTED:
        match = re.fullmatch(pattern, words)
        if not match:
            continue
        if kind != "first_responder":
            return kind
        who = _RESPONDERS.get(match.group("who").strip())
        return f"first_responder:{who}" if who else "other"
    if re.fullmatch(_FRONT, words):
        return "front"
    if re.match(_OTHER_SUBJECTS + r"\b", words):
        return "other"
    return None


def classify_table(title: str, rows: list[list[Any]]) -> str | None:
    """The supported table a sheet holds, else None (front matter, other tables, unknown).

    A sheet whose title is unknown but whose header is exactly the 2025 county table's
    ('UK County', 'Total') is read as that table, since its official title was not seen.

    Examples
    --------
    >>> classify_table("Table 2: NRM referrals by quarter, age at exploitation and location "
    ...                "of exploitation", [])
    'age_location'
    >>> classify_table("Cover sheet", []) is None
    True
    """
    kind = classify_title(title)
    if kind is None and find_row(rows, ["uk county", "total"]) is not None:
        return "county"
    return kind if kind not in ("front", "other") else None
