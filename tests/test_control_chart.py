"""c- and u-chart limits against the textbook formulae, signals and runs."""

import math

import numpy as np
import pandas as pd
import pytest

from analysis.control_chart import control_chart
from analysis.errors import DarkFigureError

QUARTERS = [str(p) for p in pd.period_range("2021Q1", periods=12, freq="Q")]


def test_c_chart_limits_are_c_bar_plus_minus_three_root_c_bar():
    counts = [12, 9, 15, 11, 8, 14, 10, 13, 30, 12, 11, 2]
    res = control_chart(pd.DataFrame({"quarter": QUARTERS, "detected": counts}))
    c_bar = sum(counts) / len(counts)
    assert res.table["centre"].iloc[0] == pytest.approx(c_bar)
    assert res.upper.iloc[0] == pytest.approx(c_bar + 3 * math.sqrt(c_bar))
    assert res.lower.iloc[0] == pytest.approx(max(0.0, c_bar - 3 * math.sqrt(c_bar)))
    signals = res.table.set_index("quarter")["signal"]
    assert signals["2023Q1"] == "above"  # 30 > 12.25 + 3 * 3.5 = 22.75
    assert signals["2023Q4"] == "within"  # 2 > 12.25 - 10.5 = 1.75
    assert res.chart == "c" and res.alpha == pytest.approx(0.0027, abs=1e-4)


def test_baseline_sets_the_centre_line():
    counts = [10, 10, 10, 10, 40, 40, 40, 40, 40, 40, 40, 40]
    res = control_chart(pd.DataFrame({"quarter": QUARTERS, "detected": counts}),
                        baseline=("2021Q1", "2021Q4"))
    assert res.table["centre"].iloc[0] == 10
    assert (res.table["signal"].iloc[4:] == "above").all()
    assert res.table["in_run"].iloc[4:].all()  # eight in a row above the centre
    assert "2023Q4" in res.summary()


def test_u_chart_limits_vary_with_exposure():
    n = np.array([50.0, 100, 200, 400] * 3)
    c = np.round(n * 0.2).astype(int)
    c[3] = 120  # rate 0.3 on the largest exposure
    res = control_chart(pd.DataFrame({"quarter": QUARTERS, "detected": c, "pop": n}),
                        exposure="pop")
    u_bar = c.sum() / n.sum()
    t = res.table
    np.testing.assert_allclose(t["upper"], u_bar + 3 * np.sqrt(u_bar / n))
    np.testing.assert_allclose(t["lower"], np.maximum(u_bar - 3 * np.sqrt(u_bar / n), 0))
    assert t["signal"].iloc[3] == "above" and res.chart == "u"


def test_runs_are_broken_by_a_point_on_the_centre_line():
    counts = [11, 11, 11, 11, 10, 11, 11, 11, 11, 9, 9, 4]  # mean exactly 10
    res = control_chart(pd.DataFrame({"quarter": QUARTERS, "detected": counts}), run_length=5)
    assert not res.table["in_run"].any()
    res = control_chart(pd.DataFrame({"quarter": QUARTERS, "detected": counts}), run_length=4)
    assert res.table["in_run"].tolist() == [True] * 4 + [False] + [True] * 4 + [False] * 3


def test_bad_inputs_are_clear_errors():
    df = pd.DataFrame({"quarter": QUARTERS[:2], "detected": [1, 2]})
    with pytest.raises(DarkFigureError, match="column"):
        control_chart(df, exposure="pop")
    with pytest.raises(DarkFigureError, match="baseline"):
        control_chart(df, baseline=("2030Q1", "2030Q4"))
    with pytest.raises(DarkFigureError, match="one row per quarter"):
        control_chart(pd.concat([df, df]))
    frame = control_chart(df).to_frame()
    assert {"method", "confidence_level", "lower", "upper"} <= set(frame.columns)
