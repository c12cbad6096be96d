"""Login, the guard on every route, roles and the audit log (dashboard/auth.py, accounts)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys

import pytest
from dash import Dash, Input, Output, State, dcc, html

from analysis import accounts
from analysis.errors import DarkFigureError
from dashboard.auth import MAX_FAILURES, OPEN_PATHS, install_auth
from dashboard.security import install_security

PASSWORDS = {"vera": "viewer-password-1", "ana": "analyst-password-2", "adam": "admin-password-3"}
ROLES = {"vera": "viewer", "ana": "analyst", "adam": "admin"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auth")
    users = folder / "users.json"
    for name, password in PASSWORDS.items():
        accounts.add_user(users, name, password, ROLES[name])
    return {"users_file": users, "secret_key_file": folder / "secret_key",
            "audit_log": folder / "audit.jsonl"}


def _secure(server, files, app=None):
    install_security(server)
    install_auth(server, app=app, enabled=True, **files)


@pytest.fixture(scope="module")
def real_app(files, tmp_path_factory):
    from dashboard.app import create_app

    app = create_app(tmp_path_factory.mktemp("auth-store") / "absent.duckdb")
    _secure(app.server, files)
    return app


@pytest.fixture(scope="module")
def mini_app(files, tmp_path_factory):
    """A small Dash app with an upload and a download shaped like the Data page's."""
    app = Dash(__name__, assets_folder=str(tmp_path_factory.mktemp("assets")))
    app.layout = html.Div([dcc.Upload(id="data-upload"), html.Div(id="data-upload-result"),
                           html.Button(id="t-csv"), dcc.Download(id="t-download")])

    @app.callback(Output("data-upload-result", "children"), Input("data-upload", "contents"),
                  State("data-upload", "filename"), prevent_initial_call=True)
    def upload(contents, names):
        return f"stored {len(contents)} file(s)"

    @app.callback(Output("t-download", "data"), Input("t-csv", "n_clicks"),
                  prevent_initial_call=True)
    def download(_n):
        return dcc.send_bytes(b"a,b\n1,2\n", "counts.csv")

    _secure(app.server, files, app)
    return app


def login(client, name, password=None):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    return client.post("/login", data={"csrf": token, "username": name,
                                       "password": password or PASSWORDS[name], "next": "/"})


def _sample_url(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        url = re.sub(rf"<[^>]*{arg}>", "x", url)
    return url


def test_every_route_of_the_real_app_needs_a_session(real_app):
    client = real_app.server.test_client()
    rules = [r for r in real_app.server.url_map.iter_rules() if r.rule not in OPEN_PATHS]
    assert {"/_dash-update-component", "/_dash-layout", "/_dash-dependencies"} <= {
        r.rule for r in rules}
    for rule in rules:
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, json={} if method == "POST" else None)
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login?next="), url
            else:
                assert response.status_code == 401, (method, url, response.status_code)


def test_page_load_redirects_to_login_and_xhr_gets_401(real_app):
    client = real_app.server.test_client()
    page = client.get("/areas?area=E06000016", headers={"Accept": "text/html"})
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/areas%3Farea%3DE06000016"
    for path in ("/_dash-layout", "/_dash-dependencies", "/assets/02-darkfigure.css",
                 "/_dash-component-suites/dash/dcc/dash_core_components.js"):
        assert client.get(path).status_code == 401, path
    callback = client.post("/_dash-update-component", json={"output": "x.children"})
    assert callback.status_code == 401 and callback.get_json()["error"]


def test_login_page_and_its_stylesheet_are_open(real_app):
    client = real_app.server.test_client()
    page = client.get("/login")
    assert page.status_code == 200 and 'type="password"' in page.get_data(as_text=True)
    assert client.get("/login.css").status_code == 200


def test_login_sets_a_strict_httponly_secure_cookie_and_opens_the_app(real_app):
    client = real_app.server.test_client()
    response = login(client, "vera")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    client.post("/logout")
    assert client.get("/_dash-layout").status_code == 401


