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
- role checks: uploads need ``analyst``, judged by the callback being called (Dash runs
  the callback named by the payload's ``output`` and passes values by position, so the
  payload's ids and property names prove nothing); ``/admin/*`` needs ``admin``;
- a session cookie that is HttpOnly, SameSite=Strict, Secure (setting ``cookie_secure``)
  and signed with the key in ``secret_key_file``. It names the user, the user's session
  generation and the login time, and is checked on every request: it dies 8 hours after
  login however often it is used (it is never re-signed), and at once when the user logs
  out or changes password (both raise the generation, see ``analysis.accounts``);
- login throttling with exponential backoff (``dashboard/throttle.py``), never a lock
  that someone else can set off.

Without auth the guard answers loopback clients only, so no way of starting the app can
serve the store to a network without a login. Whether or not auth is enabled, logins,
failed logins, uploads (with whether anything was stored) and downloads are written to the
audit log (``audit_log``) by ``audit(event, **detail)``.
"""

from __future__ import annotations

import html
import json
import math
import secrets
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

import flask

from analysis import accounts, config
from dashboard.callbacks import callback_kind, callback_payload, callback_problem
from dashboard.security import error_response, is_loopback, wants_json
from dashboard.throttle import MAX_FAILURES, LoginThrottle

__all__ = ["MAX_FAILURES", "OPEN_PATHS", "audit", "current_user", "install_auth", "may",
           "note_upload", "safe_next"]

if TYPE_CHECKING:
    from dash import Dash

EXTENSION_KEY = "darkfigure.auth"
SESSION_HOURS = 8
OPEN_PATHS = frozenset({"/login", "/logout", "/login.css"})
UPLOAD_ROLE = "analyst"
ADMIN_PREFIX = "/admin"

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


class _Users:
    """The users file, re-read only when it changes on disk."""

    def __init__(self, path: Path):
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._users: dict[str, accounts.User] = {}
        self._lock = threading.Lock()

    def get(self, name: str | None) -> accounts.User | None:
        if not name or not isinstance(name, str):
            return None
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
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


def may(role: str) -> bool:
    """Whether this request may act as ``role`` (always, when login is off)."""
    ext = flask.current_app.extensions.get(EXTENSION_KEY, {})
    if not ext.get("enabled"):
        return True
    user = current_user()
    return user is not None and user.may(role)


def note_upload(*, stored: bool, rows_new: int = 0) -> None:
    """Tell the audit trail what the upload callback of this request did to the store."""
    pending = flask.g.get("darkfigure_audit")
    if pending and pending[0] == "upload":
        pending[1].update(stored=stored, rows_new=rows_new)


def safe_next(target: str | None) -> str:
    r"""A same-site path to go to after login, judged as a browser would read it.

    Browsers drop tabs and newlines anywhere in a URL and read a backslash as a slash, so
    ``/\t/evil.example`` means ``//evil.example`` to them: any control character, space
    or backslash, a scheme or a host sends the user to ``/`` instead.

    Examples
    --------
    >>> safe_next("/areas?area=E06000016"), safe_next("/\t/evil.example"), safe_next("//x.y")
    ('/areas?area=E06000016', '/', '/')
    """
    if not target or not isinstance(target, str) or len(target) > 2048:
        return "/"
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target) or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
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
    if not ext["enabled"]:
        return error_response(404)
    next_url = safe_next(flask.request.values.get("next"))
    if flask.request.method == "GET":
        return _login_page(next_url)
    form = flask.request.form
    expected = flask.session.pop("csrf", None)
    if not expected or not secrets.compare_digest(form.get("csrf", ""), expected):
        return _login_page(next_url, "The form had expired; please try again.", 400)
    username = form.get("username", "").strip()[:64]
    address = flask.request.remote_addr or "unknown"
    throttle: LoginThrottle = ext["throttle"]
    key = username.lower()
    wait = throttle.wait_seconds(key, address)
    if wait > 0:
        if throttle.first_report(key, address):  # one audit line per window, not per attempt
            audit("login_throttled", username=username)
        return _login_page(next_url, f"Too many failed attempts: wait {math.ceil(wait)} "
                                     "seconds and try again.", 429)
    user = accounts.check_login(ext["users"].path, username, form.get("password", ""))
    if user is None:
        throttle.fail(key, address)
        audit("login_failed", username=username)
        return _login_page(next_url, "That user name and password do not match.", 401)
    throttle.succeed(key, address)
    flask.session.clear()  # a fresh session at login: nothing carried over from before
    flask.session.update(user=user.username, gen=user.generation, iat=int(time.time()))
    flask.session.permanent = True
    flask.g.darkfigure_user = user
    audit("login", role=user.role)
    return flask.redirect(next_url, code=303)


def _logout():
    ext = _settings(flask.current_app)
    user = _session_user(ext) if ext["enabled"] else None
    flask.session.clear()
    if user is not None:
        # Logging out ends every copy of the cookie, wherever it went: the session's
        # generation no longer matches the user's.
        accounts.revoke_sessions(ext["users"].path, user.username)
        accounts.append_audit(Path(ext["audit_log"]), user.username, "logout",
                              address=flask.request.remote_addr)
    return flask.redirect("/login", code=303)


def _login_css():
    return flask.Response(LOGIN_CSS, mimetype="text/css")


def _admin_audit():
    ext = _settings(flask.current_app)
    return flask.jsonify(accounts.read_audit(Path(ext["audit_log"]), last=500))


def _session_user(ext: dict) -> accounts.User | None:
    """The session's user if the session is still valid: the user exists, the session was
    issued at their current generation, and it is younger than ``SESSION_HOURS`` (counted
    from login, however often it is used)."""
    session = flask.session
    user = ext["users"].get(session.get("user"))
    issued = session.get("iat")
    if user is None or session.get("gen") != user.generation or not isinstance(issued, int):
        return None
    age = time.time() - issued
    if not -60 <= age <= SESSION_HOURS * 3600:
        return None
    return user


def _guard():
    ext = _settings(flask.current_app)
    req = flask.request
    if ext["enabled"]:
        if req.path in OPEN_PATHS:
            return None
        user = _session_user(ext)
        if user is None:
            flask.session.clear()
            if req.method == "GET" and not wants_json() and not req.path.startswith("/assets/"):
                full = req.full_path if req.query_string else req.path
                return flask.redirect(f"/login?next={quote(safe_next(full))}", code=302)
            return error_response(401)
        flask.g.darkfigure_user = user
        if req.path.startswith(ADMIN_PREFIX) and not user.may("admin"):
            audit("forbidden", path=req.path)
            return error_response(403)
    elif not is_loopback(req.remote_addr):
        # Without login the dashboard answers only this machine, however it was started.
        return error_response(403, "This dashboard has no login switched on, so it answers "
                                   "only on the machine it runs on.")
    return None


def _check_callback():
    """Validate a callback request against its declaration; authorise and audit uploads."""
    ext = _settings(flask.current_app)
    req = flask.request
    payload = callback_payload()
    if payload is None:
        return None
    callback_map = ext["callbacks"]()
    problem = callback_problem(payload, callback_map)
    if problem is not None:
        flask.current_app.logger.warning("400 %s: %s", req.path, problem)
        return error_response(400, f"Bad request: {problem}.")
    callback = callback_kind(payload, callback_map)
    if callback.upload:
        files = callback.file_names
        user = current_user()
        if ext["enabled"] and not user.may(UPLOAD_ROLE):
            audit("upload_refused", files=files, reason="role")
            return error_response(403, "Uploading needs the analyst role.")
        flask.g.darkfigure_audit = ("upload", {"files": files, "stored": False, "rows_new": 0})
    elif callback.download:
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
    app: Dash | None = None,
    enabled: bool | None = None,
    users_file: str | Path | None = None,
    secret_key_file: str | Path | None = None,
    audit_log: str | Path | None = None,
) -> None:
    """Add login, the route guard, role checks and the audit trail to ``server``.

    Every argument defaults to its setting (``analysis.config``), read now. ``app`` is the
    Dash app whose callbacks the server runs: an upload is recognised by the callback it
    calls, so pass it (``create_app`` and ``prepare_production`` do). Calling it again
    with arguments reconfigures the same guard (there is only ever one); without
    arguments it leaves an installed guard as it is:
    ``install_auth(app.server, app=app)``.
    """
    explicit = (app, enabled, users_file, secret_key_file, audit_log)
    if EXTENSION_KEY in server.extensions and all(v is None for v in explicit):
        return  # already installed, and nothing new to say
    enabled = config.auth_enabled() if enabled is None else enabled
    users_path = Path(users_file) if users_file is not None else config.users_file()
    first = EXTENSION_KEY not in server.extensions
    previous = server.extensions.get(EXTENSION_KEY, {})
    callbacks = previous.get("callbacks") if app is None else None
    server.extensions[EXTENSION_KEY] = {
        "enabled": enabled,
        "users": _Users(users_path),
        "audit_log": Path(audit_log) if audit_log is not None else config.audit_log(),
        "throttle": previous.get("throttle") or LoginThrottle(),
        "callbacks": callbacks or (lambda: app.callback_map if app is not None else None),
    }
    if enabled:
        server.secret_key = accounts.read_secret_key(secret_key_file)
        server.config.update(
            SESSION_COOKIE_NAME="darkfigure_session",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SECURE=config.get_flag("cookie_secure"),
            SESSION_COOKIE_SAMESITE="Strict",
            PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
            SESSION_REFRESH_EACH_REQUEST=False,  # the lifetime runs from login, not last use
        )
    if not first:
        return
    server.add_url_rule("/login", "darkfigure_login", _login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "darkfigure_logout", _logout, methods=["GET", "POST"])
    server.add_url_rule("/login.css", "darkfigure_login_css", _login_css)
    server.add_url_rule(f"{ADMIN_PREFIX}/audit", "darkfigure_admin_audit", _admin_audit)
    # first in line, so no other hook sees an unauthenticated request
    server.before_request_funcs.setdefault(None, []).insert(0, _guard)
    server.before_request(_check_callback)  # after the cross-site check of install_security
    server.after_request(_record)
