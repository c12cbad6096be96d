"""Write NRM data-table workbooks (ODS with odfpy, XLSX with openpyxl) in the published layout.

Every count comes from ``data/reference`` (see its README for provenance), except two
things that are said where they happen: the grand ``Total`` column of ``Table_2`` is the
sum of the three published age totals (checked against the published quarterly totals
where ``data/reference`` has them), and, when ``nationalities`` are asked for, the split
of each published ``Total`` across those columns is plain arithmetic made up to exercise
the layout: it is NOT a published figure. The sample in ``data/sample/nrm`` has no
nationality columns for that reason.

Layout (``data/reference/README.md``, "NRM data-table layout"): a cover, contents and
notes sheet; each table on ``Table_N`` with title, notes and source lines above the
header (3 rows in 2022 Q2/Q3, 5 from 2022 Q4); ``Table_2`` has a two-row header (age
group merged over five location columns); ``Year`` only on the first row of each
year; first-responder tables as an indented hierarchy with blank labels meaning
"same as above" and a closing ``Total`` block.

Remake the sample with ``python tests/nrm_workbooks.py data/sample/nrm``.
"""

from __future__ import annotations

import functools
import numbers
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
AGE_LOCATION_CSV = REFERENCE / "nrm_referrals_uk_quarterly_by_age_and_location_2009q2_2023q4.csv"
POLICE_CSV = REFERENCE / "nrm_police_first_responder_referrals_by_force_quarterly_2022q2_2023q4.csv"
RESPONDER_CSV = REFERENCE / "nrm_referrals_by_first_responder_quarterly_2022q2_2023q4.csv"
DTN_CSV = REFERENCE / "dtn_reports_uk_quarterly_2015q4_2023q4.csv"
COUNTY_CSV = REFERENCE / "nrm_referrals_by_uk_county_2025q3_secondary.csv"
TOTALS_CSV = REFERENCE / "nrm_referrals_uk_quarterly_totals_2019_2025.csv"

AGES = ["Adult (18 or over)", "Child (17 or under)", "Age not specified or unknown"]
LOCATIONS = ["Overseas", "UK", "UK and Overseas", "Not specified or unknown", "Total"]
RESPONDER_TOTAL = "ALL (first responder type total)"
MONTHS = {1: ("jan-to-mar", "January to March"), 2: ("apr-to-jun", "April to June"),
          3: ("jul-to-sep", "July to September"), 4: ("oct-to-dec", "October to December")}

# Column labels, layout "2022" (2022 Q2/Q3) and "2023" (from 2022 Q4), as quoted by the
# asylum package's readers (data-raw/nrm_2022_q3.R, nrm_2023_q1.R).
RESPONDER_LABEL = {
    "2022": {"government_agency": "First responder (government agencies)",
             "ngo": "First Responder (NGO and Third Sector)", "police": "First responder (Police)",
             "local_authority": None},
    "2023": {"government_agency": "Government agency first responder",
             "ngo": "NGO and third sector first responder", "police": "Police first responder",
             "local_authority": None},
}
LEVEL_LABELS = {"2022": ("Claimed exploitation type", "Age group at exploitation", "Gender"),
                "2023": ("Exploitation type", "Age at exploitation", "Gender")}
TITLES = {
    "2022": {
        "government_agency": "Details of NRM referrals by governmental first responder",
        "ngo": "Details of NRM referrals by NGO first responders",
        "police": "Details of NRM referrals by police first responders",
        "local_authority": "Details of NRM referrals by local authorities",
    },
    "2023": {
        "government_agency": "NRM referrals by government agency first responder, exploitation "
                             "type, age at exploitation, gender and nationality",
        "ngo": "NRM referrals by NGO and third sector organisation first responder, exploitation "
               "type, age at exploitation, gender and nationality",
        "police": "NRM referrals by police first responder, exploitation type, age at "
                  "exploitation, gender and nationality",
        "local_authority": "NRM referrals from local authority first responder by exploitation "
                           "type, age at exploitation, gender and nationality",
    },
}
AGE_LOCATION_TITLE = ("NRM referrals by quarter, age at exploitation and location of "
                      "exploitation")
