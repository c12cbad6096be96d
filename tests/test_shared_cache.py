"""The dashboard's shared per-view cache: one computation per key, even for callers who arrive
together (a page's charts), errors never cached, least recently used results dropped."""

from __future__ import annotations

import threading

import pytest

from dashboard.shared_cache import shared_cache


def _until(condition, timeout: float = 10.0) -> None:
    """Wait (not a timing assertion) until the callers have joined the computation."""
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    try:
        while not condition() and not done.is_set():
            done.wait(0.005)
    finally:
        deadline.cancel()
    assert condition()


def test_callers_arriving_together_share_one_computation():
    started, release = threading.Event(), threading.Event()
    calls = []

    @shared_cache(maxsize=4)
    def funnel(view):
        calls.append(view)
        started.set()
        release.wait(10)
        return {"view": view}

    results = []
    threads = [threading.Thread(target=lambda: results.append(funnel("leicester")))
               for _ in range(5)]
    threads[0].start()
    assert started.wait(10)  # the first caller is computing ...
    for thread in threads[1:]:  # ... when four more ask for the same view
        thread.start()
    _until(lambda: funnel.cache_info().hits == 4)  # all four are waiting on the first
    release.set()
    for thread in threads:
        thread.join(10)
    assert calls == ["leicester"]
    assert len(results) == 5 and all(r is results[0] for r in results)
    info = funnel.cache_info()
    assert (info.misses, info.hits, info.currsize) == (1, 4, 1)


def test_other_keys_are_not_held_up_by_a_running_computation():
    release = threading.Event()
    order = []

    @shared_cache(maxsize=4)
    def result(view):
        if view == "slow":
            release.wait(10)
        order.append(view)
        return view

    slow = threading.Thread(target=result, args=("slow",))
    slow.start()
    assert result("fast") == "fast"  # returns while "slow" is still computing
    release.set()
    slow.join(10)
    assert order == ["fast", "slow"]


def test_an_error_reaches_every_waiting_caller_and_is_not_kept():
    started, release = threading.Event(), threading.Event()
    calls = []

    @shared_cache(maxsize=4)
    def fails(view):
        calls.append(view)
        if len(calls) == 1:
            started.set()
            release.wait(10)
            raise RuntimeError("store busy")
        return "ok"

    errors = []

    def ask():
        try:
            fails("v")
        except RuntimeError as exc:
            errors.append(str(exc))

    first = threading.Thread(target=ask)
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=ask)
    second.start()
    _until(lambda: fails.cache_info().hits == 1)  # waiting on the first caller
    release.set()
    first.join(10)
    second.join(10)
    assert errors == ["store busy", "store busy"]
    assert fails("v") == "ok" and calls == ["v", "v"]  # tried again, not a cached failure


def test_least_recently_used_result_is_dropped_and_clear_forgets_all():
    calls = []

    @shared_cache(maxsize=2)
    def double(x):
        calls.append(x)
        return 2 * x

    double(1), double(2), double(1), double(3)  # 2 is now the least recently used
    assert double(1) == 2 and calls == [1, 2, 3]
    double(2)
    assert calls == [1, 2, 3, 2]
    double.cache_clear()
    double(1)
    assert calls == [1, 2, 3, 2, 1]
    assert double(x=5) == 10 and double(x=5) == 10 and calls[-1] == 5 and calls.count(5) == 1


def test_a_result_not_to_keep_is_returned_but_computed_again_next_time():
    calls = []

    @shared_cache(maxsize=4, keep=lambda result: result != "fitting")
    def chart(view):
        calls.append(view)
        return "fitting" if calls.count(view) == 1 else "fitted"

    assert chart("hidden") == "fitting"
    assert chart("hidden") == "fitted" and chart("hidden") == "fitted"
    assert calls == ["hidden", "hidden"]


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError, match="at least 1"):
        shared_cache(maxsize=0)
