"""The dashboard's connection to the store: its version, and one shared read-only reader.

Every cached query of the pages is keyed on the store's *version* (path plus file
modification time), so a load invalidates the caches without any global state being
mutated.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

StoreVersion = tuple[str, int]


def store_version(store_path: Path | str) -> StoreVersion:
    """Identity of the store's current contents: path and modification time (0 if absent)."""
    path = Path(store_path)
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        stamp = 0
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        stamp = max(stamp, wal.stat().st_mtime_ns)
    return (str(path), stamp)


# Opening a DuckDB file costs tens of milliseconds, more than a callback's query, so a burst
# of callbacks shares one read-only connection (``analysis.store`` pools them per file). It
# is let go after LINGER_S without use, and at the first idle moment after MAX_AGE_S, so
# a load from this process (which waits for readers) or from the CLI in another process
# (which retries for 20 s) always gets the file.
LINGER_S = 2.0
MAX_AGE_S = 10.0
# Uploads in this process take this lock around their write (dashboard.uploads).
STORE_LOCK = threading.RLock()


class _SharedReader:
    """Keeps one read-only :class:`analysis.store.Store` open while queries come in."""

    def __init__(self):
        self._lock = threading.Lock()
        self._store = None
        self._path: str | None = None
        self._users = 0
        self._opened = 0.0
        self._last = 0.0
        self._timer: threading.Timer | None = None

    def acquire(self, path: str):
        from analysis.store import Store

        # Opening may wait for a writer: never while holding the lock (the timer needs it).
        store = Store(path, read_only=True)  # a cursor on the pooled connection
        with self._lock:
            keep = self._store is None or (self._path != path and self._users == 0)
        keeper = Store(path, read_only=True) if keep else None
        with self._lock:
            if keeper is not None and (self._store is None or (self._path != path
                                                               and self._users == 0)):
                self._close()
                self._store, self._path, self._opened = keeper, path, time.monotonic()
                keeper = None
            self._users += 1
        if keeper is not None:
            keeper.close()
        return store

    def release(self, store) -> None:
        store.close()
        with self._lock:
            self._users -= 1
            self._last = time.monotonic()
            if self._users == 0 and self._store is not None:
                if self._last - self._opened > MAX_AGE_S:
                    self._close()
                elif self._timer is None:
                    self._timer = threading.Timer(LINGER_S, self._expire)
                    self._timer.daemon = True
                    self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            self._timer = None
            if self._users == 0 and self._store is not None:
                if time.monotonic() - self._last >= LINGER_S * 0.9:
                    self._close()
                else:  # used again meanwhile: look again later
                    self._timer = threading.Timer(LINGER_S, self._expire)
                    self._timer.daemon = True
                    self._timer.start()

    def _close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._store is not None:
            self._store.close()
        self._store, self._path = None, None

    def close(self) -> None:
        """Let the file go now (before this process writes to it, and in tests)."""
        with self._lock:
            if self._users == 0:
                self._close()


_READER = _SharedReader()


@contextmanager
def open_store(version: StoreVersion):
    store = _READER.acquire(version[0])
    try:
        yield store
    finally:
        _READER.release(store)


def release_store() -> None:
    """Close the shared read-only connection now (it reopens on the next query)."""
    _READER.close()