DTN_TITLE = "DtN reports by quarter"
COUNTY_TITLE = "NRM referrals by UK county (re-typeset: the official title was not seen)"

# Sheet numbers per release: they shift, which is why the reader goes by title.
TABLE_NUMBERS = {
    "2022": {"government_agency": 10, "ngo": 11, "police": 12, "local_authority": 13},
    "2023": {"age_location": 2, "government_agency": 11, "ngo": 12, "police": 13,
             "local_authority": 14},
}
DTN_TABLE = {"2023Q1": 25, "2023Q2": 25, "2023Q3": 40, "2023Q4": 40}
FIXTURE_NATIONALITIES = ["Albanian", "Eritrean", "Sudanese", "UK", "Vietnamese", "Unknown"]


@dataclass
class SheetSpec:
    """One sheet: rows of cells (None = empty) and merged spans (row, col, columns), 0-based."""

    name: str
    rows: list[list[Any]]
    spans: list[tuple[int, int, int]] = field(default_factory=list)


def layout_of(release: str) -> str:
    """'2022' for the 2022 Q2/Q3 layout (3 title rows, older headers), else '2023'."""
    return "2022" if release in ("2022Q2", "2022Q3") else "2023"


def preamble(title: str, layout: str, number: int | None = None) -> list[list[Any]]:
    """The text rows above a header: 3 in the 2022 layout, 5 afterwards."""
    heading = f"Table {number}: {title}" if number else title
    if layout == "2022":
        return [[heading], ["This worksheet contains one table."], ["Source: Home Office"]]
    return [[heading], ["This worksheet contains one table."],
            ["Some cells refer to notes which can be found in the Notes tab."],
            ["Figures are for potential victims by the date the referral was received."],
            ["Source: Home Office, National Referral Mechanism"]]


# ---- tables -------------------------------------------------------------------------------

def age_location_sheet(name: str, long: pd.DataFrame, *, number: int | None = 2,
                       grand_totals: dict[tuple[int, str], Any] | None = None,
                       blank_year_on: tuple[int, str] | None = None,
                       year_totals: bool = False) -> SheetSpec:
    """``Table_2``: Year, Quarter, 3 age groups x 5 locations, grand Total (two-row header).

    ``long`` has columns year, quarter, age_at_exploitation, location_of_exploitation,
    referrals (a number or a marker such as '[x]'). ``blank_year_on`` leaves Year empty on
    that (year, quarter) row even when it starts a year, as in the 2023 Q1 release.
    """
    rows = preamble(AGE_LOCATION_TITLE, "2023", number)
    upper: list[Any] = [None, None]
    lower: list[Any] = ["Year", "Quarter"]
    spans = []
    for age in AGES:
        spans.append((len(rows), len(upper), len(LOCATIONS)))
        upper += [age] + [None] * (len(LOCATIONS) - 1)
        lower += LOCATIONS
    upper.append(None)
    lower.append("Total")
    rows += [upper, lower]
    values = {tuple(key): value for *key, value in long[
        ["year", "quarter", "age_at_exploitation", "location_of_exploitation", "referrals"]
    ].itertuples(index=False)}
    last_year = None
    for (year, quarter), _ in long.groupby(["year", "quarter"], sort=True):
        cells = [year if year != last_year and (year, quarter) != blank_year_on else None, quarter]
        last_year = year
        age_totals = []
        for age in AGES:
            for location in LOCATIONS:
                cells.append(values.get((year, quarter, age, location)))
            age_totals.append(cells[-1])
        if grand_totals and (year, quarter) in grand_totals:
            cells.append(grand_totals[(year, quarter)])
        elif all(_is_number(v) for v in age_totals):
            cells.append(int(sum(age_totals)))  # the published table is additive
        else:
            cells.append("[x]")
        rows.append(cells)
        if year_totals and quarter == "Q4":
            year_rows = rows[-4:]
            rows.append([year, None] + [int(sum(r[c] for r in year_rows))
                                        for c in range(2, len(cells))])
    return SheetSpec(name, rows, spans)


