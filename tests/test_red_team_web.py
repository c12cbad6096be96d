"""Red team, round two: each attack of issue 17 played against the real app over HTTP
(Flask test client; tests/test_red_team_server.py does the ones that need a real server).
The findings are numbered as in docs/security.md."""

from __future__ import annotations

import json
import logging
import time

import pytest

from analysis import accounts
from tests.red_team import (
    data_url,
    far_cells_xlsx,
    login,
    make_site,
    referral_count,
    referrals_csv,
    repeated_cells_ods,
    upload_payload,
)


@pytest.fixture(scope="module")
def site(tmp_path_factory, sample_store):
    return make_site(tmp_path_factory.mktemp("red-team-web"), sample_store)


@pytest.fixture
def fresh_site(tmp_path, sample_store):
    return make_site(tmp_path, sample_store)


def _events(files, action: str) -> list[dict]:
    return [e for e in accounts.read_audit(files["audit_log"]) if e["action"] == action]


# -- 1. a viewer can upload -------------------------------------------------------------------
def _dressed(payload: dict, how: str) -> dict:
    payload = json.loads(json.dumps(payload))
    if how == "contentz":
        payload["inputs"][0]["property"] = "contentz"
    elif how == "wrapped":
        payload["inputs"] = [[payload["inputs"][0]]]
    elif how == "no-property":
        del payload["inputs"][0]["property"]
    elif how == "other-id":
        payload["inputs"][0]["id"] = "filter-state"
    return payload


@pytest.mark.parametrize("how", ["plain", "contentz", "wrapped", "no-property", "other-id"])
def test_1_a_viewer_cannot_upload_however_the_payload_is_dressed(fresh_site, how):
    app, files = fresh_site
    before = referral_count(files["store"])
    client = app.server.test_client()
    login(client, "vera")
    payload = upload_payload(["police.csv"], [data_url(referrals_csv(20, seed=11))])
    response = client.post("/_dash-update-component", json=_dressed(payload, how))
    assert response.status_code in (400, 403), response.get_data(as_text=True)
    assert referral_count(files["store"]) == before
    assert not _events(files, "upload")  # nothing reached the upload code


def test_1_an_analyst_upload_is_audited_with_what_was_stored(fresh_site):
    app, files = fresh_site
    before = referral_count(files["store"])
    client = app.server.test_client()
    login(client, "ana")
    payload = upload_payload(["police.csv"], [data_url(referrals_csv(20, seed=12))])
    assert client.post("/_dash-update-component", json=payload).status_code == 200
    assert referral_count(files["store"]) == before + 20
    again = client.post("/_dash-update-component", json=payload)  # same file: adds nothing
    assert again.status_code == 200
    first, second = _events(files, "upload")
    assert (first["user"], first["detail"]["stored"], first["detail"]["rows_new"]) == ("ana", True, 20)
    assert (second["detail"]["stored"], second["detail"]["rows_new"]) == (False, 0)


def test_1_the_upload_callback_checks_file_types_itself(fresh_site):
    # The request-level type check reads property names; a payload that renames them must
    # still be refused by the callback, which checks the values it is actually given.
    app, files = fresh_site
    before = referral_count(files["store"])
    client = app.server.test_client()
    login(client, "ana")
    payload = upload_payload(["tool.exe"], [data_url(b"MZ\x90\x00binary", "application/x")])
    payload["inputs"][0]["property"], payload["state"][0]["property"] = "contentz", "filenamez"
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200
    assert "only CSV, XLSX, ODS and JSON" in response.get_data(as_text=True)
    assert referral_count(files["store"]) == before


# -- 2. hostile files through the upload page -----------------------------------------------
def test_2_hostile_files_are_refused_before_any_reader_parses_them(fresh_site, tmp_path):
    app, files = fresh_site
    before = referral_count(files["store"])
    client = app.server.test_client()
    login(client, "ana")
    hostile = {
        "far.xlsx": (far_cells_xlsx(tmp_path / "far.xlsx").read_bytes(), "cells"),
        "repeat.ods": (repeated_cells_ods(tmp_path / "r.ods").read_bytes(), "cells"),
        "wide.csv": (b"a," * 3_000_000 + b"a\n1\n", "MB long"),
        "header.csv": (",".join(f"c{i}" for i in range(5_000)).encode() + b"\n1\n", "columns"),
    }
    for name, (raw, reason) in hostile.items():
        for kind in ("auto", "nrm", "referrals"):
            mime = "application/octet-stream"
            response = client.post("/_dash-update-component",
                                   json=upload_payload([name], [data_url(raw, mime)], kind))
            text = response.get_data(as_text=True)
            # (a CSV named as NRM tables is refused by the NRM reader as not a workbook)
            why = "problem(s) found" if kind == "nrm" and name.endswith(".csv") else reason
            assert response.status_code == 200 and why in text, (name, kind, text[:300])
    assert referral_count(files["store"]) == before


