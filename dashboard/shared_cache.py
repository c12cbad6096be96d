"""A per-process result cache that computes each key once, even when asked at the same time.

A page's charts ask the server together: the Justice page's five callbacks all need the same
funnel for the view, and ``functools.lru_cache`` lets each of them compute it when they
arrive before the first has finished (five times the work on a two-core server, just when
the page is loading). :func:`shared_cache` is an LRU cache whose first caller of a key
computes it while later callers of that key wait for its result; callers of other keys run
alongside. An error is not cached: the waiting callers see it and the next call tries again.

Across processes the expensive fits have their own file-locked cache
(:mod:`dashboard.fit_cache`); this one is for results too cheap to keep on disk.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict, namedtuple
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

__all__ = ["CacheInfo", "shared_cache"]

CacheInfo = namedtuple("CacheInfo", "hits misses maxsize currsize")


class _Flight:
    """One computation of a key: its waiters block on ``done`` until it has a result."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None


def shared_cache(maxsize: int = 128, *, keep: Callable[[object], bool] | None = None
                 ) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator: an LRU cache of ``maxsize`` results keyed by the positional and keyword
    arguments (hashable), computing each key at most once at a time.

    ``keep(result)`` false: the result goes to the callers waiting for it but is not kept
    (e.g. a chart that says its model fit is still running).

    The wrapped function keeps ``cache_clear()`` and ``cache_info()`` (hits, misses,
    maxsize, currsize) as ``functools.lru_cache`` does.

    Examples
    --------
    >>> calls = []
    >>> @shared_cache(maxsize=2)
    ... def square(x):
    ...     calls.append(x)
    ...     return x * x
    >>> square(3), square(3), calls
    (9, 9, [3])
    """
    if maxsize < 1:
        raise ValueError("maxsize must be at least 1")

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        results: OrderedDict[object, object] = OrderedDict()
        flights: dict[object, _Flight] = {}
        lock = threading.Lock()
        stats = {"hits": 0, "misses": 0}

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
            with lock:
                if key in results:
                    results.move_to_end(key)
                    stats["hits"] += 1
                    return results[key]
                flight = flights.get(key)
                leader = flight is None
                if leader:
                    flight = flights[key] = _Flight()
                    stats["misses"] += 1
                else:
                    stats["hits"] += 1
            if not leader:
                flight.done.wait()
                if flight.error is not None:
                    raise flight.error
                return flight.value
            try:
                value = fn(*args, **kwargs)
            except BaseException as exc:
                flight.error = exc
                with lock:
                    flights.pop(key, None)
                flight.done.set()
                raise
            flight.value = value
            with lock:
                if keep is None or keep(value):
                    results[key] = value
                    while len(results) > maxsize:
                        results.popitem(last=False)
                flights.pop(key, None)
            flight.done.set()
            return value

        def cache_clear() -> None:
            with lock:
                results.clear()
                stats["hits"] = stats["misses"] = 0

        def cache_info() -> CacheInfo:
            with lock:
                return CacheInfo(stats["hits"], stats["misses"], maxsize, len(results))

        wrapper.cache_clear = cache_clear
        wrapper.cache_info = cache_info
        return wrapper

    return decorate