def test_wrong_password_and_unknown_user_are_refused_alike_and_audited(real_app, files):
    client = real_app.server.test_client()
    wrong = login(client, "vera", "not-her-password")
    unknown = login(client, "nobody", "whatever-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    events = accounts.read_audit(files["audit_log"])
    failed = [e for e in events if e["action"] == "login_failed"]
    assert {e["detail"]["username"] for e in failed} >= {"vera", "nobody"}
    assert not any("not-her-password" in json.dumps(e) for e in events)


def test_login_form_without_its_csrf_token_is_refused(real_app):
    client = real_app.server.test_client()
    response = client.post("/login", data={"username": "vera", "password": PASSWORDS["vera"]})
    assert response.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_login_never_redirects_off_site(real_app):
    client = real_app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    response = client.post("/login", data={"csrf": token, "username": "vera",
                                           "password": PASSWORDS["vera"],
                                           "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_repeated_failures_lock_the_account_out(files, tmp_path):
    app = Dash(__name__, assets_folder=str(tmp_path))
    app.layout = html.Div()
    _secure(app.server, {**files, "audit_log": tmp_path / "audit.jsonl"})
    client = app.server.test_client()
    for _ in range(MAX_FAILURES):
        assert login(client, "ana", "wrong-password!").status_code == 401
    locked = login(client, "ana")  # the right password, too late
    assert locked.status_code == 429
    assert client.get("/_dash-layout").status_code == 401


def test_removed_user_loses_access_at_once(files, tmp_path):
    users = tmp_path / "users.json"
    accounts.add_user(users, "temp", "temporary-password", "viewer")
    app = Dash(__name__, assets_folder=str(tmp_path))
    app.layout = html.Div()
    _secure(app.server, {**files, "users_file": users})
    client = app.server.test_client()
    login(client, "temp", "temporary-password")
    assert client.get("/_dash-layout").status_code == 200
    accounts.remove_user(users, "temp")
    assert client.get("/_dash-layout").status_code == 401


def _upload(client):
    content = "data:text/csv;base64," + base64.b64encode(b"a,b\n1,2\n").decode()
    return client.post("/_dash-update-component", json={
        "output": "data-upload-result.children",
        "outputs": {"id": "data-upload-result", "property": "children"},
        "inputs": [{"id": "data-upload", "property": "contents", "value": [content]}],
        "state": [{"id": "data-upload", "property": "filename", "value": ["police.csv"]}],
        "changedPropIds": ["data-upload.contents"]})


def _download(client):
    return client.post("/_dash-update-component", json={
        "output": "t-download.data", "outputs": {"id": "t-download", "property": "data"},
        "inputs": [{"id": "t-csv", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["t-csv.n_clicks"]})


@pytest.mark.parametrize(("name", "allowed"), [("vera", False), ("ana", True), ("adam", True)])
def test_only_analysts_and_admins_may_upload(mini_app, files, name, allowed):
    client = mini_app.server.test_client()
    login(client, name)
    response = _upload(client)
    if allowed:
        assert response.status_code == 200
        assert "stored 1 file(s)" in response.get_data(as_text=True)
    else:
        assert response.status_code == 403
        assert "analyst" in response.get_json()["error"]
    last = accounts.read_audit(files["audit_log"], last=1)[0]
    assert last["user"] == name
    assert last["action"] == ("upload" if allowed else "upload_refused")
    assert last["detail"]["files"] == ["police.csv"]


def test_upload_and_download_callbacks_need_a_session(mini_app):
    client = mini_app.server.test_client()
    assert _upload(client).status_code == 401
    assert _download(client).status_code == 401


def test_downloads_are_audited_with_user_and_file_name(mini_app, files):
    client = mini_app.server.test_client()
    login(client, "vera")
    response = _download(client)
    assert response.status_code == 200
    last = accounts.read_audit(files["audit_log"], last=1)[0]
    assert (last["user"], last["action"]) == ("vera", "download")
    assert last["detail"]["files"] == ["counts.csv"]
    assert set(last) == {"time", "user", "action", "detail"}


@pytest.mark.parametrize(("name", "status"), [("vera", 403), ("ana", 403), ("adam", 200)])
def test_admin_routes_need_the_admin_role(real_app, name, status):
    client = real_app.server.test_client()
    login(client, name)
    assert client.get("/admin/audit").status_code == status


def test_with_auth_disabled_the_app_is_open_but_still_audited(tmp_path):
    app = Dash(__name__, assets_folder=str(tmp_path))
    app.layout = html.Div([html.Button(id="t-csv"), dcc.Download(id="t-download")])

    @app.callback(Output("t-download", "data"), Input("t-csv", "n_clicks"),
                  prevent_initial_call=True)
    def download(_n):
        return dcc.send_bytes(b"x", "x.csv")

    install_auth(app.server, enabled=False, audit_log=tmp_path / "audit.jsonl")
    client = app.server.test_client()
    assert client.get("/_dash-layout").status_code == 200
    assert _download(client).status_code == 200
    assert accounts.read_audit(tmp_path / "audit.jsonl")[0]["action"] == "download"


def test_password_hashes_are_salted_and_verify():
    first, second = accounts.hash_password("same password!"), accounts.hash_password(
        "same password!")
    assert first != second  # a fresh salt each time
    assert accounts.verify_password("same password!", first)
    assert not accounts.verify_password("same password?", first)
    assert not accounts.verify_password("same password!", "md5$abc")


def test_users_file_rejects_bad_roles_names_and_short_passwords(tmp_path):
    users = tmp_path / "users.json"
    with pytest.raises(DarkFigureError, match="role"):
        accounts.add_user(users, "x", "long enough password", "superuser")
    with pytest.raises(DarkFigureError, match="12 characters"):
        accounts.add_user(users, "x", "short", "viewer")
    with pytest.raises(DarkFigureError, match="user name"):
        accounts.add_user(users, "a b/c", "long enough password", "viewer")
    accounts.add_user(users, "x", "long enough password", "viewer")
    with pytest.raises(DarkFigureError, match="already exists"):
        accounts.add_user(users, "x", "another long password", "admin")
    assert oct(users.stat().st_mode & 0o777) == "0o600"


def test_secret_key_is_made_once_owner_only(tmp_path):
    key = accounts.read_secret_key(tmp_path / "k")
    assert len(key) == 32 and accounts.read_secret_key(tmp_path / "k") == key
    assert oct((tmp_path / "k").stat().st_mode & 0o777) == "0o600"


def test_users_command_reads_the_password_from_stdin_never_an_argument(tmp_path):
    env_file = tmp_path / "users.json"
    cmd = [sys.executable, "-m", "analysis.cli", "users", "--users-file", str(env_file)]
    env = {"DARKFIGURE_AUDIT_LOG": str(tmp_path / "audit.jsonl"), "PATH": "/usr/bin:/bin"}
    added = subprocess.run([*cmd, "add", "carol", "--role", "analyst"],
                           input="carol-long-password\n", capture_output=True, text=True,
                           env=env, check=False)
    assert added.returncode == 0, added.stderr
    assert accounts.check_login(env_file, "carol", "carol-long-password").role == "analyst"
    assert "carol-long-password" not in env_file.read_text()
    listed = subprocess.run([*cmd, "list"], capture_output=True, text=True, env=env, check=True)
    assert listed.stdout.split() == ["carol", "analyst"]
    refused = subprocess.run([*cmd, "add", "dan", "--role", "boss"], input="x" * 20,
                             capture_output=True, text=True, env=env, check=False)
    assert refused.returncode == 2  # argparse refuses an unknown role
    assert accounts.read_audit(tmp_path / "audit.jsonl")[0]["action"] == "user_added"
