"""Rendered charts are kept per store version, view and settings: drawn once while nothing
changes, drawn again after a load, a change of settings, or while a model fit runs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import ChartOutput, ChartSpec, _rendered
from dashboard.state import ViewState


def _spec(calls: list, pending: bool = False) -> ChartSpec:
    def build(store_path, view):
        calls.append((str(store_path), view))
        figure = go.Figure(go.Bar(x=["a"], y=[len(calls)]))
        return ChartOutput(figure, f"drawn {len(calls)}", pd.DataFrame({"n": [1]}),
                           pending=pending)
    return ChartSpec("test-chart", "A test chart", build)


def test_a_view_is_drawn_once_per_store_version_and_settings(tmp_path):
    calls = []
    spec = _spec(calls)
    view = ViewState(area="E06000016")
    version = (str(tmp_path / "store.duckdb"), 1)
    first = _rendered(spec, version, view, ())
    again = _rendered(spec, version, view, ())
    assert again is first and len(calls) == 1
    assert list(first[0]["data"][0]["y"]) == [1]  # sent as a plain dict
    assert _rendered(spec, version, ViewState(area="E06000017"), ())[1] == "drawn 2"
    assert _rendered(spec, (version[0], 2), view, ())[1] == "drawn 3"  # after a load
    assert _rendered(spec, version, view, (("DARKFIGURE_HOME_AREA", "E23000001"),))[1] == \
        "drawn 4"
    assert len(calls) == 4


def test_a_chart_waiting_for_its_fit_is_drawn_again_when_asked_again(tmp_path):
    calls = []
    spec = _spec(calls, pending=True)
    version = (str(tmp_path / "store.duckdb"), 1)
    outputs = _rendered(spec, version, ViewState(), ())
    assert outputs[-1] is False  # the poll stays on
    _rendered(spec, version, ViewState(), ())
    assert len(calls) == 2
