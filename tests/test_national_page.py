"""The National page's charts as the analyst sees them: store-driven, every title names its
period, the funnel says when it is adjusted for over-dispersion, and one vocabulary (police
NRM referrals per 100,000 residents; never "detection ratio", which means detected / expected
new victims elsewhere in the product)."""

from __future__ import annotations

import re

import pytest

from dashboard.state import ViewState

PERIOD = re.compile(r"\d{4} Q[1-4]")


@pytest.fixture(scope="module")
def outputs(sample_store):
    from dashboard.pages import national

    return {spec.chart_id: spec.build(sample_store, ViewState()) for spec in national.CHARTS}


def _texts(component) -> list[tuple[str | None, str]]:
    """(id, text) of every component in a layout tree with text children."""
    out = []
    children = getattr(component, "children", None)
    if isinstance(children, str):
        out.append((getattr(component, "id", None), children))
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            out += _texts(child)
    return out


@pytest.fixture(scope="module")
def page_texts(sample_store) -> list[tuple[str | None, str]]:
    from dashboard.app import create_app
    from dashboard.pages import national

    app = create_app(sample_store)
    with app.server.app_context():
        return _texts(national.layout())


def test_every_chart_title_names_its_period(outputs, page_texts):
    for chart_id, out in outputs.items():
        assert PERIOD.search(out.figure.layout.title.text or ""), chart_id
    titles = [t for i, t in page_texts if isinstance(i, str) and i.endswith("-title")]
    assert len(titles) == len(outputs) and all(PERIOD.search(t) for t in titles), titles


def test_no_detection_ratio_on_the_national_page(outputs, page_texts):
    text = " ".join(t for _, t in page_texts) + " ".join(
        f"{o.summary} {o.figure.to_json()} {' '.join(map(str, o.table.columns))}"
        for o in outputs.values())
    assert "detection ratio" not in text.lower()
    assert "per 100,000 residents" in outputs["national-forces"].summary


def test_the_funnel_is_adjusted_and_says_so_on_the_chart(outputs):
    out = outputs["national-funnel"]
    notes = [a.text for a in out.figure.layout.annotations if a.text]
    assert any("Limits widened for over-dispersion" in n and "Outside 99.8% limits: 1 of 43 "
               "forces, 19 without the adjustment" in n for n in notes)
    assert "Limits widened for over-dispersion" in out.summary
    assert set(out.table["overdispersion_adjusted"]) == {True}
    assert set(out.table["period"]) == {"2022 Q2 to 2023 Q4"}


def test_the_uk_series_shows_vintages_and_marks_secondary_figures(outputs):
    out = outputs["national-uk"]
    assert out.table["period"].iloc[-1] == "2025Q4"
    assert {"release", "secondary"} <= set(out.table.columns)
    names = [t.name for t in out.figure.data]
    assert "From a secondary source (press report or reproduction)" in names
    assert "(as published in release 2025Q4)" in out.summary


def test_local_composition_is_protected_and_set_beside_the_national_mix(sample_store):
    import pandas as pd

    from analysis.national_mix import uk_national_mix
    from analysis.national_series import uk_national_share
    from dashboard import data

    people = data.people(sample_store, ViewState())
    local = uk_national_mix(people, "Leicestershire", mode="exact").iloc[0]
    uk = int((people["nationality_group"] == "uk").sum())
    known = int((~people["nationality_group"].isin(["unknown"])).sum())
    assert (int(local.uk_nationals), int(local.people_counted)) == (uk, known)
    mix = uk_national_mix(people, "Leicestershire")
    local, national = mix.iloc[0], mix.iloc[1]
    # protected: each count within 2 of the truth, the denominator a cell of its own
    assert abs(int(local.uk_nationals) - uk) <= 2 and abs(int(local.people_counted) - known) <= 2
    assert local.uk_national_share == pytest.approx(
        int(local.uk_nationals) / int(local.people_counted))
    shares = uk_national_share().set_index("period")
    held = sorted(set(people["quarter"].astype(str)) & set(shares.index))
    assert national.uk_national_share == pytest.approx(
        shares.loc[held, "uk_nationals"].sum() / shares.loc[held, "referrals"].sum())
    # a small view: the UK count is hidden by the protection layer and no share is given
    tiny = pd.DataFrame({"quarter": ["2023Q1"] * 9, "nationality_group": ["uk"] * 2 + ["africa"] * 7,
                         "agency": "police", "record_id": [str(i) for i in range(9)],
                         "person_key": [f"p{i}" for i in range(9)]})
    hidden = uk_national_mix(tiny, "a district").iloc[0]
    assert hidden.uk_nationals_suppressed and pd.isna(hidden.uk_national_share)


@pytest.mark.parametrize("mode", ["protected", "exact"])
def test_the_pages_uk_nationals_from_store_cells_equal_those_from_the_people(sample_store, mode):
    import pandas as pd

    from analysis.national_mix import uk_national_mix
    from dashboard import data

    view = ViewState(period="2024Q1:2025Q4")
    people = data.people(sample_store, view)
    cells = data.cell_counts(sample_store, view, ("quarter", "nationality_group"))
    pd.testing.assert_frame_equal(uk_national_mix(cells, "Leicestershire", mode=mode),
                                  uk_national_mix(people, "Leicestershire", mode=mode))
