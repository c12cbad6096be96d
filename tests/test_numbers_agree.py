"""A number in notebook 1 equals the same number in the dashboard's download of that view.

For a fixed area and period, the notebook's code path (the public ``analysis`` API on a store
built from the sample) is computed here independently of the dashboard, and compared with the
CSV the dashboard serves when a user presses "Download CSV": through the real Dash callback,
over the Flask test client, decoded from the bytes the browser would save.
"""

from __future__ import annotations

import base64
import io
import shutil

import pandas as pd
import pytest

from analysis.expected import expected_flow, expected_grid
from analysis.funnel import funnel
from analysis.periods import quarter_range
from analysis.reference import read_areas
from analysis.shrinkage import shrink_ratios
from analysis.store import Store
from analysis.tables import count_referrals, first_detections

FORCE = "E23000021"
DISTRICT = "E06000016"  # Leicester
PERIOD = ("2025Q1", "2025Q4")
SCENARIO = "gsi_2023"


@pytest.fixture(scope="module")
def store_path(sample_store, tmp_path_factory):
    target = tmp_path_factory.mktemp("agree") / "darkfigure.duckdb"
    shutil.copy(sample_store, target)
    return target


@pytest.fixture(scope="module")
def client(store_path):
    from dashboard.app import create_app

    app = create_app(store_path)
    test_client = app.server.test_client()
    test_client.get("/")  # the first request registers the page callbacks
    return test_client


