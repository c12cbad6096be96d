"""Serve the dashboard with a production WSGI server (waitress), never in debug mode.

``run_production(app)`` switches every Dash developer tool off explicitly (whatever
``DASH_DEBUG`` says), refuses a Flask app in debug mode, installs the security headers and
the login guard if ``create_app`` has not already, and binds to loopback unless told
otherwise. Serving beyond this machine without authentication is refused: the store holds
sensitive, if pseudonymised, records. Settings: ``host``, ``port``, ``threads`` (see
README); TLS belongs to a reverse proxy in front (e.g. IIS, nginx or Caddy on the same
host), which is also why waitress only trusts proxy headers from loopback.
"""

from __future__ import annotations

import ipaddress
import os

import flask
from dash import Dash

from analysis import config
from analysis.errors import DarkFigureError
from dashboard.auth import EXTENSION_KEY as AUTH_KEY
from dashboard.auth import install_auth
from dashboard.security import install_security, request_limit_bytes

CONNECTION_LIMIT = 200
CHANNEL_TIMEOUT_S = 120


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    install_auth(server)
    if not is_loopback(host) and not server.extensions[AUTH_KEY]["enabled"]:
        raise DarkFigureError(
            f"Refusing to serve on {host} without authentication: set DARKFIGURE_AUTH=true "
            "and add users with `darkfigure users add`, or keep the default 127.0.0.1."
        )
    return server


def run_production(
    app: Dash, *, host: str | None = None, port: int | None = None, threads: int | None = None
) -> None:
    """Serve ``app`` with waitress until interrupted.

    ``host``, ``port`` and ``threads`` default to the settings of those names
    (127.0.0.1, 8050, 8). For ``darkfigure serve --production``:
    ``run_production(create_app(store_path, board=args.board), host=args.host,
    port=args.port, threads=args.threads)``.
    """
    from waitress import serve

    host = host or config.get_setting("host")
    port = int(port or config.get_setting("port"))
    threads = int(threads or config.get_setting("threads"))
    server = prepare_production(app, host)
    serve(
        server,
        host=host,
        port=port,
        threads=threads,
        ident="",  # no Server banner
        expose_tracebacks=False,
        max_request_body_size=request_limit_bytes(),
        connection_limit=CONNECTION_LIMIT,
        channel_timeout=CHANNEL_TIMEOUT_S,
        trusted_proxy="127.0.0.1",
        trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
        clear_untrusted_proxy_headers=True,
    )
