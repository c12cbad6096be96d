"""Readers, one per source format: agency referral extracts and the Home Office NRM tables.

``read_referrals`` reads an agency extract through its mapping (``referrals.py``);
``analysis.ingest.nrm_tables.read_nrm_tables`` reads the published NRM data tables;
``detect_kind`` tells them apart when the user does not say.
"""

from __future__ import annotations

from pathlib import Path

from analysis.ingest.referrals import Mapping, find_mapping, read_referrals
from analysis.ingest.tabular import read_text_table, sniff_format

__all__ = ["KINDS", "Mapping", "detect_kind", "find_mapping", "read_referrals", "read_text_table"]

KINDS = ("referrals", "nrm")


def detect_kind(path: str | Path, name: str | None = None) -> str:
    """``nrm`` for a workbook holding an NRM statistics table, else ``referrals``."""
    path = Path(path)
    fmt = sniff_format(path, name)
    if fmt == "csv":
        return "referrals"
    from python_calamine import CalamineWorkbook

    from analysis.ingest.nrm_layout import sheet_title
    from analysis.ingest.nrm_tables import classify_table
    from analysis.safe_zip import check_workbook

    check_workbook(path, name=name)  # before any sheet is parsed: bounded memory
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        for sheet in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)[:12]
            if classify_table(sheet_title(rows), rows):
                return "nrm"
    except Exception:  # an unreadable workbook is reported by the reader that opens it
        return "referrals"
    return "referrals"