def _download(client, chart_id: str, view) -> pd.DataFrame:
    """Press the chart's CSV button through the real callback and read the file it sends."""
    output = f"{chart_id}-download.data"
    body = {
        "output": output, "outputs": {"id": f"{chart_id}-download", "property": "data"},
        "inputs": [{"id": f"{chart_id}-csv", "property": "n_clicks", "value": 1},
                   {"id": f"{chart_id}-xlsx", "property": "n_clicks", "value": None}],
        "state": [{"id": "filter-state", "property": "data", "value": view.to_dict()}],
        "changedPropIds": [f"{chart_id}-csv.n_clicks"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    sent = response.get_json()["response"][f"{chart_id}-download"]["data"]
    assert sent["filename"].endswith(".csv")
    raw = base64.b64decode(sent["content"]) if sent.get("base64") else sent["content"].encode()
    return pd.read_csv(io.BytesIO(raw))


def _notebook_people(store_path, area_codes: list[str]) -> pd.DataFrame:
    """New victims: first-ever records over the whole store, then the area and period."""
    with Store(store_path, read_only=True) as store:
        rows = store.referrals()
    first = first_detections(rows)
    return first[first["area_code"].isin(area_codes)
                 & first["quarter"].isin(quarter_range(*PERIOD))]


def _notebook_detected(store_path, area_codes: list[str]) -> pd.DataFrame:
    return count_referrals(_notebook_people(store_path, area_codes), ["area_code", "quarter"],
                           levels={"area_code": area_codes, "quarter": quarter_range(*PERIOD)})


def _notebook_shown_by_district(store_path, area_codes: list[str]) -> pd.DataFrame:
    """The district counts as published: through the protection layer, [c] left out."""
    from analysis.disclosure import protect_table

    shown = protect_table(_notebook_people(store_path, area_codes), "area_code",
                          levels={"area_code": area_codes}).to_frame()
    shown = shown[~shown["count_suppressed"]]
    return pd.DataFrame({"area_code": shown["area_code"],
                         "detected": shown["count"].astype(int)})


def _districts() -> pd.DataFrame:
    return read_areas().query("pfa_code == @FORCE")[["lad_code", "lad_name"]]


def test_overview_download_matches_notebook_for_leicester_2025(client, store_path):
    from dashboard.state import ViewState

    detected = int(_notebook_detected(store_path, [DISTRICT])["detected"].sum())
    expected = expected_flow(DISTRICT, scenario=SCENARIO,
                             period_years=len(quarter_range(*PERIOD)) / 4)
    sheet = _download(client, "overview-band",
                      ViewState(area=DISTRICT, period=":".join(PERIOD), scenario=SCENARIO))
    flow = sheet[sheet["estimate"] == "expected new victims"].iloc[0]
    shown = sheet[sheet["estimate"] == "detected new victims"].iloc[0]
    from analysis.disclosure import protect_count

    published = protect_count(_notebook_people(store_path, [DISTRICT])).value
    assert int(shown["value"]) == int(shown["detected_shown"]) == published
    assert abs(published - detected) <= 2  # the cell-key perturbation is at most 2
    assert detected >= 5  # shown, not suppressed, so the comparison is of a real number
    assert flow["value"] == pytest.approx(expected.value, rel=1e-9)
    assert (flow["lower"], flow["upper"]) == pytest.approx((expected.lower, expected.upper))
    assert pd.isna(flow["confidence_level"])  # a range over assumptions has no level
    assert flow["period"] == "2025Q1:2025Q4" and str(flow["period_label"]) == "2025"


def test_overview_composition_download_is_the_protected_mix_of_the_headline_period(
        client, store_path):
    """The composition is the context of the whole view: the same people (every sector,
    type and age) whatever those filters say, over the headline's own period."""
    from analysis.composition import protected_composition
    from dashboard import headline_view
    from dashboard.state import ViewState

    view = ViewState(area=DISTRICT, period=":".join(PERIOD), sector="agriculture",
                     age_group="adult")
    sheet = _download(client, "overview-composition", view)
    independent = protected_composition(_notebook_people(store_path, [DISTRICT]))
    assert sheet["group"].tolist() == independent["group"].tolist()
    for column in ("count", "known"):
        want = independent[column].astype(object).where(independent[column].notna(), "[c]")
        assert sheet[column].astype(str).tolist() == want.astype(str).tolist()
    assert sheet["share"].to_numpy() == pytest.approx(independent["share"].to_numpy(),
                                                      nan_ok=True)
    assert set(sheet["period"]) == {"2025Q1:2025Q4"}
    headline = headline_view.headline(store_path, view)
    assert headline.period_code == "2025Q1:2025Q4"


def test_cli_headline_equals_the_overview_download(client, store_path, capsys):
    import json

    from analysis.cli import main
    from dashboard.state import ViewState

    assert main(["estimate", "--store", str(store_path), "--area", FORCE, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    sheet = _download(client, "overview-band", ViewState()).set_index("estimate")
    assert cli["period"] == "2025Q1:2025Q4" and sheet["period"].iloc[0] == cli["period"]
    assert cli["detected"]["value"] == sheet.loc["detected new victims", "value"]
    assert cli["expected"]["value"] == pytest.approx(sheet.loc["expected new victims", "value"])
    ratio = sheet.loc["detection ratio"]
    counted = ratio[ratio["interval_kind"] == "confidence"].iloc[0]
    assert (cli["detection_ratio"]["lower"], cli["detection_ratio"]["upper"]) == pytest.approx(
        (counted["lower"], counted["upper"]))


def test_areas_funnel_download_matches_notebook_district_ratios(client, store_path):
    from dashboard.state import ViewState

    districts = _districts()
    quarters = quarter_range(*PERIOD)
    expected = expected_grid(list(districts["lad_code"]), quarters, scenario=SCENARIO)
    expected = expected.groupby("area_code", as_index=False)["expected"].sum()
    area_quarter = (_notebook_shown_by_district(store_path, list(districts["lad_code"]))
                    .merge(expected, on="area_code")
                    .merge(districts.rename(columns={"lad_code": "area_code",
                                                     "lad_name": "area_name"}), on="area_code"))
    ours = funnel(area_quarter, overdispersion="auto").to_frame()
    sheet = _download(client, "areas-funnel",
                      ViewState(area=FORCE, period=":".join(PERIOD), scenario=SCENARIO))
    keys = ["area_code", "confidence_level"]
    merged = ours.merge(sheet, on=keys, suffixes=("_notebook", "_dashboard"))
    assert len(merged) == len(ours) == 2 * len(area_quarter)
    for column in ("observed", "expected", "ratio", "lower", "upper"):
        assert merged[f"{column}_dashboard"].to_numpy() == pytest.approx(
            merged[f"{column}_notebook"].to_numpy(), rel=1e-9), column
    assert (merged["classification_dashboard"] == merged["classification_notebook"]).all()

    shrunk = shrink_ratios(area_quarter).to_frame()
    bars = _download(client, "areas-bars",
                     ViewState(area=FORCE, period=":".join(PERIOD), scenario=SCENARIO))
    both = shrunk.merge(bars, on="area_code", suffixes=("_notebook", "_dashboard"))
    assert len(both) == len(area_quarter)
    for column in ("value", "lower", "upper"):  # shrunken ratio and its posterior interval
        assert both[f"{column}_dashboard"].to_numpy() == pytest.approx(
            both[f"{column}_notebook"].to_numpy(), rel=1e-9), column
