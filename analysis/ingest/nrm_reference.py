"""The bundled national NRM figures (``data/reference/``) as `nrm_counts` rows.

A new store loads these files through the normal write path on first use (see
``analysis.store.sample.load_national_reference``), so the national pages, the CLI and the
notebooks read one table, ``nrm_counts``, whether a figure came from a bundled file or from a
release the analyst loaded; a newer release then supersedes a bundled figure cell by cell.

Each row keeps its vintage: ``source_release`` is the release the figure was published or
revised in (e.g. the Q4 2023 data tables for the whole ``Table_2`` transcription; the Q1 2024
bulletin for the revised 2023 Q4 total), and ``source_table`` names the file and the
publication. Figures taken from a press report or another secondary reproduction carry
:data:`SECONDARY_TAG` in ``source_table``. Rows whose release cannot be told from the file
(e.g. "as cited in the 2021 UK Annual Report") and derived rows ("sum of quarters") are not
loaded; the load notes say so. Provenance of every file: ``data/reference/README.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.config import REFERENCE_DIR
from analysis.ingest.nrm_parsers import UK_CODE, UK_NAME
from analysis.ingest.nrm_tables import OUTPUT_COLUMNS
from analysis.schema import NrmCounts

SECONDARY_TAG = "[secondary source]"
AGE_LOCATION_FILE = "nrm_referrals_uk_quarterly_by_age_and_location_2009q2_2023q4.csv"
POLICE_FILE = "nrm_police_first_responder_referrals_by_force_quarterly_2022q2_2023q4.csv"
RESPONDER_FILE = "nrm_referrals_by_first_responder_quarterly_2022q2_2023q4.csv"
DTN_FILE = "dtn_reports_uk_quarterly_2015q4_2023q4.csv"
TOTALS_FILE = "nrm_referrals_uk_quarterly_totals_2019_2025.csv"
ANNUAL_FILE = "nrm_referrals_uk_annual_totals.csv"
HEADLINES_FILE = "nrm_bulletin_headlines_2018_2025.csv"
# Load order: the full transcriptions first, then bulletins (newer vintages).
REFERENCE_FILES = (AGE_LOCATION_FILE, POLICE_FILE, RESPONDER_FILE, DTN_FILE, TOTALS_FILE,
                   ANNUAL_FILE, HEADLINES_FILE)

AGES = {"Adult (18 or over)": "adult", "Child (17 or under)": "child",
        "Age not specified or unknown": "unknown", "All ages": "all"}
RESPONDER_TYPES = {"Government agency": "government_agency", "NGO and third sector": "ngo",
                   "Local authority": "local_authority", "Police": "police"}
RESPONDER_TOTAL = "ALL (first responder type total)"
Q4_2023_TABLES = "Q4 2023 data tables"
# Headline indicators that fit the nrm_counts dimensions: (measure, age, location).
HEADLINE_CELLS = {
    "nrm_referrals_total": ("referrals", "all", "all"),
    "dtn_reports_adults": ("dtn_reports", "all", "all"),
    "nrm_referrals_adult_at_exploitation": ("referrals", "adult", "all"),
    "nrm_referrals_child_at_exploitation": ("referrals", "child", "all"),
    "nrm_referrals_exploitation_uk_only": ("referrals", "all", "UK"),
    "nrm_referrals_exploitation_overseas_only": ("referrals", "all", "Overseas"),
}


def release_named(*texts: str) -> str | None:
    """The release quarter a vintage or publication text names, else None.

    Examples
    --------
    >>> release_named("revised, cited in Q1 2024 bulletin")
    '2024Q1'
    >>> release_named("Modern slavery: NRM and DtN statistics UK, quarter 2 2024 (bulletin)")
    '2024Q2'
    >>> release_named("Annex: ... NRM referrals and DtN reports ... 2023 to 2024")
    '2024Q4'
    >>> release_named("first published, End of year summary 2023 (7 Mar 2024)")
    '2023Q4'
    """
    for raw in texts:
        raw = str(raw or "")
        for pattern, build in (
            (r"\bQ([1-4])\s+(\d{4})\b", lambda m: f"{m[2]}Q{m[1]}"),
            (r"\bquarter\s+([1-4])\s+(\d{4})\b", lambda m: f"{m[2]}Q{m[1]}"),
            (r"end of year summary,?\s+(\d{4})", lambda m: f"{m[1]}Q4"),
            (r"\b(\d{4}) to (\d{4})\b", lambda m: f"{m[2]}Q4"),
        ):
            match = re.search(pattern, raw, re.IGNORECASE)
            if match:
                return build(match)
    return None


def _cells(frame: pd.DataFrame, **fixed) -> pd.DataFrame:
    out = frame.assign(**{k: v for k, v in fixed.items() if k not in frame.columns})
    for column in OUTPUT_COLUMNS:
        if column not in out:
            out[column] = {"geography_level": "uk", "geography_code": UK_CODE,
                           "geography_name": UK_NAME, "first_responder_type": "all",
                           "first_responder": "all", "exploitation_type": "all",
                           "age_group": "all", "measure": "referrals", "location": "all",
                           "missing_marker": None}[column]
    return out[OUTPUT_COLUMNS]


def _period(frame: pd.DataFrame) -> pd.Series:
    return frame["year"].astype(str) + frame["quarter"].astype(str).str[-2:]


def _age_location(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    cells = pd.DataFrame({
        "period": _period(raw), "age_group": raw["age_at_exploitation"].map(AGES),
        "location": raw["location_of_exploitation"].replace({"Total": "all"}),
        "count": raw["referrals"], "source_release": "2023Q4",
        "source_table": f"{file}: Table_2, {Q4_2023_TABLES}"})
    return _cells(cells), []


def _police(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    total = raw["police_first_responder"] == RESPONDER_TOTAL
    cells = pd.DataFrame({
        "period": _period(raw), "first_responder_type": "police",
        "first_responder": raw["police_first_responder"].where(~total, "all"),
        "geography_level": ["uk" if t else "first_responder" for t in total],
        "geography_code": [UK_CODE if t else None for t in total],
        "geography_name": raw["police_first_responder"].where(~total, UK_NAME),
        "exploitation_type": raw["exploitation_type"].replace({"All types": "all"}),
        "age_group": raw["age_at_exploitation"].map(AGES), "count": raw["referrals"],
        "source_release": _period(raw),  # each quarter from its own release
        "source_table": file + ": police first-responder table, " + raw["source_release"]})
    return _cells(cells), []


def _responders(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    police = raw["first_responder_type"] == "Police"
    raw = raw[~police]
    total = raw["first_responder"] == RESPONDER_TOTAL
    cells = pd.DataFrame({
        "period": _period(raw), "first_responder_type": raw["first_responder_type"].map(
            RESPONDER_TYPES),
        "first_responder": raw["first_responder"].where(~total, "all"),
        "geography_level": ["uk" if t else "first_responder" for t in total],
        "geography_code": [UK_CODE if t else None for t in total],
        "geography_name": raw["first_responder"].where(~total, UK_NAME),
        "count": raw["referrals"], "source_release": _period(raw),
        "source_table": file + ": first-responder tables, " + raw["source_release"]})
    return _cells(cells), [f"{int(police.sum())} police rows not loaded from {file}: the same "
                           f"cells are in {POLICE_FILE}"]


def _dtn(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    cells = pd.DataFrame({"period": _period(raw), "measure": "dtn_reports",
                          "count": raw["dtn_reports"], "source_release": "2023Q4",
                          "source_table": f"{file}: Table_40, {Q4_2023_TABLES}"})
    return _cells(cells), []


def _is_secondary(*texts: str) -> bool:
    return any(re.search(r"PA Media|press|secondary", str(t or ""), re.IGNORECASE)
               for t in texts)


def _totals(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    release = [release_named(v, s) for v, s in zip(raw["vintage"], raw["source_publication"],
                                                     strict=True)]
    secondary = [_is_secondary(v, n) for v, n in zip(raw["vintage"], raw["notes"], strict=True)]
    cells = pd.DataFrame({
        "period": _period(raw), "count": raw["referrals"], "source_release": release,
        "source_table": [f"{file}: {p} ({v})" + (f" {SECONDARY_TAG}" if s else "")
                         for p, v, s in zip(raw["source_publication"], raw["vintage"], secondary,
                                            strict=True)]})
    return _cells(cells), []


def _annual(raw: pd.DataFrame, file: str) -> tuple[pd.DataFrame, list[str]]:
    derived = raw["vintage"].str.startswith("sum of quarters")
    raw = raw[~derived]
    release = pd.Series([release_named(v) for v in raw["vintage"]], index=raw.index)
    undated = raw[release.isna()]
    raw, release = raw[release.notna()], release[release.notna()]
    frames = []
    for measure, column in (("referrals", "nrm_referrals"), ("dtn_reports", "dtn_reports")):
        part = raw[raw[column].notna()]
        frames.append(pd.DataFrame({
            "period": part["year"].astype(str), "measure": measure,
            "count": part[column].astype(int), "source_release": release[part.index],
            "source_table": file + ": " + part["vintage"]}))
    notes = [f"{int(derived.sum())} derived rows ('sum of quarters') not loaded from {file}"]
    notes += [f"{file}: {r.year} ({r.vintage}) not loaded: the release it was published in is "
              "not stated" for r in undated.itertuples()]
    return _cells(pd.concat(frames, ignore_index=True)), notes


def _headlines(raw: pd.DataFrame, file: str, folder: Path) -> tuple[pd.DataFrame, list[str]]:
    fits = raw["indicator"].isin(list(HEADLINE_CELLS))
    kept, notes = raw[fits], [f"{int((~fits).sum())} rows of {file} with breakdowns the "
                              "nrm_counts table has no column for (nationality, sex, decision "
                              "route) not loaded; analysis.national reads them from the file"]
    period = kept["period"].str.replace(" ", "")
    release = [release_named(t) or (p if "Q" in p else None)
               for t, p in zip(kept["source_title"], period, strict=True)]
    secondary = kept["source_type"].str.startswith("secondary")
    measure, age, location = zip(*kept["indicator"].map(HEADLINE_CELLS), strict=True)
    cells = pd.DataFrame({
        "period": period, "measure": measure, "age_group": age, "location": location,
        "count": kept["value"].astype(int), "source_release": release,
        "source_table": [f"{file}: {t} ({n})" if isinstance(n, str) else f"{file}: {t}"
                         for t, n in zip(kept["source_title"], kept["note"], strict=True)]})
    cells.loc[secondary.to_numpy(), "source_table"] += f" {SECONDARY_TAG}"
    undated = cells["source_release"].isna()
    notes += [f"{file}: {p} {m} not loaded: the release is not stated"
              for p, m in zip(cells.loc[undated, "period"], cells.loc[undated, "measure"],
                              strict=True)]
    cells = cells[~undated]
    # Quarterly totals already held with the same vintage and value are not repeated.
    totals = pd.read_csv(folder / TOTALS_FILE)
    held = {(p, r, int(n)) for p, r, n in zip(
        _period(totals), [release_named(v, s) for v, s in zip(
            totals["vintage"], totals["source_publication"], strict=True)],
        totals["referrals"], strict=True)}
    repeat = [(p, r, int(n)) in held and m == "referrals" and a == "all" and loc == "all"
              for p, r, n, m, a, loc in zip(cells["period"], cells["source_release"],
                                            cells["count"], cells["measure"],
                                            cells["age_group"], cells["location"], strict=True)]
    notes.append(f"{sum(repeat)} totals of {file} already in {TOTALS_FILE} (same vintage and "
                 "value) not repeated")
    return _cells(cells[[not r for r in repeat]]), notes


_READERS = {AGE_LOCATION_FILE: _age_location, POLICE_FILE: _police, RESPONDER_FILE: _responders,
            DTN_FILE: _dtn, TOTALS_FILE: _totals, ANNUAL_FILE: _annual}


def read_nrm_reference(path: str | Path) -> pd.DataFrame:
    """One bundled national reference file as validated `nrm_counts` rows.

    ``frame.attrs["load_notes"]`` says what was left out and why.

    Examples
    --------
    >>> from analysis.config import REFERENCE_DIR
    >>> cells = read_nrm_reference(REFERENCE_DIR / POLICE_FILE)
    >>> leics = cells.query("first_responder == 'Leicestershire Police' and "
    ...                     "exploitation_type == 'all' and age_group == 'all'")
    >>> leics["count"].tolist()
    [17, 9, 20, 21, 25, 24, 15]
    """
    path = Path(path)
    raw = pd.read_csv(path)
    if path.name == HEADLINES_FILE:
        cells, notes = _headlines(raw, path.name, path.parent)
    elif path.name in _READERS:
        cells, notes = _READERS[path.name](raw, path.name)
    else:
        raise ValueError(f"{path.name} is not one of the bundled NRM reference files")
    cells = cells.assign(count=pd.array(cells["count"], dtype="Int64"))
    valid = NrmCounts.validate(cells.reset_index(drop=True), lazy=True)
    valid.attrs["load_notes"] = [f"read {len(valid)} cells from data/reference/{path.name}",
                                 *notes]
    return valid


def reference_paths(reference_dir: Path | None = None) -> list[Path]:
    """The bundled national NRM files, in load order."""
    folder = Path(reference_dir or REFERENCE_DIR)
    return [folder / name for name in REFERENCE_FILES]


def read_all_reference(reference_dir: Path | None = None) -> pd.DataFrame:
    """Every bundled national NRM cell, every vintage, with a ``load_id`` in load order
    (what a fresh store holds in ``nrm_counts`` before any release is loaded)."""
    frames = [read_nrm_reference(p).assign(load_id=i)
              for i, p in enumerate(reference_paths(reference_dir), start=1)]
    return pd.concat(frames, ignore_index=True)
