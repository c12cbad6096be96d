"""WSGI entry point: ``waitress-serve --listen 127.0.0.1:8050 dashboard.wsgi:server``.

Built as ``darkfigure serve --production`` builds it (login required, an existing store
from DARKFIGURE_STORE, debug off, the same guard and headers); importing it without
DARKFIGURE_AUTH=true raises :class:`~analysis.errors.DarkFigureError` rather than serve
the store to anyone. Run waitress-serve with ``--channel-timeout=30`` and behind the
reverse proxy of ``deploy/nginx.conf`` (docs/security.md).
"""

from dashboard.production import build_wsgi_server

server = build_wsgi_server()
