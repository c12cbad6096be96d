"""Security headers, request limits, upload checks and error pages (dashboard/security.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile

import pytest
from dash import Dash, Input, Output, html

from dashboard.security import (
    content_security_policy,
    inline_script_hashes,
    install_security,
    request_limit_bytes,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from dashboard.app import create_app

    app = create_app(tmp_path_factory.mktemp("sec") / "absent.duckdb")
    install_security(app.server)
    install_security(app.server)  # idempotent: a second call adds nothing
    return app


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def _upload_payload(names, contents):
    return {
        "output": "data-upload-result.children",
        "outputs": {"id": "data-upload-result", "property": "children"},
        "inputs": [{"id": "data-upload", "property": "contents", "value": contents}],
        "state": [{"id": "data-upload", "property": "filename", "value": names},
                  {"id": "data-kind", "property": "value", "value": "auto"}],
        "changedPropIds": ["data-upload.contents"],
    }


def _data_url(raw: bytes, mime="text/csv") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


@pytest.mark.parametrize("path", ["/", "/data", "/_dash-layout", "/_dash-dependencies",
                                  "/assets/02-darkfigure.css", "/no/such/asset.js"])
def test_every_response_carries_the_security_headers_and_no_banner(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "unsafe-eval" not in csp
    assert "Server" not in headers


def test_csp_allows_exactly_the_inline_scripts_of_the_page_by_hash(client, app):
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    allowed = set(re.findall(r"'sha256-([^']+)'", script_src))
    # Dash's own account of its inline scripts, computed independently of our regex
    dash_hashes = {h.strip("'").removeprefix("sha256-") for h in app.csp_hashes()}
    assert allowed == dash_hashes
    assert "'unsafe-inline'" not in script_src and "http" not in script_src


def test_inline_script_hashes_skip_json_data_blocks():
    page = ('<script id="c" type="application/json">{"a": 1}</script>'
            "<script>var x = 1;</script><script src=\"/a.js\"></script>")
    expected = base64.b64encode(hashlib.sha256(b"var x = 1;").digest()).decode()
    assert inline_script_hashes(page) == [expected]
    assert f"'sha256-{expected}'" in content_security_policy([expected])


def test_pages_and_callbacks_are_not_cached_but_static_files_may_be(client):
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/_dash-layout").headers["Cache-Control"] == "no-store"
    assert client.get("/assets/02-darkfigure.css").headers.get("Cache-Control") != "no-store"


def test_missing_file_gives_a_plain_404_page(client):
    response = client.get("/assets/nope.js", headers={"Accept": "text/html"})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Page not found" in text and "Traceback" not in text and "werkzeug" not in text


def test_an_unexpected_error_shows_an_incident_number_and_no_stack_trace(tmp_path, caplog):
    app = Dash(__name__, assets_folder=str(tmp_path))
    app.layout = html.Div([html.Button(id="b"), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input("b", "n_clicks"))
    def explode(_n):
        raise RuntimeError("secret internal detail /srv/data/store.duckdb")

    install_security(app.server)

    @app.server.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail /srv/data/store.duckdb")

    client = app.server.test_client()
    page = client.get("/boom", headers={"Accept": "text/html"})
    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert "secret internal detail" not in text and "Traceback" not in text
    incident = re.search(r"incident ([0-9a-f]{8})", text)[1]
    assert incident in caplog.text and "secret internal detail" in caplog.text  # logged, not shown
    client.get("/")
    callback = client.post("/_dash-update-component", json={
        "output": "out.children", "outputs": {"id": "out", "property": "children"},
        "inputs": [{"id": "b", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["b.n_clicks"]})
    assert callback.status_code == 500
    assert callback.is_json and "secret" not in callback.get_data(as_text=True)


def test_request_larger_than_the_upload_limit_is_refused_with_413(client, monkeypatch):
    limit = request_limit_bytes()
    assert limit >= 200 * 2**20 * 4 // 3  # one 200 MB file, base64-encoded, fits
    response = client.post("/_dash-update-component", data=b"x" * (limit + 1),
                           content_type="application/json")
    assert response.status_code == 413
    assert "larger than the limit" in response.get_json()["error"]


def test_uploaded_file_over_the_limit_is_refused_before_the_callback(client, monkeypatch):
    monkeypatch.setenv("DARKFIGURE_MAX_UPLOAD_MB", "0.001")  # about 1 KB
    payload = _upload_payload(["big.csv"], [_data_url(b"a,b\n" * 1000)])
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("name", "raw", "mime"),
    [
        ("tool.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("macro.xlsm", b"PK\x03\x04", "application/vnd.ms-excel"),
        ("fake.xlsx", b"<html>not a spreadsheet</html>", "application/vnd.ms-excel"),
        ("binary.csv", b"a,b\n\x00\x01\x02", "text/csv"),
        ("page.html", b"<script>alert(1)</script>", "text/html"),
    ],
)
def test_upload_of_the_wrong_type_is_refused_with_415(client, name, raw, mime):
    response = client.post("/_dash-update-component",
                           json=_upload_payload([name], [_data_url(raw, mime)]))
    assert response.status_code == 415
    assert name in response.get_json()["error"]


def test_genuine_spreadsheet_and_csv_pass_the_type_check(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    from dashboard.security import upload_problem

    payload = _upload_payload(["a.xlsx", "b.csv", "m.json"],
                              [_data_url(buffer.getvalue()), _data_url(b"x,y\n1,2\n"),
                               _data_url(b'{"agency": "A"}')])
    assert upload_problem(payload) is None


def test_cross_site_post_is_refused(client):
    response = client.post("/_dash-update-component", json={"inputs": []},
                           headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    same = client.post("/_dash-update-component", json={"inputs": []},
                       headers={"Origin": "http://localhost"})
    assert same.status_code != 403
