"""The real waitress server in a subprocess, over real HTTP (dashboard/production.py)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from dash import Dash, html

from analysis import accounts
from analysis.errors import DarkFigureError
from dashboard.production import prepare_production

SERVE = """
import sys
from dashboard.app import create_app
from dashboard.production import run_production
run_production(create_app(sys.argv[1]), port=int(sys.argv[2]))
"""
PASSWORD = "analyst-password-9"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url, *, data=None, headers=None):
    """(status, headers, body) without following redirects or raising on 4xx/5xx."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    accounts.add_user(folder / "users.json", "ana", PASSWORD, "analyst")
    port = _free_port()
    env = {**os.environ, "DARKFIGURE_AUTH": "true",
           "DARKFIGURE_USERS_FILE": str(folder / "users.json"),
           "DARKFIGURE_SECRET_KEY_FILE": str(folder / "secret_key"),
           "DARKFIGURE_AUDIT_LOG": str(folder / "audit.jsonl"),
           "DASH_DEBUG": "true"}  # must be overridden: production never runs Dash debug
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(folder / "absent.duckdb"),
                                str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            fetch(base + "/login")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"server did not start: {process.communicate()[0]}")
            time.sleep(0.2)
    yield {"base": base, "audit": folder / "audit.jsonl"}
    process.terminate()
    process.wait(timeout=30)


def _login(base) -> str:
    status, headers, body = fetch(base + "/login")
    jar = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrf" value="([^"]+)"', body)[1].decode()
    form = urllib.parse.urlencode({"csrf": token, "username": "ana", "password": PASSWORD,
                                   "next": "/"}).encode()
    status, headers, _ = fetch(base + "/login", data=form, headers={"Cookie": jar})
    assert status == 303
    return headers["Set-Cookie"]


def test_security_headers_are_sent_and_there_is_no_server_banner(server):
    status, headers, _ = fetch(server["base"] + "/login")
    assert status == 200
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers.get("Server") is None


def test_login_is_required_for_pages_and_dash_routes(server):
    base = server["base"]
    status, headers, _ = fetch(base + "/trends", headers={"Accept": "text/html"})
    assert status == 302 and headers["Location"].startswith("/login?next=")
    for path in ("/_dash-layout", "/_dash-dependencies", "/assets/02-darkfigure.css"):
        assert fetch(base + path)[0] == 401, path
    body = json.dumps({"output": "data-counts-download.data", "inputs": []}).encode()
    status, _, reply = fetch(base + "/_dash-update-component", data=body,
                             headers={"Content-Type": "application/json"})
    assert status == 401 and json.loads(reply)["status"] == 401


def test_after_login_the_dashboard_answers_with_dash_debug_off(server):
    cookie = _login(server["base"])
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = {"Cookie": cookie.split(";")[0]}
    status, _, page = fetch(server["base"] + "/", headers=jar)
    assert status == 200
    config = json.loads(re.search(rb'<script id="_dash-config" type="application/json">'
                                  rb"(.*?)</script>", page, re.S)[1])
    assert config["ui"] is False and config["props_check"] is False
    assert fetch(server["base"] + "/_dash-layout", headers=jar)[0] == 200
    events = accounts.read_audit(server["audit"])
    assert events[-1]["action"] == "login" and events[-1]["user"] == "ana"


def test_errors_show_no_traceback(server):
    status, _, body = fetch(server["base"] + "/login", data=b"\xff" * 10,
                            headers={"Content-Type": "application/json"})
    assert status in (400, 401)
    assert b"Traceback" not in body and b"File \"" not in body


def _tiny_app(tmp_path) -> Dash:
    app = Dash(__name__, assets_folder=str(tmp_path))
    app.layout = html.Div("hello")
    return app


def test_serving_beyond_loopback_without_auth_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DARKFIGURE_AUTH", "false")
    with pytest.raises(DarkFigureError, match="without authentication"):
        prepare_production(_tiny_app(tmp_path), "0.0.0.0")
    prepare_production(_tiny_app(tmp_path), "127.0.0.1")  # loopback is fine


def test_flask_debug_mode_is_refused(tmp_path, monkeypatch):
    app = _tiny_app(tmp_path)
    app.server.debug = True
    with pytest.raises(DarkFigureError, match="debug"):
        prepare_production(app, "127.0.0.1")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(DarkFigureError, match="debug"):
        prepare_production(_tiny_app(tmp_path), "127.0.0.1")


def test_serve_production_refuses_without_login(monkeypatch, tmp_path, capsys):
    from analysis.cli import main

    monkeypatch.setenv("DARKFIGURE_AUTH", "false")
    assert main(["serve", "--production", "--store", str(tmp_path / "s.duckdb")]) == 2
    assert "needs login" in capsys.readouterr().err


def test_serve_production_refuses_to_fall_back_to_the_sample(monkeypatch, tmp_path, capsys):
    from analysis.cli import main

    monkeypatch.setenv("DARKFIGURE_AUTH", "true")
    assert main(["serve", "--production", "--store", str(tmp_path / "absent.duckdb")]) == 2
    assert "no store" in capsys.readouterr().err
    assert not (tmp_path / "absent.duckdb").exists()


def test_darkfigure_serve_with_two_workers_answers_every_page(tmp_path):
    """The README's first command on a fresh machine, end to end: `darkfigure serve` builds
    the store from the sample, builds the app (reading the store), forks two workers, and
    they answer pages; no worker dies. (A DuckDB database still open at the fork once
    killed both workers, 'terminate called without an active exception', on a manual run;
    the app now lets the file go before serving.)"""
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("DARKFIGURE_")}
    env.update(HOME=str(tmp_path), DARKFIGURE_WORKERS="2")
    process = subprocess.Popen([sys.executable, "-m", "analysis.cli", "serve", "--port",
                                str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                fetch(base + "/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"server did not start: {process.communicate()[0]}")
                time.sleep(0.3)
        for _ in range(3):  # several connections, so both workers answer
            for path in ("/", "/areas", "/hidden", "/_dash-layout", "/_dash-dependencies"):
                status, _, _ = fetch(base + path)
                assert status == 200, path
        assert process.poll() is None
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "terminate called" not in output and "Traceback" not in output, output
