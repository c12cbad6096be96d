"""Red team, round two, against real servers in real processes: the WSGI entry point under
waitress-serve, Slowloris against run_production, a busy port, and a CLI ingest while the
dashboard serves (findings 3, 5, 9 and the newcomer's busy port; docs/security.md)."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time

import pytest

from analysis import accounts
from tests.red_team import PASSWORDS, login, make_site, referral_count, referrals_csv
from tests.test_production import _free_port, fetch

SERVE = """
import sys
from dashboard.app import create_app
from dashboard.production import run_production
run_production(create_app(sys.argv[1]), port=int(sys.argv[2]),
               announce=lambda url: print("listening", url, flush=True))
"""


def _environment(folder, **extra) -> dict:
    accounts.add_user(folder / "users.json", "ana", PASSWORDS["ana"], "analyst")
    return {**os.environ, "DARKFIGURE_USERS_FILE": str(folder / "users.json"),
            "DARKFIGURE_SECRET_KEY_FILE": str(folder / "secret_key"),
            "DARKFIGURE_AUDIT_LOG": str(folder / "audit.jsonl"), **extra}


def _wait_for(base: str, process: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            fetch(base + "/login")
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"server did not start: {process.communicate()[0]}")
            time.sleep(0.3)


# -- 3. the WSGI entry point ---------------------------------------------------------------------
def test_3_waitress_serve_of_the_wsgi_module_needs_a_login(tmp_path, sample_store):
    store = tmp_path / "store.duckdb"
    shutil.copy(sample_store, store)
    env = _environment(tmp_path, DARKFIGURE_STORE=str(store), DARKFIGURE_AUTH="true")
    port = _free_port()
    command = [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}",
               "dashboard.wsgi:server"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base, process)
        status, headers, _ = fetch(base + "/trends", headers={"Accept": "text/html"})
        assert status == 302 and headers["Location"].startswith("/login?next=")
        for path in ("/_dash-layout", "/_dash-dependencies", "/assets/02-darkfigure.css"):
            assert fetch(base + path)[0] == 401, path
    finally:
        process.terminate()
        process.wait(timeout=30)
    open_env = {**env, "DARKFIGURE_AUTH": "false"}
    refused = subprocess.run(command, env=open_env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "needs login" in refused.stdout + refused.stderr


# -- 5. Slowloris ---------------------------------------------------------------------------------
@pytest.fixture
def production_server(tmp_path, sample_store):
    store = tmp_path / "store.duckdb"
    shutil.copy(sample_store, store)
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(store), str(port)],
                               env=_environment(tmp_path, DARKFIGURE_AUTH="true"),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    _wait_for(base, process)
    yield {"base": base, "port": port, "process": process, "store": store, "folder": tmp_path}
    process.terminate()
    process.wait(timeout=30)


def _raise_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"needs {wanted} open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@pytest.mark.slow
def test_5_trickling_connections_beyond_the_limit_do_not_lock_other_users_out(
        production_server):
    from dashboard.production import CONNECTION_LIMIT, HEADER_TIMEOUT_S

    _raise_file_limit(2 * CONNECTION_LIMIT + 200)
    port, stop = production_server["port"], threading.Event()
    attackers = []
    for _ in range(CONNECTION_LIMIT + 20):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /login HTTP/1.1\r\nHost: x\r\n")
        attackers.append(sock)

    def trickle():  # one header byte per connection every second, forever
        while not stop.wait(1.0):
            for sock in attackers:
                try:
                    sock.send(b"X")
                except OSError:
                    pass

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(2)  # every slot is taken now
        started = time.monotonic()
        status, _, _ = fetch(production_server["base"] + "/login")  # waits for a slot
        waited = time.monotonic() - started
        assert status == 200
        assert waited < HEADER_TIMEOUT_S + 20  # not the 60 s and more of the report
        closed = 0
        for sock in attackers:
            try:
                sock.settimeout(0.01)
                closed += sock.recv(1) == b""
            except TimeoutError:
                pass  # still open
            except OSError:
                closed += 1  # reset: closed with trickled bytes unread
        assert closed >= len(attackers) // 2  # the trickling ones were cut off
    finally:
        stop.set()
        thread.join()
        for sock in attackers:
            sock.close()


def test_5_a_slow_body_is_cut_off_too(production_server):
    from dashboard.production import HEADER_TIMEOUT_S, MIN_BODY_RATE

    sock = socket.create_connection(("127.0.0.1", production_server["port"]), timeout=60)
    length = MIN_BODY_RATE  # due within HEADER_TIMEOUT_S + 1 s
    sock.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form"
                 b"-urlencoded\r\nContent-Length: " + str(length).encode() + b"\r\n\r\nu=")
    started = time.monotonic()
    try:
        while time.monotonic() - started < HEADER_TIMEOUT_S + 30:
            sock.sendall(b"a")
            time.sleep(0.5)
        pytest.fail("a 1 byte per half second body was never cut off")
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()


# -- newcomer: a busy port ------------------------------------------------------------------------
def test_a_busy_port_is_one_clear_line_and_the_url_is_never_announced(tmp_path, sample_store):
    store = tmp_path / "store.duckdb"
    shutil.copy(sample_store, store)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "analysis.cli", "serve", "--store", str(store),
             "--port", str(port)], capture_output=True, text=True, timeout=120,
            env={**os.environ, "DARKFIGURE_AUTH": "false"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "OSError" not in result.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "http://" not in result.stdout


# -- 9. store contention ------------------------------------------------------------------------
def test_9_a_cli_ingest_while_the_dashboard_reads_gives_no_errors(tmp_path, sample_store):
    from dashboard.data import store_summary

    app, files = make_site(tmp_path, sample_store)
    extract = tmp_path / "big_referrals.csv"
    extract.write_bytes(referrals_csv(150_000, seed=21))
    before = referral_count(files["store"])
    client = app.server.test_client()
    login(client, "vera")
    ingest = subprocess.Popen([sys.executable, "-m", "analysis.cli", "ingest", "--store",
                               str(files["store"]), str(extract)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    statuses, seen = [], set()
    while ingest.poll() is None:
        summary = client.post("/_dash-update-component", json={
            "output": "..data-summary.children...data-loads.children..",
            "outputs": [{"id": "data-summary", "property": "children"},
                        {"id": "data-loads", "property": "children"}],
            "inputs": [{"id": "filter-state", "property": "data", "value": {}},
                       {"id": "data-upload-result", "property": "children", "value": None}],
            "changedPropIds": ["filter-state.data"]})
        statuses.append(summary.status_code)
        seen.add(store_summary(files["store"])["tables"]["referrals"])
    _, err = ingest.communicate()
    assert ingest.returncode == 0, err
    assert statuses and set(statuses) == {200}, statuses
    assert referral_count(files["store"]) == before + 150_000
    assert seen <= {before, before + 150_000}  # never a half-written state


def test_9_uploads_read_and_validate_before_any_write_lock(tmp_path, sample_store, monkeypatch):
    import analysis.store.staging as store_module
    from analysis.store.database import _DATABASES
    from tests.red_team import data_url, upload_payload

    app, files = make_site(tmp_path, sample_store)
    key = files["store"].resolve()
    open_while_parsing = []
    real_stage = store_module._stage

    def watching_stage(*args, **kwargs):
        entry = _DATABASES._open.get(key)
        open_while_parsing.append(entry is not None and not entry[1])  # a writer is open?
        return real_stage(*args, **kwargs)

    monkeypatch.setattr(store_module, "_stage", watching_stage)
    client = app.server.test_client()
    login(client, "ana")
    response = client.post("/_dash-update-component", json=upload_payload(
        ["a.csv"], [data_url(referrals_csv(500, seed=22))]))
    assert response.status_code == 200 and "500 new row(s)" in response.get_data(as_text=True)
    assert open_while_parsing == [False]