# -- 3. no way of starting the app serves it open (see also test_red_team_server) -------------
def test_3_without_login_the_app_answers_only_this_machine(tmp_path, sample_store):
    from dashboard.app import create_app
    from dashboard.auth import install_auth

    app = create_app(sample_store)
    install_auth(app.server, enabled=False, audit_log=tmp_path / "audit.jsonl")
    client = app.server.test_client()
    assert client.get("/methods").status_code == 200
    for path in ("/methods", "/_dash-layout", "/assets/02-darkfigure.css"):
        away = client.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert away.status_code == 403, path


# -- 4. open redirect after login --------------------------------------------------------------
@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\\evil.example",
                                    "//evil.example", "https://evil.example/", "/ /evil.example",
                                    "/\r\nSet-Cookie: x=1", "\t/evil.example"])
def test_4_login_never_sends_the_user_off_site(site, target):
    app, _ = site
    client = app.server.test_client()
    response = login(client, "vera", next_url=target)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_4_the_encoded_tab_attack_from_the_report(site):
    app, _ = site
    client = app.server.test_client()
    page = client.get("/login?next=%2F%09%2Fevil.example").get_data(as_text=True)
    assert 'name="next" value="/"' in page
    assert login(client, "vera", next_url="/areas?area=E06000016").headers["Location"] == \
        "/areas?area=E06000016"  # same-site paths still work


# -- 6. sessions can be revoked -----------------------------------------------------------------
def _cookie(client) -> str:
    return client.get_cookie("darkfigure_session").value


def test_6_a_stolen_cookie_dies_at_logout(fresh_site):
    app, _ = fresh_site
    victim, thief = app.server.test_client(), app.server.test_client()
    login(victim, "vera")
    thief.set_cookie("darkfigure_session", _cookie(victim))
    assert thief.get("/_dash-layout").status_code == 200
    assert "Set-Cookie" not in victim.get("/_dash-layout").headers  # never re-signed
    victim.post("/logout")
    assert thief.get("/_dash-layout").status_code == 401


def test_6_a_password_change_ends_every_session(fresh_site):
    app, files = fresh_site
    client = app.server.test_client()
    login(client, "ana")
    assert client.get("/_dash-layout").status_code == 200
    accounts.add_user(files["users_file"], "ana", "a-new-password-99", "analyst", replace=True)
    assert client.get("/_dash-layout").status_code == 401


def test_6_a_session_ends_eight_hours_after_login_however_it_is_used(fresh_site):
    app, files = fresh_site
    user = accounts.read_users(files["users_file"])["vera"]
    signer = app.server.session_interface.get_signing_serializer(app.server)
    client = app.server.test_client()
    for hours, status in ((7.9, 200), (8.1, 401)):
        issued = int(time.time() - hours * 3600)
        client.set_cookie("darkfigure_session", signer.dumps(
            {"user": "vera", "gen": user.generation, "iat": issued, "_permanent": True}))
        assert client.get("/_dash-layout").status_code == status, hours


# -- 7. lockout turned against users -------------------------------------------------------------
def test_7_one_users_typos_do_not_lock_out_colleagues_on_the_same_address(fresh_site):
    app, _ = fresh_site
    client = app.server.test_client()
    for _ in range(6):
        assert login(client, "vera", "wrong-password!", address="10.0.0.1").status_code in (401, 429)
    assert login(client, "adam", address="10.0.0.1").status_code == 303


def test_7_nobody_elsewhere_can_lock_a_user_out_of_their_usual_address(fresh_site):
    app, files = fresh_site
    client = app.server.test_client()
    assert login(client, "ana", address="10.0.0.2").status_code == 303  # her usual address
    client.post("/logout")
    statuses = [login(client, "ana", "guess-password", address="203.0.113.9").status_code
                for _ in range(30)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}  # the attacker is slowed
    assert login(client, "ana", address="10.0.0.2").status_code == 303  # ana is not
    throttled = _events(files, "login_throttled")
    assert len(throttled) == 1  # 25 throttled attempts, one audit line