def first_responder_sheet(name: str, responder_type: str, data: pd.DataFrame, *, layout: str,
                          number: int | None, nationalities: list[str] | None = None
                          ) -> SheetSpec:
    """A first-responder table for one quarter.

    ``data`` has columns first_responder (``RESPONDER_TOTAL`` for the type total),
    exploitation_type ('All types' for totals), age_at_exploitation ('All ages' for
    totals) and referrals, as in the reference CSVs.
    """
    nationalities = nationalities or []
    responder_label = RESPONDER_LABEL[layout][responder_type]
    level_labels = list(LEVEL_LABELS[layout])
    labels = ([responder_label] if responder_label else []) + level_labels
    gap = [""] if layout == "2022" else []  # the 2022 tables had an empty extra column
    rows = preamble(TITLES[layout][responder_type], layout, number)
    rows.append(labels + gap + nationalities + ["Total"])
    width = len(labels)
    cells = {(r, e, a): n for r, e, a, n in data[
        ["first_responder", "exploitation_type", "age_at_exploitation", "referrals"]
    ].itertuples(index=False)}
    order = [r for r in dict.fromkeys(data["first_responder"]) if r != RESPONDER_TOTAL]
    order.append(RESPONDER_TOTAL)
    offset = 0 if responder_label else -1
    for responder in order:
        if (responder, "All types", "All ages") not in cells:
            continue
        label = "Total" if responder == RESPONDER_TOTAL else responder
        if responder_label or responder == RESPONDER_TOTAL:
            rows.append(_labelled(width, 0, label) + gap
                        + _counts(cells[(responder, "All types", "All ages")], nationalities))
        types = sorted({e for r, e, _ in cells if r == responder and e != "All types"})
        for exploitation in types:
            rows.append(_labelled(width, 1 + offset, exploitation) + gap
                        + _counts(cells[(responder, exploitation, "All ages")], nationalities))
            for age in AGES:
                if (responder, exploitation, age) in cells:
                    rows.append(_labelled(width, 2 + offset, age) + gap
                                + _counts(cells[(responder, exploitation, age)], nationalities))
    return SheetSpec(name, rows)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, so the writers store numbers as numbers."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def _labelled(width: int, level: int, label: str) -> list[Any]:
    cells: list[Any] = [None] * width
    cells[level] = label
    return cells


def _counts(total: Any, nationalities: list[str]) -> list[Any]:
    """Nationality cells then Total. The split is arithmetic, not published (module doc)."""
    if not nationalities or not _is_number(total):
        return [None] * len(nationalities) + [total]
    base, extra = divmod(int(total), len(nationalities))
    return [base + (1 if i < extra else 0) for i in range(len(nationalities))] + [total]


def quarterly_total_sheet(name: str, title: str, data: pd.DataFrame, value: str, *,
                          number: int | None) -> SheetSpec:
    """A Year / Quarter / Total table such as DtN reports by quarter."""
    rows = preamble(title, "2023", number)
    rows.append(["Year", "Quarter", "Total"])
    last_year = None
    for year, quarter, count in data[["year", "quarter", value]].itertuples(index=False):
        rows.append([year if year != last_year else None, quarter, count])
        last_year = year
    return SheetSpec(name, rows)


def county_sheet(name: str, data: pd.DataFrame, *, number: int | None = 12) -> SheetSpec:
    """The 2025 county table: 'UK County', 'Total'; header on sheet row 6."""
    rows = preamble(COUNTY_TITLE, "2023", number)
    rows.append(["UK County", "Total"])
    rows += [[c, n] for c, n in data[["county", "referrals"]].itertuples(index=False)]
    return SheetSpec(name, rows)


def front_sheets(release: str, tables: list[SheetSpec]) -> list[SheetSpec]:
    """Cover, contents and notes sheets, as in every GSS release."""
    year, q = release.split("Q")
    period = f"{MONTHS[int(q)][1]} {year}"
    cover = SheetSpec("Cover_sheet", [
        [f"Modern Slavery: National Referral Mechanism and Duty to Notify statistics UK, "
         f"{period}: data tables"],
        ["Re-typeset from the published figures for testing; not the original download."]])
    contents = SheetSpec("Table_of_contents", [["Table of contents"], ["Sheet name", "Title"]]
                         + [[t.name, t.rows[0][0]] for t in tables])
    notes = SheetSpec("Notes", [["Notes"], ["Note number", "Note text"],
                                ["[note 1]", "Counts are potential victims referred."]])
    return [cover, contents, notes]


