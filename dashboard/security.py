"""Security headers, request limits and clean error pages for the dashboard's Flask server.

``install_security(server)`` adds, for every response:

- a Content-Security-Policy that allows only the app's own scripts, styles, fonts and
  images (it works offline and blocks injected script). Inline scripts are allowed by
  their SHA-256 hash, computed from the page being sent, so Dash's renderer bootstrap runs
  but nothing else inline does; no 'unsafe-eval' (checked in a real browser by
  tests/browser). Styles keep 'unsafe-inline': Dash components and plotly.js write inline
  style elements;
- ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY`` (no clickjacking), ``nosniff``,
  ``Referrer-Policy: same-origin`` (URLs carry the filters), a Permissions-Policy, and
  ``Cache-Control: no-store`` on everything but the fingerprinted static files;
- no ``Server`` banner (waitress's is switched off in ``dashboard/production.py``).

It also limits request bodies (``MAX_CONTENT_LENGTH``: one upload of the configured size,
base64-encoded inside Dash's JSON), refuses upload callbacks whose files are of the wrong
type or whose content does not match their extension, refuses cross-site POSTs (an
``Origin`` that is not this host), and replaces Flask's error pages with plain ones that
never show a stack trace: a 500 page gives an incident number that is in the server log
beside the traceback.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import ipaddress
import math
import re
import secrets
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import flask
from dash.exceptions import DependencyException
from werkzeug.exceptions import HTTPException

from analysis import config

EXTENSION_KEY = "darkfigure.security"

UPLOAD_SUFFIXES = {".csv", ".xlsx", ".ods", ".json"}
_ZIP_SUFFIXES = {".xlsx", ".ods"}  # both are zip archives: they must start with PK\x03\x04
_STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/_favicon.ico")
_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I
)

HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_MESSAGES = {
    400: ("Bad request", "The server could not understand that request."),
    401: ("Please log in", "You need to log in to see this."),
    403: ("Not allowed", "Your account is not allowed to do that."),
    404: ("Page not found", "There is no page at this address."),
    405: ("Not allowed", "That kind of request is not accepted here."),
    413: ("File too large", "The upload is larger than the limit of {mb} MB."),
    415: ("File type not accepted", "Upload CSV, XLSX or ODS files and JSON mappings only."),
    429: ("Too many attempts", "Too many attempts: wait a few minutes and try again."),
    500: (
        "Something went wrong",
        "The server hit an error it did not expect. Nothing you uploaded was half-stored. "
        "Quote incident {incident} to your administrator.",
    ),
}


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    host = (host or "").strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def request_limit_bytes() -> int:
    """Largest request body: one file of ``max_upload_bytes`` base64-encoded, plus 1 MiB."""
    return math.ceil(config.max_upload_bytes() * 4 / 3) + 2**20


def content_security_policy(script_hashes: list[str] | tuple[str, ...] = ()) -> str:
    """The CSP header value; ``script_hashes`` are base64 SHA-256 digests of inline scripts."""
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def inline_script_hashes(page: str) -> list[str]:
    """Base64 SHA-256 of each executable inline script in an HTML page (JSON data blocks,
    which the browser never runs, are left out)."""
    hashes = []
    for match in _INLINE_SCRIPT.finditer(page):
        if "application/json" in match["attrs"].lower():
            continue
        digest = hashlib.sha256(match["body"].encode("utf-8")).digest()
        hashes.append(base64.b64encode(digest).decode("ascii"))
    return hashes


def wants_json() -> bool:
    """True for Dash's own XHR routes and other API-style requests (not page loads)."""
    req = flask.request
    if req.path.startswith("/_") or req.is_json:
        return True
    accept = req.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json"


