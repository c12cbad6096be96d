"""Serve the dashboard with a production WSGI server (waitress), never in debug mode.

``run_production(app)`` switches every Dash developer tool off explicitly (whatever
``DASH_DEBUG`` says), refuses a Flask app in debug mode, installs the security headers and
the login guard if ``create_app`` has not already, and binds to loopback unless told
otherwise. Serving beyond this machine without authentication is refused: the store holds
sensitive, if pseudonymised, records. Settings: ``host``, ``port``, ``threads`` and
``workers`` (see README; several worker processes share the port, ``dashboard.workers``),
checked by ``server_settings``. Replies are gzipped and fingerprinted files cached for a
year (``dashboard.delivery``). TLS belongs to a reverse proxy in front (e.g. IIS, nginx or Caddy on the same
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
import socket
import time
import types
from collections.abc import Callable
from dataclasses import dataclass

import flask
from dash import Dash
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer

from analysis import config
from analysis.errors import DarkFigureError
from dashboard.auth import EXTENSION_KEY as AUTH_KEY
from dashboard.auth import install_auth
from dashboard.delivery import install_delivery
from dashboard.security import install_security, is_loopback, request_limit_bytes

CONNECTION_LIMIT = 1000
IDLE_TIMEOUT_S = 30  # a connection with no request in progress is closed after this
HEADER_TIMEOUT_S = 10  # a request's headers must arrive within this ...
MIN_BODY_RATE = 32 * 1024  # ... and its body at this many bytes a second at least
CHUNKED_BODY_TIMEOUT_S = 120  # a body of unknown length gets this long
CLEANUP_INTERVAL_S = 2
BACKLOG = 1024
MAX_THREADS = 64


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
    install_delivery(app)  # gzip and cache lifetimes, after every security rule
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
    server = prepare_production(create_app(path, warm=True), config.get_setting("host"))
    # Any WSGI server may run this in several processes (gunicorn -w, waitress behind a
    # balancer): throttle failed logins through the shared file whatever it does.
    share_login_throttle(server)
    return server


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


@dataclass(frozen=True)
class ServerSettings:
    """Where and how widely the production server listens, checked once."""

    host: str
    port: int
    threads: int
    workers: int


def _whole(name: str, given: object, low: int, high: int) -> int:
    env = next(s.env for s in config.SETTINGS if s.name == name)
    source = f"setting {name} ({env})" if given is None else f"--{name}"
    raw = config.get_setting(name) if given is None else given
    try:
        value = int(str(raw).strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise DarkFigureError(f"{source} must be a whole number from {low} to {high}"
                              + (" or auto" if name == "workers" else "") + f", not {str(raw)!r}")
    return value


#: ``workers = auto`` runs one process per core up to this many: each holds its own caches
#: (about 600 MB at a million referrals), and two on this project's two-core reference machine
#: served 25 users at a p95 of 1.3 s against 2.0 s for one (benchmarks/load.py).
AUTO_WORKERS = 2


def _auto_workers(given: int | str | None) -> int | str | None:
    """``auto`` (the default) as a number of processes; anything else as given."""
    from dashboard.workers import can_fork

    raw = config.get_setting("workers") if given is None else given
    if str(raw).strip().lower() != "auto":
        return given
    return min(os.cpu_count() or 1, AUTO_WORKERS) if can_fork() else 1


def server_settings(host: str | None = None, port: int | str | None = None,
                    threads: int | str | None = None,
                    workers: int | str | None = None) -> ServerSettings:
    """Arguments over settings (``host``, ``port``, ``threads``, ``workers``), each checked:
    a bad value is a :class:`~analysis.errors.DarkFigureError` naming where it came from.

    Examples
    --------
    >>> server_settings("127.0.0.1", 8050, 4, 1)
    ServerSettings(host='127.0.0.1', port=8050, threads=4, workers=1)
    """
    from dashboard.workers import MAX_WORKERS, can_fork

    settings = ServerSettings(
        host=(host or config.get_setting("host")).strip(),
        port=_whole("port", port, 1, 65535),
        threads=_whole("threads", threads, 1, MAX_THREADS),
        workers=_whole("workers", _auto_workers(workers), 1, MAX_WORKERS),
    )
    if settings.workers > 1 and not can_fork():
        raise DarkFigureError("several worker processes need a POSIX system (Linux, macOS): "
                              "on Windows set workers to 1 (--workers 1, DARKFIGURE_WORKERS=1)")
    return settings


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or a DarkFigureError saying how to choose another."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise DarkFigureError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        if os.name == "posix":  # as waitress does: restart without waiting for TIME_WAIT
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            why = "is already in use" if exc.errno == errno.EADDRINUSE else "is not allowed"
            raise DarkFigureError(
                f"port {port} on {host} {why}: choose another with --port N (or the setting "
                "port, DARKFIGURE_PORT), or stop whatever is using it") from None
        raise DarkFigureError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def waitress_options(threads: int, workers: int = 1) -> dict:
    """The waitress adjustments every production worker runs with (slow-client limits, no
    banner, no tracebacks, proxy headers trusted from loopback only). ``CONNECTION_LIMIT``
    is for the whole server, shared out between its ``workers``: a worker at its share stops
    accepting and the others take the next connections."""
    return dict(
        threads=threads,
        ident="",  # no Server banner
        expose_tracebacks=False,
        max_request_body_size=request_limit_bytes(),
        connection_limit=max(CONNECTION_LIMIT // workers, 1),
        asyncore_use_poll=True,  # select() stops at 1,024 sockets
        channel_timeout=IDLE_TIMEOUT_S,
        cleanup_interval=CLEANUP_INTERVAL_S,
        backlog=BACKLOG,
        trusted_proxy="127.0.0.1",
        trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
        clear_untrusted_proxy_headers=True,
    )


def _serve(server: flask.Flask, sock: socket.socket, threads: int, workers: int = 1) -> None:
    from waitress import create_server

    socket_map: dict = {}
    listener = create_server(server, map=socket_map, sockets=[sock],
                             **waitress_options(threads, workers))
    _harden(socket_map)
    try:
        listener.run()
    finally:
        listener.close()


def run_production(
    app: Dash, *, host: str | None = None, port: int | None = None, threads: int | None = None,
    workers: int | None = None, announce: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` with waitress until interrupted.

    ``host``, ``port``, ``threads`` and ``workers`` default to the settings of those
    names (127.0.0.1, 8050, 8 threads, 1 worker; checked by :func:`server_settings`).
    With more than one worker, that many processes, each with ``threads`` threads, share
    the port (``dashboard.workers``). ``announce`` is called with the URL once the port
    is open (so nothing claims to be listening on a port that is busy). A busy or
    forbidden port is a :class:`~analysis.errors.DarkFigureError` saying how to choose
    another. For ``darkfigure serve --production``:
    ``run_production(create_app(store_path, board=args.board), host=args.host,
    port=args.port, threads=args.threads, workers=args.workers, announce=print)``.
    """
    settings = server_settings(host, port, threads, workers)
    server = prepare_production(app, settings.host)
    if settings.workers > 1:
        share_login_throttle(server)
    sock = _bind(settings.host, settings.port)
    try:
        if announce is not None:
            shown = f"[{settings.host}]" if ":" in settings.host else settings.host
            announce(f"http://{shown}:{settings.port}/")
        if settings.workers == 1:
            _serve(server, sock, settings.threads)
        else:
            from dashboard.workers import serve_forked

            serve_forked(lambda: _serve(server, sock, settings.threads, settings.workers),
                         settings.workers)
    finally:
        sock.close()


def share_login_throttle(server: flask.Flask) -> None:
    """Keep failed logins in a file every worker process reads, beside the users file, so
    several processes throttle as one (``dashboard.throttle.SharedLoginThrottle``)."""
    from dashboard.throttle import SharedLoginThrottle

    ext = server.extensions[AUTH_KEY]
    if not isinstance(ext["throttle"], SharedLoginThrottle):
        ext["throttle"] = SharedLoginThrottle(ext["users"].path.with_name("login_throttle.json"))