# ---- reference data, one release at a time -------------------------------------------------

def age_location_data(release: str = "2023Q4") -> pd.DataFrame:
    """The Q4 2023 vintage of Table_2 (the only full vintage in data/reference)."""
    data = pd.read_csv(AGE_LOCATION_CSV)
    period = data.year.astype(str) + data.quarter
    return data[period <= release].reset_index(drop=True)


@functools.cache
def _police_csv() -> pd.DataFrame:
    return pd.read_csv(POLICE_CSV).rename(columns={"police_first_responder": "first_responder"})


def police_data(release: str) -> pd.DataFrame:
    data = _police_csv()
    return data[(data.year.astype(str) + data.quarter) == release].reset_index(drop=True)


def responder_total_data(release: str, responder_type: str) -> pd.DataFrame:
    """Responder totals only (the reference file has no breakdown for these types)."""
    kind = {"government_agency": "Government agency", "ngo": "NGO and third sector",
            "local_authority": "Local authority"}[responder_type]
    data = pd.read_csv(RESPONDER_CSV)
    data = data[((data.year.astype(str) + data.quarter) == release)
                & (data.first_responder_type == kind)]
    return data.assign(exploitation_type="All types", age_at_exploitation="All ages")


def release_sheets(release: str, *, tables: tuple[str, ...] = ("age_location", "police"),
                   nationalities: list[str] | None = None,
                   age_location: SheetSpec | None = None,
                   numbers: dict[str, int] | None = None) -> list[SheetSpec]:
    """Sheets of one quarterly release built from data/reference (see module doc)."""
    layout = layout_of(release)
    numbers = {**TABLE_NUMBERS[layout], **(numbers or {})}
    out: list[SheetSpec] = []
    for table in tables:
        number = numbers.get(table)
        name = f"Table_{number}"
        if table == "age_location":
            out.append(age_location or age_location_sheet(name, age_location_data(release),
                                                          number=number))
        elif table == "police":
            out.append(first_responder_sheet(name, "police", police_data(release), layout=layout,
                                             number=number, nationalities=nationalities))
        elif table in ("government_agency", "ngo", "local_authority"):
            out.append(first_responder_sheet(name, table, responder_total_data(release, table),
                                             layout=layout, number=number,
                                             nationalities=nationalities))
        elif table == "dtn":
            number = numbers.get("dtn", DTN_TABLE.get(release, 40))
            data = pd.read_csv(DTN_CSV)
            data = data[(data.year.astype(str) + data.quarter) <= release]
            out.append(quarterly_total_sheet(f"Table_{number}", DTN_TITLE, data, "dtn_reports",
                                             number=number))
        elif table == "county":
            out.append(county_sheet(f"Table_{numbers.get('county', 12)}",
                                    pd.read_csv(COUNTY_CSV), number=numbers.get("county", 12)))
    return front_sheets(release, out) + out


def release_file_name(release: str, suffix: str = "ods") -> str:
    year, q = release.split("Q")
    return (f"national-referral-mechanism-statistics-uk-quarter-{q}-{year}-"
            f"{MONTHS[int(q)][0]}-tables.{suffix}")


# ---- writers -------------------------------------------------------------------------------

