"""Password login, roles and the audit trail for the dashboard's Flask server.

``install_auth(server)`` adds, when ``auth_enabled`` is true:

- ``/login`` (a plain form with a CSRF token; failed logins are slowed by scrypt and
  locked out after repeated failures) and ``/logout``;
- one ``before_request`` guard in front of EVERY route (pages, ``/_dash-layout``,
  ``/_dash-dependencies``, ``/_dash-update-component`` callbacks, which carry every
  download, component suites and assets); only the login page and its stylesheet are
  open. Without a session a page load is redirected to ``/login?next=...``; anything
  else (XHR, callbacks, assets) gets 401. The session's user is looked up in the users
  file on every request, so removing a user or changing their role takes effect at once;
- role checks: uploads (a callback whose inputs carry an upload's ``contents``) need
  ``analyst``; ``/admin/*`` needs ``admin``;
- a session cookie that is HttpOnly, SameSite=Strict, Secure (setting ``cookie_secure``)
  and signed with the key in ``secret_key_file``, valid for 8 hours.

Whether or not auth is enabled, logins, failed logins, uploads and downloads are written
to the audit log (``audit_log``) by ``audit(event, **detail)``.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import flask

from analysis import accounts, config
from dashboard.security import error_response, wants_json

EXTENSION_KEY = "darkfigure.auth"
SESSION_HOURS = 8
OPEN_PATHS = frozenset({"/login", "/logout", "/login.css"})
UPLOAD_ROLE = "analyst"
ADMIN_PREFIX = "/admin"
MAX_FAILURES = 5  # failed logins per user name or address ...
FAILURE_WINDOW_S = 15 * 60  # ... within this window lock further attempts out

LOGIN_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;
color:#1b1f24;margin:0}
main{max-width:24rem;margin:6rem auto;background:#fff;padding:2rem;border:1px solid #c9ced6;
border-radius:.5rem}
h1{font-size:1.5rem;margin-top:0}label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;border:1px solid #6b7280;
border-radius:.25rem}
button{margin-top:1.25rem;padding:.5rem 1.25rem;font-size:1rem;background:#1f4e79;color:#fff;
border:0;border-radius:.25rem;cursor:pointer}
button:focus,input:focus{outline:3px solid #f2a900;outline-offset:1px}
.error{background:#fdf3d7;border-left:4px solid #8a6100;padding:.5rem .75rem}
"""


