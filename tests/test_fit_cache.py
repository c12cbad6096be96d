"""Expensive fits computed once per store version and view, across processes."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from dashboard import fit_cache


def _version(tmp_path: Path, stamp: int = 1) -> tuple[str, int]:
    store = tmp_path / "store.duckdb"
    store.touch()
    return (str(store), stamp)


def _fit_and_count(version, log: str, key: str) -> int:
    def compute():
        with open(log, "a") as handle:
            handle.write("fit\n")
        time.sleep(0.5)  # long enough that the processes overlap
        return len(key)

    return fit_cache.cached_fit("test", version, key, compute)


def test_two_processes_asking_at_once_fit_once(tmp_path):
    version, log = _version(tmp_path), str(tmp_path / "log.txt")
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        results = pool.starmap(_fit_and_count, [(version, log, "view-a")] * 2)
    assert results == [6, 6]
    assert Path(log).read_text().count("fit") == 1


def test_a_fit_is_read_back_from_disk_and_a_new_version_fits_again(tmp_path):
    calls = []
    version = _version(tmp_path)

    def compute():
        calls.append(1)
        return {"estimate": 42}

    assert fit_cache.cached_fit("test", version, "v", compute) == {"estimate": 42}
    fit_cache.clear_memory()
    assert fit_cache.cached_fit("test", version, "v", compute) == {"estimate": 42}
    assert len(calls) == 1
    assert fit_cache.cached_files(version)
    assert (fit_cache.cache_folder(version).stat().st_mode & 0o777) == 0o700
    newer = (version[0], 2)
    fit_cache.cached_fit("test", newer, "v", compute)
    assert len(calls) == 2


def test_a_damaged_file_is_fitted_again(tmp_path):
    version = _version(tmp_path, stamp=7)
    fit_cache.cached_fit("test", version, "k", lambda: 1)
    for path in fit_cache.cache_folder(version).glob("*.pickle"):
        path.write_bytes(b"\x80\x05 half written")
    fit_cache.clear_memory()
    assert fit_cache.cached_fit("test", version, "k", lambda: 2) == 2


def test_old_versions_are_removed(tmp_path):
    for stamp in (1, 2, 3, 4):
        fit_cache.cached_fit("test", _version(tmp_path, stamp), "k", lambda s=stamp: s)
    kept = sorted(p.name for p in fit_cache.cache_folder(_version(tmp_path, 4)).parent.iterdir())
    assert kept == ["3", "4"]  # the current one and the one a process may still be serving


def test_per_view_keeps_lru_cache_clear(tmp_path):
    version, calls = _version(tmp_path, stamp=9), []

    @fit_cache.per_view("testview")
    def fit(version, state):
        calls.append(state)
        return state * 2

    assert fit(version, 3) == 6 and fit(version, 3) == 6 and calls == [3]
    fit.cache_clear()
    assert fit(version, 3) == 6 and calls == [3, 3]


def test_in_the_background_a_fit_is_pending_then_ready(tmp_path):
    version = _version(tmp_path, stamp=11)
    fit_cache.use_background(True)
    try:
        def slow():
            time.sleep(0.3)
            return "fitted"

        assert fit_cache.cached_fit("bg", version, "k", slow, wait=False) is fit_cache.PENDING
        fit_cache.wait_for_background()
        assert fit_cache.cached_fit("bg", version, "k", slow, wait=False) == "fitted"
        fit_cache.clear_memory()  # another process: read from disk, no second fit
        assert fit_cache.cached_fit("bg", version, "k", lambda: "again", wait=False) == "fitted"
    finally:
        fit_cache.use_background(False)


def test_the_hidden_page_says_it_is_fitting_and_asks_again(sample_store, tmp_path):
    import shutil

    from dashboard.pages import hidden
    from dashboard.state import ViewState

    store = shutil.copy(sample_store, tmp_path / "store.duckdb")  # its own fit cache
    fit_cache.use_background(True)
    try:
        first = hidden._estimates(store, ViewState())
        assert first.pending and "Fitting" in first.summary
        fit_cache.wait_for_background()
        ready = hidden._estimates(store, ViewState())
        assert not ready.pending and "multiple systems estimate" in ready.summary
    finally:
        fit_cache.use_background(False)