def write_workbook(path: Path, sheets: list[SheetSpec]) -> Path:
    """Write ODS or XLSX according to the suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".ods":
        _write_ods(path, sheets)
    elif path.suffix == ".xlsx":
        _write_xlsx(path, sheets)
    else:
        raise ValueError(f"unsupported suffix {path.suffix}")
    return path


def _write_ods(path: Path, sheets: list[SheetSpec]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for spec in sheets:
        table = Table(name=spec.name)
        spans = {(r, c): n for r, c, n in spec.spans}
        for r, row in enumerate(spec.rows):
            tr = TableRow()
            covered = 0
            for c, value in enumerate(row):
                value = _plain(value)
                if covered:
                    covered -= 1
                    tr.addElement(CoveredTableCell())
                    continue
                attrs = {}
                if (r, c) in spans:
                    attrs["numbercolumnsspanned"] = spans[(r, c)]
                    covered = spans[(r, c)] - 1
                if value is None:
                    cell = TableCell(**attrs)
                elif _is_number(value):
                    cell = TableCell(valuetype="float", value=value, **attrs)
                    cell.addElement(P(text=str(value)))
                else:
                    cell = TableCell(valuetype="string", **attrs)
                    cell.addElement(P(text=str(value)))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


def _write_xlsx(path: Path, sheets: list[SheetSpec]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(spec.name)
        for row in spec.rows:
            sheet.append([_plain(v) for v in row])
        for r, c, n in spec.spans:
            sheet.merge_cells(start_row=r + 1, start_column=c + 1, end_row=r + 1,
                              end_column=c + n)
    book.save(path)


def end_of_year_sheets(year: int = 2023, *, cover: bool = True) -> list[SheetSpec]:
    """An end-of-year summary workbook: the police first-responder table for the whole year
    and ``Table_2`` with year-total rows.

    The annual police figures are the sums of the four published quarters of the year
    (``POLICE_CSV``): the real end-of-year tables would carry revised figures, which are not
    in data/reference, so these exercise the layout with published-quarter sums.
    """
    data = _police_csv()
    data = data[data.year == year]
    annual = (data.groupby(["first_responder", "exploitation_type", "age_at_exploitation"],
                           sort=False)["referrals"].sum().reset_index())
    police = first_responder_sheet("Table_13", "police", annual, layout="2023", number=13)
    if cover:
        police.rows[0][0] += f", January to December {year}"
    table_2 = age_location_sheet("Table_2", age_location_data(f"{year}Q4").query(
        f"year >= {year - 1}"), year_totals=True)
    sheets = front_sheets(f"{year}Q4", [table_2, police]) + [table_2, police]
    sheets[0].rows[0][0] = (f"Modern Slavery: National Referral Mechanism and Duty to Notify "
                            f"statistics UK, January to December {year}: data tables"
                            if cover else "Modern Slavery: NRM statistics: data tables")
    return sheets


# ---- the bundled sample --------------------------------------------------------------------

def sample_releases() -> dict[str, list[SheetSpec]]:
    """Three releases for data/sample/nrm; numbers only from data/reference.

    2022 Q2: the older layout (3 title rows, older headers, police table as Table_12).
    2023 Q1: Table_2 holds only the two quarters whose Q1 2023 vintage is in
    data/reference (bulletin totals; the age and location cells were not retrieved and are
    marked [x]) and the Q1 2023 police table. 2023 Q4: the full Table_2 (Q4 2023 vintage),
    police table and DtN table; it revises 2022 Q4 (4,416 -> 4,413) and 2023 Q1
    (4,746 -> 4,738).
    """
    totals = pd.read_csv(TOTALS_CSV)
    q1_2023 = {
        (2022, "Q4"): totals.query("year == 2022 and quarter == 'Q4' and "
                                   "vintage.str.contains('Q1 2023 bulletin')").referrals.item(),
        (2023, "Q1"): totals.query("year == 2023 and quarter == 'Q1' and "
                                   "vintage == 'first published'").referrals.item(),
    }
    partial = pd.DataFrame([
        {"year": y, "quarter": q, "age_at_exploitation": a, "location_of_exploitation": loc,
         "referrals": "[x]"}
        for (y, q) in q1_2023 for a in AGES for loc in LOCATIONS])
    responders = ("police", "government_agency", "ngo", "local_authority")
    return {
        "2022Q2": release_sheets("2022Q2", tables=responders),
        "2023Q1": release_sheets("2023Q1", tables=("age_location", *responders),
                                 age_location=age_location_sheet("Table_2", partial,
                                                                 grand_totals=q1_2023)),
        "2023Q4": release_sheets("2023Q4", tables=("age_location", *responders, "dtn")),
    }


def write_sample(out_dir: Path) -> list[Path]:
    return [write_workbook(Path(out_dir) / release_file_name(release), sheets)
            for release, sheets in sample_releases().items()]


if __name__ == "__main__":
    for written in write_sample(Path(sys.argv[1] if len(sys.argv) > 1 else "data/sample/nrm")):
        print(written)
