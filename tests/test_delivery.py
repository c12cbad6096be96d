"""Production delivery: gzip, cache lifetimes, server settings and several worker processes
(dashboard/delivery.py, dashboard/production.py, dashboard/workers.py, dashboard/throttle.py)."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time

import pytest

from analysis import accounts
from analysis.errors import DarkFigureError
from dashboard.delivery import LONG_CACHE
from dashboard.production import server_settings
from dashboard.state import ViewState
from dashboard.throttle import MAX_FAILURES, SharedLoginThrottle
from tests.test_production import _free_port, fetch

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture(scope="module")
def client(sample_store):
    from dashboard.app import create_app
    from dashboard.production import prepare_production

    server = prepare_production(create_app(sample_store), "127.0.0.1")
    client = server.test_client()
    client.get("/")  # the first request registers the page router
    return client


def _static_urls(client) -> list[str]:
    page = client.get("/").get_data(as_text=True)
    return re.findall(r'(?:src|href)="(/(?:assets|_dash-component-suites)/[^"]+)"', page)


def _chart_callback(client) -> dict:
    callbacks = json.loads(client.get("/_dash-dependencies").data)
    return next(c for c in callbacks if c["inputs"] == [{"id": "filter-state", "property": "data"}]
                and c["output"].startswith("..overview-"))


def test_a_json_callback_reply_is_gzipped_and_never_cached(client):
    callback = _chart_callback(client)
    outputs = [{"id": i, "property": p} for i, _, p in
               (part.rpartition(".") for part in callback["output"].strip(".").split("..."))]
    body = {"output": callback["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [{"id": "filter-state", "property": "data", "value": ViewState().to_dict()}],
            "state": [{**s, "value": None} for s in callback.get("state", [])],
            "changedPropIds": ["filter-state.data"]}
    reply = client.post("/_dash-update-component", json=body, headers=GZIP)
    assert reply.status_code == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Vary"] == "Accept-Encoding"
    assert reply.headers["Cache-Control"] == "no-store"
    assert int(reply.headers["Content-Length"]) == len(reply.data)
    assert "response" in json.loads(gzip.decompress(reply.data))
    plain = client.post("/_dash-update-component", json=body)  # no Accept-Encoding: as is
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.data) == json.loads(gzip.decompress(reply.data))


def test_fingerprinted_bundles_and_versioned_assets_are_cached_for_a_year(client):
    urls = _static_urls(client)
    suites = [u for u in urls if u.startswith("/_dash-component-suites/")]
    assets = [u for u in urls if u.startswith("/assets/")]
    assert suites and assets
    for url in suites + assets:
        reply = client.get(url, headers=GZIP)
        assert reply.status_code == 200, url
        assert reply.headers["Cache-Control"] == LONG_CACHE, url
        assert reply.headers["X-Content-Type-Options"] == "nosniff", url  # security kept
        if url.split("?")[0].endswith((".js", ".css")) and len(reply.data) > 100:
            assert reply.headers["Content-Encoding"] == "gzip", url
            gzip.decompress(reply.data)


def test_the_html_shell_is_gzipped_but_never_cached(client):
    reply = client.get("/", headers=GZIP)
    assert reply.status_code == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    assert reply.headers["Cache-Control"] == "no-store"
    page = gzip.decompress(reply.data).decode()
    assert '<html lang="en-GB">' in page
    # the CSP hashes were taken from the page before it was compressed: they still match
    from dashboard.security import inline_script_hashes

    for digest in inline_script_hashes(page):
        assert f"'sha256-{digest}'" in reply.headers["Content-Security-Policy"]


def test_unversioned_stale_and_missing_asset_urls_are_not_kept(client):
    assert client.get("/assets/02-darkfigure.css").headers["Cache-Control"] == "no-cache"
    assert client.get("/assets/02-darkfigure.css?m=1").headers["Cache-Control"] == "no-cache"
    missing = client.get("/assets/absent.css?m=1")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"


def test_the_login_page_is_never_compressed(tmp_path):
    """A CSRF token beside text an attacker chooses (``next``) must not be compressed (BREACH)."""
    from dash import Dash, html

    from dashboard.auth import install_auth
    from dashboard.production import prepare_production

    app = Dash(__name__, assets_folder=str(tmp_path))
    app.layout = html.Div("hello " * 400)
    install_auth(app.server, app=app, enabled=True, users_file=tmp_path / "users.json",
                 secret_key_file=tmp_path / "key", audit_log=tmp_path / "audit.jsonl")
    client = prepare_production(app, "127.0.0.1").test_client()
    page = client.get("/login?next=/" + "a" * 2000, headers=GZIP)
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
    assert b'name="csrf"' in page.data


def test_server_settings_are_checked_with_clear_errors(monkeypatch):
    monkeypatch.delenv("DARKFIGURE_WORKERS", raising=False)
    monkeypatch.delenv("DARKFIGURE_THREADS", raising=False)
    import os

    settings = server_settings()  # workers = auto: one per core, at most two
    assert (settings.host, settings.threads) == ("127.0.0.1", 8)
    assert settings.workers == min(os.cpu_count() or 1, 2)
    with pytest.raises(DarkFigureError,
                       match=r"--workers must be a whole number from 1 to 32 or auto, not '0'"):
        server_settings(workers=0)
    with pytest.raises(DarkFigureError, match=r"--threads must be a whole number from 1 to 64"):
        server_settings(threads=500)
    monkeypatch.setenv("DARKFIGURE_WORKERS", "two")
    with pytest.raises(DarkFigureError, match=r"setting workers \(DARKFIGURE_WORKERS\) .* 'two'"):
        server_settings()
    monkeypatch.setenv("DARKFIGURE_WORKERS", "3")
    monkeypatch.setenv("DARKFIGURE_PORT", "99999")
    with pytest.raises(DarkFigureError, match=r"setting port \(DARKFIGURE_PORT\)"):
        server_settings()
    monkeypatch.delenv("DARKFIGURE_PORT")
    assert server_settings().workers == 3
    import dashboard.workers

    monkeypatch.setattr(dashboard.workers, "can_fork", lambda: False)
    with pytest.raises(DarkFigureError, match="POSIX"):
        server_settings(workers=2)
    assert server_settings(workers=1).workers == 1
    assert server_settings(workers="auto").workers == 1  # one process where none can fork
    monkeypatch.setattr(dashboard.workers, "can_fork", lambda: True)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert server_settings(workers="AUTO").workers == 2  # each process holds its own caches


def test_serve_refuses_bad_worker_settings_before_building_anything(tmp_path, capsys):
    from analysis.cli import main

    assert main(["serve", "--workers", "0", "--store", str(tmp_path / "s.duckdb")]) == 2
    assert "--workers must be a whole number" in capsys.readouterr().err
    assert not (tmp_path / "s.duckdb").exists()


def test_a_shared_throttle_counts_failures_from_every_process(tmp_path):
    path = tmp_path / "login_throttle.json"
    one, two = SharedLoginThrottle(path), SharedLoginThrottle(path)  # as two workers hold them
    for attempt in range(MAX_FAILURES):
        (one if attempt % 2 else two).fail("ana", "10.0.0.1")
    assert one.wait_seconds("ana", "10.0.0.1") > 0
    assert two.wait_seconds("ana", "10.0.0.1") > 0
    assert os.stat(path).st_mode & 0o077 == 0
    assert two.first_report("ana", "10.0.0.1") and not one.first_report("ana", "10.0.0.1")
    path.write_text("not json")  # damaged: starts afresh rather than failing every login
    assert one.wait_seconds("ana", "10.0.0.1") == 0


SERVE = """
import sys
from dashboard.app import create_app
from dashboard.production import run_production
run_production(create_app(sys.argv[1]), port=int(sys.argv[2]), threads=2, workers=2)
"""
PASSWORD = "analyst-password-9"


@pytest.fixture(scope="module")
def workers(tmp_path_factory, sample_store):
    folder = tmp_path_factory.mktemp("workers")
    accounts.add_user(folder / "users.json", "ana", PASSWORD, "analyst")
    port = _free_port()
    env = {**os.environ, "DARKFIGURE_AUTH": "true", "DARKFIGURE_COOKIE_SECURE": "false",
           "DARKFIGURE_USERS_FILE": str(folder / "users.json"),
           "DARKFIGURE_SECRET_KEY_FILE": str(folder / "secret_key"),
           "DARKFIGURE_AUDIT_LOG": str(folder / "audit.jsonl")}
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(sample_store), str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            fetch(base + "/login")
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"server did not start: {process.communicate()[0]}")
            time.sleep(0.2)
    yield {"base": base, "pid": process.pid, "audit": folder / "audit.jsonl"}
    process.terminate()
    process.wait(timeout=30)
    assert process.returncode == 0  # SIGTERM stops the workers and the supervisor cleanly


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        return [int(p) for p in handle.read().split()]


def _login(base: str, password: str = PASSWORD) -> tuple[int, str]:
    _, headers, body = fetch(base + "/login")
    jar = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrf" value="([^"]+)"', body)[1].decode()
    form = f"csrf={token}&username=ana&password={password}&next=/".encode()
    status, headers, _ = fetch(base + "/login", data=form, headers={"Cookie": jar})
    return status, (headers.get("Set-Cookie") or "").split(";")[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_two_worker_processes_share_sessions_logout_and_the_throttle(workers):
    base = workers["base"]
    assert len(_children(workers["pid"])) == 2
    status, cookie = _login(base)
    assert status == 303
    jar = {"Cookie": cookie}
    # Connections land on either worker: the signed session works on both.
    for _ in range(12):
        assert fetch(base + "/_dash-layout", headers={**jar, **GZIP})[0] == 200
    fetch(base + "/logout", data=b"", headers=jar)
    for _ in range(6):  # the logout ended the cookie in every worker
        assert fetch(base + "/_dash-layout", headers=jar)[0] == 401
    statuses = [_login(base, "wrong password")[0] for _ in range(MAX_FAILURES + 2)]
    # Five failures anywhere, then every worker makes the next attempt wait.
    assert statuses[:MAX_FAILURES] == [401] * MAX_FAILURES
    assert statuses[MAX_FAILURES:] == [429, 429]
    events = [e["action"] for e in accounts.read_audit(workers["audit"])]
    assert events.count("login") == 1 and events.count("login_failed") == MAX_FAILURES
    assert "logout" in events and events.count("login_throttled") == 1
