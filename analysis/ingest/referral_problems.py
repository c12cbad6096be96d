"""Problems found by the ``Referrals`` schema, worded for the analyst who holds the file.

pandera reports failure cases by check and index; these become one
:class:`~analysis.errors.Problem` per cell (or per row for a check across columns), naming
the agency's own header beside the schema column.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis.errors import Problem
from analysis.schema import OUTCOME_CHECKS

DUPLICATE_CHECK = "record_id_unique_within_agency"


def duplicate_reason(rows: str) -> str:
    """Why a repeated record_id is refused; ``rows`` lists (up to ten of) its rows."""
    return f"record_id appears more than once for this agency (rows {rows})"


def _label(column: str, header_of: dict[str, str]) -> str:
    header = header_of.get(column)
    return f"{header} -> {column}" if header and header != column else column


def _pandera_problems(exc: pa.errors.SchemaErrors, name: str, header_of: dict[str, str],
                      already: set[tuple[int | None, str]], *,
                      duplicates: bool = True) -> list[Problem]:
    problems = []
    cases = exc.failure_cases
    duplicate = DUPLICATE_CHECK
    if not duplicates:
        cases = cases[cases["check"].astype(str) != duplicate]
    # A frame-level check reports every cell of a failing row; one problem per row is enough.
    cases = cases[(cases["check"].astype(str) != duplicate) | (cases["column"] == "record_id")]
    cases = _one_case_per_outcome_check(cases)
    rows_of_id = (cases[cases["check"].astype(str) == duplicate]
                  .groupby(cases["failure_case"].astype(str))["index"]
                  .agg(lambda idx: ", ".join(str(int(i) + 2) for i in sorted(idx)[:10])))
    for case in cases.itertuples(index=False):
        column = case.column if isinstance(case.column, str) else None
        row = int(case.index) + 2 if pd.notna(case.index) else None
        if (row, column) in already:
            continue
        check = str(case.check)
        if check in OUTCOME_CHECKS:
            column = OUTCOME_CHECKS[check][0]
            if (row, column) in already:
                continue
            reason = OUTCOME_CHECKS[check][1]
        elif check == duplicate:
            reason = duplicate_reason(rows_of_id[str(case.failure_case)])
        elif check.startswith("isin") and column == "outcome_code":
            reason = ("not a Home Office crime outcome type (1 to 22, or 1A for an alternative "
                      "offence charged; blank while the investigation is open)")
        elif check.startswith("isin"):
            reason = "not one of the allowed values (see docs/data_dictionary.md)"
        elif check.startswith("str_matches"):
            reason = "wrong format " + ("(expected a GSS code such as E06000016)" if column == "area_code"
                                        else "(expected 16-64 lower-case hex characters)"
                                        if column == "person_key" else f"({check})")
        elif check == "not_in_future":
            reason = "date is in the future"
        elif check.startswith("greater_than_or_equal_to"):
            reason = "date is before the NRM began (1 April 2009)" if column in (
                "referral_date", "nrm_referral_date") \
                else f"value too small ({check})"
        elif check == "not_nullable":
            reason = "missing value"
        else:
            reason = check
        value = None if pd.isna(case.failure_case) else str(case.failure_case)
        problems.append(Problem(name, row, _label(column, header_of) if column else None, reason, value))
    return problems


def _one_case_per_outcome_check(cases: pd.DataFrame) -> pd.DataFrame:
    """A frame-level outcome check reports every cell of a failing row; keep one case per
    row, the blamed column's (its value when it has one)."""
    checks = cases["check"].astype(str)
    mine = checks.isin(list(OUTCOME_CHECKS))
    if not mine.any():
        return cases
    picked = cases[mine].assign(_blamed=checks[mine].map(lambda c: OUTCOME_CHECKS[c][0]))
    picked = picked.assign(_own=picked["column"] == picked["_blamed"]).sort_values(
        "_own", ascending=False, kind="stable")
    picked = picked.drop_duplicates(["check", "index"])
    picked.loc[~picked["_own"], "failure_case"] = None
    return pd.concat([cases[~mine], picked.drop(columns=["_blamed", "_own"])])