def test_7_backoff_passes_once_the_wait_is_over(fresh_site, monkeypatch):
    app, _ = fresh_site
    client = app.server.test_client()
    for _ in range(5):
        login(client, "vera", "wrong-password!", address="198.51.100.7")
    assert login(client, "vera", address="198.51.100.7").status_code == 429
    later = time.monotonic() + 3  # the first backoff is 2 seconds
    monkeypatch.setattr("dashboard.throttle.time.monotonic", lambda: later)
    assert login(client, "vera", address="198.51.100.7").status_code == 303


def test_7_throttle_memory_is_bounded(monkeypatch):
    from dashboard import throttle

    monkeypatch.setattr(throttle, "MAX_KEYS", 100)
    guard = throttle.LoginThrottle()
    for i in range(1_000):
        guard.fail(f"user{i}", f"10.9.{i // 250}.{i % 250}")
    assert len(guard._times) <= 100


# -- 8. malformed view state -----------------------------------------------------------------------
def _callback(state) -> dict:
    return {"output": "methods-assumptions.children",
            "outputs": {"id": "methods-assumptions", "property": "children"},
            "inputs": [{"id": "filter-state", "property": "data", "value": state}],
            "changedPropIds": ["filter-state.data"]}


@pytest.mark.parametrize("state", [{"snapshot": "abc"}, {"sector": ["care", "x"]},
                                   {"scenario": "s" * 5_000}, {"board": "yes"},
                                   {"period": "2023Q1:2023Q4\r\n"}, ["not", "a", "dict"],
                                   {"area": {"nested": 1}}])
def test_8_bad_view_state_is_a_400_with_one_log_line(site, state, caplog):
    app, _ = site
    client = app.server.test_client()
    login(client, "vera")
    assert client.post("/_dash-update-component", json=_callback({})).status_code == 200
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.post("/_dash-update-component", json=_callback(state))
    assert response.status_code == 400 and response.get_json()["error"]
    logged = [r for r in caplog.records if r.name.startswith(("dashboard", "flask", "werkzeug"))]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING
    assert not logged[0].exc_info and "Traceback" not in caplog.text


@pytest.mark.parametrize("change", ["unknown-output", "missing-input", "list-input", "huge-text"])
def test_8_callbacks_that_do_not_match_their_declaration_are_refused(site, change):
    app, _ = site
    client = app.server.test_client()
    login(client, "vera")
    payload = _callback({})
    if change == "unknown-output":
        payload["output"] = "nothing-here.children"
    elif change == "missing-input":
        payload["inputs"] = []
    elif change == "list-input":
        payload["inputs"] = [payload["inputs"]]
    else:
        payload["output"] = "..data-summary.children...data-loads.children.."
        payload["inputs"].append({"id": "data-upload-result", "property": "children",
                                  "value": "x" * 100_000})
    assert client.post("/_dash-update-component", json=payload).status_code == 400


def test_8_made_up_component_suite_paths_are_404s_without_tracebacks(site, caplog):
    app, _ = site
    client = app.server.test_client()
    login(client, "vera")
    for path in ("/_dash-component-suites/evil/x.js", "/_dash-component-suites/dash/../../x.js",
                 "/_dash-component-suites/dash/dcc/x.v1m1.js"):
        caplog.clear()
        assert client.get(path).status_code == 404, path
        assert "Traceback" not in caplog.text and len(caplog.records) == 1


# -- 11. what the Data page shows ----------------------------------------------------------------
def test_11_the_data_page_does_not_show_the_server_path_of_the_store(site):
    app, files = site
    client = app.server.test_client()
    login(client, "vera")
    response = client.post("/_dash-update-component", json={
        "output": "..data-summary.children...data-loads.children..",
        "outputs": [{"id": "data-summary", "property": "children"},
                    {"id": "data-loads", "property": "children"}],
        "inputs": [{"id": "filter-state", "property": "data", "value": {}},
                   {"id": "data-upload-result", "property": "children", "value": None}],
        "changedPropIds": ["filter-state.data"]})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "referrals" in text
    assert str(files["store"]) not in text and str(files["store"].parent) not in text


# -- 12. control characters -------------------------------------------------------------------------
def test_12_a_nul_after_the_first_kilobyte_is_refused_and_nothing_is_stored(fresh_site):
    app, files = fresh_site
    before = referral_count(files["store"])
    raw = referrals_csv(60, seed=13)
    assert len(raw) > 2048
    cut = raw.index(b"\n", 1500) + 1  # a record id after the first kilobyte
    raw = raw[:cut] + b"NU\x00L" + raw[cut:]
    client = app.server.test_client()
    login(client, "ana")
    response = client.post("/_dash-update-component",
                           json=upload_payload(["nul.csv"], [data_url(raw)]))
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "control character (U+0000)" in text
    assert referral_count(files["store"]) == before

