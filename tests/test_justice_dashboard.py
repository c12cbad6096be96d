"""Justice figures and page: numbers shown, [c] for hidden counts, national figures marked
secondary, the board view, and every chart built from the sample store."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from analysis.justice import justice_funnel
from dashboard.figures import justice as fig
from dashboard.state import ViewState
from tests.test_justice import AREA, _cohort, _records

RED_GREEN = re.compile(r"#(?:ff0000|00ff00|008000|d62728|2ca02c)|\b(?:red|green)\b", re.I)


def _text(figure) -> str:
    return json.dumps(figure.to_plotly_json(), default=str)


@pytest.fixture(scope="module")
def result():
    """Exact counts (analyst mode), so the labels can be checked against a hand count."""
    frame = _records(_cohort(2022, 40, 30, 20, 6) + _cohort(2023, 50, 20, 25, 3, open_=10))
    return justice_funnel(frame, area_code=AREA, mode="exact", as_of="2024-01-31")


@pytest.fixture(scope="module")
def protected():
    """The same people with 2 charged in 2023: a count of 1 or 2 is always [c]."""
    frame = _records(_cohort(2022, 40, 30, 20, 6) + _cohort(2023, 50, 20, 25, 2, open_=10))
    return justice_funnel(frame, area_code=AREA, as_of="2024-01-31")


def test_funnel_prints_counts_rates_and_intervals_and_the_national_note(result):
    text = _text(fig.funnel_chart(result.stages, result.national))
    assert "90" in text and "45" in text and "9 " in text
    assert "(20% of recorded crimes, 11% to 34%)" in text           # 9 of 45, Wilson
    assert "(secondary sources)" in text and "4.4%" in text
    assert not RED_GREEN.search(text)


def test_hidden_counts_show_as_c_and_their_rates_are_not_plotted(protected):
    result = protected
    rates = fig.stage_rates(result.stages, result.national)
    text = _text(rates)
    assert "[c]" in text                                               # 2 charged in 2023
    charged = next(t for t in rates.data if t.name == "Charged or summonsed")
    assert pd.isna(list(charged.y)[1])
    assert "E&W 2015 to Sep 2020: 4.4% (secondary)" in text


def test_open_chart_marks_cohorts_too_recent_for_equal_follow_up(result):
    text = _text(fig.open_and_follow_up(result.open, result.equal_follow_up, 365))
    assert "too recent" in text and "Charged within 365 days" in text


def test_outcome_and_time_charts_label_groups_and_days(result):
    outcomes = _text(fig.outcome_groups(result.outcomes))
    assert "Charged or summonsed (1, 1A)" in outcomes and "Open (no outcome yet)" in outcomes
    times = _text(fig.stage_times(result.times))
    assert "days" in times


def test_describe_funnel_names_area_period_and_extract_date(result):
    sentence = fig.describe_funnel(result.stages, "Leicester", "2022 to 2023", "2024-01-31")
    assert sentence.startswith("Leicester, people detected 2022 to 2023: 90 detected")
    assert "as known on 2024-01-31" in sentence


def test_short_period_keeps_the_year():
    assert fig.short_period("latest year (c.2022-23)") == "c.2022-23"
    assert fig.short_period("2021 (calendar/financial year as reported)") == "2021"


def test_every_justice_chart_builds_from_the_sample_store_in_both_modes(sample_store):
    from dashboard.pages import justice

    for board in (False, True):
        for spec in justice.CHARTS:
            out = spec.build(sample_store, ViewState(board=board))
            assert out.summary and len(out.figure.data) >= 1, spec.chart_id
    out = justice.BOARD_CHART.build(sample_store, ViewState(board=True))
    assert "charged or summonsed" in out.summary and "95% interval" in out.summary


def test_an_unknown_area_gives_a_message_not_an_error(sample_store):
    from dashboard.pages import justice

    out = justice.CHARTS[0].build(sample_store, ViewState(area="E06000017",
                                                          period="2019Q1:2019Q1"))
    assert out.summary


def test_justice_page_is_in_the_navigation_and_served(sample_store):
    from dashboard.app import create_app
    from dashboard.pages import PAGES, justice

    assert justice in PAGES and justice.IN_NAV
    client = create_app(sample_store).server.test_client()
    assert client.get("/justice").status_code == 200


def test_pack_section_returns_one_page_per_section_entry(sample_store):
    from dashboard.report_justice import justice_pages, justice_section

    pages = justice_pages(sample_store, ViewState())
    assert len(pages) == len(justice_section()) == 2
    assert "Dark Figure board pack" in _text(pages[0]).replace("<br>", " ")
