"""Expensive model fits computed once per store version and view, shared by every process.

A multiple systems estimate with 1,000 bootstrap replicates takes seconds; the server runs
several processes, and each would fit the same view again. :func:`cached_fit` keeps each
result in memory and on disk beside the store (an owner-only folder per store version), and
a file lock makes a second process wait for the first one's fit rather than repeat it. A new
store version starts a new folder; older ones are removed.

The results are pickled: the folder is the store's own (0700, owner-only files), so only the
account that can already read the records can write there.
"""

from __future__ import annotations

import fcntl
import hashlib
import pickle
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from analysis.private_files import private_folder, write_private_bytes

T = TypeVar("T")
MEMORY_ITEMS = 256
_memory: OrderedDict[tuple, object] = OrderedDict()
_memory_lock = threading.Lock()
_thread_locks: dict[str, threading.Lock] = {}
_known_versions: set[tuple[str, tuple[str, int]]] = set()


def cache_folder(version: tuple[str, int]) -> Path:
    """Where the fits of one store version are kept: ``.<store name>.fits/<version>``."""
    store = Path(version[0])
    return store.parent / f".{store.name}.fits" / str(version[1])


def _file_name(kind: str, key: Hashable) -> str:
    digest = hashlib.sha256(repr((kind, key)).encode()).hexdigest()[:32]
    return f"{kind}-{digest}.pickle"


@contextmanager
def _exclusive(path: Path):
    """Held by one thread of one process at a time: a thread lock, then a file lock."""
    with _memory_lock:
        lock = _thread_locks.setdefault(str(path), threading.Lock())
    with lock, open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: What :func:`cached_fit` returns with ``wait=False`` while the fit runs in the background.
PENDING = object()
_background = False
_executor = None
_running: dict[tuple, object] = {}


def use_background(enabled: bool = True) -> None:
    """Serving: fits asked for with ``wait=False`` run in one background thread per process
    (a page shows "fitting" and asks again), so a slow fit never holds a request thread and
    a process never runs two fits at once. Off by default (tests, notebooks, the CLI)."""
    global _background
    _background = enabled


def cached_fit(kind: str, version: tuple[str, int], key: Hashable,
               compute: Callable[[], T], *, wait: bool = True) -> T:
    """``compute()`` for (``kind``, store ``version``, ``key``), at most once across processes.

    Parameters
    ----------
    kind : str
        What is fitted (a file-name-safe word, e.g. ``"mse"``).
    version : (path, stamp)
        The store version (``dashboard.store_reader.store_version``).
    key : hashable
        The view (its ``repr`` names the file, so it must be stable: a frozen dataclass).
    compute : callable
        Builds the result; must be picklable.
    """
    memo = (kind, version, key)
    with _memory_lock:
        if memo in _memory:
            _memory.move_to_end(memo)
            return _memory[memo]  # type: ignore[return-value]
    if version[1] == 0:  # no store yet: nothing worth keeping
        return compute()
    if not wait and _background:
        return _in_background(kind, version, key, compute)
    folder = cache_folder(version)
    private_folder(folder)
    _known_versions.add((kind, version))
    path = folder / _file_name(kind, key)
    with _exclusive(path.with_suffix(".lock")):
        result = _read(path)
        if result is None:
            result = (compute(),)
            write_private_bytes(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            _prune(folder.parent, keep=folder.name)
    value = result[0]
    with _memory_lock:
        _memory[memo] = value
        while len(_memory) > MEMORY_ITEMS:
            _memory.popitem(last=False)
    return value


def _in_background(kind: str, version: tuple[str, int], key: Hashable, compute):
    """The fit if it is on disk already, else :data:`PENDING` (started if not running)."""
    global _executor
    memo = (kind, version, key)
    found = _read(cache_folder(version) / _file_name(kind, key))
    if found is not None:
        with _memory_lock:
            _memory[memo] = found[0]
        return found[0]
    with _memory_lock:
        job = _running.get(memo)
        if job is None or job.done():
            if _executor is None:  # made lazily: after any fork of the server's workers
                from concurrent.futures import ThreadPoolExecutor

                _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="darkfigure-fit")
            _running[memo] = _executor.submit(cached_fit, kind, version, key, compute)
    return PENDING


def wait_for_background(timeout: float | None = None) -> None:
    """Block until every background fit started so far has finished (warm-up, tests)."""
    from concurrent.futures import wait

    with _memory_lock:
        jobs = list(_running.values())
    wait(jobs, timeout=timeout)


def _read(path: Path) -> tuple | None:
    try:
        with open(path, "rb") as handle:
            loaded = pickle.load(handle)
    except (FileNotFoundError, EOFError, pickle.UnpicklingError, AttributeError,
            ModuleNotFoundError, ImportError):
        return None  # absent, half-written by a killed process, or from older code
    return loaded if isinstance(loaded, tuple) and len(loaded) == 1 else None


def _prune(root: Path, keep: str) -> None:
    """Remove the folders of store versions other than ``keep`` (and the newest other one,
    which a process still serving the previous version may be reading)."""
    try:
        others = sorted((p for p in root.iterdir() if p.is_dir() and p.name != keep),
                        key=lambda p: p.stat().st_mtime)
    except FileNotFoundError:
        return
    for old in others[:-1]:
        shutil.rmtree(old, ignore_errors=True)


def per_view(kind: str):
    """Decorator: ``f(version, state)`` through :func:`cached_fit` under ``kind``.

    The wrapped function keeps ``cache_clear()`` (forgets this kind in memory and on disk),
    so code written for ``functools.lru_cache`` works unchanged.
    """
    def decorate(fn):
        def wrapper(version, state):
            return cached_fit(kind, version, state, lambda: fn(version, state))

        def cache_clear() -> None:
            with _memory_lock:
                for memo in [m for m in _memory if m[0] == kind]:
                    del _memory[memo]
            for version in {m[1] for m in _known_versions}:
                folder = cache_folder(version)
                for path in folder.glob(f"{kind}-*.pickle") if folder.exists() else ():
                    path.unlink(missing_ok=True)

        wrapper.cache_clear = cache_clear
        wrapper.__wrapped__ = fn
        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        return wrapper
    return decorate


def clear_memory() -> None:
    """Forget the in-memory copies (tests, benchmarks); the files stay."""
    with _memory_lock:
        _memory.clear()


def cached_files(version: tuple[str, int]) -> list[str]:
    """The fits kept on disk for a store version (for the Data page and tests)."""
    folder = cache_folder(version)
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".pickle")


__all__ = ["PENDING", "cache_folder", "cached_fit", "cached_files", "clear_memory", "per_view",
           "use_background", "wait_for_background"]
