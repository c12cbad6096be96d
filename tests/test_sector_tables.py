"""Sectors by year and by district (analysis.sector_tables): exact counts against an independent
crosstab, margins as cells of their own, and the dashboard view agreeing with the analysis call."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.sector_tables import read_sector_tables, sectors_by_year, year_labels


def _rows(n_care: int, n_farm: int, quarter: str) -> pd.DataFrame:
    n = n_care + n_farm
    return pd.DataFrame({"person_key": [f"{quarter}-{i}" for i in range(n)], "agency": "x",
                         "record_id": [f"{quarter}-{i}" for i in range(n)],
                         "sector": ["care"] * n_care + ["farm"] * n_farm, "quarter": quarter})


def test_partial_years_name_their_quarters():
    labels = year_labels(["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"])
    assert labels["2024Q4"] == "2024 (Q4)"
    assert labels["2025Q3"] == "2025"
    assert labels["2026Q2"] == "2026 (Q1-Q2)"


def test_exact_yearly_counts_match_a_crosstab_and_margins_are_their_own_cells():
    rows = pd.concat([_rows(30, 2, "2024Q1"), _rows(20, 9, "2024Q3"), _rows(25, 1, "2025Q2")])
    exact = sectors_by_year(rows, ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"],
                            mode="exact").set_index(["sector", "period"])["people"]
    assert exact[("care", "2024")] == 50 and exact[("farm", "2024")] == 11
    assert exact[("care", "2025 (Q1-Q2)")] == 25 and exact[("farm", "2025 (Q1-Q2)")] == 1
    assert exact[("Total", "Total")] == len(rows)
    shown = sectors_by_year(rows, ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"])
    shown = shown.set_index(["sector", "period"])
    # one farm worker in 2025 is [c]; the 2025 total is counted from the records, so it is
    # shown, and is not the shown care cell plus a visible remainder
    assert bool(shown.loc[("farm", "2025 (Q1-Q2)"), "people_suppressed"])
    assert not bool(shown.loc[("Total", "2025 (Q1-Q2)"), "people_suppressed"])


def test_the_default_view_is_readable_where_the_district_table_is_not(sample_store):
    tables = read_sector_tables(sample_store, "E23000021", "2025Q1:2025Q4")
    assert tables.suppressed_share() < 0.05  # sectors by year: 2 of 120 cells on the sample
    assert tables.suppressed_share("by_district") > 0.5  # 9 districts x 14 sectors in a year
    frame = tables.to_frame()
    assert set(frame["period"]) >= {"2019", "2025", "Total", "2025Q1:2025Q4"}


def test_the_district_table_is_the_one_the_heatmap_used_to_show(sample_store):
    from dashboard import estimates
    from dashboard.state import ViewState

    tables = read_sector_tables(sample_store, "E23000021", "2025Q1:2025Q4")
    old = estimates.area_by_category(sample_store, ViewState(), "sector")
    assert tables.by_district["people"].tolist() == old["referral_count"].tolist()


@pytest.mark.parametrize("view", [{}, {"area": "E06000016", "age_group": "child"},
                                  {"period": "2023Q2:2024Q1", "exploitation_type": "labour"}])
def test_the_dashboard_heatmap_and_its_python_action_agree(sample_store, view):
    from dashboard.pages import sectors
    from dashboard.state import ViewState

    out = sectors._heatmap(sample_store, ViewState(**view))
    namespace: dict = {}
    exec(out.code.replace("result.to_frame()", "frame = result.to_frame()"), namespace)
    mine = namespace["frame"]
    assert mine["people"].tolist() == out.table["new_victims"].tolist()
    assert mine["people_suppressed"].tolist() == out.table["new_victims_suppressed"].tolist()
    assert "[c]" in out.summary or "cells" in out.summary
