"""Every chart's "Python" action runs in a fresh namespace on the sample store and gives the
chart's own data table back (the numbers a researcher pastes into a notebook are the ones on
screen). The Hidden figure page's charts fit models for minutes of CPU over four views, so
they are checked once, on the default view, at the end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.charts import NO_CODE
from dashboard.pages import PAGES, hidden
from dashboard.state import ViewState

# chart id -> (renames applied to the code's table, key columns to align rows on)
ALIGN = {
    "overview-band": ({}, ["estimate", "interval_kind"]),
    "profile-band": ({}, ["estimate", "interval_kind"]),
    "sectors-sector": ({"count": "detected", "count_suppressed": "detected_suppressed"},
                       ["sector"]),
    "profile-sectors": ({"count": "detected", "count_suppressed": "detected_suppressed"},
                        ["sector"]),
    "areas-peers": ({"pfa_name": "area_name"}, ["area_name"]),
    "sectors-heatmap": ({"people": "new_victims", "people_suppressed": "new_victims_suppressed"},
                        None),
}
# labels the page words differently (names for codes, "All years" for "Total")
SKIP_COLUMNS = {"signal", "period", "area", "area_code", "sector"}

VIEWS = {
    "default": ViewState(),
    "district and period": ViewState(area="E06000016", period="2023Q1:2025Q4"),
    "group filter": ViewState(age_group="adult"),
    "frozen to a load": ViewState(snapshot=8),  # the store as it was after its 8th load
}

CHARTS = [(page.SLUG, spec) for page in PAGES if page is not hidden
          for spec in getattr(page, "CHARTS", ())]


def _run(code: str):
    lines = code.rstrip().split("\n")
    # the last statement is the table: a single line or a bracketed multi-line expression
    start = len(lines) - 1
    while start > 0 and (lines[start].startswith((" ", ")", "}", "]"))
                         or lines[start - 1].rstrip().endswith(("(", ",", "{", "["))):
        start -= 1
    body = "\n".join(lines[:start])
    namespace: dict = {}
    exec(body + "\n__table__ = (" + "\n".join(lines[start:]).split("  #")[0] + ")", namespace)
    return namespace["__table__"]


def _points(trace) -> int:
    for name in ("x", "z", "locations"):
        values = getattr(trace, name, None)
        if values is not None and len(values):
            return len(values)
    return 0


def _same(mine: pd.Series, shown: pd.Series) -> bool:
    a, b = pd.to_numeric(mine, errors="coerce"), pd.to_numeric(shown, errors="coerce")
    if a.notna().any() or b.notna().any():
        return bool(np.allclose(a.astype(float), b.astype(float), equal_nan=True, rtol=1e-9))
    return mine.astype(str).tolist() == shown.astype(str).tolist()


@pytest.mark.parametrize("view", list(VIEWS), ids=list(VIEWS))
@pytest.mark.parametrize("slug,spec", CHARTS, ids=[s.chart_id for _, s in CHARTS])
def test_the_python_action_reproduces_the_charts_table(sample_store, slug, spec, view):
    out = spec.build(sample_store, VIEWS[view])
    if out.table is None or out.table.empty:
        pytest.skip("no table for this view")
    if not any(_points(t) for t in out.figure.data):
        pytest.skip("the chart says there is nothing to show (e.g. no referrals yet)")
    assert out.code and out.code != NO_CODE, f"{spec.chart_id} has no Python action"
    mine = _run(out.code)
    if isinstance(mine, pd.Series):
        mine = mine.to_frame()
    renames, keys = ALIGN.get(spec.chart_id, ({}, None))
    mine = mine.reset_index() if keys and keys[0] not in mine.columns else mine
    mine = mine.rename(columns=renames)
    shown = out.table
    if keys:
        merged = shown.merge(mine, on=keys, how="left", suffixes=("", "__mine"),
                             indicator=True)
        assert (merged["_merge"] == "both").all(), f"{spec.chart_id}: rows missing"
        pairs = [(c + "__mine", c) for c in shown.columns if c + "__mine" in merged]
        frame = merged
    else:
        assert len(mine) == len(shown), f"{spec.chart_id}: {len(mine)} rows, not {len(shown)}"
        frame = pd.concat([shown.reset_index(drop=True),
                           mine.reset_index(drop=True).add_suffix("__mine")], axis=1)
        pairs = [(c + "__mine", c) for c in shown.columns if c in mine.columns]
    pairs = [(m, s) for m, s in pairs if s not in SKIP_COLUMNS]
    assert pairs, f"{spec.chart_id}: no column in common with the code's table"
    different = [s for m, s in pairs if not _same(frame[m], frame[s])]
    assert different == [], f"{spec.chart_id} ({view}): columns differ: {different}"


def test_the_hidden_figure_code_gives_the_estimates_and_patterns_on_screen(sample_store):
    from analysis.mse import AGENCY_TYPE_MERGE  # noqa: F401 (the snippet imports it too)

    estimates = hidden._estimates(sample_store, ViewState())
    got = _run(estimates.code).set_index("method")
    shown = estimates.table.set_index("method")
    for method in got.index:
        if np.isfinite(got.loc[method, "estimate"]):
            assert got.loc[method, "estimate"] == pytest.approx(shown.loc[method, "value"])
            assert got.loc[method, "lower"] == pytest.approx(shown.loc[method, "lower"])
    overlaps = hidden._overlaps(sample_store, ViewState())
    patterns = _run(overlaps.code)
    lists = [c for c in overlaps.table.columns if c not in ("count", "count_suppressed")]
    truth = patterns.set_index(lists)["count"]
    for row in overlaps.table.itertuples(index=False):
        key = tuple(getattr(row, c) for c in lists)
        if not row.count_suppressed:  # shown counts are the true ones perturbed by at most 2
            assert abs(int(row.count) - int(truth.loc[key])) <= 2
