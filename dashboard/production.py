"""Serve the dashboard with a production WSGI server (waitress), never in debug mode.

``run_production(app)`` switches every Dash developer tool off explicitly (whatever
``DASH_DEBUG`` says), refuses a Flask app in debug mode, installs the security headers and
the login guard if ``create_app`` has not already, and binds to loopback unless told
otherwise. Serving beyond this machine without authentication is refused: the store holds
sensitive, if pseudonymised, records. Settings: ``host``, ``port``, ``threads`` (see
README); TLS belongs to a reverse proxy in front (e.g. IIS, nginx or Caddy on the same
host), which is also why waitress only trusts proxy headers from loopback.

Slow clients cannot starve the rest: a request's headers must arrive within
``HEADER_TIMEOUT_S`` and its body at ``MIN_BODY_RATE`` or better, idle connections close
after ``IDLE_TIMEOUT_S``, and up to ``CONNECTION_LIMIT`` connections are polled. Beyond a
team, put the reverse proxy of ``deploy/nginx.conf`` in front (docs/security.md).
``build_wsgi_server()`` applies the same rules to ``dashboard.wsgi`` for any WSGI server.
"""

from __future__ import annotations

import errno
import os
import time
import types
from collections.abc import Callable

import flask
from dash import Dash
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from analysis import config
from analysis.errors import DarkFigureError
from dashboard.auth import EXTENSION_KEY as AUTH_KEY
from dashboard.auth import install_auth
from dashboard.security import install_security, is_loopback, request_limit_bytes

CONNECTION_LIMIT = 1000
IDLE_TIMEOUT_S = 30  # a connection with no request in progress is closed after this
HEADER_TIMEOUT_S = 10  # a request's headers must arrive within this ...
MIN_BODY_RATE = 32 * 1024  # ... and its body at this many bytes a second at least
CHUNKED_BODY_TIMEOUT_S = 120  # a body of unknown length gets this long
CLEANUP_INTERVAL_S = 2


def prepare_production(app: Dash, host: str) -> flask.Flask:
    """Make ``app`` safe to serve on ``host`` and return its Flask server, or raise
    :class:`~analysis.errors.DarkFigureError` saying why it must not be served."""
    server = app.server
    if server.debug or os.environ.get("FLASK_DEBUG", "").lower() in {"1", "true", "yes", "on"}:
        raise DarkFigureError(
            "Refusing to serve in production with Flask debug mode on (unset FLASK_DEBUG)."
        )
    # Explicit arguments win over DASH_DEBUG and friends in the environment.
    app.enable_dev_tools(
        debug=False,
        dev_tools_ui=False,
        dev_tools_props_check=False,
        dev_tools_serve_dev_bundles=False,
        dev_tools_hot_reload=False,
        dev_tools_prune_errors=True,
    )
    install_security(server)
    if AUTH_KEY not in server.extensions:  # create_app installs it; keep how it was set up
        install_auth(server, app=app)
    if not is_loopback(host) and not server.extensions[AUTH_KEY]["enabled"]:
        raise DarkFigureError(
            f"Refusing to serve on {host} without authentication: set DARKFIGURE_AUTH=true "
            "and add users with `darkfigure users add`, or keep the default 127.0.0.1."
        )
    return server


def build_wsgi_server(store_path=None) -> flask.Flask:
    """The Flask server for ``waitress-serve dashboard.wsgi:server`` (or any WSGI server),
    held to the rules of ``darkfigure serve --production``: login on, an existing store,
    debug off, and the same security headers and guard.
    """
    from dashboard.app import create_app

    if not config.auth_enabled():
        raise DarkFigureError("dashboard.wsgi serves a team, so it needs login: set "
                              "DARKFIGURE_AUTH=true and add users with `darkfigure users add`")
    path = config.store_path(store_path)
    if not path.exists():
        raise DarkFigureError(f"dashboard.wsgi: no store at {path}; load data first with "
                              "`darkfigure ingest` (or set DARKFIGURE_STORE)")
    return prepare_production(create_app(path), config.get_setting("host"))


class _DeadlineChannel(HTTPChannel):
    """A waitress channel that remembers when the request it is reading began."""

    request_started: float | None = None

    def received(self, data):
        result = super().received(data)
        if self.request is None:
            self.request_started = None
        elif self.request_started is None:
            self.request_started = time.time()
        return result


def _overdue(channel, now: float) -> bool:
    """A request still being read after its deadline: headers within HEADER_TIMEOUT_S, the
    body at MIN_BODY_RATE at least (Slowloris and slow-POST trickle one or the other)."""
    request, started = channel.request, getattr(channel, "request_started", None)
    if request is None or started is None or channel.requests:
        return False
    limit = HEADER_TIMEOUT_S
    if request.headers_finished:
        body = request.content_length or 0
        limit += body / MIN_BODY_RATE if body else CHUNKED_BODY_TIMEOUT_S
    return now - started > limit


def _maintenance(server, now: float) -> None:
    BaseWSGIServer.maintenance(server, now)  # idle connections (channel_timeout)
    for channel in list(server.active_channels.values()):
        if _overdue(channel, now):
            channel.will_close = True


def _harden(socket_map: dict) -> None:
    for listener in set(socket_map.values()):
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = _DeadlineChannel
            listener.maintenance = types.MethodType(_maintenance, listener)


def run_production(
    app: Dash, *, host: str | None = None, port: int | None = None, threads: int | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` with waitress until interrupted.

    ``host``, ``port`` and ``threads`` default to the settings of those names
    (127.0.0.1, 8050, 8). ``announce`` is called with the URL once the port is open (so
    nothing claims to be listening on a port that is busy). A busy or forbidden port is
    a :class:`~analysis.errors.DarkFigureError` saying how to choose another. For
    ``darkfigure serve --production``:
    ``run_production(create_app(store_path, board=args.board), host=args.host,
    port=args.port, threads=args.threads, announce=print)``.
    """
    from waitress import create_server

    host = host or config.get_setting("host")
    port = int(port or config.get_setting("port"))
    threads = int(threads or config.get_setting("threads"))
    server = prepare_production(app, host)
    socket_map: dict = {}
    try:
        listener = create_server(
            server,
            map=socket_map,
            host=host,
            port=port,
            threads=threads,
            ident="",  # no Server banner
            expose_tracebacks=False,
            max_request_body_size=request_limit_bytes(),
            connection_limit=CONNECTION_LIMIT,
            asyncore_use_poll=True,  # select() stops at 1,024 sockets
            channel_timeout=IDLE_TIMEOUT_S,
            cleanup_interval=CLEANUP_INTERVAL_S,
            trusted_proxy="127.0.0.1",
            trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
            clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            why = "is already in use" if exc.errno == errno.EADDRINUSE else "is not allowed"
            raise DarkFigureError(
                f"port {port} on {host} {why}: choose another with --port N (or the setting "
                "port, DARKFIGURE_PORT), or stop whatever is using it") from None
        raise DarkFigureError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    _harden(socket_map)
    if announce is not None:
        shown = f"[{host}]" if ":" in host else host
        announce(f"http://{shown}:{port}/")
    try:
        listener.run()
    finally:
        listener.close()