def error_response(code: int, message: str | None = None, **fields) -> flask.Response:
    """A plain error page (or JSON for XHR requests) with no internals in it."""
    title, default = _MESSAGES.get(code, ("Error", "The request could not be completed."))
    text = (message or default).format(mb=config.max_upload_bytes() // 2**20, **fields)
    if wants_json():
        response = flask.jsonify({"error": text, "status": code, **fields})
    else:
        response = flask.Response(error_page(title, text), mimetype="text/html")
    response.status_code = code
    return response


def error_page(title: str, text: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" href="data:,"><title>{html.escape(title)} | Dark Figure</title>'
        '</head><body><main style="font-family:system-ui,sans-serif;max-width:40rem;'
        f'margin:4rem auto;padding:0 1rem"><h1>{html.escape(title)}</h1>'
        f'<p>{html.escape(text)}</p><p><a href="/">Back to the dashboard</a></p>'
        "</main></body></html>"
    )


def file_problem(name: object, content: object) -> tuple[int, str] | None:
    """Why one uploaded file (its name and ``data:...;base64,`` contents) must be refused.

    The extension must be one the ingest accepts, a spreadsheet must really be a zip
    archive, a text file must not be binary, and the file may not exceed the upload limit.

    Examples
    --------
    >>> file_problem("run.exe", "data:;base64,TVo=")[0]
    415
    >>> file_problem("ok.csv", "data:text/csv;base64,YSxiCjEsMgo=") is None
    True
    """
    if not isinstance(name, str) or not isinstance(content, str):
        return 400, "Every uploaded file needs a name and contents."
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        return 415, f"{name}: only CSV, XLSX, ODS and JSON mapping files are accepted."
    limit = config.max_upload_bytes()
    _, _, encoded = content.partition(",")
    if len(encoded) * 3 // 4 > limit:
        return 413, f"{name} is larger than the {limit // 2**20} MB limit."
    try:
        head = base64.b64decode(encoded[:1368], validate=False)  # first ~1 KB
    except (binascii.Error, ValueError):
        return 400, f"{name}: the upload is not valid base64."
    if suffix in _ZIP_SUFFIXES and not head.startswith(b"PK\x03\x04"):
        return 415, f"{name} is not a spreadsheet archive, whatever its name says."
    if suffix not in _ZIP_SUFFIXES and b"\x00" in head:
        return 415, f"{name} looks binary, not a text file."
    return None


def upload_problem(payload: dict) -> tuple[int, str] | None:
    """Why a Dash callback payload carrying uploads must be refused, or None.

    Looks at every ``contents``/``filename`` pair named in the inputs and state and checks
    each file with :func:`file_problem`. This is an early answer for honest clients only:
    Dash passes values by position, so ``dashboard.uploads`` checks the files it is given
    again, and the login guard authorises uploads by the callback called.
    """
    props: dict[str, dict[str, object]] = {}
    for item in [*payload.get("inputs", []), *payload.get("state", [])]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            props.setdefault(item["id"], {})[item.get("property")] = item.get("value")
    for values in props.values():
        contents = values.get("contents")
        if not contents:
            continue
        contents = contents if isinstance(contents, list) else [contents]
        names = values.get("filename") or []
        names = names if isinstance(names, list) else [names]
        if len(names) != len(contents):
            return 400, "Every uploaded file needs a name."
        for name, content in zip(names, contents, strict=True):
            problem = file_problem(name, content)
            if problem is not None:
                return problem
    return None


def _check_request():
    req = flask.request
    if req.method not in ("GET", "HEAD", "OPTIONS"):
        # An opaque origin ("null") is left to the SameSite=Strict cookie and the CSRF token:
        # browsers send it for some same-site form posts too.
        origin = req.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != req.host:
            return error_response(403, "Cross-site requests are refused.")
    if req.method == "POST" and req.path == "/_dash-update-component":
        payload = req.get_json(silent=True)
        if not isinstance(payload, dict):
            return error_response(400)
        problem = upload_problem(payload)
        if problem is not None:
            return error_response(*problem)
    return None


def _add_headers(response: flask.Response) -> flask.Response:
    headers = response.headers
    hashes: list[str] = []
    if response.mimetype == "text/html" and not response.direct_passthrough:
        hashes = inline_script_hashes(response.get_data(as_text=True))
    headers["Content-Security-Policy"] = content_security_policy(hashes)
    for name, value in HEADERS.items():
        headers[name] = value
    if not flask.request.path.startswith(_STATIC_PREFIXES):
        headers["Cache-Control"] = "no-store"
    headers.pop("Server", None)
    headers.pop("X-Powered-By", None)
    return response


def _handle_http_error(exc: HTTPException):
    return error_response(exc.code or 500)


def _handle_bad_dependency(exc: DependencyException):
    # A made-up component-suite path is the client's mistake: one log line, no traceback.
    flask.current_app.logger.warning("404 %s %s: %s", flask.request.method,
                                     flask.request.path[:200], str(exc).splitlines()[0][:200])
    return error_response(404)


class _OneLogPerError:
    """Drop Flask's own "Exception on ..." record: the 500 handler logs the traceback once,
    with the incident number the user sees."""

    def filter(self, record) -> bool:
        return not str(record.msg).startswith("Exception on ")


def _handle_server_error(exc: Exception):
    incident = secrets.token_hex(4)
    original = getattr(exc, "original_exception", None) or exc
    flask.current_app.logger.error(
        "incident %s: %s %s", incident, flask.request.method, flask.request.path, exc_info=original
    )
    return error_response(500, incident=incident)


def install_security(server: flask.Flask) -> None:
    """Add headers, limits and clean error pages to ``server`` (idempotent).

    Call it once on the Dash app's Flask server, e.g. in ``create_app``:
    ``install_security(app.server)``.
    """
    if server.extensions.get(EXTENSION_KEY):
        return
    server.extensions[EXTENSION_KEY] = True
    server.config["MAX_CONTENT_LENGTH"] = request_limit_bytes()
    server.config["PROPAGATE_EXCEPTIONS"] = False
    server.config["TRAP_HTTP_EXCEPTIONS"] = False
    server.before_request(_check_request)
    server.after_request(_add_headers)
    for code in (400, 401, 403, 404, 405, 413, 415, 429):
        server.register_error_handler(code, _handle_http_error)
    server.register_error_handler(DependencyException, _handle_bad_dependency)
    server.register_error_handler(500, _handle_server_error)
    server.logger.addFilter(_OneLogPerError())