class _Failures:
    """Recent failed logins per key (user name or client address), for lockout."""

    def __init__(self):
        self._lock = threading.Lock()
        self._times: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._times[key]
        while times and now - times[0] > FAILURE_WINDOW_S:
            times.popleft()
        return times

    def locked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= MAX_FAILURES for k in keys)

    def add(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._times.pop(key, None)


class _Users:
    """The users file, re-read only when it changes on disk."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, accounts.User] = {}
        self._lock = threading.Lock()

    def get(self, name: str | None) -> accounts.User | None:
        if not name:
            return None
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return None
        with self._lock:
            if stamp != self._stamp:
                self._users, self._stamp = accounts.read_users(self.path), stamp
            return self._users.get(name)


def _settings(server: flask.Flask) -> dict:
    return server.extensions[EXTENSION_KEY]


def current_user() -> accounts.User | None:
    """The logged-in user of this request (None when auth is off or nobody is logged in)."""
    return flask.g.get("darkfigure_user")


def audit(event: str, **detail) -> dict:
    """Record ``event`` (login, login_failed, logout, upload, download, ...) for the
    current request's user in the audit log, with the client address and ``detail``."""
    ext = flask.current_app.extensions.get(EXTENSION_KEY, {})
    log = ext.get("audit_log") or config.audit_log()
    user = current_user()
    if flask.has_request_context():
        detail.setdefault("address", flask.request.remote_addr)
    return accounts.append_audit(Path(log), user.username if user else None, event, **detail)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login form cannot be used as an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_page(next_url: str, message: str | None = None, status: int = 200):
    token = secrets.token_urlsafe(32)
    flask.session["csrf"] = token
    error = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    body = (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/login.css">'
        "<title>Log in | Dark Figure</title></head><body><main>"
        "<h1>Dark Figure</h1><p>Log in to see the dashboard.</p>"
        f'{error}<form method="post" action="/login">'
        f'<input type="hidden" name="csrf" value="{token}">'
        f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
        '<label for="username">User name</label>'
        '<input id="username" name="username" autocomplete="username" required autofocus>'
        '<label for="password">Password</label>'
        '<input id="password" name="password" type="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Log in</button></form></main></body></html>'
    )
    return flask.Response(body, status=status, mimetype="text/html")


def _login():
    ext = _settings(flask.current_app)
    next_url = _safe_next(flask.request.values.get("next"))
    if flask.request.method == "GET":
        return _login_page(next_url)
    form = flask.request.form
    expected = flask.session.pop("csrf", None)
    if not expected or not secrets.compare_digest(form.get("csrf", ""), expected):
        return _login_page(next_url, "The form had expired; please try again.", 400)
    username = form.get("username", "").strip()[:64]
    address = flask.request.remote_addr or "unknown"
    failures: _Failures = ext["failures"]
    keys = (f"user:{username.lower()}", f"addr:{address}")
    if failures.locked(*keys):
        audit("login_locked", username=username)
        return _login_page(next_url, "Too many failed attempts: wait 15 minutes.", 429)
    user = accounts.check_login(ext["users"].path, username, form.get("password", ""))
    if user is None:
        failures.add(*keys)
        audit("login_failed", username=username)
        return _login_page(next_url, "That user name and password do not match.", 401)
    failures.clear(keys[0])
    flask.session.clear()  # a fresh session at login: nothing carried over from before
    flask.session["user"] = user.username
    flask.session.permanent = True
    flask.g.darkfigure_user = user
    audit("login", role=user.role)
    return flask.redirect(next_url, code=303)


def _logout():
    name = flask.session.get("user")
    flask.session.clear()
    if name:
        accounts.append_audit(
            Path(_settings(flask.current_app)["audit_log"]),
            name,
            "logout",
            address=flask.request.remote_addr,
        )
    return flask.redirect("/login", code=303)


def _login_css():
    return flask.Response(LOGIN_CSS, mimetype="text/css")


def _admin_audit():
    ext = _settings(flask.current_app)
    return flask.jsonify(accounts.read_audit(Path(ext["audit_log"]), last=500))


def _callback_payload() -> dict | None:
    req = flask.request
    if req.method != "POST" or req.path != "/_dash-update-component":
        return None
    payload = req.get_json(silent=True)
    return payload if isinstance(payload, dict) else None


def _upload_files(payload: dict) -> list[str] | None:
    """The file names of an upload callback, or None if this callback uploads nothing."""
    items = [*payload.get("inputs", []), *payload.get("state", [])]
    ids = {
        i.get("id")
        for i in items
        if isinstance(i, dict) and i.get("property") == "contents" and i.get("value")
    }
    if not ids:
        return None
    names: list[str] = []
    for item in items:
        if isinstance(item, dict) and item.get("id") in ids and item.get("property") == "filename":
            value = item.get("value") or []
            names += value if isinstance(value, list) else [value]
    return [str(n) for n in names]


def _is_download(payload: dict) -> bool:
    outputs = payload.get("outputs")
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return any(
        isinstance(o, dict)
        and str(o.get("id", "")).endswith("download")
        and o.get("property") == "data"
        for o in outputs
    )


def _guard():
    ext = _settings(flask.current_app)
    req = flask.request
    payload = _callback_payload()
    if ext["enabled"]:
        if req.path in OPEN_PATHS:
            return None
        user = ext["users"].get(flask.session.get("user"))
        if user is None:
            flask.session.pop("user", None)
            if req.method == "GET" and not wants_json() and not req.path.startswith("/assets/"):
                full = req.full_path if req.query_string else req.path
                return flask.redirect(f"/login?next={quote(_safe_next(full))}", code=302)
            return error_response(401)
        flask.g.darkfigure_user = user
        if req.path.startswith(ADMIN_PREFIX) and not user.may("admin"):
            audit("forbidden", path=req.path)
            return error_response(403)
    if payload is not None:
        files = _upload_files(payload)
        if files is not None:
            user = current_user()
            if ext["enabled"] and not user.may(UPLOAD_ROLE):
                audit("upload_refused", files=files, reason="role")
                return error_response(403, "Uploading needs the analyst role.")
            flask.g.darkfigure_audit = ("upload", {"files": files})
        elif _is_download(payload):
            flask.g.darkfigure_audit = ("download", {"output": payload.get("output")})
    return None


def _download_names(response: flask.Response) -> list[str]:
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return []
    names = []
    for props in (body.get("response") or {}).values():
        data = props.get("data") if isinstance(props, dict) else None
        if isinstance(data, dict) and data.get("filename"):
            names.append(str(data["filename"]))
    return names


def _record(response: flask.Response) -> flask.Response:
    pending = flask.g.pop("darkfigure_audit", None)
    if pending is None:
        return response
    event, detail = pending
    if event == "download":
        names = _download_names(response) if response.status_code == 200 else []
        if not names:
            return response  # nothing was sent (e.g. no_update)
        detail["files"] = names
    audit(event, status=response.status_code, **detail)
    return response


def install_auth(
    server: flask.Flask,
    *,
    enabled: bool | None = None,
    users_file: str | Path | None = None,
    secret_key_file: str | Path | None = None,
    audit_log: str | Path | None = None,
) -> None:
    """Add login, the route guard, role checks and the audit trail to ``server``.

    Every argument defaults to its setting (``analysis.config``), read now. Idempotent.
    Call it after ``install_security`` on the Dash app's Flask server:
    ``install_auth(app.server)``.
    """
    if EXTENSION_KEY in server.extensions:
        return
    enabled = config.auth_enabled() if enabled is None else enabled
    users_path = Path(users_file) if users_file is not None else config.users_file()
    server.extensions[EXTENSION_KEY] = {
        "enabled": enabled,
        "users": _Users(users_path),
        "audit_log": Path(audit_log) if audit_log is not None else config.audit_log(),
        "failures": _Failures(),
    }
    if enabled:
        server.secret_key = accounts.read_secret_key(secret_key_file)
        server.config.update(
            SESSION_COOKIE_NAME="darkfigure_session",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SECURE=config.get_flag("cookie_secure"),
            SESSION_COOKIE_SAMESITE="Strict",
            PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        )
        server.add_url_rule("/login", "darkfigure_login", _login, methods=["GET", "POST"])
        server.add_url_rule("/logout", "darkfigure_logout", _logout, methods=["GET", "POST"])
        server.add_url_rule("/login.css", "darkfigure_login_css", _login_css)
        server.add_url_rule(f"{ADMIN_PREFIX}/audit", "darkfigure_admin_audit", _admin_audit)
    # first in line, so no other hook sees an unauthenticated request
    server.before_request_funcs.setdefault(None, []).insert(0, _guard)
    server.after_request(_record)
