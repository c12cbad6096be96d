"""Warming a serving process: every chart of the default views built once, then what start-up
made kept out of the garbage collector's full passes (a full pass held requests for over
100 ms on a large store)."""

from __future__ import annotations

import gc
import shutil

import pytest

from dashboard import warmup


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # other tests in this process collect as usual


def test_warming_builds_every_chart_then_freezes_what_it_made(sample_store, tmp_path,
                                                              unfrozen):
    from dashboard.pages import PAGES

    store = tmp_path / "warm.duckdb"
    shutil.copy(sample_store, store)
    thread = warmup.start(store)
    assert thread is not None
    thread.join(300)
    assert not thread.is_alive()
    assert gc.get_freeze_count() > 10_000  # modules, reference tables, the warmed caches
    assert warmup.start(store) is None  # once per store version
    took = warmup.warm(store)
    assert set(took) == {spec.chart_id for page in PAGES for spec in page.CHARTS}


def test_an_object_made_before_the_freeze_is_left_alone_by_full_collections(unfrozen):
    class Node:
        pass

    kept = Node()
    kept.self = kept  # a cycle, still referenced
    moved = warmup.freeze_long_lived()
    # the count moves as other threads free frozen objects: both are positive, not equal
    assert moved > 0 and gc.get_freeze_count() > 0
    assert not any(o is kept for o in gc.get_objects())  # no longer scanned
    fresh = Node()
    fresh.self = fresh
    assert any(o is fresh for o in gc.get_objects())  # new objects are collected as usual
