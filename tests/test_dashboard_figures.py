"""Figure builders: what a reader would check on each chart (numbers shown, [c], highlights)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from dashboard import theme
from dashboard.figures import funnel, gap, hidden, national, sectors, trends
from dashboard.figures.common import message_figure

RED_GREEN = re.compile(r"#(?:ff0000|00ff00|008000|d62728|2ca02c|e41a1c|4daf4a)|\b(?:red|green)\b",
                       re.IGNORECASE)


def _text(fig) -> str:
    return json.dumps(fig.to_plotly_json(), default=str)


def _no_red_green(fig) -> None:
    assert not RED_GREEN.search(_text(fig)), "charts never use red/green"


@pytest.fixture
def forces():
    return pd.DataFrame({
        "pfa_code": ["E23000021", "E23000034", "A", "B", "C", "D"],
        "pfa_name": ["Leicestershire", "City of London", "Aa", "Bb", "Cc", "Dd"],
        "referrals": [131, 13, 100, 120, 90, 80],
        "quarters": [7] * 6,
        "population": [1_121_800, 8_600, 1_000_000, 1_200_000, 900_000, 1_100_000],
    }).assign(annual_rate_per_100k=lambda f: f.referrals / f.population * 1e5 * 4 / 7)


def test_force_rates_highlights_the_home_force_and_prints_its_rate(forces):
    fig = national.force_rates(forces, "E23000021", board=True)
    colours = fig.data[0].marker.color
    names = list(fig.data[0].y)
    assert colours[names.index("Leicestershire")] == theme.HIGHLIGHT
    assert any("Leicestershire 6.7" in (a.text or "") for a in fig.layout.annotations)
    # City of London's tiny population must not flatten the chart: it is printed off scale.
    assert any("off scale" in (a.text or "") for a in fig.layout.annotations)
    _no_red_green(fig)


def test_force_rates_sentence_counts_forces_with_a_higher_rate(forces):
    text = national.describe_force_rates(forces, "E23000021")
    assert "6.7 per 100,000" in text
    assert "1 of the 43 forces refer at a higher rate" in text  # only City of London


def test_uk_quarterly_prints_the_latest_value():
    series = pd.DataFrame({"period": ["2023Q3", "2023Q4"], "referrals": [4000, 4134],
                           "secondary": [False, False]})
    fig = national.uk_quarterly(series, board=True)
    assert any(a.text == "4,134" for a in fig.layout.annotations)


def test_funnel_plot_draws_both_limits_and_labels_the_highlighted_area():
    table = pd.DataFrame({
        "area_code": list("abcdef"), "area_name": list("ABCDEF"),
        "observed": [10, 12, 9, 11, 300, 10.0], "expected": [10, 11, 10, 12, 10, 9.0],
        "ratio": [1.0, 1.09, 0.9, 0.92, 30.0, 1.11],
        "classification": ["within"] * 4 + ["above 99.8%", "within"],
        "highlighted": [True] + [False] * 5,
    })
    curve = pd.DataFrame({"expected": [5, 20] * 2, "confidence_level": [0.95, 0.95, 0.998, 0.998],
                          "lower": [0.3, 0.6, 0.1, 0.4], "upper": [2.0, 1.5, 2.6, 1.8]})
    fig = funnel.funnel_plot(table, curve, 1.0, board=True)
    names = {t.name for t in fig.data}
    assert {"95% limits", "99.8% limits", "Selected area"} <= names
    texts = " ".join(a.text or "" for a in fig.layout.annotations)
    assert "A 1.00" in texts and "E 30.0 (off scale)" in texts
    assert "1 of 6 areas lie outside" in funnel.describe_funnel(table)
    _no_red_green(fig)


def test_gap_band_prints_detected_and_expected_range():
    fig = gap.gap_band(412, 1008, 403, 2016, board=True, label="Leicestershire")
    texts = _text(fig)
    assert "detected 412" in texts and "expected 1,008" in texts
    assert "403" in texts and "2,016" in texts
    _no_red_green(fig)


def test_gap_band_shows_a_suppressed_count_as_c():
    fig = gap.gap_band(None, 10.0, 4.0, 20.0)
    assert "detected [c]" in _text(fig)
    assert "[c]" in gap.describe_gap(None, 10, 4, 20, None, None, None, "Rutland")


def test_gap_sentence_says_what_the_ratio_does_not_mean():
    text = gap.describe_gap(412, 1008, 403, 2016, 0.41, 0.2, 1.02, "Leicestershire")
    assert "41%" in text and "not a count of real victims" in text


def test_ratio_bars_list_suppressed_areas_as_c_and_print_ratios_in_board_mode():
    table = pd.DataFrame({"area_name": ["A", "B", "C"], "ratio": [0.5, 0.8, None],
                          "ratio_lower": [0.3, 0.6, None], "ratio_upper": [0.7, 1.0, None],
                          "highlighted": [False, True, False]})
    fig = gap.ratio_bars(table, board=True)
    assert list(fig.data[0].text) == ["0.50", "0.80"]
    assert list(fig.data[1].text) == ["[c]"]
    assert fig.data[0].marker.color[1] == theme.HIGHLIGHT


def test_sector_chart_shows_c_for_suppressed_and_the_expected_range():
    table = pd.DataFrame({"sector": ["car_wash", "care"], "detected": pd.array([None, 40]),
                          "expected": [12.0, 12.0], "expected_lower": [5.0, 5.0],
                          "expected_upper": [30.0, 30.0]})
    fig = sectors.detected_vs_expected(table, "sector", board=True)
    assert "[c]" in list(fig.data[0].text)
    assert fig.data[1].error_x.array[0] == pytest.approx(18.0)
    assert "no published split" in sectors.describe_sectors(table, "sector").lower()


def test_sector_counts_only_and_never_name_a_c_or_zero_category_as_most():
    table = pd.DataFrame({"sector": ["nail_bar", "care", "car_wash"],
                          "detected": pd.array([0, None, 12], dtype="Int64")})
    fig = sectors.detected_vs_expected(table, "sector")
    assert len(fig.data) == 1  # no expected figure by sector: counts only
    text = sectors.describe_sectors(table, "sector", "2025")
    assert "car wash (12)" in text and "nail bar" not in text
    zeros = table.assign(detected=pd.array([0, None, 0], dtype="Int64"))
    assert "too small to show" in sectors.describe_sectors(zeros, "sector")


def test_heatmap_prints_c_in_suppressed_cells():
    table = pd.DataFrame({"area": ["A", "A", "B", "B"], "sector": ["x", "y", "x", "y"],
                          "referral_count": pd.array([None, 12, 7, 9], dtype="Int64"),
                          "referral_count_suppressed": [True, False, False, False]})
    fig = sectors.heatmap(table, "area", "sector")
    assert fig.data[0].text[0][0] == "[c]"
    assert fig.data[0].text[0][1] == "12"
    _no_red_green(fig)


def test_trend_chart_draws_band_forecast_and_intervention():
    series = pd.DataFrame({"quarter": ["2023Q1", "2023Q2", "2023Q3"],
                           "detected": pd.array([10, None, 14], dtype="Int64"),
                           "expected": [20.0] * 3, "expected_lower": [8.0] * 3,
                           "expected_upper": [40.0] * 3})
    forecast = pd.DataFrame({"quarter": ["2023Q4"], "mean": [15.0], "lower": [9.0],
                             "upper": [22.0]})
    events = pd.DataFrame({"quarter": ["2023Q2"], "label": ["Awareness week"]})
    fig = trends.trend_chart(series, forecast=forecast, interventions=events, board=True)
    names = {t.name for t in fig.data}
    assert {"Expected range", "Detected", "Forecast", "Forecast interval"} <= names
    texts = " ".join(a.text or "" for a in fig.layout.annotations)
    assert "Awareness week" in texts and "1 quarter(s) suppressed [c]" in texts
    assert "14" in trends.describe_trend(series)


def test_control_chart_marks_signals():
    series = pd.DataFrame({"quarter": ["q1", "q2"], "detected": [5, 30], "centre": [10, 10],
                           "lower": [2, 2], "upper": [20, 20], "signal": [False, True]})
    fig = trends.control_chart(series)
    assert list(fig.data[-1].marker.color) == [theme.BLUE, theme.ORANGE]


def test_upset_chart_orders_combinations_by_size_and_marks_membership():
    patterns = pd.DataFrame({"police": [1, 0, 1], "ngo": [0, 1, 1],
                             "count": pd.array([40, 25, None], dtype="Int64")})
    fig = hidden.upset_chart(patterns, ["police", "ngo"])
    assert list(fig.data[0].text) == ["40", "25", "[c]"]
    assert list(fig.data[1].marker.color) == [theme.INK, theme.LIGHT_GREY, theme.INK]


def test_estimates_chart_prints_each_interval():
    table = pd.DataFrame({"label": ["Multiple systems estimate", "Expected (prevalence)"],
                          "value": [900.0, 1008.0], "lower": [700.0, 403.0],
                          "upper": [1300.0, 2016.0], "observed": [450, None]})
    fig = hidden.estimates_chart(table, board=True)
    assert "900 (700 to 1,300)" in _text(fig)
    assert "known 450" in _text(fig)


def test_message_figure_explains_an_empty_chart():
    assert "No data" in _text(message_figure("No data"))


# --- issue 13: benchmark colouring, maps, small numbers, the Python action -------------------

def _funnel_table():
    return pd.DataFrame({
        "area_code": ["E06000016", "E06000017", "E07000129"],
        "area_name": ["Leicester", "Rutland", "Blaby"],
        "observed": [50, None, 9.0], "expected": [40, 5, 12.0],
        "ratio": [1.25, None, 0.75],
        "classification": ["above 95%", "within", "within"],
        "highlighted": [False, False, True],
    })


def test_map_bars_and_funnel_share_one_benchmark_class_and_never_shade_a_ratio():
    from dashboard.figures import benchmark, gap, maps

    table = _funnel_table()
    classes = benchmark.classify(table)
    # a [c] district is never classed, whatever the hidden count said
    assert list(classes) == [benchmark.ABOVE, benchmark.NOT_SHOWN, benchmark.SIMILAR]
    fig = maps.district_map(table)
    drawn = {t.text.split(":")[0]: (t.legendgroup, t.fillcolor) for t in fig.data
             if t.fill == "toself"}
    # one flat colour per class, never a shade of the ratio
    assert drawn == {"Leicester": (benchmark.ABOVE, benchmark.COLOURS[benchmark.ABOVE]),
                     "Blaby": (benchmark.SIMILAR, benchmark.COLOURS[benchmark.SIMILAR]),
                     "Rutland": (benchmark.NOT_SHOWN, benchmark.COLOURS[benchmark.NOT_SHOWN])}
    assert "geo" not in fig.to_plotly_json()["layout"]  # no CDN base map: works offline
    assert any("Open Government Licence" in (a.text or "") for a in fig.layout.annotations)
    bars = gap.ratio_bars(table.assign(ratio_lower=table["ratio"] - 0.1,
                                       ratio_upper=table["ratio"] + 0.1,
                                       benchmark=classes))
    assert {t.name for t in bars.data} == {g for g, _ in drawn.values()}
    assert list(bars.layout.yaxis.categoryarray) == ["Rutland", "Leicester", "Blaby"]
    curve = pd.DataFrame({"expected": [5, 50] * 2, "confidence_level": [0.95] * 2 + [0.998] * 2,
                          "lower": [0.2, 0.6, 0.1, 0.5], "upper": [2.5, 1.4, 3.0, 1.6]})
    funnel_fig = funnel.funnel_plot(table, curve, 1.0, label_all=True)
    colours = {t.name: t.marker.color for t in funnel_fig.data if t.mode == "markers"}
    assert colours["Significantly above"] == benchmark.COLOURS[benchmark.ABOVE]
    _no_red_green(fig)


def test_bundled_boundaries_cover_every_force_and_the_home_force_districts():
    from dashboard.figures import maps

    forces = maps.boundaries("forces")
    assert len(forces["features"]) == 43
    leics = [f["id"] for f in maps.boundaries("districts")["features"]
             if f["properties"].get("force") == "E23000021"]
    assert len(leics) == 9 and "E06000016" in leics


def test_a_mostly_protected_series_is_shown_in_years_without_models():
    from analysis.disclosure import suppress_series
    from analysis.small_numbers import plan_series, protect_years

    quarters = [f"{y}Q{q}" for y in (2023, 2024, 2025) for q in range(1, 5)]
    raw = pd.DataFrame({"quarter": quarters, "detected": [2, 1, 3, 2, 1, 2, 9, 2, 3, 1, 2, 4]})
    protected = suppress_series(raw, "detected", time_column="quarter", threshold=5)
    plan = plan_series(protected)
    assert plan.resolution == "year" and not plan.models_allowed
    years = protect_years(raw, lambda t, c, **k: suppress_series(t, c, threshold=5, **k))
    assert list(years["year"]) == ["2023", "2024", "2025"]
    assert years["detected"].tolist() == [8, 14, 10]  # 8 = 2+1+3+2: each year >= 5, all shown
    fig = trends.trend_chart(years.rename(columns={"year": "quarter"}), unit="year")
    assert fig.layout.yaxis.title.text == "People a year"
    assert not any(t.name == "Forecast" for t in fig.data)


def test_the_python_action_reproduces_the_headline_numbers(sample_store):
    from dashboard.pages import overview
    from dashboard.state import ViewState

    out = overview._band(sample_store, ViewState())
    assert "read_headline(" in out.code
    namespace = {}
    exec(out.code.replace("result.to_frame()", "frame = result.to_frame()"), namespace)
    keys = ["estimate", "interval_kind"]
    mine = namespace["frame"].set_index(keys)[["value", "lower", "upper"]]
    shown = out.table.set_index(keys)[["value", "lower", "upper"]]
    pd.testing.assert_frame_equal(mine.loc[shown.index], shown)


def test_the_hidden_board_view_shows_the_headline_method_beside_the_expected_figure(sample_store):
    from analysis.mse import AGENCY_TYPE_MERGE  # noqa: F401 (fitted once for both views)
    from dashboard.pages import hidden as page
    from dashboard.state import ViewState

    analyst = page._estimates(sample_store, ViewState())
    board = page._estimates(sample_store, ViewState(board=True))
    headline = analyst.table[analyst.table["label"].str.contains("(headline)", regex=False)]
    names = [t.name for t in board.figure.data]
    assert len(names) == 2 and len(analyst.figure.data) == len(analyst.table) > 2
    assert names[0] == headline["label"].iloc[0].split(" (headline)")[0]
    assert names[1] == "Expected (range over assumptions)"
    assert board.figure.data[0].x[0] == headline["value"].iloc[0]
    assert board.table.equals(analyst.table)  # the downloads keep every method
