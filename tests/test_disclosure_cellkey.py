"""The cell-key layer: keys, the perturbation table, protected counts, formats and modes.

Independent checks: record keys recomputed with hashlib from the documented recipe; the
perturbation table's moments recomputed from its rows; the draw's uniformity by a
chi-square test over many cell keys; derived figures against scipy directly.
"""

import hashlib

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.disclosure import (
    EXACT,
    PROTECTED,
    ProtectedCount,
    cell_keys,
    derive,
    format_count,
    format_counts,
    perturbation_table,
    protect_cells,
    protect_count,
    protect_table,
    protected_interval,
    protected_rate,
    protected_ratio,
    protected_share,
    record_keys,
)
from analysis.disclosure.keys import RECORD_KEY_SQL, sum_keys
from analysis.disclosure.ptable import draws
from analysis.errors import DarkFigureError


def _people(n, *, prefix="p", **columns):
    frame = pd.DataFrame({"person_key": [f"{prefix}{i}" for i in range(n)], "agency": "police",
                          "record_id": [f"{prefix}r{i}" for i in range(n)]})
    for name, values in columns.items():
        frame[name] = values
    return frame


def test_record_keys_follow_the_documented_recipe():
    frame = pd.DataFrame({"person_key": ["abc", None, ""], "agency": ["a", "b", "c"],
                          "record_id": ["1", "2", "3"]})
    expected = [int.from_bytes(hashlib.sha256(f"darkfigure-record-key-v1\x1f{i}".encode())
                               .digest()[:8], "big")
                for i in ["p\x1fabc", "r\x1fb\x1f2", "r\x1fc\x1f3"]]
    assert record_keys(frame).tolist() == expected


def test_duckdb_computes_the_same_record_keys_as_python():
    frame = pd.DataFrame({"person_key": ["abc", None, "d" * 64, ""],
                          "agency": ["a", "Leicester City Council", "c", "é"],
                          "record_id": ["1", "2", "x-3", "4"]})
    con = duckdb.connect()
    con.register("r", frame)
    in_sql = con.execute(f"SELECT {RECORD_KEY_SQL} FROM r").fetchnumpy()
    assert np.asarray(list(in_sql.values())[0], dtype=np.uint64).tolist() == \
        record_keys(frame).tolist()


def test_a_cell_key_is_the_sum_of_its_peoples_keys_modulo_2_to_the_64():
    people = _people(5, sector=["care"] * 3 + ["farm"] * 2)
    keys = [int(k) for k in record_keys(people)]
    table = cell_keys(people, "sector")
    assert int(table["cell_key"][0]) == sum(keys[:3]) % 2**64
    assert int(table["cell_key"][1]) == sum(keys[3:]) % 2**64
    assert sum_keys(np.array([], dtype=np.uint64)) == 0


def test_a_person_with_several_rows_counts_once_per_cell():
    rows = pd.DataFrame({"person_key": ["a", "a", "b"], "agency": ["x", "y", "x"],
                         "record_id": ["1", "2", "3"], "sector": ["care", "care", "care"]})
    assert cell_keys(rows, "sector")["count"].tolist() == [2]


def test_the_perturbation_table_rows_are_probability_distributions_as_documented():
    table = perturbation_table(threshold=5)
    rows = table.to_frame()
    assert np.allclose(rows.groupby("count")["probability"].sum(), 1)
    assert rows.loc[rows["count"] == 0, "noise"].tolist() == [0]
    for count in range(1, 8):
        assert rows.loc[rows["count"] == count, "noise"].tolist() == [-2, -1, 0, 1, 2]
    # the threshold applies after the noise: hidden exactly when count + noise < 5
    assert ((rows["count"] + rows["noise"] < 5) == rows["hidden"]).all()
    assert rows.loc[rows["count"] == 3, "shown"].tolist() == ["[c]"] * 4 + ["5"]
    moments = table.moments().set_index("count")
    assert (moments.loc[1:, "bias"] == 0).all()
    assert np.allclose(moments.loc[1:, "variance"], 2)          # (4 + 1 + 0 + 1 + 4) / 5
    assert np.allclose(moments.loc[1:, "largest_probability"], 0.2)
    assert moments["probability_hidden"].round(2).tolist() == [1, 1, 1, 0.8, 0.6, 0.4, 0.2, 0]
    # every interval of the draw has the width of its probability, end to end
    for _, group in rows.groupby("count"):
        assert np.allclose(group["upper"] - group["lower"], group["probability"])
        assert group["lower"].min() == 0 and group["upper"].max() == pytest.approx(1)


