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

# Navigation order: the board pack's order (its board views, then the justice section), so the
# analyst's navigation, the board's arrow keys and the pack tell the story the same way.
PAGES = (overview, national, areas, area_profile, sectors, trends, hidden, justice, data_page,
         methods)
BOARD_PAGES = tuple(
    sorted((p for p in PAGES if p.BOARD_ORDER is not None), key=lambda p: p.BOARD_ORDER)
)
