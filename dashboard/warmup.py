"""Warm the caches for the views a board opens first, in the background, once per store version.

The first visitor after a start or a load would otherwise pay for reading the reference
tables, the first queries and the model fits of the default view (several seconds in all,
most of it the multiple systems estimate). :func:`start` builds every chart of every page for
the default view and its board version in a daemon thread, so those fits land in the shared
fit cache (``dashboard.fit_cache``) before anyone asks; a page asked for meanwhile is simply
computed (or waits on the same fit's lock) as it would have been.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from dashboard.state import ViewState

LOG = logging.getLogger(__name__)
DEFAULT_VIEWS = (ViewState(), ViewState(board=True))
_started: set[tuple[str, int]] = set()
_lock = threading.Lock()


def warm(store_path: Path | str, views=DEFAULT_VIEWS) -> dict[str, float]:
    """Build every chart for ``views`` now; returns the seconds each chart took (first view).

    A chart that fails is logged and skipped: warming must never stop the server.
    """
    from dashboard.pages import PAGES

    took: dict[str, float] = {}
    for view in views:
        for page in PAGES:
            for spec in page.CHARTS:
                t = time.perf_counter()
                try:
                    spec.build(Path(store_path), view)
                except Exception:  # noqa: BLE001 - logged; the page will show its own error
                    LOG.exception("warming %s failed", spec.chart_id)
                took.setdefault(spec.chart_id, time.perf_counter() - t)
    from dashboard import fit_cache

    fit_cache.wait_for_background()  # the fits these views started, to their end
    return took


def start(store_path: Path | str) -> threading.Thread | None:
    """Warm the default views of the store's current version in a daemon thread (once per
    version in this process); returns the thread, or None when already started."""
    from dashboard.store_reader import store_version

    version = store_version(store_path)
    if version[1] == 0:
        return None
    with _lock:
        if version in _started:
            return None
        _started.add(version)
    thread = threading.Thread(target=_run, args=(store_path,), name="darkfigure-warmup",
                              daemon=True)
    thread.start()
    return thread


def freeze_long_lived() -> int:
    """Move every object alive now (modules, reference tables, the warmed caches) out of the
    cyclic garbage collector's reach; returns how many it moved.

    A full collection walks every tracked object. After warming on a store of a million
    referrals a process tracks about 346,000 (Plotly's validators, pandas frames in caches)
    and a full collection took 125 to 146 ms, holding whichever request triggered it; after
    this call it took under 0.1 ms. Objects moved are still freed when nothing refers to them
    (reference counting); only cycles among them wait for the process to end.
    """
    import gc

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _run(store_path: Path | str) -> None:
    t = time.perf_counter()
    took = warm(store_path)
    freeze_long_lived()
    slowest = max(took, key=took.get) if took else "-"
    LOG.info("warmed %d charts in %.1f s (slowest %s)", len(took), time.perf_counter() - t,
             slowest)