def test_the_noise_follows_the_table_over_many_cells():
    """Chi-square goodness of fit of the noise of 20,000 random cell keys (count 40)."""
    rng = np.random.default_rng(11)
    keys = rng.integers(0, 2**63, size=20_000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    noise = perturbation_table(threshold=5).noise(np.full(len(keys), 40), draws(keys))
    observed = np.array([(noise == v).sum() for v in range(-2, 3)])
    assert stats.chisquare(observed).pvalue > 0.001


def test_the_noise_of_a_total_is_unrelated_to_the_noise_of_its_parts():
    """key(total) = key(a) + key(b); hashing the key must break the link (correlation ~ 0)."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    b = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    table = perturbation_table(threshold=5)
    n = np.full(len(a), 50)
    e_a, e_b, e_t = (table.noise(n, draws(k)) for k in (a, b, a + b))
    assert abs(np.corrcoef(e_a + e_b, e_t)[0, 1]) < 0.05


def test_perturbed_counts_below_the_threshold_are_hidden_and_the_rest_move_at_most_two():
    rng = np.random.default_rng(3)
    counts = np.repeat(np.arange(0, 60), 20)
    keys = rng.integers(0, 2**63, size=len(counts), dtype=np.uint64)
    shown = protect_cells(counts, keys, threshold=5)
    hidden = pd.isna(shown)
    noise = perturbation_table(threshold=5).noise(counts, draws(keys))
    assert hidden.tolist() == (counts + noise < 5).tolist()
    assert hidden[counts <= 2].all() and not hidden[counts >= 7].any()
    assert 0 < hidden[counts == 4].mean() < 1
    values = np.asarray(shown[~hidden], dtype=int)
    assert (values >= 5).all()
    assert (np.abs(values - counts[~hidden]) <= 2).all()


def test_the_same_people_are_shown_the_same_way_whatever_the_query():
    people = _people(23, sector=["care"] * 12 + ["farm"] * 11, age_group="adult")
    alone = protect_count(people[people.sector == "care"])
    in_a_table = protect_table(people, "sector").to_frame().set_index("sector")
    in_a_two_way = protect_table(people, ["age_group", "sector"]).to_frame()
    care = in_a_two_way[(in_a_two_way.sector == "care")]["count"].iloc[0]
    shuffled = protect_count(people[people.sector == "care"].sample(frac=1, random_state=1))
    assert alone.value == in_a_table.loc["care", "count"] == care == shuffled.value
    assert [protect_count(people).value for _ in range(5)] == [protect_count(people).value] * 5


def test_margins_are_cells_of_their_own_counted_from_the_people():
    people = _people(60, sector=["care"] * 20 + ["farm"] * 25 + ["nail_bar"] * 15,
                     sex=(["female", "male"] * 30))
    table = protect_table(people, ["sector", "sex"], margins=True).to_frame()
    total = table[(table.sector == "Total") & (table.sex == "Total")]["count"].iloc[0]
    assert total == protect_count(people).value
    female = table[(table.sector == "Total") & (table.sex == "female")]["count"].iloc[0]
    assert female == protect_count(people[people.sex == "female"]).value
    assert abs(total - 60) <= 2


def test_levels_complete_the_grid_with_hidden_empty_cells():
    people = _people(8, quarter=["2024Q1"] * 8)
    table = protect_table(people, "quarter", levels={"quarter": ["2024Q1", "2024Q2"]})
    assert table.to_frame()["count_suppressed"].tolist() == [False, True]


def test_exact_mode_is_explicit_and_labelled():
    people = _people(3)
    assert protect_count(people).suppressed
    exact = protect_count(people, mode=EXACT)
    assert (exact.value, exact.mode, str(exact)) == (3, "exact", "3")
    assert protect_table(people.assign(s="a"), "s", mode=EXACT).mode == EXACT
    assert protect_table(people.assign(s="a"), "s").mode == PROTECTED
    with pytest.raises(DarkFigureError, match="unknown disclosure mode"):
        protect_count(people, mode="raw")


def test_one_formatter_for_people_to_read():
    assert format_count(ProtectedCount(None)) == "[c]"
    assert format_count(pd.NA) == "[c]"
    assert format_count(12345) == "12,345"
    assert format_counts(pd.array([5, None, 1200], dtype="Int64")).tolist() == [
        "5", "[c]", "1200"]


def test_derived_figures_come_from_the_shown_count_and_are_withheld_when_hidden():
    shown = ProtectedCount(37)
    expected = 148.0
    assert protected_ratio(shown, expected) * expected == pytest.approx(37)
    assert protected_rate(shown, 370_000) == pytest.approx(10.0)
    assert protected_share(ProtectedCount(10), ProtectedCount(40)) == 0.25
    low, high = protected_interval(shown, alpha=0.05)
    assert low == pytest.approx(stats.chi2.ppf(0.025, 74) / 2)
    assert high == pytest.approx(stats.chi2.ppf(0.975, 76) / 2)
    hidden = ProtectedCount(None)
    assert protected_ratio(hidden, expected) is None
    assert protected_rate(hidden, 1000) is None
    assert protected_interval(hidden) is None
    assert protected_share(ProtectedCount(10), hidden) is None
    assert derive(hidden, max, 0) is None
    with pytest.raises(TypeError):
        derive(37, max, 0)


def test_protect_cells_refuses_negative_counts_and_mismatched_keys():
    with pytest.raises(DarkFigureError):
        protect_cells([-1], [0])
    with pytest.raises(DarkFigureError):
        protect_cells([10, 12], [0])


def test_the_methods_note_publishes_the_table_in_use():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "methods" / "disclosure.md"
            ).read_text(encoding="utf-8")
    layout = perturbation_table(threshold=5).layout()
    for count, row in layout.iterrows():
        assert f"| {count} | " + " | ".join(row) + " |" in text, count


def test_record_keys_derived_at_load_give_the_same_numbers():
    """The dashboard keeps compact rows (no person_key): a record_key column derived at load
    must protect exactly as the identities do."""
    people = _people(40, sector=["care"] * 22 + ["farm"] * 18)
    loaded = people[["sector"]].assign(record_key=record_keys(people))
    assert protect_count(loaded).value == protect_count(people).value
    pd.testing.assert_frame_equal(protect_table(loaded, "sector", margins=True).to_frame(),
                                  protect_table(people, "sector", margins=True).to_frame())
