"""The analyst's exact-count toggle (issue 11): offered to analysts only, decided on the server,
logged, announced, never in board mode, never in a download or the pack.

Numbers: on the bundled sample (``darkfigure synth --seed 20240101``), Leicestershire (the home
force area, E23000021) in 2025 has 215 new victims; the cell-key method shows 216
(``protect_count`` on the same rows, checked below against ``mode="exact"``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from analysis import accounts
from dashboard.callbacks import is_valid_view_state
from dashboard.state import ViewState, disclosure_mode, from_dict, from_query, to_query

PASSWORDS = {"vera": "viewer-password-1", "ana": "analyst-password-2", "adam": "admin-password-3"}
ROLES = {"vera": "viewer", "ana": "analyst", "adam": "admin"}
YEAR = "2025Q1:2025Q4"
EXACT_2025, PROTECTED_2025 = "215", "216"


# --- the view state: exact is a field, never a URL key -------------------------------------

def test_a_copied_link_never_carries_exact_mode():
    state = ViewState(area="E06000016", period=YEAR, exact=True)
    assert "exact" not in to_query(state) and to_query(state) == to_query(
        ViewState(area="E06000016", period=YEAR))
    assert from_query(to_query(state)).exact is False
    assert from_query("?exact=1&exact_counts=true&mode=exact").exact is False


def test_disclosure_mode_follows_the_state_and_board_mode_is_never_exact():
    from analysis.disclosure import EXACT, PROTECTED

    assert disclosure_mode(ViewState()) == PROTECTED
    assert disclosure_mode(ViewState(exact=True)) == EXACT
    assert ViewState(exact=True, board=True).exact is False
    assert disclosure_mode(ViewState(exact=True, board=True)) == PROTECTED


def test_from_dict_outside_a_request_fails_closed():
    assert from_dict({"exact": True}).exact is False
    assert from_dict(ViewState(period=YEAR).to_dict()) == ViewState(period=YEAR)


def test_the_view_state_check_accepts_exact_only_as_true_or_false():
    assert is_valid_view_state(ViewState(exact=True).to_dict())
    assert is_valid_view_state(ViewState().to_dict())
    assert not is_valid_view_state({**ViewState().to_dict(), "exact": "true"})
    assert not is_valid_view_state({**ViewState().to_dict(), "exact": 1})
    assert not is_valid_view_state({**ViewState().to_dict(), "extra": 1})


# --- the app with login: viewer, analyst, admin ---------------------------------------------

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exact-auth")
    users = folder / "users.json"
    for name, password in PASSWORDS.items():
        accounts.add_user(users, name, password, ROLES[name])
    return {"users_file": users, "secret_key_file": folder / "secret_key",
            "audit_log": folder / "audit.jsonl"}


@pytest.fixture(scope="module")
def store(sample_store, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("exact-store") / "darkfigure.duckdb"
    shutil.copy(sample_store, target)
    return target


@pytest.fixture(scope="module")
def app(store, files):
    from dashboard.app import create_app
    from dashboard.auth import install_auth

    app = create_app(store)
    install_auth(app.server, app=app, enabled=True, **files)
    return app


@pytest.fixture(scope="module")
def callbacks(app, files) -> dict[str, dict]:
    client = _client(app, "ana")
    client.get("/")  # the first request registers the page router
    return {c["output"]: c for c in json.loads(client.get("/_dash-dependencies").data)}


def _client(app, name):
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    response = client.post("/login", data={"csrf": token, "username": name,
                                           "password": PASSWORDS[name], "next": "/"})
    assert response.status_code == 303
    return client


def _output(callbacks, fragment: str) -> dict:
    # "@" marks a second writer of the same outputs (a chart's refresh while a fit runs)
    (callback,) = [c for k, c in callbacks.items() if fragment in k and "@" not in k]
    return callback


def _call(client, callback: dict, values: dict[str, object], changed: str | None = None):
    """Post a callback as the browser would, with ``values`` by ``id.property``."""
    def items(deps):
        return [{**d, "value": values.get(f"{d['id']}.{d['property']}")} for d in deps]

    outputs = [{"id": i, "property": p} for i, _, p in
               (o.rpartition(".") for o in callback["output"].strip(".").split("..."))]
    inputs = items(callback["inputs"])
    body = {"output": callback["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": inputs, "state": items(callback["state"]),
            "changedPropIds": [changed or f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def _detected(client, callbacks, state: dict) -> str:
    tiles = _output(callbacks, "overview-detected-value.children")
    return _call(client, tiles, {"filter-state.data": state})["overview-detected-value"]["children"]


def _audit(files) -> list[dict]:
    return accounts.read_audit(Path(files["audit_log"]))


def test_the_sample_numbers_are_what_the_tests_claim(store):
    from analysis.disclosure import protect_count
    from dashboard import data

    rows = data.people(store, ViewState(period=YEAR))
    assert str(protect_count(rows, mode="exact").value) == EXACT_2025 == str(len(rows))
    assert str(protect_count(rows).value) == PROTECTED_2025


def test_only_a_user_who_may_act_as_analyst_is_offered_the_switch(app, callbacks):
    for name, offered in (("vera", False), ("ana", True), ("adam", True)):
        layout = _client(app, name).get("/_dash-layout").get_data(as_text=True)
        assert ('"exact-toggle"' in layout) is offered, name
        assert '"exact-banner"' in layout and '"exact-mode"' in layout  # for everyone


def test_a_forged_exact_request_from_a_viewer_gets_protected_counts(app, callbacks, files):
    viewer = _client(app, "vera")
    forged = ViewState(period=YEAR, exact=True).to_dict()
    assert forged["exact"] is True
    assert _detected(viewer, callbacks, forged) == PROTECTED_2025
    banner = _call(viewer, _output(callbacks, "exact-banner.children"),
                   {"filter-state.data": forged})["exact-banner"]
    assert banner["hidden"] is True
    # the switch's own callback refuses, and says so in the audit log
    mode = _call(viewer, callbacks["exact-mode.data"],
                 {"exact-toggle.value": True, "app-url.pathname": "/"})
    assert mode["exact-mode"]["data"] is False
    last = _audit(files)[-1]
    assert (last["user"], last["action"], last["detail"]["page"]) == (
        "vera", "exact_counts_refused", "/")
    # nor does the filter bar grant it when told the switch is on
    state = _filter_state(viewer, callbacks, exact=True)
    assert state.get("exact") is False


def _filter_state(client, callbacks, *, exact, board=False) -> dict:
    filters = _output(callbacks, "filter-state.data...filter-query.data")
    values = {"filter-area.value": "E23000021", "filter-from.value": "2025Q1",
              "filter-to.value": "2025Q4", "filter-sector.value": "all",
              "filter-type.value": "all", "filter-age.value": "all",
              "filter-scenario.value": "gsi_2023", "filter-event.value": None,
              "board-toggle.value": board, "filter-snapshot.data": None,
              "exact-mode.data": exact}
    out = _call(client, filters, values, changed="exact-mode.data")
    assert "exact" not in out["filter-query"]["data"]
    return out["filter-state"]["data"]


def test_analyst_switches_exact_on_and_off_and_both_are_logged(app, callbacks, files):
    analyst = _client(app, "ana")
    switch = callbacks["exact-mode.data"]
    on = _call(analyst, switch, {"exact-toggle.value": True, "app-url.pathname": "/trends"})
    assert on["exact-mode"]["data"] is True
    event = _audit(files)[-1]
    assert (event["user"], event["action"], event["detail"]["page"]) == (
        "ana", "exact_counts_on", "/trends")
    state = _filter_state(analyst, callbacks, exact=True)
    assert state["exact"] is True
    assert _detected(analyst, callbacks, state) == EXACT_2025
    banner = _call(analyst, _output(callbacks, "exact-banner.children"),
                   {"filter-state.data": state})["exact-banner"]
    assert banner["hidden"] is False
    assert "exact" in banner["children"].lower() and "not for circulation" in banner["children"]
    assert "stay protected" in banner["children"]
    off = _call(analyst, switch, {"exact-toggle.value": False, "app-url.pathname": "/"})
    assert off["exact-mode"]["data"] is False
    assert _audit(files)[-1]["action"] == "exact_counts_off"
    assert _detected(analyst, callbacks, _filter_state(analyst, callbacks, exact=False)) == (
        PROTECTED_2025)


def test_a_chart_drawn_exact_for_an_analyst_is_never_served_to_a_viewer(app, callbacks):
    """Rendered charts are kept per view (dashboard.charts): the analyst's exact drawing of
    a view must not come back from that store for a viewer asking for the same state."""
    state = ViewState(period=YEAR, exact=True).to_dict()
    render = _output(callbacks, "overview-band-graph.figure")

    def drawn_detected(client) -> str:
        figure = _call(client, render, {"filter-state.data": state})["overview-band-graph"]
        (trace,) = [t for t in figure["figure"]["data"] if t.get("name") == "Detected"]
        return str(trace["x"][0])

    analyst, viewer = _client(app, "ana"), _client(app, "vera")
    assert EXACT_2025 != PROTECTED_2025
    for _ in range(2):  # the second round is served from the kept drawings
        assert drawn_detected(analyst) == EXACT_2025
        assert drawn_detected(viewer) == PROTECTED_2025


def test_admin_may_act_as_analyst(app, callbacks):
    admin = _client(app, "adam")
    assert _detected(admin, callbacks, ViewState(period=YEAR, exact=True).to_dict()) == EXACT_2025


def test_a_download_while_exact_is_on_is_still_protected(app, callbacks, files):
    analyst = _client(app, "ana")
    state = ViewState(period=YEAR, exact=True).to_dict()
    out = _call(analyst, callbacks["overview-band-download.data"],
                {"overview-band-csv.n_clicks": 1, "filter-state.data": state})
    import base64

    data = out["overview-band-download"]["data"]
    text = base64.b64decode(data["content"]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["detected_shown"] == PROTECTED_2025
    assert _audit(files)[-1]["action"] == "download"
    # the screen is exact; the image downloads get the protected figure, the toolbar's own
    # image button goes
    render = _call(analyst, _output(callbacks, "overview-band-image.data"),
                   {"filter-state.data": state})
    assert render["overview-band-image"]["data"] is not None
    assert "toImage" in render["overview-band-graph"]["config"]["modeBarButtonsToRemove"]
    shown = json.dumps(render["overview-band-graph"]["figure"])
    image = json.dumps(render["overview-band-image"]["data"])
    assert shown != image
    plain = _call(analyst, _output(callbacks, "overview-band-image.data"),
                  {"filter-state.data": ViewState(period=YEAR).to_dict()})
    assert plain["overview-band-image"]["data"] is None
    assert json.dumps(plain["overview-band-graph"]["figure"]) == image


def test_board_mode_is_never_exact(app, callbacks):
    analyst = _client(app, "ana")
    board = {**ViewState(period=YEAR, board=True).to_dict(), "exact": True}
    assert _detected(analyst, callbacks, board) == PROTECTED_2025
    state = _filter_state(analyst, callbacks, exact=True, board=True)
    assert state["board"] is True and state["exact"] is False
    # switching board mode on turns the switch off (which logs exact_counts_off)
    ends = _call(analyst, callbacks["exact-toggle.value"],
                 {"board-toggle.value": True, "exact-toggle.value": True})
    assert ends["exact-toggle"]["value"] is False


def test_the_board_pack_is_built_protected_whatever_the_state_says(store):
    from dashboard import headline_view
    from dashboard.report import build_pages

    exact = ViewState(period=YEAR, exact=True)
    assert headline_view.headline(store, exact).detected == int(EXACT_2025)
    pages = build_pages(store, exact)
    protected = build_pages(store, ViewState(period=YEAR))
    assert [p.to_json() for p in pages] == [p.to_json() for p in protected]


def test_without_login_the_local_user_is_offered_the_switch_and_it_is_audited(
        store, tmp_path, monkeypatch):
    from dashboard.app import create_app

    monkeypatch.setenv("DARKFIGURE_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    app = create_app(store)  # login off: loopback only
    client = app.server.test_client()
    client.get("/")
    assert '"exact-toggle"' in client.get("/_dash-layout").get_data(as_text=True)
    deps = {c["output"]: c for c in json.loads(client.get("/_dash-dependencies").data)}
    on = _call(client, deps["exact-mode.data"], {"exact-toggle.value": True,
                                                  "app-url.pathname": "/"})
    assert on["exact-mode"]["data"] is True
    (event,) = accounts.read_audit(tmp_path / "audit.jsonl")
    assert (event["user"], event["action"]) == (None, "exact_counts_on")
    state = ViewState(period=YEAR, exact=True).to_dict()
    assert _detected(client, deps, state) == EXACT_2025
