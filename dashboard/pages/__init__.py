"""One module per URL. Each defines SLUG, PATH, TITLE, NAV_LABEL, IN_NAV, BOARD_ORDER,
``layout(**query)`` and ``register_callbacks(app)``."""

from __future__ import annotations

from dashboard.pages import (
    area_profile,
    areas,
    data_page,
    hidden,
    justice,
    methods,
    national,
    overview,
    sectors,
    trends,
)

PAGES = (overview, areas, area_profile, national, sectors, trends, hidden, justice, data_page,
         methods)
BOARD_PAGES = tuple(
    sorted((p for p in PAGES if p.BOARD_ORDER is not None), key=lambda p: p.BOARD_ORDER)
)
