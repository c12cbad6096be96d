"""How responses travel in production: gzip and cache lifetimes.

``install_delivery(app)`` (called by ``dashboard.production.prepare_production``) does two
things, after every security rule has had its say:

- **Cache lifetimes.** Files whose URL changes when their content does are cached for a
  year and never revalidated (``Cache-Control: public, max-age=31536000, immutable``):
  Dash's component bundles, fingerprinted in their path (``dash_renderer.v4_4_1m17....js``),
  and our assets, versioned by their modification time (``/assets/x.css?m=<mtime>``, and
  only when ``m`` is the file's current one). Any other asset URL is ``no-cache`` (the
  browser revalidates with the ETag); the HTML shell, callbacks, downloads and errors keep
  ``no-store`` from ``dashboard.security``. The bundles are the open-source Dash, Plotly
  and Bootstrap code and our stylesheet and script, so ``public`` discloses nothing.
- **gzip** (``GzipMiddleware``, WSGI, standard library only) for text a browser asks to be
  compressed: JSON callback replies, the HTML shell, JavaScript, CSS, SVG. Static files are
  compressed once per process and kept (``STATIC_CACHE_BYTES``). Nothing that sets a cookie
  and no login-page response is compressed: a page carrying a CSRF token beside
  text an attacker can choose is what BREACH reads through compression.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import flask
from dash import Dash
from dash.fingerprint import check_fingerprint

LONG_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = ("application/json", "text/html", "text/css", "text/javascript",
                "application/javascript", "image/svg+xml", "text/plain", "text/csv")
MIN_BYTES = 1024  # smaller replies gain nothing worth the CPU
GZIP_LEVEL = 6  # zlib's default: about 90% of level 9's saving at a third of its cost
STATIC_CACHE_BYTES = 64 * 2**20  # compressed static files kept per process
NEVER_COMPRESS = ("/login", "/logout")
_STATIC = ("/_dash-component-suites/", "/assets/")


def cache_control_for(path: str, query_m: str | None, assets_folder: str | Path) -> str | None:
    """The Cache-Control a static file at ``path`` should carry, or None for non-static
    paths (which keep ``no-store``).

    Examples
    --------
    >>> cache_control_for("/_dash-component-suites/dash/dcc/dcc.v4_4_1m1795989267.js", None, ".")
    'public, max-age=31536000, immutable'
    >>> cache_control_for("/_dash-component-suites/dash/dcc/dcc.js", None, ".")
    'no-cache'
    >>> cache_control_for("/_dash-update-component", None, ".") is None
    True
    """
    if path.startswith("/_dash-component-suites/"):
        return LONG_CACHE if check_fingerprint(path)[1] else REVALIDATE
    if path.startswith("/assets/"):
        relative = path[len("/assets/"):]
        if not query_m or ".." in relative.split("/"):
            return REVALIDATE
        try:
            current = str(os.path.getmtime(Path(assets_folder) / relative))
        except OSError:
            return REVALIDATE
        return LONG_CACHE if query_m == current else REVALIDATE
    return None


def _set_cache_lifetime(assets_folder: str) -> Callable[[flask.Response], flask.Response]:
    def after(response: flask.Response) -> flask.Response:
        request = flask.request
        if response.status_code not in (200, 304):
            if request.path.startswith(_STATIC):
                response.headers["Cache-Control"] = "no-store"  # a 401 or 404 is not kept
            return response
        value = cache_control_for(request.path, request.args.get("m"), assets_folder)
        if value is not None:
            response.headers["Cache-Control"] = value
        return response

    return after


def _accepts_gzip(environ: dict) -> bool:
    for part in environ.get("HTTP_ACCEPT_ENCODING", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


class GzipMiddleware:
    """WSGI middleware: gzip compressible replies for clients that accept it.

    Wraps ``server.wsgi_app`` so it sees each reply after Flask (and every security
    header) is done with it. Replies are buffered to be compressed, so a streamed
    reply (``Content-Length`` unknown and not compressible) passes through untouched.
    """

    def __init__(self, app: Callable, *, level: int = GZIP_LEVEL,
                 static_cache_bytes: int = STATIC_CACHE_BYTES):
        self.app = app
        self.level = level
        self._static: OrderedDict[tuple[str, str, bytes], bytes] = OrderedDict()
        self._static_bytes = 0
        self._limit = static_cache_bytes
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "HEAD" or path in NEVER_COMPRESS:
            return self.app(environ, start_response)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: captured.setdefault("written", []).append(data)

        result = self.app(environ, capture)
        status, headers = captured["status"], list(captured["headers"])
        if not (_is_compressible(headers) and status.startswith("200")):
            write = start_response(status, headers, captured.get("exc_info"))
            for data in captured.get("written", []):
                write(data)
            return result  # passed through untouched (and still streamed)
        try:
            body = b"".join([*captured.get("written", []), *result])
        finally:
            if hasattr(result, "close"):
                result.close()
        if self._should_compress(environ, headers, body):
            body = self._compress(path, environ.get("QUERY_STRING", ""), body)
            headers = [(k, _weak(v) if k.lower() == "etag" else v) for k, v in headers
                       if k.lower() != "content-length"]
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
        if not any(k.lower() == "vary" for k, _ in headers):
            headers.append(("Vary", "Accept-Encoding"))  # a cache must not mix the two
        start_response(status, headers, captured.get("exc_info"))
        return [body]

    @staticmethod
    def _should_compress(environ, headers, body: bytes) -> bool:
        if len(body) < MIN_BYTES or not _accepts_gzip(environ):
            return False
        names = {k.lower() for k, _ in headers}
        # already encoded; or a fresh session cookie (BREACH, see above)
        return "content-encoding" not in names and "set-cookie" not in names

    def _compress(self, path: str, query: str, body: bytes) -> bytes:
        if not path.startswith(_STATIC):
            return gzip.compress(body, self.level, mtime=0)
        key = (path, query, _digest(body))
        with self._lock:
            hit = self._static.get(key)
            if hit is not None:
                self._static.move_to_end(key)
                return hit
        packed = gzip.compress(body, self.level, mtime=0)
        with self._lock:
            self._static[key] = packed
            self._static_bytes += len(packed)
            while self._static_bytes > self._limit and self._static:
                _, dropped = self._static.popitem(last=False)
                self._static_bytes -= len(dropped)
        return packed


def _digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=16).digest()


def _is_compressible(headers) -> bool:
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    return ctype.split(";")[0].strip().lower() in COMPRESSIBLE


def _weak(etag: str) -> str:
    """A compressed body is a different representation: its ETag must not claim byte
    equality with the plain one (RFC 9110 8.8.3)."""
    return etag if etag.startswith("W/") else f"W/{etag}"


def install_delivery(app: Dash) -> None:
    """Add cache lifetimes and gzip to ``app``'s Flask server (idempotent)."""
    server = app.server
    if server.extensions.get("darkfigure.delivery"):
        return
    server.extensions["darkfigure.delivery"] = True
    # Flask runs after_request hooks last-registered first; this one is registered after
    # dashboard.security's, so it runs before it and security's no-store must not override
    # it: security leaves static prefixes alone.
    server.after_request(_set_cache_lifetime(app.config.assets_folder))
    server.wsgi_app = GzipMiddleware(server.wsgi_app)
