"""create_app(): the only place the Dash app is built.

Everything is served by the app itself (Bootstrap CSS, Dash and plotly JS, our CSS and JS):
police and council networks often block CDNs, so nothing is fetched from elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash

from analysis import config
from dashboard import shell
from dashboard.auth import install_auth
from dashboard.context import CONFIG_KEY, DashboardContext
from dashboard.pages import PAGES
from dashboard.security import install_security
from dashboard.theme import register_templates

ASSETS = Path(__file__).resolve().parent / "assets"

INDEX_STRING = """<!DOCTYPE html>
<html lang="en-GB">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer class="dash-footer">
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def single_threaded_maths() -> None:
    """One BLAS thread per request thread. The server runs requests in parallel already; the
    small fits behind a chart (a 2 x 2 optimisation, a GLM over 36 quarters) gain nothing
    from BLAS threads, and on a busy 2-core server their spin-waiting made a 7 ms
    optimisation take 50 to 300 ms (benchmarks/dashboard.py)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def every_layout():
    """Every page's layout inside the shell's: the components any callback may name (what
    Dash's unsuppressed callback check would send to the browser with each page)."""
    from dash import html

    return html.Div([shell.layout(), *(page.layout() for page in PAGES)])


def create_app(store_path: str | Path | None = None, board: bool = False,
               warm: bool = False) -> Dash:
    """Build the dashboard over a store file.

    Parameters
    ----------
    store_path
        The DuckDB store to read (default: ``config.store_path()``). It is opened read-only
        for every query; only an upload on the Data page writes to it.
    board
        Open in board mode unless the URL says otherwise (for a boardroom screen).
    warm
        Serving: warm the default views in the background at each server process's first
        request (``dashboard.warmup``; after any fork, so worker processes never inherit a
        thread), and run model fits in the background while their charts say so and ask
        again (``dashboard.fit_cache.use_background``).
    """
    register_templates()
    single_threaded_maths()
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        serve_locally=True,
        title="Dark Figure",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        # A page's callbacks name components only that page has. Unsuppressed, Dash would put
        # every page's layout into each page view for the browser to check them against
        # (184 KB and 20 ms of the server's time per view, 92% of the page); the check is
        # made once in the tests instead (every_layout, tests/test_dashboard_app.py).
        suppress_callback_exceptions=True,
    )
    app.index_string = INDEX_STRING
    app.server.config[CONFIG_KEY] = DashboardContext(config.store_path(store_path), board)
    install_security(app.server)  # CSP, request limits, clean error pages
    install_auth(app.server, app=app)  # the login guard, whichever way the app is served
    for page in PAGES:
        dash.register_page(
            page.__name__,
            path=page.PATH if "<" not in page.PATH else None,
            path_template=page.PATH if "<" in page.PATH else None,
            name=page.NAV_LABEL,
            title=f"{page.TITLE} | Dark Figure",
            layout=page.layout,
            order=PAGES.index(page),
        )
        page.register_callbacks(app)
    with app.server.app_context():  # Dash evaluates the layout once to validate it
        app.layout = shell.layout
    shell.register_callbacks(app)
    if warm:
        from dashboard import fit_cache, warmup

        # Dash finishes its set-up at the first request, unguarded: requests arriving together
        # on a fresh server raced it ("dictionary changed size during iteration" in
        # benchmarks/load.py). Do it now, once, before any worker serves.
        with app.server.test_request_context("/"):
            app._setup_server()
        # the set-up read the store (the layout's filter options): let the file go, so no
        # DuckDB database or linger timer is alive when the server forks its workers
        from dashboard.store_reader import release_store

        release_store()
        fit_cache.use_background()  # a served page never waits on a model fit

        path = config.store_path(store_path)
        app.server.before_request(lambda: warmup.start(path) and None)
    return app
