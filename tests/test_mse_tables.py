"""Capture-pattern tables: building them from linked referrals, merging lists, reading CSVs."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import DarkFigureError, InputError
from analysis.mse import MultipleSystemsEstimator
from analysis.mse.tables import capture_patterns, read_capture_table, validate_table


def test_capture_patterns_links_people_and_reports_unlinked():
    referrals = pd.DataFrame({
        "person_key": ["p1", "p1", "p2", "p3", "p3", None, ""],
        "agency_type": ["police", "ngo", "police", "ngo", "ngo", "police", "ngo"],
    })
    table = capture_patterns(referrals)
    assert list(table.columns) == ["ngo", "police", "count"]
    assert table.set_index(["ngo", "police"])["count"].to_dict() == {
        (1, 0): 1, (0, 1): 1, (1, 1): 1}
    assert table.attrs["unlinked_records"] == 2
    result = MultipleSystemsEstimator().fit(table)
    assert result.estimate == pytest.approx(3 + 1 * 1 / 1)
    assert any("2 records without a person key" in n for n in result.notes)


def test_capture_patterns_includes_zero_cells():
    referrals = pd.DataFrame({"person_key": ["a", "b", "c"], "agency": ["X", "Y", "Z"]})
    table = capture_patterns(referrals, list_column="agency")
    assert len(table) == 7 and table["count"].sum() == 3


def test_small_lists_are_pooled_into_other_and_renames_merge():
    referrals = pd.DataFrame({
        "person_key": ["a", "a", "b", "c", "d", "e", "f", "f", "g"],
        "agency": ["Police", "NGO", "Police", "NGO", "NCA", "Council", "NGO", "Police", "Police"],
    })
    table = capture_patterns(referrals, "agency", merge={"NCA": "Police"}, min_list_size=2)
    assert list(table.columns) == ["NGO", "Police", "other", "count"]
    counts = table.set_index(["NGO", "Police", "other"])["count"]
    # Police = Police + NCA: a, b, d, f, g; other = Council (one person): e
    assert counts[(0, 1, 0)] == 3 and counts[(1, 1, 0)] == 2 and counts[(0, 0, 1)] == 1
    assert table.attrs["merged_lists"] == {"Police": ["NCA"], "other": ["Council"]}
    assert table["count"].sum() == 7  # every linked person once


def test_read_capture_table_accepts_observed_patterns_only(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("A, B ,count\n1,0,30\n0,1,20\n")
    table = read_capture_table(path)
    assert table.to_dict("list") == {"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 20, 0]}


def test_validate_table_names_every_bad_row():
    bad = pd.DataFrame({"A": [1, 2, "x"], "B": [0, 1, 1], "count": [5, -1, 3]})
    with pytest.raises(InputError) as info:
        validate_table(bad)
    reasons = {(p.row, p.column) for p in info.value.problems}
    assert {(3, "A"), (4, "A"), (3, "count")} <= reasons


def test_referrals_without_keys_cannot_be_tabulated():
    referrals = pd.DataFrame({"person_key": [None, ""], "agency_type": ["police", "ngo"]})
    with pytest.raises(DarkFigureError, match="no linked records"):
        capture_patterns(referrals)
