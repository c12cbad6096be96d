"""Login throttling: exponential backoff per (user, address), per user and per address.

``LoginThrottle`` keeps its memory in the process; ``SharedLoginThrottle`` keeps the same
memory in a file (under an exclusive lock), so several server processes throttle as one.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_FAILURES = 5  # failed logins per user (or user and address) before backoff starts
ADDRESS_FAILURES = 20  # failed logins from one address, any user, before backoff starts
FAILURE_WINDOW_S = 15 * 60  # failures older than this are forgotten
MAX_DELAY_S = 15 * 60  # backoff doubles from 2 s up to this
MAX_KEYS = 10_000  # throttle memory is bounded whatever an attacker sends


class LoginThrottle:
    """Failed logins, throttled three ways with exponential backoff, never a hard lock.

    A failure counts against the (user, address) pair, the user name and the address. The
    right password from an address the user has logged in from before is slowed only by
    that pair's own failures, so nobody elsewhere can lock a user out, and one user's typos
    on a shared office address do not stop colleagues. Anything else waits for the slowest
    of the three (pair and user after ``MAX_FAILURES``, address after ``ADDRESS_FAILURES``),
    doubling with each further failure up to ``MAX_DELAY_S``. Memory is bounded: at most
    ``MAX_KEYS`` keys are remembered, oldest first out.
    """

    @staticmethod
    def _clock() -> float:
        return time.monotonic()  # looked up per call: tests move the clock

    def __init__(self):
        self._lock = threading.Lock()
        self._times: OrderedDict[str, deque[float]] = OrderedDict()
        self._known: OrderedDict[str, float] = OrderedDict()  # "user@address" that logged in
        self._reported: OrderedDict[str, float] = OrderedDict()  # throttles already audited

    @contextmanager
    def _state(self) -> Iterator[None]:
        with self._lock:
            yield

    @staticmethod
    def _remember(table: OrderedDict, key: str, value) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > MAX_KEYS:
            table.popitem(last=False)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._times.get(key, deque())
        while times and now - times[0] > FAILURE_WINDOW_S:
            times.popleft()
        return times

    def _keys(self, user: str, address: str) -> dict[str, int]:
        return {f"pair:{user}@{address}": MAX_FAILURES, f"user:{user}": MAX_FAILURES,
                f"addr:{address}": ADDRESS_FAILURES}

    def wait_seconds(self, user: str, address: str) -> float:
        """Seconds this login attempt must wait (0 means go ahead and check the password)."""
        now = self._clock()
        with self._state():
            keys = self._keys(user, address)
            if f"{user}@{address}" in self._known:
                keys = dict(list(keys.items())[:1])  # only the pair's own failures
            wait = 0.0
            for key, threshold in keys.items():
                times = self._recent(key, now)
                if len(times) >= threshold:
                    delay = min(2.0 ** (len(times) - threshold + 1), MAX_DELAY_S)
                    wait = max(wait, times[-1] + delay - now)
            return wait

    def fail(self, user: str, address: str) -> None:
        now = self._clock()
        with self._state():
            for key in self._keys(user, address):
                times = self._recent(key, now)
                times.append(now)
                self._remember(self._times, key, times)

    def succeed(self, user: str, address: str) -> None:
        with self._state():
            self._times.pop(f"pair:{user}@{address}", None)
            self._remember(self._known, f"{user}@{address}", self._clock())

    def first_report(self, user: str, address: str) -> bool:
        """True once per (user, address) and window: throttled attempts are audited once."""
        now, key = self._clock(), f"{user}@{address}"
        with self._state():
            if now - self._reported.get(key, -FAILURE_WINDOW_S - 1) <= FAILURE_WINDOW_S:
                return False
            self._remember(self._reported, key, now)
            return True


class SharedLoginThrottle(LoginThrottle):
    """A :class:`LoginThrottle` whose memory is a JSON file shared by every process that
    names it: each check or update reads it, and each update rewrites it, under an
    exclusive ``flock`` on ``<file>.lock``. Times are wall-clock seconds (a monotonic clock
    is per process). The file is owner-only and bounded like the in-process memory.
    Logins are rare, so a few milliseconds of file work each is nothing.
    """

    @staticmethod
    def _clock() -> float:
        return time.time()

    def __init__(self, path: str | os.PathLike[str]):
        super().__init__()
        self.path = Path(path)

    @contextmanager
    def _state(self) -> Iterator[None]:
        import fcntl  # POSIX only, as several worker processes are

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:  # threads of this process first, then the file between processes
            fd = os.open(self.path.with_name(self.path.name + ".lock"),
                         os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._read()
                before = self._dump()
                yield
                if self._dump() != before:
                    self._write()
            finally:
                os.close(fd)  # closing releases the lock

    def _dump(self) -> str:
        return json.dumps({"times": {k: list(v) for k, v in self._times.items()},
                           "known": self._known, "reported": self._reported})

    def _read(self) -> None:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            times = OrderedDict((str(k), deque(float(t) for t in v))
                                for k, v in doc["times"].items())
            known = OrderedDict((str(k), float(v)) for k, v in doc["known"].items())
            reported = OrderedDict((str(k), float(v)) for k, v in doc["reported"].items())
        except FileNotFoundError:
            times, known, reported = OrderedDict(), OrderedDict(), OrderedDict()
        except (ValueError, KeyError, TypeError, AttributeError):
            # A damaged file must not open the door wider than a fresh one: start afresh,
            # and the file is rewritten whole at the next failure.
            times, known, reported = OrderedDict(), OrderedDict(), OrderedDict()
        self._times, self._known, self._reported = times, known, reported

    def _write(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self._dump())
        os.replace(tmp, self.path)
