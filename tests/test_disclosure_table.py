"""The table builder and `darkfigure table` on the synthetic sample store.

The DuckDB aggregation is checked against an independent pandas route (each person's
first-ever record by ``analysis.tables.first_detections`` over the whole store, then the
view's filters, then ``protect_table`` with margins).
"""

import io
import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.disclosure import EXACT, protect_table
from analysis.disclosure.builder import TableView, build_table, parse_filters
from analysis.errors import DarkFigureError
from analysis.store import Store
from analysis.tables import first_detections

HOME = "E23000021"
DISTRICTS = ["E06000016", "E06000017", "E07000129", "E07000130", "E07000131", "E07000132",
             "E07000133", "E07000134", "E07000135"]


@pytest.fixture(scope="module")
def referrals(sample_store):
    with Store(sample_store, read_only=True) as store:
        return store.referrals()


def _pandas_route(referrals, rows, columns, quarters, mode="protected", **filters):
    # each person's first-ever record in the store, then the view (as every page counts)
    people = first_detections(referrals.reset_index(drop=True))
    people = people[people["quarter"].isin(quarters) & people["area_code"].isin(DISTRICTS)]
    for name, value in filters.items():
        people = people[people[name] == value]
    people = people.assign(year=people["quarter"].str[:4], area=people["area_code"])
    from analysis import schema
    levels = {"quarter": quarters, "area": DISTRICTS, "sector": list(schema.SECTORS),
              "age_group": list(schema.AGE_GROUPS), "year": sorted({q[:4] for q in quarters})}
    by = [rows] + ([columns] if columns else [])
    return protect_table(people, by, levels={k: levels[k] for k in by}, margins=True,
                         mode=mode).to_frame()


@pytest.mark.parametrize("mode", ["protected", "exact"])
def test_duckdb_aggregation_matches_the_pandas_route(referrals, mode):
    quarters = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    built = build_table(referrals, TableView("area", "sector", period="2024Q1:2024Q4"),
                        home_area=HOME, mode=mode).table.to_frame()
    expected = _pandas_route(referrals, "area", "sector", quarters, mode=mode)
    pd.testing.assert_frame_equal(built.reset_index(drop=True),
                                  expected.reset_index(drop=True), check_dtype=False)


def test_filters_select_people_by_their_first_ever_record(referrals):
    quarters = ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    view = TableView("quarter", "age_group", filters=(("sector", "care"),),
                     period="2023Q1:2023Q4")
    built = build_table(referrals, view, home_area=HOME, mode=EXACT).table.to_frame()
    expected = _pandas_route(referrals, "quarter", "age_group", quarters, mode=EXACT,
                             sector="care")
    pd.testing.assert_frame_equal(built.reset_index(drop=True),
                                  expected.reset_index(drop=True), check_dtype=False)


def test_totals_are_counted_from_records_not_added_up(referrals):
    built = build_table(referrals, TableView("year", "age_group"), home_area=HOME)
    exact = build_table(referrals, TableView("year", "age_group"), home_area=HOME, mode=EXACT)
    shown, truth = built.table.to_frame(), exact.table.to_frame()
    grand = shown[(shown.year == "Total") & (shown.age_group == "Total")]["count"].iloc[0]
    true_grand = truth[(truth.year == "Total") & (truth.age_group == "Total")]["count"].iloc[0]
    assert abs(grand - true_grand) <= 2
    inner = shown[(shown.year != "Total") & (shown.age_group != "Total")]["count"]
    assert grand != inner.sum()  # a sum of perturbed cells would drift further


def test_every_cell_is_hidden_or_shown_at_five_or_more_within_two_of_the_truth(referrals):
    view = TableView("area", "quarter", period="2023Q1:2024Q4")
    shown = build_table(referrals, view, home_area=HOME).table.to_frame()
    truth = build_table(referrals, view, home_area=HOME, mode=EXACT).table.to_frame()
    hidden = shown["count_suppressed"].to_numpy()
    true = truth["count"].to_numpy(dtype=int)
    assert (true[hidden] <= 6).all() and (true[~hidden] >= 3).all()
    assert hidden[true <= 2].all() and not hidden[true >= 7].any()
    diff = (shown["count"] - truth["count"])[~hidden].astype(int)
    assert diff.abs().max() <= 2 and (shown["count"][~hidden] >= 5).all()


def test_a_district_filter_and_unknown_values_are_checked():
    assert parse_filters(["area=E06000016"]) == (("area", "E06000016"),)
    with pytest.raises(DarkFigureError, match="not DIM=VALUE"):
        parse_filters(["sector"])
    with pytest.raises(DarkFigureError, match="unknown dimension"):
        parse_filters(["colour=red"])
    with pytest.raises(DarkFigureError, match="must be different"):
        TableView("sector", "sector").check()


def _run(capsys, *argv):
    code = main(["table", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_prints_the_protected_table_with_totals(sample_store, capsys, referrals):
    code, out, _ = _run(capsys, "--store", str(sample_store), "--rows", "area", "--columns",
                        "age_group", "--period", "2024Q1:2024Q4")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype=str)
    assert list(table.columns) == ["area", "adult", "child", "unknown", "Total"]
    assert table["area"].tolist()[-1] == "Total" and "Leicester" in table["area"].tolist()
    built = build_table(referrals, TableView("area", "age_group", period="2024Q1:2024Q4"),
                        home_area=HOME)
    assert table.drop(columns="area").values.tolist() == \
        built.to_frame().drop(columns="area").values.tolist()
    values = table.drop(columns="area").to_numpy().ravel()
    assert all(v == "[c]" or int(v) >= 5 for v in values)


def test_cli_json_and_filters(sample_store, capsys):
    code, out, _ = _run(capsys, "--store", str(sample_store), "--rows", "quarter",
                        "--filter", "area=E06000017", "--filter", "age_group=adult",
                        "--period", "2024Q1:2024Q4", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["mode"] == "protected" and data["period"] == ["2024Q1", "2024Q4"]
    assert [row["quarter"] for row in data["table"]] == [
        "2024Q1", "2024Q2", "2024Q3", "2024Q4", "Total"]
    assert all(row["count"] == "[c]" or row["count"] >= 5 for row in data["table"])
    assert "Rutland" in data["title"] and "age_group = adult" in data["title"]


@pytest.mark.parametrize("argv, message", [
    (["--rows", "colour"], "unknown dimension"),
    (["--rows", "sector", "--filter", "sector=spaceships"], "not a value of sector"),
    (["--rows", "sector", "--filter", "area=X99"], "unknown area"),
    (["--rows", "sector", "--period", "2024Q4:2024Q1"], "ends before it starts"),
])
def test_cli_errors_are_clear(sample_store, capsys, argv, message):
    code, out, err = _run(capsys, "--store", str(sample_store), *argv)
    assert code == 2 and message in err and "Traceback" not in err and out == ""


def test_repeated_runs_print_identical_tables(sample_store, capsys):
    args = ["--store", str(sample_store), "--rows", "sector", "--columns", "year"]
    first = _run(capsys, *args)[1]
    assert all(_run(capsys, *args)[1] == first for _ in range(3))
    assert np.any([c.isdigit() for c in first.split(",")])


def test_the_mse_observed_count_is_the_capture_tables_people_protected(referrals):
    from analysis.disclosure import protected_observed
    from analysis.mse.tables import capture_patterns

    table = capture_patterns(referrals)
    exact = protected_observed(referrals, mode=EXACT)
    assert exact.value == int(table["count"].sum())
    shown = protected_observed(referrals)
    assert shown.mode == "protected" and abs(shown.value - exact.value) <= 2
